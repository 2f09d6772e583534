"""Staffing search cost: model runs per search and wall time, for one or more checkouts, interleaved.

    .venv/bin/python benchmarks/bench_staffing.py [--scale 1.0] [--years 10] [--seeds 2] [--repo DIR ...]

Each --repo (default: this checkout) is timed in its own subprocess, in turn, seed by seed, so a busy
machine slows every checkout alike and the ratio between them is fair. Prints, per repo, the runs per
search, the wall time per search and the answer (city FTE needed in the first and last year).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from analysis.staffing.staffing import Target, search_fte
from scenarios.loader import load_scenario
sc = load_scenario(sys.argv[1] + "/scenarios/baseline.toml", [f"run.scale={sys.argv[2]}", f"run.years={sys.argv[3]}"])
t = time.perf_counter()
found = search_fte(sc.city(), sc.params(), int(sys.argv[4]), Target())
print(json.dumps({"runs": found.runs, "seconds": time.perf_counter() - t,
                  "first": float(found.fte_needed[0].sum()), "last": float(found.fte_needed[-1].sum())}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="1.0")
    ap.add_argument("--years", default="10")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--repo", action="append", default=[])
    args = ap.parse_args()
    repos = args.repo or [str(ROOT)]
    rows: dict[str, list[dict]] = {r: [] for r in repos}
    start = time.perf_counter()
    for seed in range(1, args.seeds + 1):
        for repo in repos:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, repo, args.scale, args.years, str(seed)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows[repo].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(repo, seed, rows[repo][-1], flush=True)
    print(f"\nscale {args.scale}, {args.years} years, {args.seeds} seed(s); total {time.perf_counter() - start:.0f} s")
    for repo, rs in rows.items():
        runs = sum(r["runs"] for r in rs) / len(rs)
        secs = sum(r["seconds"] for r in rs) / len(rs)
        print(
            f"{repo}: {runs:.1f} runs/search, {secs:.1f} s/search, city FTE needed first/last year "
            + ", ".join(f"{r['first']:.1f}/{r['last']:.1f}" for r in rs)
        )


if __name__ == "__main__":
    main()
