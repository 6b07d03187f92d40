"""crates/autoregressive in PyTorch: MADE (with low-rank logits) and the gated PixelCNN,
its receptive-field-cropped sampler."""

import torch
import torch.nn.functional as F
from torch import nn

from .common import adam, levels_of, signed


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
