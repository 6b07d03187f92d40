"""crates/diffusion (DDPM) in PyTorch: time features, the MLP and U-Net denoisers, the clipped
Adam step with EMA, training, DDIM sampling and the vlb-T bound."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .common import adam, levels_of, signed


def sinusoidal(t, steps, dim):
    return sinusoidal_at(t.double() * 1000.0 / steps, dim)


def sinusoidal_at(s, dim):
    """embedding.rs sinusoidal_features_at: cos and sin of s * 10000^(-k/half), in float64."""
    s = s.double()
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
    args = s[:, None] * freqs[None]
    return torch.cat([args.cos(), args.sin()], 1).float()


class Conditioning(nn.Module):
    """denoiser/embedding.rs: time features -> Linear, SiLU, Linear."""

    def __init__(self, features, embed):
        super().__init__()
        self.time_in, self.time_out = nn.Linear(features, embed), nn.Linear(embed, embed)

    def forward(self, f):
        return self.time_out(F.silu(self.time_in(f)))


class MlpDenoiser(nn.Module):
    """denoiser/mlp.rs: h = W_in x; h += W2 silu(W1 silu(h) + E emb); out = W_out silu(h)."""

    def __init__(self, dim, embed, hidden, blocks):
        super().__init__()
        self.input, self.output = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.blocks = nn.ModuleList(
            nn.ModuleList([nn.Linear(hidden, hidden), nn.Linear(embed, hidden), nn.Linear(hidden, hidden)])
            for _ in range(blocks)
        )

    def forward(self, x, emb):
        h = self.input(x)
        for fc1, e, fc2 in self.blocks:
            h = h + fc2(F.silu(fc1(F.silu(h)) + e(emb)))
        return self.output(F.silu(h))


class ResBlock(nn.Module):
    """denoiser/unet.rs ResBlock."""

    def __init__(self, c_in, c_out, embed, groups):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups, c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(embed, c_out)
        self.norm2, self.conv2 = nn.GroupNorm(groups, c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (self.skip(x) if self.skip is not None else x)


class UNet(nn.Module):
    """denoiser/unet.rs: channels c, 2c, ...; `levels` down/up levels with skips; the input
    has `input_groups` blocks of C*H*W (x and its Fourier features), read as channels."""

    def __init__(self, shape, embed, channels, levels, groups, input_groups=1):
        super().__init__()
        self.shape = shape
        width = [channels] + [2 * channels] * levels
        self.conv_in = nn.Conv2d(shape[0] * input_groups, channels, 3, padding=1)
        self.down = nn.ModuleList(ResBlock(width[k], width[k], embed, groups) for k in range(levels))
        self.downsample = nn.ModuleList(nn.Conv2d(width[k], width[k + 1], 3, stride=2, padding=1) for k in range(levels))
        self.mid = ResBlock(width[levels], width[levels], embed, groups)
        self.upsample = nn.ModuleList(nn.ConvTranspose2d(width[k + 1], width[k], 2, stride=2) for k in range(levels))
        self.up = nn.ModuleList(ResBlock(2 * width[k], width[k], embed, groups) for k in range(levels))
        self.norm_out = nn.GroupNorm(groups, channels)
        self.conv_out = nn.Conv2d(channels, shape[0], 3, padding=1)

    def forward(self, x, emb):
        n = len(x)
        c, hh, ww = self.shape
        h = self.conv_in(x.reshape(n, -1, hh, ww))
        skips = []
        for block, down in zip(self.down, self.downsample):
            h = block(h, emb)
            skips.append(h)
            h = down(h)
        h = self.mid(h, emb)
        for k in reversed(range(len(self.up))):
            h = self.up[k](torch.cat([self.upsample[k](h), skips.pop()], 1), emb)
        return self.conv_out(F.silu(self.norm_out(h))).reshape(n, -1)


class ClippedEmaStep:
    """The diffusion family's update (train.rs, vdm/train.rs): Adam after clipping the global
    gradient norm to `grad_clip`, then ema <- d ema + (1 - d) θ with d = min(decay, (1+s)/(10+s))."""

    def init_update(self, c, lr):
        self.decay = c.get("ema_decay", 0.999)
        self.clip = c.get("grad_clip", 1.0)
        self.net_params = list(self.parameters())
        self.ema = [p.detach().clone() for p in self.net_params]
        self.opt = adam(self.net_params, lr)
        self.step = 0

    def update(self, loss):
        self.opt.zero_grad()
        loss.backward()
        if self.clip > 0:
            torch.nn.utils.clip_grad_norm_(self.net_params, self.clip)
        self.opt.step()
        decay = min(self.decay, (1 + self.step) / (10 + self.step))
        with torch.no_grad():
            for a, p in zip(self.ema, self.net_params):
                a.mul_(decay).add_(p, alpha=1 - decay)
        self.step += 1


class Diffusion(ClippedEmaStep, nn.Module):
    """crates/diffusion: DDPM, ε-prediction, simple loss, linear schedule, EMA, grad clip."""

    def __init__(self, w, train):
        super().__init__()
        c = w["config"]
        self.levels = levels_of(w)
        self.steps = c.get("timesteps", 1000)
        self.features = c.get("time_features", 64)
        embed = c.get("embed", 128)
        self.cond = Conditioning(self.features, embed)
        denoiser = c.get("denoiser", "auto")
        if denoiser == "unet" or (denoiser == "auto" and train.dim() == 4):
            self.den = UNet(list(train.shape[1:]), embed, c.get("unet_channels", 32), c.get("unet_levels", 2), c.get("unet_groups", 8))
        else:
            self.den = MlpDenoiser(train.shape[1], embed, c.get("mlp_hidden", 128), c.get("mlp_blocks", 3))
        scale = 1000.0 / self.steps
        betas = torch.linspace(scale * 1e-4, scale * 0.02, self.steps, dtype=torch.float64)
        self.betas = betas
        self.alpha_bar = torch.cumprod(1 - betas, 0)
        ab_prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bar[:-1]])
        self.post_var = betas * (1 - ab_prev) / (1 - self.alpha_bar)
        self.post_log_var = torch.log(torch.cat([self.post_var[1:2], self.post_var[1:]]))
        self.coef1 = betas * ab_prev.sqrt() / (1 - self.alpha_bar)
        self.coef2 = (1 - ab_prev) * (1 - betas).sqrt() / (1 - self.alpha_bar)
        self.sample_steps = c.get("sample_steps", 0) or self.steps
        self.shape = list(train.shape[1:])
        self.init_update(c, w.get("learning_rate", 1e-3))

    def model_space(self, x):
        x = x.reshape(len(x), -1)
        return signed(x, self.levels) if self.levels else x

    def eps(self, x, t):
        return self.den(x, self.cond(sinusoidal(t, self.steps, self.features)))

    def train_step(self, x):
        x0 = self.model_space(x)
        n = len(x0)
        t = torch.randint(0, self.steps, (n,))
        ab = self.alpha_bar[t].float()[:, None]
        e = torch.randn_like(x0)
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * e
        self.update((self.eps(xt, t) - e).pow(2).mean(1).mean())

    def sample(self, n):
        """DDIM (η = 0) with `sample_steps` evenly spaced steps."""
        d = math.prod(self.shape)
        x = torch.randn(n, d)
        ts = torch.linspace(self.steps - 1, 0, self.sample_steps).round().long().tolist()
        for i, t in enumerate(ts):
            ab = self.alpha_bar[t].item()
            ab_prev = self.alpha_bar[ts[i + 1]].item() if i + 1 < len(ts) else 1.0
            e = self.eps(x, torch.full((n,), t))
            x0 = ((x - math.sqrt(1 - ab) * e) / math.sqrt(ab)).clamp(-1, 1)
            x = math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev) * e
        return x

    def log_likelihood(self, x):
        """vlb-T: L_T + Σ_{t≥2} KL(q(x_{t−1}|x_t,x_0) ‖ p(x_{t−1}|x_t)) + L_0 (discretized)."""
        x0 = self.model_space(x)
        n, d = x0.shape
        ab_T = self.alpha_bar[-1].item()
        m = math.sqrt(ab_T) * x0
        total = (0.5 * (-1 - math.log(1 - ab_T) + (1 - ab_T) + m.square())).sum(1)
        for t in range(self.steps):
            ab = self.alpha_bar[t].item()
            xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * torch.randn_like(x0)
            e = self.eps(xt, torch.full((n,), t))
            x0_hat = (xt - math.sqrt(1 - ab) * e) / math.sqrt(ab)
            mean = self.coef1[t].item() * x0_hat + self.coef2[t].item() * xt
            lv = self.post_log_var[t].item()
            if t == 0:
                half = 1.0 / (self.levels - 1) if self.levels else 0.0
                inv = math.exp(-0.5 * lv)
                normal = torch.distributions.Normal(0.0, 1.0)
                hi, lo = normal.cdf((x0 - mean + half) * inv), normal.cdf((x0 - mean - half) * inv)
                total = total - torch.log((hi - lo).clamp_min(1e-12)).sum(1)
            else:
                true_mean = self.coef1[t].item() * x0 + self.coef2[t].item() * xt
                total = total + (0.5 * (true_mean - mean).square() * math.exp(-lv)).sum(1)
        return -total
