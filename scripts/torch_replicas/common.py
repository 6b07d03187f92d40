"""What every replica shares: the data's levels, burn's Adam, levels to [-1, 1]."""

import torch

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
