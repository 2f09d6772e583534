"""Staffing search cost: model runs per search and wall time, for one or more checkouts, interleaved.

    .venv/bin/python benchmarks/bench_staffing.py [--scale 1.0] [--years 10] [--seeds 2] [--repo DIR ...]
        [--method NAME ...]

Each --repo (default: this checkout) is timed in its own subprocess, in turn, seed by seed, so a busy
machine slows every checkout alike and the ratio between them is fair. --method (repeatable) times each
named search method of `analysis.staffing.search_fte` (interpolate, bisect) in every checkout; without it
each checkout runs its default search (a checkout from before the methods existed has only the bisection).
Prints, per checkout and method, the runs per search, the wall time per search and the answer (city FTE
needed in the first and last year).
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
kw = {} if sys.argv[5] == "default" else {"method": sys.argv[5]}
t = time.perf_counter()
found = search_fte(sc.city(), sc.params(), int(sys.argv[4]), Target(), **kw)
print(json.dumps({"runs": found.runs, "seconds": time.perf_counter() - t,
                  "first": float(found.fte_needed[0].sum()), "last": float(found.fte_needed[-1].sum())}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="1.0")
    ap.add_argument("--years", default="10")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--repo", action="append", default=[])
    ap.add_argument("--method", action="append", default=[], help="interpolate or bisect (default: the checkout's)")
    args = ap.parse_args()
    cases = [(repo, method) for repo in args.repo or [str(ROOT)] for method in args.method or ["default"]]
    rows: dict[tuple[str, str], list[dict]] = {c: [] for c in cases}
    start = time.perf_counter()
    for seed in range(1, args.seeds + 1):
        for repo, method in cases:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, repo, args.scale, args.years, str(seed), method],
                capture_output=True,
                text=True,
                check=True,
            )
            rows[repo, method].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(repo, method, seed, rows[repo, method][-1], flush=True)
    print(f"\nscale {args.scale}, {args.years} years, {args.seeds} seed(s); total {time.perf_counter() - start:.0f} s")
    for (repo, method), rs in rows.items():
        runs = sum(r["runs"] for r in rs) / len(rs)
        secs = sum(r["seconds"] for r in rs) / len(rs)
        print(
            f"{repo} [{method}]: {runs:.1f} runs/search, {secs:.1f} s/search, {secs / runs:.2f} s/run, "
            "city FTE needed first/last year " + ", ".join(f"{r['first']:.1f}/{r['last']:.1f}" for r in rs)
        )


if __name__ == "__main__":
    main()
