#!/usr/bin/env python3
"""Do two experiment folders hold the same numbers, timings aside?

For a change meant to be speed only (a kernel that moves data, not arithmetic): run one manifest
with both builds into two folders, then compare every run's result.json, metrics.csv and
train.csv with the columns and keys that measure time, or name the build, left out:

    OLD/genbench run M.toml --no-report    # in folder A
    NEW/genbench run M.toml --no-report    # in folder B
    python3 scripts/same_numbers.py A/results/NAME B/results/NAME

Prints one line per run and exits 1 if any value differs (the first differences are shown),
2 if a run is missing from either folder.
"""
import csv
import json
import os
import sys

# Keys and columns that measure time or name the build: expected to differ between builds.
TIMING = ("per_second", "seconds", "wall", "commit", "build")


def timing(name):
    return any(t in name.lower() for t in TIMING)


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if not timing(k)}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def table(path):
    rows = list(csv.reader(open(path)))
    keep = [i for i, name in enumerate(rows[0]) if not timing(name)]
    return [[row[i] for i in keep if i < len(row)] for row in rows]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    a, b = (os.path.join(d, "runs") for d in sys.argv[1:])
    runs = sorted(set(os.listdir(a)) | set(os.listdir(b)))
    status = 0
    for run in runs:
        pa, pb = os.path.join(a, run), os.path.join(b, run)
        if not (os.path.exists(os.path.join(pa, "result.json")) and os.path.exists(os.path.join(pb, "result.json"))):
            print(f"{run}: missing a result.json")
            status = max(status, 2)
            continue
        differ = []
        ra, rb = (strip(json.load(open(os.path.join(p, "result.json")))) for p in (pa, pb))
        differ += [f"result.json {k}: {ra.get(k)} vs {rb.get(k)}" for k in sorted(set(ra) | set(rb)) if ra.get(k) != rb.get(k)]
        for name in ("metrics.csv", "train.csv"):
            fa, fb = os.path.join(pa, name), os.path.join(pb, name)
            if os.path.exists(fa) or os.path.exists(fb):
                if not (os.path.exists(fa) and os.path.exists(fb)) or table(fa) != table(fb):
                    differ.append(f"{name} differs")
        print(f"{run}: {'same numbers' if not differ else 'DIFFERENT'}")
        for line in differ[:5]:
            print(f"    {line}")
        if differ:
            status = max(status, 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
