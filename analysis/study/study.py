"""Studies: many runs of one or more scenarios, stored so that no work is lost and any run is reproducible.

A study directory holds

    manifest.json            format marker, kind, the resolved scenarios (every parameter, where each
                             value came from), seeds, package versions and git commit
    runs.parquet             one row per planned run: scenario, replication, seed, done, every parameter
    outcomes/<table>/scenario=<name>/run-<replication>.parquet
                             one file per completed run and table (Hive partitioned by scenario)
    summary.parquet          per scenario, level, area, year and metric: n, mean, p10, p50, p90 over runs
    summary.csv              the same as CSV; `welzijnsim export --format xlsx` adds summary.xlsx
                             for workshops (one sheet per level)

Common random numbers: all scenarios of a study use the same replication seeds (derived from the study
seed by `sim.streams.replication_seeds`), so two scenarios differ only by their levers.

Never lose work: every run's files are written atomically (temp file + os.replace) as soon as the run
comes back from a worker; the primary table's file is written last and marks the run complete. An
interrupted study continues with `resume=True` and recomputes nothing already stored.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.study.executors import Progress, SerialExecutor, batches, report_progress
from analysis.study.kinds import kind_names, study_kind
from analysis.study.outcomes import WITHIN_WEEKS, annual_outcomes
from analysis.study.store import write_csv, write_json, write_parquet
from sim.streams import replication_seeds

FORMAT = "welzijnsim-study"
FORMAT_VERSION = 1
QUANTILES = (0.1, 0.5, 0.9)


class StudyError(ValueError):
    """A study directory is missing, foreign, corrupt or does not match the requested study. For people."""


# ---- what a study is ------------------------------------------------------------------------
@dataclass
class StudyScenario:
    """One scenario of a study: its name, city and every parameter value."""

    name: str
    city: str
    params: dict[str, Any]
    question: str = ""
    source: str = ""
    toml: str = ""
    provenance: dict[str, str] = field(default_factory=dict)  # name -> where its value came from (a record)

    @classmethod
    def from_scenario(cls, sc) -> StudyScenario:
        return cls(
            name=sc.name,
            city=sc.meta.city,
            params=sc.params(),
            question=sc.meta.question,
            source=str(sc.path),
            toml=sc.to_toml(),
            provenance=sc.provenance(),
        )


@dataclass
class StudySpec:
    kind: str  # a registered StudyKind (analysis/study/kinds.py): simulate, staffing, sensitivity, ...
    scenarios: list[StudyScenario]
    seed: int
    replications: int
    options: dict[str, Any] = field(default_factory=dict)  # kind-specific (weekly, staffing target)

    def __post_init__(self):
        if self.kind not in kind_names():  # the kinds register themselves (analysis/study/kinds.py)
            raise StudyError(f"unknown study kind {self.kind!r}; expected one of {', '.join(kind_names())}")
        names = [s.name for s in self.scenarios]
        if len(set(names)) != len(names):
            raise StudyError(f"scenario names must be unique in a study, found {names}")
        if not self.scenarios:
            raise StudyError("a study needs at least one scenario")

    @property
    def seeds(self) -> list[int]:
        # Sensitivity studies (issue 12) give every run its own seed (common random numbers across
        # design points; the dummy factor moves the seed), stored in the options.
        if self.options.get("run_seeds"):
            return [int(s) for s in self.options["run_seeds"]]
        return replication_seeds(self.seed, self.replications)

    def runs(self) -> list[tuple[str, int, int]]:
        """(scenario, replication, seed) of every run, in a fixed order."""
        return [(s.name, i, seed) for s in self.scenarios for i, seed in enumerate(self.seeds)]

    def identity(self) -> dict:
        """What must match for `--resume` to continue a directory."""
        return {
            "kind": self.kind,
            "seed": self.seed,
            "options": _jsonable(self.options),
            "scenarios": {s.name: {"city": s.city, "params": _jsonable(s.params)} for s in self.scenarios},
        }


def _jsonable(obj):
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


# ---- the pure run functions (top level: imported by spawned processes and Dask workers) ---------
def cached_city(name: str):
    """The city of a run, parsed once per process: `sim.city.load_city` keeps it (staffing and sensitivity
    runs, the scenario loader and the app share that one cache)."""
    from sim.city import load_city

    return load_city(name)


def simulate_run(city_name: str, params: dict, seed: int, options: dict | None = None) -> dict[str, pd.DataFrame]:
    """One replication → tidy tables: `annual` (all levels, service levels) and, if asked, `weekly`."""
    from sim.model import run_model

    options = options or {}
    city = cached_city(city_name)
    res = run_model(city, params, seed)
    frames = {"annual": annual_outcomes(res, city, params, options.get("within_weeks", WITHIN_WEEKS))}
    if options.get("weekly"):
        frames["weekly"] = res.weekly("stadsdeel")
    return frames


def run_params(params: dict, options: dict, replication: int) -> dict:
    """A run's parameters: the scenario's, with this replication's draw of the uncertain ones (--vary)."""
    drawn = options.get("parameter_draws")
    return {**params, **drawn[replication]} if drawn else params


