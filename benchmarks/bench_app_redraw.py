"""Workshop app redraw time: from pressing Run after a lever change to a complete result, as the page runs it.

    .venv/bin/python benchmarks/bench_app_redraw.py [--scale 0.2] [--years 10] [--replications 3] [--repeat 5]
        [--lever 'staffing.individual_support_by_stadsdeel={ Laak = 2.0 }'] [--workers N]

The page (app/page.py `run_task`) waits the 0.3 s debounce, runs the changed setting on the app's process pool
with `app.runs.run_setting`, and takes the baseline from the cache (it was run at the same size before). So a
redraw is debounce + run_setting(changed). Each round empties the result cache, runs the baseline (timed too:
the cost of the first press in a session) and then the changed setting, so the rounds interleave the two and
no round reuses another's replications. The pool is started and warmed (model imported) before the first round,
as `welzijnsim app` does at start-up. Load average is read before and after, because on a shared machine it
moves the numbers more than anything in the app does. No test asserts these timings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import runs  # noqa: E402
from app.page import DEBOUNCE_S  # noqa: E402
from app.settings import DEFAULT_REPLICATIONS, DEFAULT_SCALE, Settings  # noqa: E402


def timed(settings: Settings) -> tuple[float, float]:
    """(seconds to the first partial redraw, seconds to the complete result), debounce included."""
    first: list[float] = []
    with runs._cache_lock:
        runs._cache.clear()
    t0 = time.perf_counter()
    run = runs.run_setting(settings, progress=lambda partial, total: first.append(time.perf_counter() - t0))
    total = time.perf_counter() - t0
    assert run.complete, "run stopped early"
    return DEBOUNCE_S + (first[0] if first else total), DEBOUNCE_S + total


def spread(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.2f} s, range {min(xs):.2f}–{max(xs):.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=DEFAULT_SCALE)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--lever", default="staffing.individual_support_by_stadsdeel={ Laak = 2.0 }")
    ap.add_argument("--workers", type=int, help="worker processes (default: as the app, the cores, at most 4)")
    args = ap.parse_args()
    if args.workers:
        os.environ["WELZIJNSIM_APP_WORKERS"] = str(args.workers)
    name, raw = (s.strip() for s in args.lever.split("=", 1))
    value = tomllib.loads(f"v = {raw}")["v"]
    base = Settings("baseline", scale=args.scale, years=args.years, replications=args.replications)
    changed = base.with_lever(name, value)
    load_before = os.getloadavg()
    runs.warm_up()
    runs.run_setting(base.with_run(scale=0.02, years=1, replications=runs.pool_size()))  # workers busy once
    print(
        f"scale {args.scale}, {args.years} years, {args.replications} replications, {runs.pool_size()} workers;"
        f" lever {name} = {raw}; load average before {load_before[0]:.2f} {load_before[1]:.2f}",
        flush=True,
    )
    rows: dict[str, list[tuple[float, float]]] = {"baseline": [], "changed": []}
    for i in range(args.repeat):
        rows["baseline"].append(timed(base))
        rows["changed"].append(timed(changed))
        print(
            f"round {i + 1}: baseline {rows['baseline'][-1][1]:.2f} s, changed first redraw"
            f" {rows['changed'][-1][0]:.2f} s, complete {rows['changed'][-1][1]:.2f} s",
            flush=True,
        )
    runs.shutdown()
    load_after = os.getloadavg()
    for label, rs in rows.items():
        print(f"{label}: first redraw {spread([r[0] for r in rs])}; complete {spread([r[1] for r in rs])}")
    print(f"load average after {load_after[0]:.2f} {load_after[1]:.2f} (1 and 5 min, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
