"""Benchmark the study runner: 7 scenarios x N replications of the full city.

    python benchmarks/bench_study.py --replications 20 --modes local2 dask2
    python benchmarks/bench_study.py --replications 4 --modes local1 local2     # speed-up 1 -> 2 workers

Modes: serial, local1, local2 (local spawn processes), dask2 (a `dask scheduler` + `dask worker
--nworkers 2 --nthreads 1` on 127.0.0.1, started and stopped by this script). Each mode writes a fresh
study into a temporary directory; wall time covers the whole `run_study` call (spawning workers,
running, storing, summarising). Results are checked to be identical across modes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SCENARIOS = [
    "baseline",
    "budget-cut",
    "budget-frozen",
    "flexible-pool",
    "housing-crisis",
    "informal-partners",
    "prevention-push",
]


def scenarios(names: list[str], sets: list[str]):
    from scenarios.loader import SCENARIO_DIR, load_scenario

    out = []
    for name in names:
        path = SCENARIO_DIR / f"{name}.toml"
        if path.is_file():
            out.append(load_scenario(path, sets))
    # If fewer than 7 scenario files exist, fill up with baseline --set variants.
    variants = [
        "staffing.individual_support_factor=1.25",
        "staffing.individual_support_factor=1.5",
        "unregistered.factor=2",
        "staffing.area_based_factor=2",
        "demand.episode_rate=0.12",
        "budget.mode=budget",
    ]
    i = 0
    while len(out) < len(names):
        out.append(load_scenario(SCENARIO_DIR / "baseline.toml", sets + [variants[i], f"scenario.name=variant-{i}"]))
        i += 1
    return out


class DaskCluster:
    def __init__(self, workers: int, tmp: Path):
        dask = str(Path(sys.executable).parent / "dask")
        sched_file = tmp / "scheduler.json"
        kw = dict(cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs = [
            subprocess.Popen(
                [
                    dask,
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(sched_file),
                ],
                **kw,
            )
        ]
        while not sched_file.exists():
            time.sleep(0.2)
        self.address = json.loads(sched_file.read_text())["address"]
        self.procs.append(
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    self.address,
                    "--nworkers",
                    str(workers),
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                    "--local-directory",
                    str(tmp),
                ],
                **kw,
            )
        )
        from distributed import Client

        with Client(self.address, timeout=30) as c:
            c.wait_for_workers(workers, timeout=120)

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--modes", nargs="+", default=["local1", "local2", "dask2"])
    ap.add_argument("--set", dest="sets", action="append", default=[], help="dotted.key=value for every scenario")
    ap.add_argument("--seed", type=int, default=20260205)
    ap.add_argument("--json", type=Path, help="Append the results as JSON lines to this file")
    args = ap.parse_args()

    from analysis.study.executors import DaskExecutor, LocalExecutor, SerialExecutor
    from analysis.study.study import StudyScenario, StudySpec, load_table, run_study

    scs = scenarios(SCENARIOS, args.sets)
    spec = StudySpec(
        kind="simulate",
        scenarios=[StudyScenario.from_scenario(s) for s in scs],
        seed=args.seed,
        replications=args.replications,
    )
    print(
        f"{len(scs)} scenarios x {args.replications} replications = {len(spec.runs())} runs; "
        f"scenarios: {', '.join(s.name for s in scs)}; sets: {args.sets or 'none'}",
        flush=True,
    )
    ref = None
    results = {}
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        for mode in args.modes:
            cluster = None
            if mode == "serial":
                ex = SerialExecutor()
            elif mode.startswith("local"):
                ex = LocalExecutor(int(mode[5:]))
            elif mode.startswith("dask"):
                cluster = DaskCluster(int(mode[4:]), tmp)
                ex = DaskExecutor(cluster.address)
            else:
                raise SystemExit(f"unknown mode {mode}")
            try:
                t0 = time.perf_counter()
                with ex:
                    run_study(spec, tmp / mode, ex, quiet=True)
                wall = time.perf_counter() - t0
            finally:
                if cluster:
                    cluster.close()
            df = load_table(tmp / mode, "annual").sort_values(["scenario", "replication", "level", "area", "year"])
            df = df.reset_index(drop=True)
            same = None if ref is None else bool(df.equals(ref))
            ref = df if ref is None else ref
            results[mode] = wall
            line = {
                "mode": mode,
                "runs": len(spec.runs()),
                "wall_s": round(wall, 1),
                "s_per_run": round(wall / len(spec.runs()), 2),
                "identical_to_first_mode": same,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_avg_after": os.getloadavg()[0],
            }
            print(json.dumps(line), flush=True)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps(line) + "\n")
    if "local1" in results and "local2" in results:
        print(f"speed-up 1 -> 2 local workers: {results['local1'] / results['local2']:.2f}x")
    if "local1" in results and "dask2" in results:
        print(f"speed-up 1 local -> 2 Dask workers: {results['local1'] / results['dask2']:.2f}x")


if __name__ == "__main__":
    main()
