#!/usr/bin/env python3
"""A model trained outside genbench, with numpy alone, scored beside genbench's families.

A mixture of K products of categoricals over the pixels of an image of L grey levels:

    p(x) = sum_k pi_k prod_d theta_{k,d}[x_d]

fitted by EM on the split `genbench export-split` wrote (train.npy), with K chosen on
validation.npy, then: 2,000 samples (uint8 levels, [n, C, H, W]) and the exact per-example
log-likelihood log p(x) in nats of every test image (test.npy order), ready for

    genbench score --samples OUT/samples.npy --log-likelihood OUT/test_loglik.npy --kind exact \
        --split-fingerprint $(jq -r .split_fingerprint SPLIT/split.json) ...

Usage: scripts/byom_mixture.py SPLIT_DIR OUT_DIR [--components 5,10,20,40] [--samples 2000]

EM (responsibilities r_nk, a Dirichlet(1 + alpha) prior on every categorical):
    r_nk      proportional to pi_k prod_d theta_{k,d}[x_nd]
    theta_kdl = (sum_n r_nk [x_nd = l] + alpha) / (sum_n r_nk + L alpha)
    pi_k      = (sum_n r_nk + 1) / (N + K)
"""

import argparse
import json
import pathlib
import time

import numpy as np

ALPHA = 0.5  # Dirichlet smoothing of every categorical (pseudo-counts per level)
EM_STEPS = 100


def one_hot(x, levels):
    """[n, D] integer levels -> [n, D * L] float one-hot."""
    n, d = x.shape
    out = np.zeros((n, d, levels))
    out[np.arange(n)[:, None], np.arange(d)[None, :], x] = 1.0
    return out.reshape(n, d * levels)


def log_joint(onehot, log_pi, log_theta):
    """[n, K]: log pi_k + sum_d log theta_{k,d}[x_d]."""
    k = log_theta.shape[0]
    return onehot @ log_theta.reshape(k, -1).T + log_pi


def logsumexp(a):
    m = a.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=1, keepdims=True)))[:, 0]


def fit(x, levels, k, rng):
    """EM from random responsibilities; returns (log_pi [K], log_theta [K, D, L])."""
    n, d = x.shape
    onehot = one_hot(x, levels)
    r = rng.dirichlet(np.ones(k), size=n)
    for _ in range(EM_STEPS):
        counts = (r.T @ onehot).reshape(k, d, levels)
        theta = (counts + ALPHA) / (r.sum(axis=0)[:, None, None] + levels * ALPHA)
        log_theta = np.log(theta)
        log_pi = np.log((r.sum(axis=0) + 1.0) / (n + k))
        joint = log_joint(onehot, log_pi, log_theta)
        r = np.exp(joint - logsumexp(joint)[:, None])
    return log_pi, log_theta


def log_likelihood(x, levels, log_pi, log_theta):
    """log p(x) in nats for each row of x."""
    return logsumexp(log_joint(one_hot(x, levels), log_pi, log_theta))


def sample(n, log_pi, log_theta, rng):
    k, d, levels = log_theta.shape
    comp = rng.choice(k, size=n, p=np.exp(log_pi) / np.exp(log_pi).sum())
    cdf = np.cumsum(np.exp(log_theta[comp]), axis=2)  # [n, D, L]
    u = rng.random((n, d, 1))
    return np.minimum((u > cdf).sum(axis=2), levels - 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("split", type=pathlib.Path)
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--components", default="5,10,20,40")
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    info = json.loads((args.split / "split.json").read_text())
    levels = info["levels"]
    shape = info["shape"]
    flat = lambda a: a.reshape(len(a), -1).astype(np.int64)
    train = flat(np.load(args.split / "train.npy"))
    test = flat(np.load(args.split / "test.npy"))
    rng = np.random.default_rng(args.seed)
    if (args.split / "validation.npy").exists():
        validation = flat(np.load(args.split / "validation.npy"))
    else:  # an older export without a validation split: hold out 10% of train here
        order = rng.permutation(len(train))
        cut = len(train) // 10
        validation, train = train[order[:cut]], train[order[cut:]]
    print(f"train {len(train)}, validation {len(validation)}, test {len(test)}, {levels} levels")

    started = time.perf_counter()
    best = None
    for k in [int(c) for c in args.components.split(",")]:
        params = fit(train, levels, k, rng)
        nll = -log_likelihood(validation, levels, *params).mean()
        bpd = nll / (train.shape[1] * np.log(2))
        print(f"K = {k:3d}: validation NLL {nll:.3f} nats = {bpd:.4f} bits/dim")
        if best is None or nll < best[0]:
            best = (nll, k, params)
    train_seconds = time.perf_counter() - started
    _, k, (log_pi, log_theta) = best

    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    x = sample(args.samples, log_pi, log_theta, rng)
    samples_per_second = args.samples / (time.perf_counter() - started)
    np.save(args.out / "samples.npy", x.reshape([args.samples] + shape).astype(np.uint8))
    test_ll = log_likelihood(test, levels, log_pi, log_theta)
    np.save(args.out / "test_loglik.npy", test_ll)
    params = (k - 1) + k * train.shape[1] * (levels - 1)
    card = {
        "components": k,
        "params": params,
        "train_seconds": train_seconds,
        "samples_per_second": samples_per_second,
        "test_nll_bpd": float(-test_ll.mean() / (train.shape[1] * np.log(2))),
        "split_fingerprint": info["split_fingerprint"],
    }
    (args.out / "model.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"chosen K = {k} on validation; {params} parameters; {train_seconds:.1f} s of EM")
    print(f"test NLL {card['test_nll_bpd']:.4f} bits/dim (exact); wrote {args.out}/samples.npy, test_loglik.npy")


if __name__ == "__main__":
    main()
