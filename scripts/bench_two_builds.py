#!/usr/bin/env python3
"""Two genbench builds against each other on workloads of experiments/bench.toml, alternated
workload by workload with the order swapped every round (a shared machine's load falls on both):

    python3 scripts/bench_two_builds.py NEW_BINARY OLD_BINARY vae-mlp-digits,made-digits 5

prints every round (NEW and OLD median samples/s, NEW ÷ OLD) and per workload the medians and
the per-round ratios. Used for vendor/PATCHES.md (a patched build against the published crate).
"""
import csv, io, os, statistics, subprocess, sys, time

new, old, workloads, rounds = sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
env = dict(os.environ, RAYON_NUM_THREADS=os.environ.get("RAYON_NUM_THREADS", "2"))
rows = []
print("load before", open("/proc/loadavg").read().strip(), time.strftime("%H:%M:%S"), flush=True)
for r in range(rounds):
    for w in workloads:
        got = {}
        for side in (["new", "old"] if r % 2 == 0 else ["old", "new"]):
            binary = new if side == "new" else old
            out = subprocess.run([binary, "bench", "experiments/bench.toml", "--only", w],
                                 capture_output=True, text=True, env=env, check=True).stdout
            got[side] = float(list(csv.DictReader(io.StringIO(out)))[0]["median"])
        rows.append((w, got["new"], got["old"]))
        print(w, r + 1, f"{got['new']:.4g} {got['old']:.4g} {got['new'] / got['old']:.3f}", flush=True)
print("load after", open("/proc/loadavg").read().strip(), time.strftime("%H:%M:%S"))
print("| workload | new samples/s | old samples/s | new ÷ old (median of rounds) | per-round ratios |")
print("|---|---|---|---|---|")
for w in workloads:
    mine = [x for x in rows if x[0] == w]
    ratios = sorted(n / o for _, n, o in mine)
    print(f"| {w} | {statistics.median(n for _, n, _ in mine):.4g} | {statistics.median(o for _, _, o in mine):.4g} "
          f"| {statistics.median(ratios):.2f} | {', '.join(f'{x:.2f}' for x in ratios)} |")
