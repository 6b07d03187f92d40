#!/usr/bin/env python3
"""PyTorch (eager, CPU) replicas of the workloads of experiments/bench.toml, timed like
`genbench bench` times them, printing the same CSV.

Each replica is the architecture of the genbench family with the same config: the same layers
and widths (its parameter count is asserted equal to the count `genbench bench --list` prints for
that workload), the same optimiser (Adam; the same global gradient-norm clipping where the
family clips; the EMA of the diffusion family), the same batch size and the same per-step work
(the diffusion family's sinusoidal time features, the VDM's learned schedule and three-term
bound, the flow's dequantization and logit, the GAN's `n_critic` D updates — with WGAN-GP's
gradient penalty — and one G update, PixelCNN's receptive-field crop when sampling, the VAE's
IWAE in rows of `eval_rows`). Data are the very examples genbench uses (`genbench export-split`).

    python3 scripts/torch_reference.py                     # every workload, 2 threads
    python3 scripts/torch_reference.py --only made-digits --reps 5

Columns: workload,kind,unit,median,min,max,reps,items_per_rep,params,threads,backend,commit —
`backend` is torch-<version>, `commit` the genbench checkout the workloads file came from.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib

import numpy as np
import torch

from torch_replicas import build_replica

HEADER = "workload,kind,unit,median,min,max,reps,items_per_rep,params,threads,backend,commit"


def genbench_params(genbench, bench_file, names):
    """Parameter count of each workload as `genbench bench --list` prints it."""
    args = [genbench, "bench", "--list", bench_file]
    for n in names:
        args += ["--only", n]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    rows = [line.split(",") for line in out.strip().splitlines()[1:]]
    return {r[0]: int(r[4]) for r in rows}


def export_split(genbench, data, cache):
    """The train and test examples genbench uses for the dataset table `data`, as float32 arrays
    (images: levels [n, C, H, W]; 2-D: coordinates [n, 2])."""
    key = "-".join(f"{k}={v}" for k, v in sorted(data.items()))
    out = os.path.join(cache, key)
    if not os.path.exists(os.path.join(out, "test.npy")):
        args = [genbench, "export-split", "--dataset", data["name"], "--out", out]
        for k, v in data.items():
            if k != "name":
                args += ["--data", f"{k}={str(v).lower()}"]
        subprocess.run(args, check=True, capture_output=True)
    train = np.load(os.path.join(out, "train.npy")).astype(np.float32)
    test = np.load(os.path.join(out, "test.npy")).astype(np.float32)
    return torch.from_numpy(train), torch.from_numpy(test)


def items_per_rep(w):
    if w["kind"] == "train":
        return w["steps"] * w["batch_size"]
    return w["n"]


def time_workload(replica, w, train, test, warmup, reps):
    """Items per second of each timed repetition (genbench bench's loop)."""
    gen = torch.Generator().manual_seed(0)
    perm, cursor = torch.randperm(len(train), generator=gen), 0
    rates = []
    for rep in range(warmup + reps):
        if w["kind"] == "train":
            batches = []
            for _ in range(w["steps"]):
                if cursor + w["batch_size"] > len(train):
                    perm, cursor = torch.randperm(len(train), generator=gen), 0
                batches.append(train[perm[cursor : cursor + w["batch_size"]]])
                cursor += w["batch_size"]
            started = time.perf_counter()
            for b in batches:
                replica.train_step(b)
            seconds = time.perf_counter() - started
        elif w["kind"] == "sample":
            started = time.perf_counter()
            with torch.no_grad():
                replica.sample(w["n"])
            seconds = time.perf_counter() - started
        else:
            x = test[: w["n"]]
            started = time.perf_counter()
            with torch.no_grad():
                replica.log_likelihood(x)
            seconds = time.perf_counter() - started
        if rep >= warmup:
            rates.append(items_per_rep(w) / max(seconds, 1e-9))
    return rates


def git_commit():
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", default="experiments/bench.toml")
    p.add_argument("--only", action="append", default=[], metavar="NAME")
    p.add_argument("--reps", type=int)
    p.add_argument("--warmup", type=int)
    p.add_argument("--threads", type=int, default=int(os.environ.get("RAYON_NUM_THREADS", "2")))
    p.add_argument("--genbench", default="target/release/genbench", help="the binary whose --list gives the parameter counts")
    p.add_argument("--no-header", action="store_true")
    p.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "genbench-torch-reference"))
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    with open(args.file, "rb") as f:
        spec = tomllib.load(f)
    workloads = spec["workloads"]
    names = {w["name"] for w in workloads}
    for n in args.only:
        if n not in names:
            sys.exit(f"error: --only {n}: no such workload in {args.file}")
    if args.only:
        workloads = [w for w in workloads if w["name"] in args.only]
    warmup = spec.get("warmup", 1) if args.warmup is None else args.warmup
    reps = spec.get("reps", 3) if args.reps is None else args.reps
    expected = genbench_params(args.genbench, args.file, [w["name"] for w in workloads])
    backend, commit = f"torch-{torch.__version__.split('+')[0]}", git_commit()
    if not args.no_header:
        print(HEADER, flush=True)
    for w in workloads:
        train, test = export_split(args.genbench, w["data"], args.cache)
        torch.manual_seed(0)
        replica = build_replica(w, train)
        params = sum(p.numel() for p in replica.parameters())
        if params != expected[w["name"]]:
            sys.exit(f"error: {w['name']}: the replica has {params} parameters, genbench's model {expected[w['name']]}")
        print(f"{w['name']} ({w['kind']}, {items_per_rep(w)} per repetition)", file=sys.stderr)
        rates = sorted(time_workload(replica, w, train, test, warmup, reps))
        med = statistics.median(rates)
        print(f"    {med:.1f} samples/s (min {rates[0]:.1f}, max {rates[-1]:.1f})", file=sys.stderr)
        print(
            f"{w['name']},{w['kind']},samples/s,{med:.4f},{rates[0]:.4f},{rates[-1]:.4f},{len(rates)},"
            f"{items_per_rep(w)},{params},{args.threads},{backend},{commit}",
            flush=True,
        )


if __name__ == "__main__":
    main()
