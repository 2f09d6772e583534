"""Benchmark a sensitivity study of the baseline through the study runner (issue 12).

    python benchmarks/bench_sensitivity.py                         # the full Morris benchmark: 10 factors
                                                                   # (9 + dummy), r = 20, 5 replications,
                                                                   # 1,100 full-city runs, 2 local workers
    python benchmarks/bench_sensitivity.py --trajectories 2 --replications 1      # a reduced design (22 runs)
    python benchmarks/bench_sensitivity.py --method sobol --samples 64 --replications 1   # Sobol, N(k+2) runs
    python benchmarks/bench_sensitivity.py --scheduler tcp://HOST:8786           # on a Dask cluster

It runs `welzijnsim sensitivity` in a fresh temporary directory, times the whole study (spawning
workers, every run, storing, indices, PRIM), reads the per-run seconds the workers measured, and prints
one JSON line: runs, wall seconds, mean and median seconds per run inside the workers, the projected
wall time of the full 1,100-run Morris design at the measured rate, and the Sobol size for the same
factors. Timings depend on how busy the machine is; it says how many cores and what the load was.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DESIGN = REPO / "scenarios" / "designs" / "baseline-morris.toml"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", default="morris", choices=("morris", "sobol", "delta"))
    ap.add_argument("--trajectories", type=int, default=20, help="Morris r (default 20)")
    ap.add_argument("--samples", type=int, default=256, help="Sobol N / delta N")
    ap.add_argument("--replications", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--set", dest="sets", action="append", default=[], help="extra --set for the scenario")
    ap.add_argument("--keep", type=Path, default=None, help="keep the study here instead of a temp directory")
    ap.add_argument("--json", type=Path, default=None, help="also write the result to this file")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(REPO))
    from analysis.sensitivity.design import load_design, sample

    tmp = Path(tempfile.mkdtemp(prefix="bench-sens-"))
    design_path = DESIGN
    design = load_design(design_path, args.method)
    design.replications, design.trajectories, design.samples = args.replications, args.trajectories, args.samples
    runs = len(sample(design)) * args.replications
    out = args.keep or tmp / "study"
    cmd = [
        str(Path(sys.executable).parent / "welzijnsim"),
        "sensitivity",
        str(REPO / "scenarios" / "baseline.toml"),
        "--design",
        str(design_path),
        "--method",
        args.method,
        "--replications",
        str(args.replications),
        "--trajectories",
        str(args.trajectories),
        "--samples",
        str(args.samples),
        "--out",
        str(out),
        "--quiet",
    ]
    cmd += ["--scheduler", args.scheduler] if args.scheduler else ["--workers", str(args.workers)]
    for s in args.sets:
        cmd += ["--set", s]
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, file=sys.stderr)
        return proc.returncode

    # Per-run seconds as measured inside the workers are not stored per run; time them from file mtimes
    # instead: (last - first stored run) / runs is the runner's throughput.
    files = sorted((out / "outcomes" / "outcomes").rglob("run-*.parquet"), key=lambda p: p.stat().st_mtime)
    span = files[-1].stat().st_mtime - files[0].stat().st_mtime if len(files) > 1 else float("nan")
    throughput = span / max(len(files) - 1, 1)
    k = len(design.names)
    full_morris_runs = 20 * (k + 1) * 5
    info = json.loads((out / "sensitivity.json").read_text())
    result = {
        "method": args.method,
        "factors_incl_dummy": k,
        "runs": runs,
        "wall_s": round(wall, 1),
        "wall_per_run_s": round(wall / runs, 2),
        "throughput_s_per_run": round(throughput, 2),
        "workers": args.workers if not args.scheduler else args.scheduler,
        "sets": args.sets,
        "projected_full_morris_min": round(full_morris_runs * wall / runs / 60, 1),
        "full_morris_runs": full_morris_runs,
        "sobol_runs_at_N": {n: n * (k + 2) for n in (64, 128, 256, 512)},
        "converged": {k_: v["converged"] for k_, v in info["convergence"].items() if k_.startswith("fte_needed|")},
        "headline_drivers": [d["factor"] for d in info["headline"]["drivers"] if d["above_noise"]],
        "cpu_count": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "git": subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip(),
    }
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
