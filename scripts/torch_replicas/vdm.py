"""crates/diffusion/src/vdm in PyTorch: the learned schedule, Fourier features and the VDM
training step on its continuous-time bound."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .common import levels_of, signed
from .diffusion import ClippedEmaStep, Conditioning, UNet, sinusoidal_at


class Gamma(nn.Module):
    """denoiser/gamma.rs: VDM's learned monotone γ_η(t) between learned ends γ_0 and
    γ_1 = γ_0 + e^ρ, with its closed-form time derivative γ'(t)."""

    def __init__(self, gamma_min, gamma_max, hidden, init_std=0.01):
        super().__init__()
        self.w1 = nn.Parameter(torch.ones(1, 1))
        self.w2 = nn.Parameter(torch.randn(1, hidden) * init_std)
        self.b2 = nn.Parameter(torch.zeros(1, hidden))
        self.w3 = nn.Parameter(torch.randn(hidden, 1) * init_std)
        self.gamma_0 = nn.Parameter(torch.full((1, 1), float(gamma_min)))
        self.log_range = nn.Parameter(torch.full((1, 1), math.log(gamma_max - gamma_min)))

    def raw(self, t):
        hidden = self.w2.shape[1]
        w1, w2, w3 = self.w1.abs(), self.w2.abs(), self.w3.abs()
        s = torch.sigmoid((2 * t - 1) @ w2 + self.b2)  # [n, H]
        value = t @ w1 + ((s - 0.5) * 2) @ w3 / hidden  # [n, 1]
        derivative = (4 * s * (1 - s) * w2) @ w3 / hidden + w1  # [n, 1]
        return value, derivative

    def forward(self, t):
        """γ(t), γ'(t) for t [n, 1] (γ̃ at 0 and 1 computed in the same pass, as genbench does)."""
        n = len(t)
        value, derivative = self.raw(torch.cat([t, torch.tensor([[0.0], [1.0]])]))
        g0, g1 = value[n : n + 1], value[n + 1 : n + 2]
        scale = self.log_range.exp() / (g1 - g0)
        return (value[:n] - g0) * scale + self.gamma_0, derivative[:n] * scale


def fourier_append(x, exponents):
    """denoiser/fourier.rs: x, then sin and cos of 2^n 2π x for each n, blocks of D."""
    parts = [x]
    for e in exponents:
        h = x * (2.0**e * 2 * math.pi)
        parts += [h.sin(), h.cos()]
    return torch.cat(parts, 1)


class Vdm(ClippedEmaStep, nn.Module):
    """crates/diffusion/src/vdm: the learned schedule γ_η and the U-Net (Fourier features of z_t
    as extra input channels) trained jointly on the bound in bits/dim — prior KL + categorical
    reconstruction over the L levels + the continuous-time diffusion loss ½ γ'(t) ‖ε − ε̂‖² at
    antithetic t_i = (u + i/B) mod 1 — then the family's clipped Adam step and EMA."""

    def __init__(self, w, train):
        super().__init__()
        c = w["config"]
        if c.get("vdm_steps", 0) != 0:
            raise SystemExit(f"error: {w['name']}: the replica has the continuous-time VDM loss only (vdm_steps = 0)")
        self.levels = levels_of(w)
        self.features = c.get("time_features", 64)
        self.gamma_min, self.gamma_max = c.get("gamma_min", -13.3), c.get("gamma_max", 5.0)
        self.exponents = c.get("fourier_exponents", [])
        embed = c.get("embed", 128)
        self.gamma = Gamma(self.gamma_min, self.gamma_max, c.get("gamma_hidden", 1024))
        self.cond = Conditioning(self.features, embed)
        groups = 1 + 2 * len(self.exponents)
        if c.get("denoiser", "auto") == "mlp" or train.dim() != 4:
            raise SystemExit(f"error: {w['name']}: the replica has the U-Net VDM only")
        self.den = UNet(list(train.shape[1:]), embed, c.get("unet_channels", 32), c.get("unet_levels", 2),
                        c.get("unet_groups", 8), groups)
        self.values = torch.linspace(-1.0, 1.0, self.levels)  # the levels in model space
        self.init_update(c, w.get("learning_rate", 1e-3))

    def train_step(self, k):
        x = signed(k.reshape(len(k), -1), self.levels)
        n, d = x.shape
        t = ((torch.rand(()) + torch.arange(n) / n) % 1.0)[:, None]  # [n, 1]
        eps, eps0 = torch.randn(n, d), torch.randn(n, d)
        gamma_t, gamma_dot = self.gamma(t)  # [n, 1]
        ends, _ = self.gamma(torch.tensor([[0.0], [1.0]]))
        g0, g1 = ends[0:1], ends[1:2]  # [1, 1]
        z = torch.sigmoid(-gamma_t).sqrt() * x + torch.sigmoid(gamma_t).sqrt() * eps  # [n, d]
        s = 1000.0 * (gamma_t.detach()[:, 0] - self.gamma_min) / (self.gamma_max - self.gamma_min)
        emb = self.cond(sinusoidal_at(s, self.features))
        eps_hat = self.den(fourier_append(z, self.exponents), emb)  # [n, d]
        diffusion = 0.5 * gamma_dot * (eps - eps_hat).square().sum(1, keepdim=True)  # [n, 1]
        alpha2 = torch.sigmoid(-g1)
        sigma2 = 1 - alpha2
        prior = 0.5 * (x.square() * alpha2).sum(1, keepdim=True) + 0.5 * d * (sigma2 - sigma2.log() - 1)
        z0 = x + eps0 * (0.5 * g0).exp()  # z_0 / α_0
        logits = -0.5 * (z0[:, :, None] - self.values).square() * (-g0).exp()  # [n, d, L]
        level = torch.round((x + 1) * (self.levels - 1) / 2).long()
        recon = -torch.gather(F.log_softmax(logits, 2), 2, level[:, :, None]).sum((1, 2))[:, None]
        self.update((prior + recon + diffusion).mean() / (d * math.log(2)))