def run_batch(task: dict) -> list[dict]:
    """Executor task: run a batch of (replication, seed) of one scenario; return their tables.

    With a `progress` token, each run reports how far it is (`report_progress`, key (token, scenario,
    replication)): a staffing search after each model run, every run when it is done (a batch returns
    only when all its runs are)."""
    out = []
    for replication, seed in task["runs"]:
        t0 = time.perf_counter()
        params = run_params(task["params"], task["options"], replication)
        report = None
        if task.get("progress"):
            key = (task["progress"], task["scenario"], replication)

            def report(fraction: float, key=key) -> None:
                report_progress(key, fraction)

        if report is not None and task.get("reports_progress"):  # e.g. a staffing search, after each model run
            frames = task["run"](task["city"], params, seed, task["options"], progress=report)
        else:
            frames = task["run"](task["city"], params, seed, task["options"])
        for df in frames.values():
            df.insert(0, "seed", int(seed))
            df.insert(0, "replication", replication)
        result = {
            "scenario": task["scenario"],
            "replication": replication,
            "seed": seed,
            "seconds": time.perf_counter() - t0,
            "frames": frames,
        }
        if task.get("directory"):
            store_run(Path(task["directory"]), task["primary"], result)  # atomic, primary table last
            result["frames"] = None
        if report is not None:
            report(1.0)
        out.append(result)
    return out


