"""Speed of the fast engine against the plain Mesa reference (tests/reference_model.py), in one run.

For each population size (default 10,000 and 100,000 residents, reached through `run.scale`) and each
repeat, the two are timed back to back on the same synthesised population and staff, interleaved
(fast, reference, fast, reference, ... over sizes and repeats), so the ratios are paired and measured
under the same machine load. Timed: set-up (the fast model's synthesis; the reference's agent creation
from it) and the weekly steps of `--years` years (defaults, weekly engine, no warm-up, mechanisms off).

    python benchmarks/bench_reference.py                          # 10k and 100k, 1 year, 3 repeats
    python benchmarks/bench_reference.py --sizes 10000,100000 --years 1 --repeat 5 --write docs/benchmarks-reference.md

The speed ratio is reference run time / fast run time (median over repeats of the paired ratios).
This is a measurement tool, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def measure(city, residents_target: int, years: int, seed: int) -> dict:
    from reference_model import ReferenceModel

    from sim.model import WelzijnModel

    scale = residents_target / city_residents(city)
    params = {"run.scale": scale, "run.years": years}
    gc.collect()
    t0 = time.perf_counter()
    fast = WelzijnModel(city, params, seed)
    t1, c1 = time.perf_counter(), time.process_time()
    fast.run()
    t2, c2 = time.perf_counter(), time.process_time()
    template = WelzijnModel(city, params, seed)  # same population and staff, not run
    gc.collect()
    t3 = time.perf_counter()
    ref = ReferenceModel(template, seed)
    t4, c4 = time.perf_counter(), time.process_time()
    ref.run()
    t5, c5 = time.perf_counter(), time.process_time()
    return {
        "residents": len(fast.population),
        "scale": scale,
        "years": years,
        "seed": seed,
        "fast_setup_s": t1 - t0,
        "fast_run_s": t2 - t1,
        "ref_setup_s": t4 - t3,
        "ref_run_s": t5 - t4,
        "fast_run_cpu_s": c2 - c1,
        "ref_run_cpu_s": c5 - c4,
        "ratio_run": (t5 - t4) / (t2 - t1),
        "ratio_run_cpu": (c5 - c4) / (c2 - c1),
        "ratio_total": (t5 - t3) / (t2 - t0),
    }


def city_residents(city) -> float:
    return float(city.registered_population.sum() + city.unregistered_counts(0.5, 1.0).sum())


def machine() -> dict:
    import mesa
    import numpy

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = "?"
    import os

    load = "/".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load": load,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
        "commit": commit,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def summary(rows: list[dict]) -> list[dict]:
    out = []
    for size in sorted({r["target"] for r in rows}):
        rs = [r for r in rows if r["target"] == size]
        med = {
            k: statistics.median(r[k] for r in rs)
            for k in (
                "fast_setup_s",
                "fast_run_s",
                "ref_setup_s",
                "ref_run_s",
                "ratio_run",
                "ratio_total",
                "fast_run_cpu_s",
                "ref_run_cpu_s",
                "ratio_run_cpu",
            )
        }
        steps = rs[0]["residents"] * 52 * rs[0]["years"]
        out.append(
            {
                "target": size,
                "residents": rs[0]["residents"],
                "repeats": len(rs),
                **med,
                "ratio_run_min": min(r["ratio_run"] for r in rs),
                "ratio_run_max": max(r["ratio_run"] for r in rs),
                "fast_steps_per_s": steps / med["fast_run_s"],
                "ref_steps_per_s": steps / med["ref_run_s"],
            }
        )
    return out


def markdown(summ: list[dict], info: dict, args) -> str:
    lines = [
        "# Benchmark: fast engine against the Mesa reference",
        "",
        "The fast engine (`sim/`: numpy columns, vectorised rules) and the reference (`tests/reference_model.py`:",
        "one `mesa.Agent` per resident, the same weekly rules written as plain per-agent loops) run the same",
        "synthesised population and staff (defaults, weekly engine, no warm-up, mechanisms off). That both give",
        "the same distributions is tested in `tests/test_reference.py` (see [verification.md](verification.md)).",
        "",
        f"Command: `python benchmarks/bench_reference.py --sizes {args.sizes} --years {args.years} "
        f"--repeat {args.repeat} --write docs/benchmarks-reference.md`",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores (shared), {info['platform']}; Python {info['python']}, "
        f"numpy {info['numpy']}, Mesa {info['mesa']}. Commit `{info['commit']}`, {info['date']}.",
        "",
        "Sizes and repeats are interleaved in one process (fast, reference, fast, reference, ...), so each ratio",
        "is a paired measurement under the same load; values are medians over the repeats.",
        "",
        "| Residents | Repeats | Fast set-up (s) | Fast run (s) | Reference set-up (s) | Reference run (s) "
        "| Speed ratio, run (min–max) | Speed ratio, run, CPU time | Speed ratio, set-up + run "
        "| Resident-weeks/s fast | Resident-weeks/s reference |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summ:
        lines.append(
            f"| {s['residents']:,} | {s['repeats']} | {s['fast_setup_s']:.2f} | {s['fast_run_s']:.3f} | "
            f"{s['ref_setup_s']:.2f} | {s['ref_run_s']:.2f} | **{s['ratio_run']:.0f}×** "
            f"({s['ratio_run_min']:.0f}–{s['ratio_run_max']:.0f}) | {s['ratio_run_cpu']:.0f}× | "
            f"{s['ratio_total']:.0f}× | "
            f"{s['fast_steps_per_s']:,.0f} | {s['ref_steps_per_s']:,.0f} |"
        )
    lines += [
        "",
        f"Load average at the start of the run: {info.get('load', '?')} on {info['cores']} cores. Wall-clock ratios on",
        "a shared machine are noisy; the CPU-time ratio (`time.process_time` of this process) is the steadier one.",
        "",
        f"Run time covers {args.years} simulated year(s) of weekly steps (52 per year). Resident-weeks/s = residents",
        "× weeks / run time. The fast engine's set-up includes synthesising the population; the reference's set-up",
        "is creating its agents from an already synthesised population.",
        "",
        "Why the gap: each week the reference visits every resident in Python (an episode Bernoulli trial and",
        "state checks) and every catchment to build the queue; the fast engine draws each resident's next episode",
        "week ahead (geometric) and only touches the residents whose event falls in the week, and serves all",
        "queues with one sort.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="resident counts (comma separated)")
    ap.add_argument("--years", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write raw measurements here")
    ap.add_argument("--write", help="write the Markdown report here (e.g. docs/benchmarks-reference.md)")
    args = ap.parse_args(argv)
    from sim.city import load_city

    city = load_city("den_haag")
    info = machine()  # before the run: records the load average the measurements start under
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for rep in range(args.repeat):
        for size in sizes:
            row = measure(city, size, args.years, args.seed + rep)
            row["target"], row["repeat"] = size, rep
            rows.append(row)
            print(
                f"repeat {rep} residents {row['residents']:>7,}: fast {row['fast_run_s']:.3f} s, "
                f"reference {row['ref_run_s']:.2f} s, ratio {row['ratio_run']:.0f}x "
                f"(CPU {row['ratio_run_cpu']:.0f}x)",
                flush=True,
            )
    summ = summary(rows)
    text = markdown(summ, info, args)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "rows": rows, "summary": summ}, indent=2))
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
