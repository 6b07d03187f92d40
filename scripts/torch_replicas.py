"""The genbench families' networks and steps in PyTorch, for scripts/torch_reference.py.

Each replica takes a workload table of experiments/bench.toml and exposes `parameters()`,
`train_step(x)`, `sample(n)` and `log_likelihood(x)` (x: data values, levels for images). The
layer layout follows the Rust sources named in each class, so the parameter counts match.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

LEVELS = {"digits": 17, "mnist5k": 256, "fashion-mnist": 256, "mnist": 256}


def levels_of(w):
    data = w["data"]
    if data.get("binarize"):
        return 2
    return data.get("levels", LEVELS.get(data["name"]))


def adam(params, lr, betas=(0.9, 0.999)):
    # burn's AdamConfig default epsilon is 1e-5.
    return torch.optim.Adam(params, lr=lr, betas=betas, eps=1e-5)


def signed(x, levels):
    return x * (2.0 / (levels - 1)) - 1.0


# ------------------------------------------------------------------ VAE (crates/vae)
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


# ------------------------------------------------------------------ diffusion (crates/diffusion)
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


# ------------------------------------------------------------------ autoregressive (crates/autoregressive)
class ExactLikelihood(nn.Module):
    """An autoregressive model: one Adam step on the mean NLL; the likelihood is `log_prob`."""

    def train_step(self, x):
        loss = -self.log_prob(x).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()

    def log_likelihood(self, x):
        return self.log_prob(x)


class MaskedLinear(nn.Linear):
    def __init__(self, i, o, mask):
        super().__init__(i, o)
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


class Made(ExactLikelihood):
    """made.rs: masked ReLU MLP, natural order, L logits per pixel; with `logit_rank` r > 0 the
    masked output layer gives r features per pixel, mapped to the L logits by a bias-free linear
    map shared by all pixels (after a ReLU) plus a per-pixel bias [D, L]."""

    def __init__(self, w, train):
        super().__init__()
        c = w["config"]
        self.levels = levels_of(w)
        d = train[0].numel()
        self.d = d
        hidden = c.get("hidden", [256, 256])
        degrees = [torch.arange(1, d + 1)]
        for h in hidden:
            degrees.append(torch.arange(h) % max(1, d - 1) + 1)
        layers = []
        for a, b in zip(degrees, degrees[1:]):
            layers.append(MaskedLinear(len(a), len(b), (b[:, None] >= a[None]).float()))
        self.rank = c.get("logit_rank", 0)
        out_per_dim = self.rank or self.levels
        out_deg = torch.arange(1, d + 1).repeat_interleave(out_per_dim)
        layers.append(MaskedLinear(len(degrees[-1]), d * out_per_dim, (out_deg[:, None] > degrees[-1][None]).float()))
        self.layers = nn.ModuleList(layers)
        if self.rank:
            self.shared = nn.Linear(self.rank, self.levels, bias=False)
            self.dim_bias = nn.Parameter(torch.zeros(d, self.levels))
        self.opt = adam(self.parameters(), w.get("learning_rate", 1e-3))

    def log_prob(self, x):
        k = x.reshape(len(x), -1)
        h = k / (self.levels - 1)
        for layer in self.layers[:-1]:
            h = F.relu(layer(h))
        if self.rank:
            a = self.layers[-1](h).reshape(len(x), self.d, self.rank)
            logits = self.shared(F.relu(a)) + self.dim_bias  # [n, D, L]
        else:
            logits = self.layers[-1](h).reshape(len(x), self.d, self.levels)
        return torch.gather(F.log_softmax(logits, 2), 2, k.long()[:, :, None]).sum((1, 2))



def conv_mask(kind, c_out, c_in, k):
    m = torch.ones(c_out, c_in, k, k)
    centre = k // 2
    m[:, :, centre, centre + (1 if kind == "B" else 0) :] = 0
    m[:, :, centre + 1 :] = 0
    return m


class MaskedConv(nn.Conv2d):
    def __init__(self, c_in, c_out, k, kind):
        super().__init__(c_in, c_out, k, padding=k // 2)
        self.register_buffer("mask", conv_mask(kind, c_out, c_in, k))

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PixelCnn(ExactLikelihood):
    """pixelcnn.rs: mask-A conv, gated mask-B residual blocks, two 1x1 convs to L logits."""

    def __init__(self, w, train):
        super().__init__()
        c = w["config"]
        self.levels = levels_of(w)
        self.shape = list(train.shape[1:])
        f, blocks = c.get("channels", 32), c.get("blocks", 4)
        first, kernel = c.get("first_kernel", 7), c.get("kernel", 3)
        self.input = MaskedConv(1, f, first, "A")
        self.convs = nn.ModuleList(MaskedConv(f, 2 * f, kernel, "B") for _ in range(blocks))
        self.mixes = nn.ModuleList(nn.Conv2d(f, f, 1) for _ in range(blocks))
        self.head_hidden = nn.Conv2d(f, c.get("head_channels", 64), 1)
        self.head_out = nn.Conv2d(c.get("head_channels", 64), self.levels, 1)
        self.reach = first // 2 + blocks * (kernel // 2)
        self.opt = adam(self.parameters(), w.get("learning_rate", 1e-3))

    def forward(self, x):
        h = self.input(x)
        for conv, mix in zip(self.convs, self.mixes):
            a, b = conv(h).chunk(2, 1)
            h = h + mix(torch.tanh(a) * torch.sigmoid(b))
        return self.head_out(F.relu(self.head_hidden(F.relu(h))))

    def log_prob(self, k):
        logits = self.forward(signed(k, self.levels))
        return -F.cross_entropy(logits, k[:, 0].long(), reduction="none").sum((1, 2))


    def sample(self, n):
        """One pass per pixel in raster order on the receptive-field crop (genbench's `crop`)."""
        _, h, w = self.shape
        k = torch.zeros(n, 1, h, w)
        r_ = self.reach
        for r in range(h):
            for c in range(w):
                r0, c0, c1 = max(0, r - r_), max(0, c - r_), min(w, c + r_ + 1)
                logits = self.forward(signed(k[:, :, r0 : r + 1, c0:c1], self.levels))[:, :, r - r0, c - c0]
                k[:, 0, r, c] = torch.multinomial(F.softmax(logits, 1), 1)[:, 0].float()
        return k


# ------------------------------------------------------------------ flow (crates/flow)
class ActNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bias, self.log_scale = nn.Parameter(torch.zeros(c)), nn.Parameter(torch.zeros(c))

    def forward(self, x):
        y = (x + self.bias[None, :, None, None]) * self.log_scale.exp()[None, :, None, None]
        return y, self.log_scale.sum() * x.shape[2] * x.shape[3]

    def inverse(self, y):
        return y * torch.exp(-self.log_scale)[None, :, None, None] - self.bias[None, :, None, None]


class ConvCoupling(nn.Module):
    """conv.rs: conv 3x3 (+ the mask as a channel on the checkerboard), ReLU, 1x1, ReLU, 3x3 -> (s, t)."""

    def __init__(self, c, channels, checkerboard, parity, clamp):
        super().__init__()
        self.c, self.checkerboard, self.parity, self.clamp = c, checkerboard, parity, clamp
        self.input = nn.Conv2d(c + int(checkerboard), channels, 3, padding=1)
        self.middle = nn.Conv2d(channels, channels, 1)
        self.output = nn.Conv2d(channels, 2 * c, 3, padding=1)
        nn.init.zeros_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def mask(self, shape):
        _, c, h, w = shape
        if self.checkerboard:
            m = ((torch.arange(h)[:, None] + torch.arange(w)[None]) % 2 == int(self.parity)).float()
            return m[None, None].expand(1, c, h, w)
        m = (torch.arange(c) < c // 2) != self.parity
        return m.float()[None, :, None, None].expand(1, c, h, w)

    def scale_shift(self, x, m):
        masked = x * m
        if self.checkerboard:
            masked = torch.cat([masked, m[:, :1].expand(len(x), 1, *x.shape[2:])], 1)
        out = self.output(F.relu(self.middle(F.relu(self.input(masked)))))
        s, t = out.chunk(2, 1)
        return torch.tanh(s / self.clamp) * self.clamp * (1 - m), t * (1 - m)

    def forward(self, x):
        m = self.mask(x.shape)
        s, t = self.scale_shift(x, m)
        return x * s.exp() + t, s.flatten(1).sum(1)

    def inverse(self, y):
        m = self.mask(y.shape)
        s, t = self.scale_shift(y, m)
        return (y - t) * torch.exp(-s)


def squeeze(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(n, 4 * c, h // 2, w // 2)


def unsqueeze(x):
    n, c, h, w = x.shape
    return x.reshape(n, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c // 4, 2 * h, 2 * w)


class Flow(nn.Module):
    """image.rs: per scale [act-norm, checkerboard coupling] x k, squeeze, [act-norm, channel
    coupling] x k, factor out half; dequantized logit inputs; Adam after global-norm clipping."""

    def __init__(self, w, train):
        super().__init__()
        cfg = w["config"]
        self.levels = levels_of(w)
        self.shape = list(train.shape[1:])
        k, ch, clamp = cfg.get("couplings_per_scale", 3), cfg.get("channels", 32), cfg.get("scale_clamp", 3.0)
        self.alpha = cfg.get("logit_alpha", 0.05)
        self.clip = cfg.get("grad_clip", 100.0)
        self.scales = nn.ModuleList()
        c = self.shape[0]
        for _ in range(cfg.get("scales", 2)):
            self.scales.append(nn.ModuleDict({
                "checker_norms": nn.ModuleList(ActNorm(c) for _ in range(k)),
                "checker": nn.ModuleList(ConvCoupling(c, ch, True, i % 2 == 1, clamp) for i in range(k)),
                "channel_norms": nn.ModuleList(ActNorm(4 * c) for _ in range(k)),
                "channel": nn.ModuleList(ConvCoupling(4 * c, ch, False, i % 2 == 1, clamp) for i in range(k)),
            }))
            c *= 2
        self.opt = adam(self.parameters(), w.get("learning_rate", 1e-3))

    def preprocess(self, k):
        x = (k + torch.rand_like(k)) / self.levels
        p = self.alpha + (1 - 2 * self.alpha) * x
        y = torch.log(p) - torch.log1p(-p)
        return y, (math.log(1 - 2 * self.alpha) - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)

    def forward(self, y):
        n = len(y)
        h, log_det, latents = y.reshape(n, *self.shape), torch.zeros(n), []
        for s, scale in enumerate(self.scales):
            for part in ("checker", "channel"):
                if part == "channel":
                    h = squeeze(h)
                for norm, coupling in zip(scale[part + "_norms"], scale[part]):
                    h, ld = norm(h)
                    h, lc = coupling(h)
                    log_det = log_det + ld + lc
            if s < len(self.scales) - 1:
                c = h.shape[1]
                latents.append(h[:, c // 2 :].flatten(1))
                h = h[:, : c // 2]
        latents.append(h.flatten(1))
        z = torch.cat(latents, 1)
        return (-0.5 * (z.square() + math.log(2 * math.pi))).sum(1) + log_det

    def train_step(self, k):
        y, _ = self.preprocess(k)
        loss = -self.forward(y).mean() / y[0].numel()
        self.opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.parameters(), self.clip)
        self.opt.step()

    def log_likelihood(self, k):
        y, pre = self.preprocess(k)
        return self.forward(y) + pre - k[0].numel() * math.log(self.levels)

    def sample(self, n):
        c, hh, ww = self.shape
        shapes = []
        for _ in self.scales:
            shapes.append((c, hh, ww))
            c, hh, ww = 2 * c, hh // 2, ww // 2
        z = torch.randn(n, math.prod(self.shape))
        offsets, o = [], 0
        for c, hh, ww in shapes:
            offsets.append(o)
            o += 2 * c * (hh // 2) * (ww // 2)
        c, hh, ww = shapes[-1]
        h = z[:, offsets[-1] :].reshape(n, 4 * c, hh // 2, ww // 2)
        for s in reversed(range(len(self.scales))):
            c, hh, ww = shapes[s]
            if s < len(self.scales) - 1:
                h = torch.cat([h, z[:, offsets[s] : offsets[s] + 2 * c * (hh // 2) * (ww // 2)].reshape(n, 2 * c, hh // 2, ww // 2)], 1)
            scale = self.scales[s]
            for part in ("channel", "checker"):
                for norm, coupling in reversed(list(zip(scale[part + "_norms"], scale[part]))):
                    h = norm.inverse(coupling.inverse(h))
                if part == "channel":
                    h = unsqueeze(h)
        x = torch.sigmoid(h.flatten(1))
        return ((x - self.alpha) / (1 - 2 * self.alpha) * self.levels).floor().clamp(0, self.levels - 1)


# ------------------------------------------------------------------ GAN (crates/gan)
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
        d_norm = [] if self.wgan else [nn.BatchNorm2d(2 * c)]
        self.g = nn.Sequential(
            nn.Linear(self.latent, math.prod(self.start)), nn.Unflatten(1, self.start),
            nn.BatchNorm2d(2 * c), nn.ReLU(),
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.BatchNorm2d(c), nn.ReLU(),
            nn.ConvTranspose2d(c, c_img, 4, 2, 1), nn.Tanh(),
        )
        self.d = nn.Sequential(
            nn.Conv2d(c_img, c, 4, 2, 1), nn.LeakyReLU(slope),
            nn.Conv2d(c, 2 * c, 4, 2, 1), *d_norm, nn.LeakyReLU(slope),
            nn.Flatten(), nn.Linear(2 * c * (h // 4) * (wd // 4), 1),
        )
        lr = w.get("learning_rate", 2e-4)
        betas = (0.0, 0.9) if self.wgan else (0.5, 0.999)
        self.g_opt, self.d_opt = adam(self.g.parameters(), lr, betas), adam(self.d.parameters(), lr, betas)

    def input_gradient(self, x):
        """∂D/∂x per sample [n, C, H, W] for the critic without batch norm (conv.rs backward_input)."""
        convs, head = [self.d[0], self.d[2]], self.d[5]
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


def build_replica(w, train):
    family, arch = w["family"], w["config"].get("arch")
    if family == "vae":
        return Vae(w, train)
    if family == "diffusion":
        return Vdm(w, train) if w["config"].get("process") == "vdm" else Diffusion(w, train)
    if family == "autoregressive":
        return PixelCnn(w, train) if arch == "pixelcnn" else Made(w, train)
    if family == "flow":
        return Flow(w, train)
    if family == "gan":
        return Dcgan(w, train)
    raise SystemExit(f"error: {w['name']}: no PyTorch replica of family {family}")