# ---- the directory ------------------------------------------------------------------------
def run_path(directory: Path, table: str, scenario: str, replication: int) -> Path:
    return directory / "outcomes" / table / f"scenario={scenario}" / f"run-{replication:05d}.parquet"


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("welzijnsim", "mesa", "numpy", "pandas", "pyarrow", "pydantic", "dask", "distributed", "duckdb"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    import platform

    out["python"] = platform.python_version()
    return out


def _git_commit() -> str | None:
    try:
        here = Path(__file__).resolve().parent
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        )
        if commit.returncode != 0:
            return None
        return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def read_manifest(directory: Path) -> dict:
    """The manifest of a study directory, or StudyError saying why it is not one."""
    directory = Path(directory)
    if not directory.exists():
        raise StudyError(f"{directory}: no such study directory")
    if not directory.is_dir():
        raise StudyError(f"{directory}: not a directory (a study is a directory with a manifest.json)")
    path = directory / "manifest.json"
    if not path.is_file():
        raise StudyError(f"{directory}: not a welzijnsim study (no manifest.json)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StudyError(f"{path}: corrupt manifest (not valid JSON: {exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StudyError(f'{path}: not a welzijnsim study manifest (no "format": "{FORMAT}")')
    if manifest.get("format_version") != FORMAT_VERSION:
        raise StudyError(
            f"{path}: study format version {manifest.get('format_version')!r}; "
            f"this welzijnsim reads version {FORMAT_VERSION}"
        )
    for key in ("kind", "identity", "runs", "scenarios"):
        if key not in manifest:
            raise StudyError(f"{path}: corrupt manifest (field '{key}' missing)")
    _check_manifest(path, manifest)
    return manifest


def _check_manifest(path: Path, m: dict) -> None:
    """Every field the study code reads, with its type: a hand-edited or damaged manifest is an error here,
    not a traceback later in compare, --resume or query."""
    import re

    def bad(field: str, what: str) -> StudyError:
        return StudyError(f"{path}: corrupt manifest: field '{field}' = {str(m.get(field, '(missing)'))[:80]!r} {what}")

    if m["kind"] not in kind_names():
        raise bad("kind", f"is not one of {', '.join(kind_names())}")
    for key in ("seed", "replications"):
        if isinstance(m.get(key), bool) or not isinstance(m.get(key), int):
            raise bad(key, "is not a whole number")
    if not 0 <= m["seed"] < 2**63:
        raise bad("seed", "is outside 0 to 2^63 - 1")
    if not 1 <= m["replications"] <= 10_000:
        raise bad("replications", "is outside 1 to 10000")
    for key in ("identity", "options"):
        if key in m and not isinstance(m[key], dict):
            raise bad(key, "is not a table")
    scenarios = m["scenarios"]
    if not isinstance(scenarios, list) or not scenarios:
        raise bad("scenarios", "is not a non-empty list of scenarios")
    names = []
    for i, sc in enumerate(scenarios):
        where = f"scenarios[{i}]"
        if not isinstance(sc, dict):
            raise StudyError(f"{path}: corrupt manifest: field '{where}' is not a table")
        name = sc.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise StudyError(
                f"{path}: corrupt manifest: field '{where}.name' = {str(name)[:80]!r} is not a scenario name"
            )
        if not isinstance(sc.get("city"), str):
            raise StudyError(f"{path}: corrupt manifest: field '{where}.city' is not a text")
        if not isinstance(sc.get("params"), dict):
            raise StudyError(f"{path}: corrupt manifest: field '{where}.params' is not a table")
        names.append(name)
    if len(set(names)) != len(names):
        raise bad("scenarios", "has a scenario name twice")


def spec_from_manifest(manifest: dict) -> StudySpec:
    scenarios = [
        StudyScenario(
            name=s["name"],
            city=s["city"],
            params=s["params"],
            question=s.get("question", ""),
            source=s.get("source", ""),
            toml=s.get("toml", ""),
            provenance=s.get("provenance") or {},
        )
        for s in manifest["scenarios"]
    ]
    return StudySpec(
        kind=manifest["kind"],
        scenarios=scenarios,
        seed=int(manifest["seed"]),
        replications=int(manifest["replications"]),
        options=manifest.get("options", {}),
    )


def _manifest(spec: StudySpec) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": spec.kind,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "seed": spec.seed,
        "replications": spec.replications,
        "seeds": spec.seeds,
        "options": _jsonable(spec.options),
        "scenarios": [
            {
                "name": s.name,
                "city": s.city,
                "question": s.question,
                "source": s.source,
                "toml": s.toml,
                "params": _jsonable(s.params),
                "provenance": s.provenance,
            }
            for s in spec.scenarios
        ],
        "runs": len(spec.runs()),
        "identity": spec.identity(),
        "versions": _versions(),
        "git_commit": _git_commit(),
    }


def completed_runs(directory: Path, spec: StudySpec, verify: bool = True) -> set[tuple[str, int]]:
    """(scenario, replication) of runs whose primary file is stored; corrupt files raise StudyError."""
    import pyarrow.parquet as pq

    table = study_kind(spec.kind).primary
    done = set()
    for name, rep, seed in spec.runs():
        path = run_path(directory, table, name, rep)
        if path.exists() and not path.is_file():
            raise StudyError(
                f"{path}: is not a file (a run's outcome file is expected there). Remove it and run "
                "with --resume to recompute that run."
            )
        if path.is_file():
            if verify:
                try:
                    pq.read_metadata(path)
                    ids = pq.read_table(path, columns=["replication", "seed"]).to_pydict()
                except Exception as exc:  # noqa: BLE001 - any unreadable file is corrupt
                    raise StudyError(
                        f"{path}: corrupt outcome file ({str(exc)[:200]}). Delete it and run with "
                        "--resume to recompute that run."
                    ) from None
                if set(ids["replication"]) != {rep} or set(ids["seed"]) != {int(seed)}:
                    raise StudyError(
                        f"{path}: not this study's run (replication {rep}, seed {seed} expected; "
                        "the file holds another run). Delete it and run with --resume to recompute it."
                    )
            done.add((name, rep))
    return done


def _stray(directory: Path, spec: StudySpec) -> list[Path]:
    """Run files and scenario folders under outcomes/ that the study did not plan (copied in by hand, or
    left from another study): they are never read, and --resume lists them."""
    planned_dirs = {f"scenario={s.name}" for s in spec.scenarios}
    planned = {run_path(directory, "any", n, r).name for n, r, _ in spec.runs()}
    out = []
    base = directory / "outcomes"
    if not base.is_dir():
        return out
    for table in base.iterdir():
        if not table.is_dir():
            out.append(table)
            continue
        for part in table.iterdir():
            if part.name not in planned_dirs or not part.is_dir():
                out.append(part)
                continue
            out += [f for f in part.iterdir() if f.name not in planned and not f.name.endswith(".tmp")]
    return sorted(out)


def _clean_temp_files(directory: Path) -> None:
    """Temp files of writes cut short (kill -9): in outcomes/ and in the study root (manifest, summary)."""
    for tmp in [*(directory / "outcomes").rglob(".*.tmp"), *directory.glob(".*.tmp")]:
        if tmp.is_file():
            tmp.unlink(missing_ok=True)


def _runs_table(spec: StudySpec, done: set[tuple[str, int]]) -> pd.DataFrame:
    rows = []
    params = {s.name: s for s in spec.scenarios}
    for name, rep, seed in spec.runs():
        row = {
            "scenario": name,
            "replication": rep,
            "seed": int(seed),
            "done": (name, rep) in done,
            "city": params[name].city,
        }
        values = run_params(params[name].params, spec.options, rep)
        row.update({k: (v if not isinstance(v, (list, dict)) else json.dumps(v)) for k, v in values.items()})
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class StudyResult:
    directory: Path
    spec: StudySpec
    computed: int
    skipped: int
    seconds: float


def run_study(
    spec: StudySpec,
    directory: Path,
    executor=None,
    *,
    resume: bool = False,
    batch_size: int | None = None,
    quiet: bool = False,
    on_run: Callable[[dict], None] | None = None,
) -> StudyResult:
    """Run (or continue) a study into `directory`. Returns when every run is stored and summarised."""
    directory = Path(directory)
    executor = executor or SerialExecutor()
    if resume:
        manifest = read_manifest(directory)
        if manifest["identity"] != spec.identity():
            raise StudyError(_identity_mismatch(directory, manifest["identity"], spec.identity()))
    else:
        if directory.exists() and any(directory.iterdir()):
            raise StudyError(f"{directory}: exists and is not empty; continue it with --resume or choose a new --out")
        write_json(directory / "manifest.json", _manifest(spec))
    _clean_temp_files(directory)
    done = completed_runs(directory, spec)
    stray = _stray(directory, spec)
    if stray and not quiet:
        import sys

        shown = ", ".join(str(p.relative_to(directory)) for p in stray[:5]) + (" ..." if len(stray) > 5 else "")
        print(
            f"note: {len(stray)} file(s) or folder(s) under outcomes/ are not runs of this study and are "
            f"ignored: {shown}",
            file=sys.stderr,
        )
    write_parquet(directory / "runs.parquet", _runs_table(spec, done))

    todo = [(n, r, s) for n, r, s in spec.runs() if (n, r) not in done]
    by_scenario = {s.name: s for s in spec.scenarios}
    kind = study_kind(spec.kind)
    # Partial progress carries this token: a report from another study on the same workers is ignored.
    token = None if quiet else f"{os.getpid()}-{time.time_ns()}"
    tasks = []
    for sc in spec.scenarios:
        mine = [(r, s) for n, r, s in todo if n == sc.name]
        for chunk in batches(mine, executor.workers, batch_size):
            tasks.append(
                {
                    "kind": spec.kind,
                    "run": kind.run,  # top level: pickled by reference, so spawned and Dask workers import it
                    "reports_progress": kind.reports_progress,
                    "primary": kind.primary,
                    "scenario": sc.name,
                    "city": by_scenario[sc.name].city,
                    "params": by_scenario[sc.name].params,
                    "options": spec.options,
                    "runs": chunk,
                    # Where workers share this file system they store their own runs.
                    "directory": str(directory) if getattr(executor, "shares_files", False) else None,
                    "progress": token,
                }
            )

    total = len(spec.runs())
    progress = Progress(total, kind.progress_label, quiet=quiet, already=len(done))

    def on_progress(key, fraction: float) -> None:
        if isinstance(key, tuple) and key[0] == token:
            progress.partial(key[1:], fraction)

    t0 = time.perf_counter()
    computed = 0
    try:
        for _i, results in executor.imap_unordered(run_batch, tasks, None if quiet else on_progress):
            for r in results:
                if r["frames"] is not None:
                    store_run(directory, kind.primary, r)
                done.add((r["scenario"], r["replication"]))
                computed += 1
                progress.finish((r["scenario"], r["replication"]))
                if on_run:
                    on_run(r)
    finally:
        progress.close()
        write_parquet(directory / "runs.parquet", _runs_table(spec, done))
    summarise(directory, spec)
    return StudyResult(directory, spec, computed, total - len(todo), time.perf_counter() - t0)


def store_run(directory: Path, primary: str, result: dict) -> None:
    """Write one run's tables atomically; the primary table last (it marks the run complete)."""
    frames = result["frames"]
    for table in sorted(frames, key=lambda t: t == primary):
        write_parquet(run_path(directory, table, result["scenario"], result["replication"]), frames[table])


def _identity_mismatch(directory: Path, stored: dict, wanted: dict) -> str:
    lines = [f"{directory}: --resume asked for a different study than the one stored there"]
    for key in ("kind", "seed", "options"):
        if stored.get(key) != wanted.get(key):
            lines.append(f"  {key}: stored {stored.get(key)!r}, requested {wanted.get(key)!r}")
    s_sc, w_sc = stored.get("scenarios", {}), wanted.get("scenarios", {})
    if set(s_sc) != set(w_sc):
        lines.append(f"  scenarios: stored {sorted(s_sc)}, requested {sorted(w_sc)}")
    for name in set(s_sc) & set(w_sc):
        a, b = s_sc[name].get("params", {}), w_sc[name].get("params", {})
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                lines.append(f"  scenario {name}: field '{k}' stored {a.get(k)!r}, requested {b.get(k)!r}")
        if s_sc[name].get("city") != w_sc[name].get("city"):
            lines.append(
                f"  scenario {name}: city stored {s_sc[name].get('city')!r}, requested {w_sc[name].get('city')!r}"
            )
    lines.append("Use a new --out directory, or resume without changing the study.")
    return "\n".join(lines)


# ---- reading back ---------------------------------------------------------------------------
def stored_runs(
    directory: Path, table: str, scenarios: list[str] | None = None, spec: StudySpec | None = None
) -> list[tuple[str, Path]]:
    """(scenario, file) of every stored run of `table` that the study planned, in run order.

    Only the manifest's runs are read: a stray file or folder under outcomes/ is never mixed in, and no
    path is used as a glob pattern (a study folder may be called `runs[2]`)."""
    directory = Path(directory)
    spec = spec or spec_from_manifest(read_manifest(directory))
    out = []
    for name, rep, _seed in spec.runs():
        if scenarios is not None and name not in scenarios:
            continue
        f = run_path(directory, table, name, rep)
        if f.is_file():
            out.append((name, f))
    return out


def load_table(
    directory: Path, table: str, scenarios: list[str] | None = None, spec: StudySpec | None = None
) -> pd.DataFrame:
    """All stored runs of `table` as one DataFrame with a `scenario` column."""
    parts = []
    for name, f in stored_runs(directory, table, scenarios, spec):
        try:
            df = pd.read_parquet(f)
        except Exception as exc:  # noqa: BLE001
            raise StudyError(
                f"{f}: corrupt outcome file ({str(exc)[:200]}). Delete it and run with --resume to recompute that run."
            ) from None
        df.insert(0, "scenario", name)
        parts.append(df)
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


ID_COLUMNS = ("scenario", "replication", "seed", "level", "area", "stadsdeel", "year", "week", "label")


def band_summary(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Long table: keys, metric, n, mean, p10, p50, p90 over replications."""
    metrics = [
        c
        for c in df.columns
        if c not in ID_COLUMNS
        and c not in keys
        and pd.api.types.is_numeric_dtype(df[c])
        and not pd.api.types.is_bool_dtype(df[c])
    ]
    long = df.melt(id_vars=keys, value_vars=metrics, var_name="metric", value_name="value")
    g = long.groupby(keys + ["metric"], sort=False)["value"]
    out = g.agg(n="count", mean="mean").reset_index()
    q = g.quantile(list(QUANTILES)).unstack()
    q.columns = [f"p{int(round(x * 100))}" for x in q.columns]
    out = out.merge(q.reset_index(), on=keys + ["metric"], how="left")
    return out


def summarise(directory: Path, spec: StudySpec | None = None) -> pd.DataFrame:
    """summary.parquet (+ CSV) from the stored runs of the primary table: bands over replications, unless the
    kind summarises itself (sensitivity: indices)."""
    directory = Path(directory)
    if spec is None:
        spec = spec_from_manifest(read_manifest(directory))
    kind = study_kind(spec.kind)
    if kind.summarise is not None:
        return kind.summarise(directory, spec)
    df = load_table(directory, kind.primary, spec=spec)
    if df.empty:
        return df
    keys = ["scenario", "level", "area", "year"] + (["stadsdeel"] if "stadsdeel" in df.columns else [])
    keys = [k for k in keys if k in df.columns]
    summary = band_summary(df, keys)
    write_parquet(directory / "summary.parquet", summary)
    write_csv(directory / "summary.csv", summary)
    # No XLSX here: writing it is the slowest serial step of a study (openpyxl), and it is only for
    # workshops; `welzijnsim export DIR --format xlsx` writes it from summary.parquet when wanted.
    return summary


def write_xlsx(path: Path, summary: pd.DataFrame) -> None:
    """The summary for workshops: one sheet per level (city, stadsdeel, service_point)."""
    from analysis.study.store import write_atomic

    def write(p: Path) -> None:
        from openpyxl import Workbook

        # openpyxl's write-only mode streams rows: about twice as fast as pandas' to_excel, which matters
        # because the summary is written serially at the end of every study.
        book = Workbook(write_only=True)
        levels = summary["level"].unique() if "level" in summary else ["all"]
        for level in levels:
            part = summary[summary["level"] == level] if "level" in summary else summary
            sheet = book.create_sheet(title=str(level)[:31])
            sheet.append(list(part.columns))
            for row in part.astype(object).where(part.notna(), None).itertuples(index=False, name=None):
                sheet.append(list(row))
        book.save(p)

    write_atomic(path, write)


def export(directory: Path, fmt: str, out: Path | None = None) -> Path:
    """Write summary.<fmt> (csv or xlsx) from summary.parquet; returns the path written."""
    directory = Path(directory)
    read_manifest(directory)
    src = directory / "summary.parquet"
    if not src.is_file():
        raise StudyError(f"{directory}: no summary.parquet yet (the study has no completed runs)")
    if fmt not in ("csv", "xlsx"):
        raise StudyError(f"--format {fmt}: expected csv or xlsx")
    out = out or directory / f"summary.{fmt}"
    from analysis.study.store import OutputError, check_output_file

    try:
        check_output_file(out)  # before reading: a bad --out fails at once
    except OutputError as exc:
        raise StudyError(str(exc)) from None
    try:
        summary = pd.read_parquet(src)
    except Exception as exc:  # noqa: BLE001 - truncated, or not Parquet at all
        raise StudyError(
            f"{src}: corrupt summary ({str(exc)[:160]}). Rebuild it from the stored runs "
            f"(nothing is recomputed): welzijnsim study --resume --out {directory}"
        ) from None
    if fmt == "csv":
        write_csv(out, summary)
    elif fmt == "xlsx":
        write_xlsx(out, summary)
    else:
        raise StudyError(f"--format {fmt}: expected csv or xlsx")
    return out
