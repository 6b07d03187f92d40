#!/usr/bin/env python3
"""genbench against PyTorch eager on the workloads of experiments/bench.toml, the two sides
alternated workload by workload (the side that goes first swaps every round), so that the load of
a shared machine falls on both alike.

    python3 scripts/bench_compare.py                      # 3 rounds, 2 threads, results/bench/
    python3 scripts/bench_compare.py --rounds 5 --only made-digits --out /tmp/b
    python3 scripts/bench_compare.py --baseline /path/to/older/genbench   # before/after too

Writes OUT/runs.csv (every repetition summary of both sides, by round), OUT/ratios.csv
(per workload: the median over rounds of each side's median samples/s and genbench ÷ torch),
OUT/conditions.txt (date, machine, load before and after, commands) and OUT/ratios.png|svg
(drawn by `genbench bench --plot`), and prints the table.

With --baseline BINARY (an older genbench build, e.g. one without the burn-flex patches), that
build is a third side in the same alternation (the order rotates every round), and ratios.csv
gains its samples/s, its commit and speedup = genbench ÷ baseline: the before/after table of a
change measured under the same conditions as the comparison with PyTorch.
The baseline reads a copy of the bench file cut down to the one workload it times, so a key added
to some other workload after it was built does not stop it; a workload it cannot read itself
(an unknown config key) gets an empty baseline column and a note on stderr.

PyTorch runs with OMP_WAIT_POLICY=PASSIVE unless --omp-active: on a machine whose cores other
jobs share, OpenMP's default spin-waiting makes 2-thread PyTorch up to 30x slower (a U-Net pass
measured at 0.36 s against 0.014 s with PASSIVE), which is not the speed to compare against.
"""

import argparse
import csv
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time


def run_side(cmd, env):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return list(csv.DictReader(io.StringIO(out)))


def one_workload_file(path, name, folder):
    """The bench file cut down to its header and the one workload `name`, so that an older build
    that rejects a key of some other workload (added after it) can still time this one."""
    text = open(path).read()
    head, *blocks = text.split("[[workloads]]")
    mine = [b for b in blocks if f'name = "{name}"' in b.split("\n[", 1)[0]]
    out = os.path.join(folder, f"{name}.toml")
    with open(out, "w") as f:
        f.write(head + "".join("[[workloads]]" + b for b in mine))
    return out


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", default="experiments/bench.toml")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", action="append", default=[], metavar="NAME")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--genbench", default="target/release/genbench")
    p.add_argument("--out", default="results/bench")
    p.add_argument("--baseline", metavar="BINARY", help="an older genbench build timed as a third side")
    p.add_argument("--omp-active", action="store_true", help="leave OMP_WAIT_POLICY at its default")
    args = p.parse_args()

    listed = subprocess.run([args.genbench, "bench", "--list", args.file], check=True, capture_output=True, text=True).stdout
    names = [r["workload"] for r in csv.DictReader(io.StringIO(listed))]
    names = [n for n in names if not args.only or n in args.only]
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    torch_env = dict(env) if args.omp_active else dict(env, OMP_WAIT_POLICY="PASSIVE")
    sides = {
        "genbench": ([args.genbench, "bench", args.file], env),
        "torch": ([sys.executable, "scripts/torch_reference.py", args.file,
                   "--threads", str(args.threads), "--genbench", args.genbench], torch_env),
    }
    if args.baseline:
        sides["baseline"] = ([args.baseline, "bench"], env)
    os.makedirs(args.out, exist_ok=True)
    cut = tempfile.mkdtemp(prefix="bench-compare-")
    conditions = [
        f"started {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}",
        f"machine {platform.machine()}, {os.cpu_count()} logical CPUs, {cpu_model()}",
        f"load before: {uptime()}",
        f"rounds {args.rounds}, threads {args.threads}, nice {os.nice(0)}",
        f"genbench: RAYON_NUM_THREADS={args.threads} {' '.join(sides['genbench'][0])} --only W",
        f"torch: {'' if args.omp_active else 'OMP_WAIT_POLICY=PASSIVE '}{' '.join(sides['torch'][0])} --only W",
    ]
    if args.baseline:
        conditions.append(f"baseline: RAYON_NUM_THREADS={args.threads} {' '.join(sides['baseline'][0])} FILE-cut-to-W --only W"
                          " (a workload the older build cannot read is left out of its column)")
    print("\n".join(conditions), file=sys.stderr)
    runs = []
    unreadable = set()
    for r in range(args.rounds):
        for name in names:
            order = list(sides)[r % len(sides):] + list(sides)[:r % len(sides)]
            for side in order:
                cmd, side_env = sides[side]
                if side == "baseline":
                    if name in unreadable:
                        continue
                    try:
                        rows = run_side(cmd + [one_workload_file(args.file, name, cut), "--only", name], side_env)
                    except subprocess.CalledProcessError as e:
                        unreadable.add(name)
                        print(f"baseline cannot run {name}: {e.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
                        continue
                else:
                    rows = run_side(cmd + ["--only", name], side_env)
                for row in rows:
                    runs.append(dict(side=side, round=r + 1, **row))
                    print(f"round {r + 1} {side:9} {name:30} {float(row['median']):12.2f} samples/s", file=sys.stderr)
    conditions.append(f"load after: {uptime()}")
    conditions.append(f"finished {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")

    with open(os.path.join(args.out, "runs.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(runs[0].keys()))
        w.writeheader()
        w.writerows(runs)
    table = []
    for name in names:
        mine = {s: [x for x in runs if x["side"] == s and x["workload"] == name] for s in sides}
        med = {s: statistics.median(float(x["median"]) for x in mine[s]) for s in sides if mine[s]}
        g, t = mine["genbench"][0], mine["torch"][0]
        table.append({
            "workload": name, "kind": g["kind"], "unit": "samples/s",
            "genbench": f"{med['genbench']:.4g}", "torch": f"{med['torch']:.4g}",
            "ratio": f"{med['genbench'] / med['torch']:.3f}",
            "rounds": args.rounds, "params": g["params"], "threads": g["threads"],
            "genbench_backend": g["backend"], "genbench_commit": g["commit"],
            "torch_backend": t["backend"] + ("" if args.omp_active else " OMP_WAIT_POLICY=PASSIVE"),
        })
        if args.baseline and mine["baseline"]:
            table[-1].update({
                "baseline": f"{med['baseline']:.4g}", "baseline_commit": mine["baseline"][0]["commit"],
                "speedup": f"{med['genbench'] / med['baseline']:.3f}",
            })
        elif args.baseline:
            table[-1].update({"baseline": "", "baseline_commit": "", "speedup": ""})
    with open(os.path.join(args.out, "ratios.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0].keys()))
        w.writeheader()
        w.writerows(table)
    with open(os.path.join(args.out, "conditions.txt"), "w") as f:
        f.write("\n".join(conditions) + "\n")
    subprocess.run([args.genbench, "bench", "--plot", os.path.join(args.out, "ratios.csv")], check=True, capture_output=True)
    print("\n".join(conditions[-2:]), file=sys.stderr)
    extra = f" {'baseline':>10} {'speedup':>7}" if args.baseline else ""
    print(f"{'workload':32} {'kind':10} {'genbench':>10} {'torch':>10} {'ratio':>6}{extra}")
    for row in table:
        extra = f" {row['baseline']:>10} {row['speedup']:>7}" if args.baseline else ""
        print(f"{row['workload']:32} {row['kind']:10} {row['genbench']:>10} {row['torch']:>10} {row['ratio']:>6}{extra}")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
