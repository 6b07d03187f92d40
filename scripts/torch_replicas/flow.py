"""crates/flow in PyTorch: the multi-scale RealNVP of image.rs on dequantized, logit-transformed
pixels, training, likelihood and sampling."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .common import adam, levels_of


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
