#!/usr/bin/env python3
"""The configuration a search of experiments/search/ chooses, per dataset, on validation only.

    python3 scripts/search_choice.py results/search/gmm-2d [more folders...]

For every finished run of the folder: its selected step (result.json) and the validation score
at that step (the metrics.csv row with split = validation and step = selected_step: the NLL in
nats, or FD for a model without a likelihood, lower is better; the score the run selected its
checkpoint by), ties broken by the validation FD of that row (template synthesis: its KDE
likelihood does not depend on the knob searched). Prints, per dataset, every point ranked by
that score; the first is the choice. The test columns are never read.
"""

import csv
import json
import sys
from pathlib import Path


def validation_score(run: Path):
    result = json.loads((run / "result.json").read_text())
    selected = result.get("selected_step", "")
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    at = [r for r in rows if r.get("split") == "validation" and r.get("step") == selected]
    if not selected or not at:
        return result, selected, None, None
    row = at[-1]
    fd = float(row["fd"]) if row.get("fd", "") != "" else float("inf")
    for key, name in (("nll_nats", "validation NLL (nats)"), ("fd", "validation FD")):
        if row.get(key, "") != "":
            return result, selected, name, (float(row[key]), fd)
    return result, selected, None, None


def main(folders):
    for folder in map(Path, folders):
        by_dataset = {}
        for run in sorted((folder / "runs").iterdir()):
            if not (run / "result.json").is_file() or not (run / "metrics.csv").is_file():
                continue
            result, selected, name, score = validation_score(run)
            if result.get("status") != "ok" or score is None:
                continue
            by_dataset.setdefault(result["dataset"], []).append(
                (score, result["model"], selected, result.get("steps", ""), name,
                 result.get("converged", ""))
            )
        print(f"## {folder}\n")
        for dataset, points in sorted(by_dataset.items()):
            points.sort()
            print(f"### {dataset}: chosen {points[0][1]}\n")
            print("| model | score on validation | validation FD | selected step | converged |")
            print("|---|---:|---:|---:|---|")
            for (score, fd), model, selected, steps, name, converged in points:
                print(f"| {model} | {name}: {score:.4f} | {fd:.4g} | {selected} of {steps} | {converged} |")
            print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
