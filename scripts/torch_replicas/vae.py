"""crates/vae in PyTorch: MLP and convolutional encoder and decoder, Bernoulli and discretized
logistic decoders, the ELBO step and the IWAE bound."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .common import adam, levels_of, signed


def discretized_logistic_log_prob(x, loc, log_scale, levels):
    """observation.rs: log-scale clamped to [LOG_SCALE_MIN, LOG_SCALE_MAX] = [-7, 3]."""
    half = 1.0 / (levels - 1)
    log_scale = log_scale.clamp(-7.0, 3.0)
    inv = torch.exp(-log_scale)
    c = x - loc
    a, b, d = (c + half) * inv, (c - half) * inv, inv * (2 * half)
    log_cdf_a, log_sf_b = F.logsigmoid(a), F.logsigmoid(-b)
    interior = log_cdf_a + log_sf_b + torch.log(torch.tanh(0.5 * d)) + torch.log1p(torch.exp(-d))
    out = torch.where(x < -1 + half, log_cdf_a, interior)
    return torch.where(x > 1 - half, log_sf_b, out)


def vae_mlp(i, o, hidden, layers):
    """nets/mlp.rs: `layers` SiLU layers of width `hidden`, then a linear head."""
    widths = [i] + [hidden] * layers
    mods = []
    for a, b in zip(widths, widths[1:]):
        mods += [nn.Linear(a, b), nn.SiLU()]
    return nn.Sequential(*mods, nn.Linear(hidden, o))


def vae_conv_encoder(image, ch, hidden, latent):
    """nets/conv.rs ConvEncoder: two 4x4 stride-2 convs (C -> ch -> 2ch), SiLU, a hidden layer,
    a head to (mu, log_var)."""
    c, h, w = image
    return nn.Sequential(
        nn.Unflatten(1, tuple(image)),
        nn.Conv2d(c, ch, 4, 2, 1), nn.SiLU(),  # [n, ch, H/2, W/2]
        nn.Conv2d(ch, 2 * ch, 4, 2, 1), nn.SiLU(),  # [n, 2ch, H/4, W/4]
        nn.Flatten(), nn.Linear(2 * ch * (h // 4) * (w // 4), hidden), nn.SiLU(),
        nn.Linear(hidden, 2 * latent),
    )


def vae_conv_decoder(image, ch, hidden, latent, per):
    """nets/conv.rs ConvDecoder: two SiLU linear layers to [2ch, H/4, W/4], two 4x4 stride-2
    transposed convs (2ch -> ch -> ch), a 3x3 conv to the P parameters per pixel (parameter-major)."""
    c, h, w = image
    return nn.Sequential(
        nn.Linear(latent, hidden), nn.SiLU(),
        nn.Linear(hidden, 2 * ch * (h // 4) * (w // 4)), nn.SiLU(),
        nn.Unflatten(1, (2 * ch, h // 4, w // 4)),
        nn.ConvTranspose2d(2 * ch, ch, 4, 2, 1), nn.SiLU(),  # [n, ch, H/2, W/2]
        nn.ConvTranspose2d(ch, ch, 4, 2, 1), nn.SiLU(),  # [n, ch, H, W]
        nn.Conv2d(ch, c * per, 3, padding=1), nn.Flatten(),  # [n, P*C*H*W]
    )


class Vae(nn.Module):
    """crates/vae: MLP (nets/mlp.rs) or conv (nets/conv.rs, `arch = "conv"`) encoder and decoder,
    Bernoulli or discretized logistic decoder; one Adam step on distortion + w_t * rate (the KL
    warm-up's weight w_t is a scalar: the same work at every step)."""

    def __init__(self, w, train):
        super().__init__()
        c = w["config"]
        self.levels = levels_of(w)
        self.d = train[0].numel()
        hidden, layers, self.latent = c.get("hidden", 256), c.get("layers", 2), c.get("latent_dim", 16)
        self.k, self.rows = c.get("iwae_k", 1000), c.get("eval_rows", 4096)
        self.beta, self.warmup, self.step = c.get("beta", 1.0), c.get("kl_warmup_steps", 0), 0
        per = 1 if self.levels == 2 else 2
        if c.get("arch", "mlp") == "conv":
            image, ch = list(train.shape[1:]), c.get("conv_channels", 32)
            self.enc = vae_conv_encoder(image, ch, hidden, self.latent)
            self.dec = vae_conv_decoder(image, ch, hidden, self.latent, per)
        else:
            self.enc = vae_mlp(self.d, 2 * self.latent, hidden, layers)
            self.dec = vae_mlp(self.latent, per * self.d, hidden, layers)
        self.opt = adam(self.parameters(), w.get("learning_rate", 1e-3))

    def kl_weight(self):
        if self.warmup == 0:
            return self.beta
        return self.beta * min(1.0, (self.step + 1) / self.warmup)

    def model_space(self, x):
        x = x.reshape(len(x), -1)
        return x if self.levels == 2 else signed(x, self.levels)

    def log_px(self, x, out):
        if self.levels == 2:
            return -F.binary_cross_entropy_with_logits(out, x, reduction="none")
        return discretized_logistic_log_prob(x, out[:, : self.d], out[:, self.d :], self.levels)

    def train_step(self, x):
        x = self.model_space(x)
        mu, log_var = self.enc(x).chunk(2, 1)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        rate = (0.5 * (mu.square() + log_var.exp() - 1 - log_var)).sum(1).mean()
        loss = -self.log_px(x, self.dec(z)).sum(1).mean() + self.kl_weight() * rate
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        self.step += 1

    def log_likelihood(self, x):
        x = self.model_space(x)
        mu, log_var = self.enc(x).chunk(2, 1)
        out = []
        per_chunk = max(1, self.rows // self.k)
        for s in range(0, len(x), per_chunk):
            xs, m, lv = x[s : s + per_chunk], mu[s : s + per_chunk], log_var[s : s + per_chunk]
            n = len(xs)
            eps = torch.randn(n, self.k, self.latent)
            z = m[:, None] + torch.exp(0.5 * lv)[:, None] * eps  # [n, k, latent]
            log_q = (-0.5 * (eps.square() + lv[:, None] + math.log(2 * math.pi))).sum(2)
            log_p = (-0.5 * (z.square() + math.log(2 * math.pi))).sum(2)
            dec = self.dec(z.reshape(n * self.k, -1))
            xr = xs[:, None].expand(n, self.k, self.d).reshape(n * self.k, -1)
            log_px = self.log_px(xr, dec).sum(1).reshape(n, self.k)
            out.append(torch.logsumexp(log_px + log_p - log_q, 1) - math.log(self.k))
        return torch.cat(out)
