"""crates/gan in PyTorch: the DCGAN pair with the non-saturating or WGAN-GP objective."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .common import adam, levels_of, signed


class Dcgan(nn.Module):
    """conv.rs: G = Linear -> [2c, H/4, W/4], BN, ReLU, convT, BN, ReLU, convT, tanh;
    D = conv s2, LeakyReLU, conv s2, (BN,) LeakyReLU, Linear. model.rs train_on: `n_critic`
    D updates (fresh fakes each), then one G update. Non-saturating loss (D batch-normed, Adam
    (0.5, 0.999), one D update) or WGAN-GP (no BN in D, Adam (0.0, 0.9), 5 D updates, each with
    the per-sample gradient penalty λ mean (‖∇D(x̂)‖ − 1)² at x̂ = ε x + (1 − ε) G(z)).
    ∇D(x̂) is written out as genbench writes it (nets.rs input_gradient, conv.rs backward_input;
    burn's autodiff is first order): a forward pass for the LeakyReLU masks, then the head's
    weight back through each conv by its transposed convolution, differentiable in the weights.
    (PyTorch's own double backward, autograd.grad(create_graph=True), gives the same function.)"""

    def __init__(self, w, train):
        super().__init__()
        cfg = w["config"]
        self.levels = levels_of(w)
        c_img, h, wd = train.shape[1:]
        c = cfg.get("channels", 64)
        self.latent = cfg.get("latent_dim", 32)
        self.start = (2 * c, h // 4, wd // 4)
        self.slope = slope = cfg.get("leaky_slope", 0.2)
        self.wgan = cfg.get("loss", "ns") == "wgan-gp"
        self.n_critic = cfg.get("n_critic", 5 if self.wgan else 1)
        self.gp_weight = cfg.get("gp_weight", 10.0)
        g_norm = cfg.get("g_batch_norm", True)
        d_norm = [nn.BatchNorm2d(2 * c)] if cfg.get("d_batch_norm", not self.wgan) else []
        self.g = nn.Sequential(
            nn.Linear(self.latent, math.prod(self.start)), nn.Unflatten(1, self.start),
            nn.BatchNorm2d(2 * c) if g_norm else nn.Identity(), nn.ReLU(),
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.BatchNorm2d(c) if g_norm else nn.Identity(), nn.ReLU(),
            nn.ConvTranspose2d(c, c_img, 4, 2, 1), nn.Tanh(),
        )
        self.d = nn.Sequential(
            nn.Conv2d(c_img, c, 4, 2, 1), nn.LeakyReLU(slope),
            nn.Conv2d(c, 2 * c, 4, 2, 1), *d_norm, nn.LeakyReLU(slope),
            nn.Flatten(), nn.Linear(2 * c * (h // 4) * (wd // 4), 1),
        )
        lr, betas = w.get("learning_rate", 1e-3), [0.0, 0.9] if self.wgan else [0.5, 0.999]
        self.g_opt = adam(self.g.parameters(), cfg.get("g_lr", lr), tuple(cfg.get("g_betas", betas)))
        self.d_opt = adam(self.d.parameters(), cfg.get("d_lr", lr), tuple(cfg.get("d_betas", betas)))

    def input_gradient(self, x):
        """∂D/∂x per sample [n, C, H, W] for the critic without batch norm (conv.rs backward_input)."""
        convs, head = [m for m in self.d if isinstance(m, nn.Conv2d)], self.d[-1]
        pre, h = [], x
        with torch.no_grad():  # the masks carry no gradient
            for conv in convs:
                pre.append((h.shape[2:], conv(h)))
                h = F.leaky_relu(pre[-1][1], self.slope)
        g = head.weight.expand(len(x), -1).reshape(h.shape)  # [n, 2c, H/4, W/4]
        for conv, (hw_in, a) in zip(reversed(convs), reversed(pre)):
            ho, wo = a.shape[2:]
            pad_out = (hw_in[0] - (2 * (ho - 1) + 2), hw_in[1] - (2 * (wo - 1) + 2))
            mask = torch.where(a > 0, 1.0, self.slope)
            g = F.conv_transpose2d(g * mask, conv.weight, stride=2, padding=1, output_padding=pad_out)
        return g

    def gradient_penalty(self, real, fake):
        eps = torch.rand(len(real), 1, 1, 1)
        grad = self.input_gradient(eps * real + (1 - eps) * fake)
        return ((grad.flatten(1).square().sum(1) + 1e-12).sqrt() - 1).square().mean()

    def train_step(self, k):
        real = signed(k, self.levels)
        n = len(real)
        for _ in range(self.n_critic):
            fake = self.g(torch.randn(n, self.latent)).detach()
            d_real, d_fake = self.d(real), self.d(fake)
            if self.wgan:
                d_loss = d_fake.mean() - d_real.mean() + self.gp_weight * self.gradient_penalty(real, fake)
            else:
                d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
            self.d_opt.zero_grad()
            d_loss.backward()
            self.d_opt.step()
        d_fake = self.d(self.g(torch.randn(n, self.latent)))
        g_loss = -d_fake.mean() if self.wgan else F.softplus(-d_fake).mean()
        self.g_opt.zero_grad()
        self.d_opt.zero_grad()
        g_loss.backward()
        self.g_opt.step()

    def sample(self, n):
        self.g.eval()
        x = self.g(torch.randn(n, self.latent))
        self.g.train()
        return ((x + 1) * 0.5 * (self.levels - 1)).round()
