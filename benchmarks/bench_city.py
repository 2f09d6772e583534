"""Speed and memory of one whole-city run: set-up, ten years of weekly ticks, and the result tables.

Every measurement runs in a fresh Python subprocess, so peak memory (``ru_maxrss``) belongs to that
one run and nothing is cached between repeats. Repeats of several configurations (scales, variants)
are interleaved (A, B, A, B, ...), so ratios between them are paired, measured under the same load.

    python benchmarks/bench_city.py                         # 1:1 city, 10 years, 5 repeats
    python benchmarks/bench_city.py --scale 1.0,0.1 --repeat 7 --json bench.json
    python benchmarks/bench_city.py --variant "unreg-x2:unregistered.factor=2"   # paired comparison
    python benchmarks/bench_city.py --profile               # time share per phase of the weekly step
    python benchmarks/bench_city.py --cprofile 25           # cProfile, top 25 functions by cumulative time
    python benchmarks/bench_city.py --scenario scenarios/baseline.toml --code old=/tmp/old   # two code trees

Times are wall-clock seconds (``time.perf_counter``); memory is the peak resident set size of the
subprocess in MiB. Resident-steps per second = simulated residents x weeks / run time (residents: the
mean of start and end, which differ only when growth drivers are on; the table shows the end count).
This is a measurement tool, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

TARGET_SECONDS = 15.0  # set-up + run of the 1:1 city, 10 years (issue target)
TARGET_MIB = 1536.0  # 1.5 GB peak resident memory


# ---------------------------------------------------------------------------------------------
# child: one measurement in a fresh process
# ---------------------------------------------------------------------------------------------
def _maxrss_mib() -> float:
    import resource

    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / 1024.0 if sys.platform != "darwin" else kib / 2**20


def _nbytes(obj) -> int:
    import numpy as np

    return sum(v.nbytes for v in vars(obj).values() if isinstance(v, np.ndarray))


def child(args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    import numpy as np

    import sim
    from sim import load_city
    from sim.model import WelzijnModel

    t_import = time.perf_counter() - t0
    rss_import = _maxrss_mib()

    base = {}
    if args.scenario:  # the scenario's parameters (mechanisms, levers), then the benchmark's own settings
        from scenarios.loader import load_scenario

        base = load_scenario(Path(args.scenario)).params()
    params = {**base, "run.scale": args.scale, "run.years": args.years, **_overrides(args.set)}
    t = time.perf_counter()
    city = load_city(args.city)
    t_city = time.perf_counter() - t

    timers = _install_timers() if args.profile else None

    t = time.perf_counter()
    model = WelzijnModel(city, params, seed=args.seed)
    t_setup = time.perf_counter() - t
    rss_setup = _maxrss_mib()
    n_start = len(model.population)
    setup_phases = timers.snapshot_and_reset() if timers else None

    t = time.perf_counter()
    res = model.run()
    t_run = time.perf_counter() - t
    rss_run = _maxrss_mib()
    run_phases = timers.snapshot_and_reset() if timers else None

    t = time.perf_counter()
    tables = {level: res.annual(level) for level in ("city", "stadsdeel", "service_point")}
    tables["weekly"] = res.weekly("stadsdeel")
    t_tables = time.perf_counter() - t
    rss_end = _maxrss_mib()

    pop = model.population
    n = len(pop)
    n_mean = 0.5 * (n_start + n)  # the population only changes when growth drivers are on
    c = res.counters
    # Conservation over the run: every help request got a first contact, gave up, or is still waiting.
    # Those already waiting when reporting started (after a warm-up) count as arrived.
    initial = getattr(res, "initial_waiting_first", None)
    initial = int(initial.sum()) if initial is not None else 0
    conserved = int(c["help_requests"].sum()) + initial == int(
        c["first_contacts"].sum() + c["dropped_first"].sum() + c["waiting_first"][-1].sum()
    )
    out = {
        "scale": args.scale,
        "years": args.years,
        "weeks": model.weeks,
        "seed": args.seed,
        "residents": n,
        "residents_start": n_start,
        "registered": int(pop.registered.sum()),
        "agents": {k.__name__: len(v) for k, v in model.agents_by_type.items()},
        "t_import": t_import,
        "t_city": t_city,
        "t_setup": t_setup,
        "t_run": t_run,
        "t_tables": t_tables,
        "ms_per_week": 1000.0 * t_run / model.weeks,
        "resident_steps_per_s": n_mean * model.weeks / t_run,
        "mres_steps_per_s": n_mean * model.weeks / t_run / 1e6,
        "rss_import_mib": rss_import,
        "rss_setup_mib": rss_setup,
        "rss_run_mib": rss_run,
        "rss_peak_mib": rss_end,
        "population_mib": _nbytes(pop) / 2**20,
        "results_mib": (sum(a.nbytes for a in res.counters.values()) + res.wait_hist.nbytes) / 2**20,
        "contacts_total": int(c["contacts"].sum()),
        "help_requests_total": int(c["help_requests"].sum()),
        "conservation_ok": conserved,
        "sim_file": sim.__file__,
        "numpy": np.__version__,
    }
    if timers:
        out["setup_phases"] = setup_phases
        out["run_phases"] = run_phases
    return out


class _Timers:
    """Wall time per labelled function, inclusive and exclusive of other timed functions it calls.

    Installed by wrapping module/class attributes. A stack of open calls lets a callee's time be taken
    off its caller's exclusive time, so exclusive times add up without double counting however the
    functions nest (a mechanism calling service.queue, start_episodes calling schedule_next, ...).
    """

    def __init__(self):
        self.incl: dict[str, float] = {}
        self.child: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.stack: list[str] = []

    def wrap(self, label: str, fn):
        import functools

        for d in (self.incl, self.child):
            d.setdefault(label, 0.0)
        self.calls.setdefault(label, 0)
        incl, child, calls, stack = self.incl, self.child, self.calls, self.stack

        @functools.wraps(fn)
        def timed(*a, **kw):
            stack.append(label)
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                dt = time.perf_counter() - t
                stack.pop()
                calls[label] += 1
                if label not in stack:  # recursion: count the outermost call only
                    incl[label] += dt
                if stack and stack[-1] != label:
                    child[stack[-1]] += dt

        return timed

    def snapshot_and_reset(self) -> dict[str, dict]:
        snap = {k: {"seconds": v, "exclusive": v - self.child[k], "calls": self.calls[k]} for k, v in self.incl.items()}
        for d in (self.incl, self.child):
            for k in d:
                d[k] = 0.0
        for k in self.calls:
            self.calls[k] = 0
        return snap


# (label, module, owner attribute path, stage). Nested phases are marked with "  " (they are part of
# the phase above them and are not added to the total). Functions that do not exist are skipped, so
# the profile keeps working while the model grows.
PHASES = [
    # set-up
    ("space.build_space", "sim.model", "build_space", "setup"),
    ("population.synthesise", "sim.model", "synthesise", "setup"),
    ("space.place_sites", "sim.model", "place_sites", "setup"),
    ("space.catchment", "sim.model", "catchment", "setup"),
    ("model._hire (workers)", "sim.model", "WelzijnModel._hire", "setup"),
    ("demand.weekly_hazard", "sim.demand", "weekly_hazard", "setup"),
    ("demand.schedule_next", "sim.demand", "schedule_next", "setup"),
    ("RunResults.empty", "sim.results", "RunResults.empty", "setup"),
    # weekly step
    ("worker plan_week (all workers)", "sim.agents", "Worker.plan_week", "run"),
    ("ServicePoint.contact_capacity", "sim.agents", "ServicePoint.contact_capacity", "run"),
    ("demand.start_episodes", "sim.demand", "start_episodes", "run"),
    ("  demand.schedule_next", "sim.demand", "schedule_next", "run"),
    ("  demand.choose_domains", "sim.demand", "choose_domains", "run"),
    ("  demand.extra_contacts", "sim.demand", "extra_contacts", "run"),
    ("demand.end_hidden", "sim.demand", "end_hidden", "run"),
    ("service.queue", "sim.service", "queue", "run"),
    ("service.serve", "sim.service", "serve", "run"),
    ("  service.give_up", "sim.service", "give_up", "run"),
    ("recording: RunResults.add", "sim.results", "RunResults.add", "run"),
    ("recording: RunResults.add_waits", "sim.results", "RunResults.add_waits", "run"),
    ("model._trace", "sim.model", "WelzijnModel._trace", "run"),
    ("model._record_year", "sim.model", "WelzijnModel._record_year", "run"),
] + [
    # optional mechanisms (later work): each hook a class defines itself; absent ones are skipped
    (f"{cls}.{hook}", module, f"{cls}.{hook}", "run")
    for module, cls in (
        ("sim.mechanisms.drivers", "TenYearDrivers"),
        ("sim.mechanisms.prevention", "AreaPrevention"),
        ("sim.mechanisms.informal", "InformalWelfare"),
        ("sim.mechanisms.deployment", "FlexibleDeployment"),
        ("sim.mechanisms.escalation", "Escalation"),
    )
    for hook in ("start_year", "adjust_capacity", "after_demand", "after_service")
]


def _install_timers() -> _Timers:
    import importlib

    timers = _Timers()
    seen: dict[tuple[int, str], str] = {}
    for label, module, path, _stage in PHASES:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        owner, *rest = path.split(".")
        if rest:
            holder, attr = getattr(mod, owner, None), rest[0]
        else:
            holder, attr = mod, owner
        if holder is None or not hasattr(holder, attr):
            continue
        if isinstance(holder, type) and attr not in holder.__dict__:  # inherited: not this class's own
            continue
        key = (id(holder), attr)
        if key in seen:  # same function listed for set-up and run: one wrapper, one label
            continue
        name = label.strip()
        fn = holder.__dict__[attr] if isinstance(holder, type) else getattr(holder, attr)
        if isinstance(fn, classmethod):
            setattr(holder, attr, classmethod(timers.wrap(name, fn.__func__)))
        else:
            setattr(holder, attr, timers.wrap(name, fn))
        seen[key] = name
    # demand.start_episodes calls schedule_next etc. through the module, so these nested wrappers count.
    return timers


# ---------------------------------------------------------------------------------------------
# parent: repeat, summarise, print
# ---------------------------------------------------------------------------------------------
def _run_child(args: argparse.Namespace, config: dict, profile: bool) -> dict:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--_child",
        "--scale",
        str(config["scale"]),
        "--years",
        str(args.years),
        "--seed",
        str(args.seed),
        "--city",
        args.city,
    ]
    if args.scenario:
        cmd += ["--scenario", str(Path(args.scenario).resolve())]
    for a in config["set"]:
        cmd += ["--set", a]
    if profile:
        cmd.append("--profile")
    env = dict(os.environ)
    if config.get("code"):  # another source tree first on the path (the editable install comes after it)
        env["PYTHONPATH"] = config["code"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark child failed (exit {proc.returncode}): {' '.join(cmd)}")
    run = json.loads(proc.stdout.strip().splitlines()[-1])
    run["config"] = config["label"]
    return run


def _overrides(assignments: list[str]) -> dict:
    """``key=value`` strings to a parameter dict (values parsed as TOML, bare words as strings)."""
    import tomllib

    out = {}
    for text in assignments:
        key, raw = (x.strip() for x in text.split("=", 1))
        try:
            out[key] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            out[key] = raw
    return out


def _git(path: Path, *args: str) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(path), *args], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine_info(sim_file: str) -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    versions = {}
    for name in ("numpy", "mesa", "pandas"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = None
    src = Path(sim_file).resolve().parent.parent
    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "mem_total_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        **versions,
        "sim_source": str(src),
        "git_commit": _git(src, "rev-parse", "--short", "HEAD"),
        "git_dirty_sim": bool(_git(src, "status", "--porcelain", "--", "sim")),
    }


def _stat(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


METRICS = [  # key, header, format
    ("t_setup", "set-up s", "{:.2f}"),
    ("t_run", "run s", "{:.2f}"),
    ("t_tables", "tables s", "{:.2f}"),
    ("t_import", "import s", "{:.2f}"),
    ("ms_per_week", "ms/week", "{:.2f}"),
    ("mres_steps_per_s", "M res-steps/s", "{:.0f}"),
    ("rss_import_mib", "RSS import MiB", "{:.0f}"),
    ("rss_peak_mib", "peak RSS MiB", "{:.0f}"),
]


def _configs(args: argparse.Namespace) -> list[dict]:
    """Every (scale, variant) combination to measure; the first is the reference for ratios."""
    variants = [("", [])]
    for text in args.variant:
        label, _, assigns = text.partition(":")
        variants.append((label.strip(), [a for a in assigns.split(",") if a.strip()]))
    codes = [("", None)] + [tuple(c.split("=", 1)) for c in args.code]
    return [
        {
            "label": str(s) + (f" {lab}" if lab else "") + (f" [{code}]" if code else ""),
            "scale": s,
            "set": list(args.set) + sets,
            "code": path,
        }
        for s in (float(x) for x in args.scale.split(","))
        for lab, sets in variants
        for code, path in codes
    ]


def summarise(runs: list[dict], configs: list[dict]) -> dict:
    out = {}
    for c in configs:
        rs = [r for r in runs if r["config"] == c["label"]]
        st = {k: _stat([r[k] for r in rs]) for k, _, _ in METRICS}
        st["setup_plus_run"] = _stat([r["t_setup"] + r["t_run"] for r in rs])
        st["scale"] = c["scale"]
        st["overrides"] = c["set"]
        st["residents"] = rs[0]["residents"]
        st["agents"] = rs[0]["agents"]
        st["identical_results"] = len({r["contacts_total"] for r in rs}) == 1
        st["conservation_ok"] = all(r["conservation_ok"] for r in rs)
        out[c["label"]] = st
    # Paired ratios against the first configuration, within the same repeat round (same machine load).
    base = {r["repeat"]: r for r in runs if r["config"] == configs[0]["label"]}
    for c in configs[1:]:
        other = [r for r in runs if r["config"] == c["label"]]
        for key, name in (("t_setup", "setup"), ("t_run", "run_time"), ("rss_peak_mib", "peak_rss")):
            out[c["label"]][f"{name}_ratio"] = _stat([o[key] / base[o["repeat"]][key] for o in other])
    return out


def print_summary(summary: dict, machine: dict, args: argparse.Namespace) -> None:
    print(
        f"\nwelzijnsim city benchmark — {args.city}, {args.years} years x 52 weeks, seed {args.seed}, "
        f"{args.repeat} repeat(s) per configuration, interleaved, fresh process each"
    )
    print(
        f"{machine['date_utc']} | {machine['cpu']} | nproc {machine['nproc']} | python {machine['python']} | "
        f"numpy {machine['numpy']} | mesa {machine['mesa']} | sim {machine['sim_source']} @ "
        f"{machine['git_commit'] or '(not a git checkout)'}{' (sim/ modified)' if machine['git_dirty_sim'] else ''}"
    )
    print(f"load average before/after: {machine.get('loadavg_before')} / {machine.get('loadavg_after')}\n")
    head = ["config", "residents"] + [h for _, h, _ in METRICS]
    rows = []
    for label, st in summary.items():
        cells = [label, f"{st['residents']:,}"]
        for k, _, fmt in METRICS:
            m = st[k]
            cells.append(f"{fmt.format(m['median'])} ({fmt.format(m['min'])}–{fmt.format(m['max'])})")
        rows.append(cells)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print(
        "\nmedian (min–max). config = run.scale [variant]. set-up = WelzijnModel(...) incl. population synthesis "
        "and hiring; run = model.run(); tables = annual x 3 levels + weekly; import = import sim."
    )
    first = next(iter(summary))
    for label, st in summary.items():
        total = st["setup_plus_run"]
        ratios = [
            f"{k.replace('_', ' ')} vs '{first}': {v['median']:.3f} ({v['min']:.3f}–{v['max']:.3f})"
            for k, v in st.items()
            if k.endswith("_ratio")
        ]
        print(
            f"[{label}] overrides {st['overrides'] or 'none'}; set-up + run {total['median']:.2f} s "
            f"({total['min']:.2f}–{total['max']:.2f}); agents {st['agents']}; identical results across repeats: "
            f"{st['identical_results']}; "
            "help_requests + initially waiting = first_contacts + dropped_first + waiting_first: "
            f"{st['conservation_ok']}" + ("; " + "; ".join(ratios) if ratios else "")
        )
        if st["scale"] == 1.0 and args.years == 10 and not st["overrides"]:
            ok_t = total["max"] <= TARGET_SECONDS
            ok_m = st["rss_peak_mib"]["max"] <= TARGET_MIB
            print(
                f"  target (1:1 city, 10 years, set-up + run <= {TARGET_SECONDS:.0f} s, peak <= {TARGET_MIB:.0f} MiB):"
                f" time {'met' if ok_t else 'NOT met'} (worst {total['max']:.2f} s), memory "
                f"{'met' if ok_m else 'NOT met'} (worst {st['rss_peak_mib']['max']:.0f} MiB)"
            )


def print_profile(run: dict) -> None:
    """Phases in step order; `incl` contains the timed functions a phase calls, `excl` does not.
    Exclusive times add up: other = total - sum of exclusive times (step/__init__ body, untimed code)."""
    for stage, key, total_key in (("set-up", "setup_phases", "t_setup"), ("run", "run_phases", "t_run")):
        phases, total = run[key], run[total_key]
        print(
            f"\n{stage}: {total:.3f} s wall ([{run['config']}], {run['residents']:,} residents, "
            f"{run['weeks']} weeks; profiled run, timer overhead included)"
        )
        print(f"  {'phase':42s} {'incl s':>7s} {'incl %':>7s} {'excl %':>7s} {'calls':>7s}")
        shown = set()
        for label, _, _, st in PHASES:
            name = label.strip()
            if st != stage.replace("set-up", "setup") or name not in phases or name in shown:
                continue
            v = phases[name]
            if v["calls"] == 0:
                continue
            shown.add(name)
            print(
                f"  {label:42s} {v['seconds']:7.3f} {100 * v['seconds'] / total:6.1f}% "
                f"{100 * v['exclusive'] / total:6.1f}% {v['calls']:7d}"
            )
        excl = sum(phases[n]["exclusive"] for n in shown)
        print(
            f"  {'other (rest of __init__ / step body)':42s} {total - excl:7.3f} {'':7s} "
            f"{100 * (total - excl) / total:6.1f}%"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scale", default="1.0", help="run.scale, or several comma-separated (interleaved)")
    ap.add_argument("--years", type=int, default=10, help="simulated years (52 weekly ticks each)")
    ap.add_argument("--repeat", type=int, default=5, help="measurements per scale, each in a fresh process")
    ap.add_argument("--seed", type=int, default=1, help="model seed (the same for every repeat)")
    ap.add_argument("--city", default="den_haag", help="city data set")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="parameter override for every configuration, e.g. unregistered.factor=2 (repeatable)",
    )
    ap.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL:KEY=VALUE[,KEY=VALUE]",
        help="an extra configuration measured next to the plain one, interleaved (repeatable), "
        "e.g. 'all-on:drivers.enabled=true,prevention.enabled=true'",
    )
    ap.add_argument("--json", metavar="FILE", help="write machine info, every run and the summary as JSON")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="time share per phase (one extra profiled run per scale, not used for the timings)",
    )
    ap.add_argument(
        "--cprofile",
        type=int,
        metavar="N",
        default=0,
        help="run once in this process under cProfile (set-up + run, after imports) and print the top N "
        "functions by cumulative time",
    )
    ap.add_argument("--scenario", metavar="FILE", help="start from a scenario file's parameters (e.g. the baseline)")
    ap.add_argument(
        "--code",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="also measure another source tree (e.g. a `git archive` of an older commit), interleaved",
    )
    ap.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._child:
        args.scale = float(args.scale)
        print(json.dumps(child(args)))
        return 0

    configs = _configs(args)
    if args.cprofile:
        import cProfile
        import pstats

        args.scale, args.set, args.profile = configs[0]["scale"], configs[0]["set"], False
        import sim.model  # noqa: F401  (imports are not what we profile)

        prof = cProfile.Profile()
        prof.enable()
        child(args)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.cprofile)
        return 0

    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    runs = []
    for r in range(args.repeat):
        for c in configs:
            run = _run_child(args, c, profile=False)
            run["repeat"] = r
            runs.append(run)
            print(
                f"  repeat {r + 1}/{args.repeat} [{c['label']}]: set-up {run['t_setup']:.2f} s, "
                f"run {run['t_run']:.2f} s, peak {run['rss_peak_mib']:.0f} MiB",
                file=sys.stderr,
                flush=True,
            )
    profiles = [_run_child(args, c, profile=True) for c in configs] if args.profile else []
    machine = machine_info(runs[0]["sim_file"])
    machine["numpy"] = runs[0]["numpy"]
    machine["loadavg_before"] = [round(x, 2) for x in load_before] if load_before else None
    machine["loadavg_after"] = [round(x, 2) for x in os.getloadavg()] if load_before else None
    machine["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    summary = summarise(runs, configs)
    print_summary(summary, machine, args)
    for p in profiles:
        print_profile(p)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": machine, "summary": summary, "runs": runs, "profiles": profiles}, indent=2) + "\n",
            encoding="utf-8",
        )
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
