"""Calibration of the hidden parameters with optuna, and an honest look at what the data identify.

The loss of a parameter set is a sum of squared standardised distances:

- each face target of `analysis/validation/targets.toml` with weight > 0: weight * z^2 (see `Target.z`), on the
  city's first reported year;
- each value of a municipal counts CSV (`--counts`): ((simulated - observed) / (relative_error *
  observed))^2, per year and stadsdeel or Servicepunt XL.

Every trial runs the same model seeds (common random numbers) at a small `run.scale`, for the years the
counts cover (or `years` reported years) after the scenario's warm-up; outputs are averaged over the
seeds before they are compared. Optuna's TPE sampler (seeded) proposes the trials; the first trial is the
scenario's own values.

Identifiability is judged in three ways, all printed and written into the calibrated scenario file:

1. the Monte Carlo noise of the loss at the best point (other seeds), which sets the threshold
   `delta = max(1, 2 * noise SD)`;
2. a one-at-a-time slice of the loss through the best point for each parameter (same seeds): the set
   of grid values whose loss is within `delta` of the slice minimum;
3. the spread of the near-best trials (loss within `delta` of the best, at least the best 10%), per
   parameter and for a few outputs (help requests, the FTE the demand needs, the unregistered
   population), and which parameters trade off against each other over them (rank correlation).

A parameter is *identified* if its slice interval and its near-best spread are both narrow (< 30% of
the search range); *ridge* if the slice is narrow but the near-best trials spread widely (>= 50%), or it
trades off with a parameter that is not identified (only a combination is pinned); *one-sided* if the
slice interval runs to one end of the range; *not identified* if it covers (nearly) the whole range;
*weakly identified* otherwise. "Narrow" is relative to the search range, i.e. posterior against prior
width: the search ranges in targets.toml are meant as plausible prior ranges.
"""

from __future__ import annotations

import csv
import difflib
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.validation.validation import (
    TARGETS_FILE,
    Measurement,
    Target,
    TargetError,
    check_columns,
    evaluate,
    load_targets,
    simulate,
)
from scenarios.loader import SCENARIO_DIR, Scenario
from sim.city import City
from sim.parameters import PARAMETERS
from sim.results import REFERRAL_FLOWS
from sim.streams import replication_seeds

MEASURES = (
    "contacts",
    "unique_clients",
    "help_requests",
    "waiting_first_end",
    # the uniform registration from April 2026 (issue 9; docs/validation.md, "Municipality counts")
    *REFERRAL_FLOWS,
    "first_within_2_weeks",
)
# The registration's own words for two of them: a visit is a contact, a new request a help request.
ALIASES = {"visits": "contacts", "new_requests": "help_requests"}
AREA_COLUMNS = {"stadsdeel": "stadsdeel", "servicepunt": "service_point"}
TEXT_COLUMNS = ("source", "note")
OUTPUTS = ("help_requests", "need_fte", "unregistered_population", "contacts", "unique_clients")
# How weakly a verdict pins a parameter (for keeping base values: the weakest are kept first).
WEAKNESS = {
    "not identified": 0,
    "one-sided (bounded above)": 1,
    "one-sided (bounded below)": 1,
    "weakly identified": 2,
    "ridge": 9,
    "identified": 9,
}
NARROW = 0.30  # share of the search range below which a slice interval or near-best spread counts as narrow
WIDE = 0.50  # ... and above which a near-best spread counts as wide (a ridge when the slice is narrow)


class CalibrationError(ValueError):
    """Bad calibration input (settings, --param, counts CSV). The message names the file, row and column."""


# ---- settings ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FitParameter:
    name: str
    low: float
    high: float
    log: bool = False

    def grid(self, n: int) -> np.ndarray:
        if self.log:
            return np.geomspace(self.low, self.high, n)
        return np.linspace(self.low, self.high, n)

    def position(self, x: float) -> float:
        """Where `x` lies in the search range, 0..1 (on the log scale if `log`)."""
        if self.log:
            return (math.log(x) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (x - self.low) / (self.high - self.low)


@dataclass(frozen=True)
class Settings:
    scale: float = 0.05
    years: int = 1
    replications: int = 2
    relative_error: float = 0.10
    slice_points: int = 9
    noise_seeds: int = 4
    verify_scale: float = 1.0  # the calibrated set is also run once at this scale (0 = not)


def fit_parameter(name: str, low: float, high: float, log: bool = False, where: str = "--param") -> FitParameter:
    """A checked FitParameter: a float parameter of sim/parameters.py, low < high inside its allowed range."""
    if name not in PARAMETERS:
        close = difflib.get_close_matches(name, list(PARAMETERS), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise CalibrationError(f"{where}: unknown parameter '{name}'.{hint}")
    p = PARAMETERS[name]
    if p.kind is not float:
        raise CalibrationError(
            f"{where}: '{name}' is a {p.kind.__name__} parameter; only real-valued ones can be fitted"
        )
    if not low < high:
        raise CalibrationError(f"{where}: '{name}': low ({low}) must be below high ({high})")
    if (p.low is not None and low < p.low) or (p.high is not None and high > p.high):
        raise CalibrationError(
            f"{where}: '{name}': search range [{low}, {high}] is outside the allowed range {p.allowed}"
        )
    if log and low <= 0:
        raise CalibrationError(f"{where}: '{name}': a log-scale search needs low > 0")
    return FitParameter(name, float(low), float(high), bool(log))


def parse_param(text: str) -> FitParameter:
    """`NAME=LOW:HIGH` or `NAME=LOW:HIGH:log` from the command line."""
    where = f"--param {text}"
    if "=" not in text or ":" not in text.split("=", 1)[1]:
        raise CalibrationError(f"{where}: expected NAME=LOW:HIGH (or NAME=LOW:HIGH:log), e.g. demand.contacts_mean=2:6")
    name, rng = text.split("=", 1)
    parts = rng.split(":")
    log = len(parts) == 3 and parts[2].strip().lower() == "log"
    if len(parts) not in (2, 3) or (len(parts) == 3 and not log):
        raise CalibrationError(f"{where}: expected NAME=LOW:HIGH (or NAME=LOW:HIGH:log)")
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise CalibrationError(f"{where}: LOW and HIGH must be numbers") from None
    return fit_parameter(name.strip(), low, high, log, where)


def load_settings(path: str | Path | None = None) -> tuple[Settings, list[FitParameter]]:
    """The [calibration] block of the targets file: settings and the default parameters to fit."""
    path = Path(path) if path else TARGETS_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get("calibration", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"{path}: cannot read the [calibration] block: {exc}") from exc
    params = raw.pop("parameter", [])
    known = set(Settings.__dataclass_fields__)
    for key in raw:
        if key not in known:
            raise CalibrationError(
                f"{path}: field 'calibration.{key}' is not known. Allowed: {', '.join(sorted(known))}, parameter"
            )
    try:
        settings = Settings(**{k: type(getattr(Settings, k))(v) for k, v in raw.items()})
    except (TypeError, ValueError) as exc:
        raise CalibrationError(f"{path}: [calibration]: {exc}") from exc
    fit = []
    for i, item in enumerate(params):
        where = f"{path}: calibration.parameter #{i + 1}"
        try:
            fit.append(fit_parameter(item["name"], item["low"], item["high"], item.get("log", False), where))
        except KeyError as exc:
            raise CalibrationError(f"{where}: missing field {exc}") from None
    return settings, fit


# ---- municipal counts ----------------------------------------------------------------------------
@dataclass
class Counts:
    """Observed counts: one row per (year, area) with the line of the file it came from."""

    path: Path
    level: str  # "stadsdeel", "service_point" or "service_point_quarter"
    table: pd.DataFrame  # columns: row, year, [quarter,] area, and MEASURES present (NaN = not given)

    @property
    def keys(self) -> list[str]:
        """The columns a count is identified by: (year, area) or (year, quarter, area)."""
        return ["year", "quarter", "area"] if self.level == "service_point_quarter" else ["year", "area"]

    @property
    def measures(self) -> list[str]:
        return [m for m in MEASURES if m in self.table.columns]

    @property
    def years(self) -> tuple[int, int]:
        return int(self.table.year.min()), int(self.table.year.max())


def area_names(city: City) -> dict[str, list[str]]:
    """Stadsdeel names and Servicepunt XL names as the model reports them ("SPXL <stadsdeel> <n>")."""
    sps = [
        f"SPXL {name} {n + 1}"
        for name, k in zip(city.stadsdelen, city.servicepunten_per_stadsdeel)
        for n in range(int(k))
    ]
    return {"stadsdeel": list(city.stadsdelen), "service_point": sps}


def read_counts(path: str | Path, city: City) -> Counts:
    """Read and check a counts CSV. Rows are numbered as in a spreadsheet (the header is row 1)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CalibrationError(f"{path}: counts file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"{path}: cannot read the counts file as UTF-8 text: {exc}") from None
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text.strip() else ",", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    rows = list(reader)
    if not rows or not any(c.strip() for c in rows[0]):
        raise CalibrationError(
            f"{path}: the file is empty; expected a header row: year, stadsdeel (or servicepunt), "
            f"and at least one of {', '.join(MEASURES)}"
        )
    header = [ALIASES.get(c.strip().lower(), c.strip().lower()) for c in rows[0]]
    original = {h: c.strip() for h, c in zip(header, rows[0])}  # for messages: the file's own column names
    allowed = ["year", "quarter", *AREA_COLUMNS, *MEASURES, *ALIASES, *TEXT_COLUMNS]
    for j, col in enumerate(header):
        if col not in allowed:
            close = difflib.get_close_matches(col, allowed, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise CalibrationError(
                f"{path}, row 1, column {j + 1} ('{rows[0][j]}'): unknown column. Allowed: {', '.join(allowed)}.{hint}"
            )
        if header.count(col) > 1:
            raise CalibrationError(f"{path}, row 1, column '{col}': appears more than once")
    if "year" not in header:
        raise CalibrationError(f"{path}, row 1: missing column 'year'")
    area_cols = [c for c in AREA_COLUMNS if c in header]
    if len(area_cols) != 1:
        raise CalibrationError(
            f"{path}, row 1: expected exactly one area column, 'stadsdeel' or 'servicepunt' "
            f"(found {', '.join(area_cols) or 'none'})"
        )
    area_col = area_cols[0]
    level = AREA_COLUMNS[area_col]
    quarterly = "quarter" in header
    if quarterly and level != "service_point":
        raise CalibrationError(
            f"{path}, row 1: quarterly counts (column 'quarter') are per Servicepunt XL; use the "
            f"column 'servicepunt', not '{area_col}'"
        )
    measures = [m for m in MEASURES if m in header]
    if not measures:
        raise CalibrationError(f"{path}, row 1: no count column; give at least one of {', '.join(MEASURES)}")
    names = area_names(city)[level]
    lo_year, hi_year = int(PARAMETERS["run.start_year"].low), int(PARAMETERS["run.start_year"].high)
    records, seen = [], {}
    for i, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue  # blank line
        if len(raw) != len(header):
            raise CalibrationError(f"{path}, row {i}: {len(raw)} fields, but the header has {len(header)}")
        cell = dict(zip(header, (c.strip() for c in raw)))
        try:
            year = int(cell["year"])
        except ValueError:
            raise CalibrationError(f"{path}, row {i}, column 'year': {cell['year']!r} is not a whole year") from None
        if not lo_year <= year <= hi_year:
            raise CalibrationError(
                f"{path}, row {i}, column 'year': {year} is outside {lo_year}-{hi_year} "
                f"(the years the model can start in)"
            )
        quarter = None
        if quarterly:
            if cell["quarter"] not in ("1", "2", "3", "4"):
                raise CalibrationError(
                    f"{path}, row {i}, column 'quarter': {cell['quarter']!r} is not a quarter (allowed: 1, 2, 3, 4)"
                )
            quarter = int(cell["quarter"])
        area = cell[area_col]
        if area not in names:
            close = difflib.get_close_matches(area, names, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise CalibrationError(
                f"{path}, row {i}, column '{area_col}': {area!r} is not a {area_col} of "
                f"{city.name}. Allowed: {', '.join(names)}.{hint}"
            )
        key = (year, quarter, area)
        when = f"{year}" + (f" Q{quarter}" if quarterly else "")
        if key in seen:
            raise CalibrationError(
                f"{path}, row {i}: {area_col} {area!r} in {when} was already given in row {seen[key]}"
            )
        seen[key] = i
        rec = {"row": i, "year": year, "area": area, **({"quarter": quarter} if quarterly else {})}
        for m in measures:
            v = cell[m].replace("_", "")
            if v == "":
                rec[m] = math.nan
                continue
            try:
                x = float(v)
            except ValueError:
                raise CalibrationError(
                    f"{path}, row {i}, column '{m}': {cell[m]!r} is not a number "
                    f"(use a plain number such as 2350; leave the cell empty if unknown)"
                ) from None
            if not math.isfinite(x) or x < 0:
                raise CalibrationError(f"{path}, row {i}, column '{m}': {cell[m]!r} must be a count >= 0")
            if m == "contacts" and x == 0:
                raise CalibrationError(
                    f"{path}, row {i}, column '{original['contacts']}': 0 contacts cannot be fitted "
                    f"with a relative error; leave the cell empty if unknown"
                )
            rec[m] = x
        if all(math.isnan(rec[m]) for m in measures):
            raise CalibrationError(f"{path}, row {i}: no count given (all of {', '.join(measures)} are empty)")
        records.append(rec)
    if not records:
        raise CalibrationError(f"{path}: no data rows below the header")
    table = pd.DataFrame(records)
    if table.year.max() - table.year.min() + 1 > 10:
        raise CalibrationError(
            f"{path}, column 'year': the counts span {table.year.min()}-{table.year.max()}; "
            f"at most 10 consecutive years can be calibrated at once"
        )
    return Counts(path, "service_point_quarter" if quarterly else level, table)


def counts_from_measurements(measurements: list[Measurement], level: str, measures: list[str]) -> pd.DataFrame:
    """What the municipality would have counted in these runs (mean over runs), in the counts CSV layout
    (`level` "service_point_quarter": the quarterly layout of the uniform registration, with its column names)."""
    tables = [m.table(level) for m in measurements]
    keys = ["year", "quarter", "area"] if level == "service_point_quarter" else ["year", "area"]
    mean = pd.concat(tables).groupby(keys, sort=False)[measures].mean().reset_index()
    area_col = "stadsdeel" if level == "stadsdeel" else "servicepunt"
    out = mean.rename(columns={"area": area_col})[[*keys[:-1], area_col, *measures]]
    if level == "service_point_quarter":
        out = out.rename(columns={v: k for k, v in ALIASES.items()})
    return out


# ---- the objective -------------------------------------------------------------------------------
@dataclass
class Evaluation:
    loss: float
    parts: dict[str, float]  # name -> contribution to the loss
    targets: dict[str, float]  # face target -> simulated value (mean over seeds)
    outputs: dict[str, float]  # city outputs of the first year (mean over seeds)


class Objective:
    """The calibration loss of a parameter set, with fixed seeds (common random numbers)."""

    def __init__(
        self,
        city: City,
        base_params: dict,
        fit: list[FitParameter],
        targets: list[Target],
        counts: Counts | None,
        settings: Settings,
        seeds: list[int],
    ):
        self.city, self.fit, self.counts, self.settings, self.seeds = city, fit, counts, settings, list(seeds)
        self.targets = [t for t in targets if t.weight > 0]
        p = dict(base_params)
        p["run.scale"] = settings.scale
        if counts is not None:
            first, last = counts.years
            p["run.start_year"], p["run.years"] = first, last - first + 1
        else:
            p["run.years"] = settings.years
        self.base = p
        self.evaluations = 0
        # Monte Carlo error: the simulated mean of a trial has its own error, which adds to the target's
        # or the count's. It is estimated once, from single-seed runs at the start point (`pilot`).
        self.target_var: dict[str, float] = {}
        self.count_cv2: dict[str, pd.Series] = {}

    def params_for(self, values: dict[str, float]) -> dict:
        p = dict(self.base)
        p.update({k: float(v) for k, v in values.items()})
        if "demand.seek_help_max" in p and p["demand.seek_help_min"] > p["demand.seek_help_max"]:
            p["demand.seek_help_min"] = p["demand.seek_help_max"]  # keep min <= max
        return p

    def measure(self, values: dict[str, float], seeds: list[int] | None = None) -> list[Measurement]:
        params = self.params_for(values)
        self.evaluations += 1
        return [simulate(self.city, params, s) for s in (seeds or self.seeds)]

    def pilot(self, runs: list[Measurement]) -> None:
        """Per-seed variance of each target value and squared CV of each count, from single-seed `runs`."""
        if len(runs) < 2:
            return
        first = [m.city.iloc[0] for m in runs]
        self.target_var = {t.name: float(np.nanvar([evaluate(t, row) for row in first], ddof=1)) for t in self.targets}
        if self.counts is not None:
            tab = pd.concat([m.table(self.counts.level) for m in runs]).groupby(self.counts.keys)[self.counts.measures]
            mean, var = tab.mean(), tab.var(ddof=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                self.count_cv2 = {m: (var[m] / mean[m] ** 2).fillna(0.0) for m in self.counts.measures}

    def evaluate(self, values: dict[str, float], seeds: list[int] | None = None) -> Evaluation:
        runs = self.measure(values, seeds)
        n = len(runs)
        first = [m.city.iloc[0] for m in runs]
        parts: dict[str, float] = {}
        tvals: dict[str, float] = {}
        for t in self.targets:
            v = float(np.nanmean([evaluate(t, row) for row in first]))
            tvals[t.name] = v
            z = t.z(v, math.sqrt(self.target_var.get(t.name, 0.0) / n))
            parts[f"target:{t.name}"] = t.weight * min(z * z, 1e6)
        if self.counts is not None:
            sim = (
                pd.concat([m.table(self.counts.level) for m in runs])
                .groupby(self.counts.keys)[self.counts.measures]
                .mean()
            )
            err = self.settings.relative_error
            for m in self.counts.measures:
                obs = self.counts.table.set_index(self.counts.keys)[m].dropna()
                s = sim[m].reindex(obs.index).to_numpy(dtype=float)
                cv2 = self.count_cv2[m].reindex(obs.index).fillna(0.0).to_numpy() if m in self.count_cv2 else 0.0
                o = np.maximum(obs.to_numpy(), 1.0)
                # Relative error of the count, the Monte Carlo error of the simulated mean and (issue 9) the
                # count's own Poisson noise, which matters for small counts (a Servicepunt XL in one quarter).
                sd = np.sqrt(o**2 * (err**2 + cv2 / n) + o)
                z2 = np.nan_to_num(((s - obs.to_numpy()) / sd) ** 2, nan=1e6)
                parts[f"counts:{m}"] = float(np.minimum(z2, 1e6).sum())
        outputs = {k: float(np.nanmean([row[k] for row in first])) for k in OUTPUTS}
        return Evaluation(float(sum(parts.values())), parts, tvals, outputs)


# ---- calibration -----------------------------------------------------------------------------------
@dataclass
class Identifiability:
    parameter: str
    best: float
    slice_low: float  # slice interval (grid values with loss <= slice minimum + delta)
    slice_high: float
    slice_width: float  # as a share of the search range (on the search scale)
    spread_low: float  # near-best trials
    spread_high: float
    spread_width: float
    verdict: str
    trades_off: str = ""  # the parameter it is most correlated with among the near-best trials, if |r| >= 0.6


@dataclass
class CalibrationResult:
    scenario: Scenario
    fit: list[FitParameter]
    settings: Settings
    seed: int
    seeds: list[int]
    trials: pd.DataFrame  # one row per trial: trial, phase, loss, parameters, outputs
    best: dict[str, float]  # best trial of the search over all parameters
    best_eval: Evaluation
    start_eval: Evaluation
    noise_sd: float
    delta: float
    slices: pd.DataFrame  # parameter, value, loss
    identifiability: list[Identifiability]
    near_best_outputs: pd.DataFrame  # output, best, min, max over the near-best trials
    counts: Counts | None
    use_face: bool
    base_values: dict[str, float] = field(default_factory=dict)
    final: dict[str, float] = field(default_factory=dict)  # the set written to the scenario file
    final_eval: Evaluation | None = None
    final_reason: dict[str, str] = field(default_factory=dict)  # parameter -> why this value
    verify_eval: Evaluation | None = None  # the final set at settings.verify_scale
    notes: list[str] = field(default_factory=list)  # what the keep-at-base refits found


def _verdict(fp: FitParameter, lo: float, hi: float, slice_width: float, spread_width: float) -> str:
    at_low = math.isclose(lo, fp.low, rel_tol=1e-9, abs_tol=1e-12)
    at_high = math.isclose(hi, fp.high, rel_tol=1e-9, abs_tol=1e-12)
    if slice_width >= 0.95 or (at_low and at_high):
        return "not identified"
    if at_low or at_high:
        return "one-sided (bounded " + ("above" if at_low else "below") + ")"
    if slice_width < NARROW and spread_width < NARROW:
        return "identified"
    if slice_width < NARROW and spread_width >= WIDE:
        return "ridge"
    return "weakly identified"


def near_best(trials: pd.DataFrame, best_loss: float, delta: float) -> pd.DataFrame:
    """Trials with loss <= best + delta, or, if fewer, the best 10% of the trials (at least 5): a spread
    over one or two trials says nothing about how well a parameter is pinned."""
    near = trials[trials.loss <= best_loss + delta]
    n_top = min(len(trials), max(5, math.ceil(0.1 * len(trials))))
    return near if len(near) >= n_top else trials.nsmallest(n_top, "loss")


def trade_offs(near: pd.DataFrame, fit: list[FitParameter], threshold: float = 0.6) -> dict[str, str]:
    """For each parameter, the one it is most rank-correlated with over the near-best trials (a ridge:
    the data pin a combination), e.g. "demand.seek_help_max (r = -0.82)"."""
    if len(near) < 8 or len(fit) < 2:
        return {}
    r = near[[fp.name for fp in fit]].corr(method="spearman")
    out = {}
    for fp in fit:
        others = r[fp.name].drop(fp.name).dropna()
        if len(others) and others.abs().max() >= threshold:
            partner = others.abs().idxmax()
            out[fp.name] = f"{partner} (r = {others[partner]:+.2f})"
    return out


def kept_at_base(idents: list[Identifiability], base_values: dict[str, float]) -> dict[str, float]:
    """Parameters the data do not pin (not identified, one-sided or weakly identified) whose base value lies
    in their slice interval: they keep the base value, since the data give no reason to move them."""
    return {
        i.parameter: base_values[i.parameter]
        for i in idents
        if i.verdict != "identified"
        and i.verdict != "ridge"
        and i.slice_low <= base_values[i.parameter] <= i.slice_high
    }


def _search(
    objective: Objective,
    fit: list[FitParameter],
    fixed: dict[str, float],
    trials: int,
    seed: int,
    start: dict[str, float],
    phase: str,
    records: list[dict],
    evals: dict[int, Evaluation],
    progress: Callable[[str, int, int], None] | None,
) -> int:
    """One optuna TPE search over `fit` (others held at `fixed`); returns the number of its best trial."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(
        seed=seed % 2**32, multivariate=True, n_startup_trials=min(20, max(5, trials // 5))
    )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.enqueue_trial({fp.name: min(max(start[fp.name], fp.low), fp.high) for fp in fit})
    offset = len(records)

    def run_trial(trial) -> float:
        values = {fp.name: trial.suggest_float(fp.name, fp.low, fp.high, log=fp.log) for fp in fit}
        ev = objective.evaluate({**fixed, **values})
        number = offset + trial.number
        evals[number] = ev
        records.append(
            {
                "trial": number,
                "phase": phase,
                "loss": ev.loss,
                **fixed,
                **values,
                **{f"out:{k}": v for k, v in ev.outputs.items()},
            }
        )
        if progress:
            progress(phase, trial.number + 1, trials)
        return ev.loss

    study.optimize(run_trial, n_trials=trials)
    return offset + study.best_trial.number


def calibrate(
    scenario: Scenario,
    trials: int = 100,
    seed: int | None = None,
    counts: Counts | None = None,
    fit: list[FitParameter] | None = None,
    use_face: bool = True,
    settings: Settings | None = None,
    targets: list[Target] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    slices: bool = True,
    refit: bool = True,
    write_all: bool = False,
) -> CalibrationResult:
    """Fit `fit` (default: the [calibration] parameters of targets.toml) to the face targets and/or counts.

    Steps: (1) TPE search over all parameters from the scenario's values; (2) noise of the loss at the
    best point; (3) slices and near-best spread -> a verdict per parameter; (4) unless `write_all`,
    parameters the data do not pin go back to the scenario's value when that value lies in their slice
    interval, and the others are refitted with those held (`refit`, a third of the trials, at least 10).
    The refitted set is kept only if its loss is within delta of the best; otherwise all fitted values are.
    """
    default_settings, default_fit = load_settings()
    settings = settings or default_settings
    fit = fit or default_fit
    targets = (targets if targets is not None else load_targets()) if use_face else []
    if not targets and counts is None:
        raise CalibrationError("nothing to calibrate to: no face targets (--no-face) and no --counts file")
    seed = scenario.meta.seed if seed is None else int(seed)
    city = scenario.city()
    all_seeds = replication_seeds(seed, max(4, settings.replications * (1 + settings.noise_seeds)))
    seeds = all_seeds[: settings.replications]
    objective = Objective(city, scenario.params(), fit, targets, counts, settings, seeds)
    base_values = {fp.name: float(scenario.params()[fp.name]) for fp in fit}
    # Pilot: single-seed runs at the start point give the Monte Carlo error of targets and counts.
    pilot = objective.measure(base_values, all_seeds[: max(4, len(all_seeds))])
    if objective.targets:
        check_columns(objective.targets, pilot[0].city, str(TARGETS_FILE))
    objective.pilot(pilot)
    if progress:
        progress("pilot", 1, 1)

    records: list[dict] = []
    evals: dict[int, Evaluation] = {}
    best_number = _search(objective, fit, {}, trials, seed, base_values, "search", records, evals, progress)
    best = {fp.name: float(records[best_number][fp.name]) for fp in fit}
    best_eval, start_eval = evals[best_number], evals[0]

    # Monte Carlo noise of the loss at the best point: the same parameters with other seed sets.
    noise = [best_eval.loss]
    for k in range(settings.noise_seeds):
        other = all_seeds[settings.replications * (k + 1) : settings.replications * (k + 2)]
        noise.append(objective.evaluate(best, other).loss)
        if progress:
            progress("noise", k + 1, settings.noise_seeds)
    noise_sd = float(np.std(noise, ddof=1)) if len(noise) > 1 else 0.0
    delta = max(1.0, 2.0 * noise_sd)

    # One-at-a-time slices through the best point, same seeds.
    slice_rows = []
    if slices:
        for i, fp in enumerate(fit):
            for x in fp.grid(settings.slice_points):
                loss = objective.evaluate({**best, fp.name: float(x)}).loss
                slice_rows.append({"parameter": fp.name, "value": float(x), "loss": loss})
            if progress:
                progress("slices", i + 1, len(fit))
    slice_df = pd.DataFrame(slice_rows, columns=["parameter", "value", "loss"])

    table = pd.DataFrame(records)
    near = near_best(table, best_eval.loss, delta)
    partners = trade_offs(near, fit)
    idents = []
    for fp in fit:
        s = slice_df[slice_df.parameter == fp.name]
        if len(s):
            ok = s[s.loss <= s.loss.min() + delta]
            lo, hi = float(ok.value.min()), float(ok.value.max())
            width = fp.position(hi) - fp.position(lo) if len(ok) > 1 else 1.0 / (settings.slice_points - 1)
        else:
            lo, hi, width = fp.low, fp.high, 1.0
        slo, shi = float(near[fp.name].min()), float(near[fp.name].max())
        spread = fp.position(shi) - fp.position(slo)
        idents.append(
            Identifiability(
                fp.name,
                best[fp.name],
                lo,
                hi,
                width,
                slo,
                shi,
                spread,
                _verdict(fp, lo, hi, width, spread),
                partners.get(fp.name, ""),
            )
        )
    # A parameter that trades off with one the data do not pin is only pinned jointly with it.
    by_name = {i.parameter: i for i in idents}
    for i in idents:
        partner = i.trades_off.split(" (")[0]
        if i.verdict == "identified" and partner in by_name and by_name[partner].verdict != "identified":
            i.verdict = "ridge"
    near_out = pd.DataFrame(
        [
            {
                "output": k,
                "best": best_eval.outputs[k],
                "min": float(near[f"out:{k}"].min()),
                "max": float(near[f"out:{k}"].max()),
            }
            for k in OUTPUTS
        ]
    )

    # The set to write: parameters the data do not pin keep the scenario's value if it fits. Keeping them
    # all at once may not fit (they trade off against each other); then fewer are kept, weakest first.
    final, final_eval = dict(best), best_eval
    verdict = {i.parameter: i.verdict for i in idents}
    kept: dict[str, float] = {}
    notes: list[str] = []
    if not write_all and slices and refit:
        candidates = kept_at_base(idents, base_values)
        tried: list[dict] = []
        for level in (2, 1, 0):
            keep = {k: v for k, v in candidates.items() if WEAKNESS[verdict[k]] <= level}
            if not keep or keep in tried:
                continue
            tried.append(keep)
            free = [fp for fp in fit if fp.name not in keep]
            if free:
                number = _search(
                    objective,
                    free,
                    keep,
                    max(10, trials // 4),
                    seed + 1 + len(tried),
                    best,
                    "refit",
                    records,
                    evals,
                    progress,
                )
                cand, cand_eval = {fp.name: float(records[number][fp.name]) for fp in fit}, evals[number]
            else:
                cand, cand_eval = dict(keep), objective.evaluate(keep)
            if cand_eval.loss <= best_eval.loss + delta:
                final, final_eval, kept = cand, cand_eval, keep
                notes.append(f"kept at the base scenario's values: {', '.join(keep)} (refit loss {cand_eval.loss:.3g})")
                break
            notes.append(
                f"keeping {', '.join(keep)} at the base scenario's values does not fit (refit loss "
                f"{cand_eval.loss:.3g} > best + delta = {best_eval.loss + delta:.3g})"
            )
    reason = {}
    for fp in fit:
        v = verdict.get(fp.name, "no slices")
        if fp.name in kept:
            reason[fp.name] = f"kept from the base scenario ({v}; the base value lies in its slice interval and fits)"
        else:
            reason[fp.name] = f"fitted ({v})" + (" with the kept parameters held" if kept else "")
    table = pd.DataFrame(records)
    verify = None
    if settings.verify_scale > 0:
        # The same set at a larger scale: queue outputs (unique clients, waits, drops) depend on run.scale.
        check = Objective(
            city, scenario.params(), fit, targets, counts, replace(settings, scale=settings.verify_scale), seeds[:1]
        )
        check.target_var, check.count_cv2 = objective.target_var, objective.count_cv2
        verify = check.evaluate(final)
        if progress:
            progress("verify", 1, 1)
    return CalibrationResult(
        scenario,
        fit,
        settings,
        seed,
        seeds,
        table,
        best,
        best_eval,
        start_eval,
        noise_sd,
        delta,
        slice_df,
        idents,
        near_out,
        counts,
        use_face,
        base_values,
        final,
        final_eval,
        reason,
        verify,
        notes,
    )


# ---- reporting and the calibrated scenario file -----------------------------------------------------
def _g(x: float) -> str:
    return f"{x:.4g}"


def report(result: CalibrationResult) -> str:
    r = result
    n_refit = int((r.trials.phase == "refit").sum())
    lines = [
        f"Calibration of '{r.scenario.name}': {len(r.trials) - n_refit} search trials (--trials) + {n_refit} "
        f"refit trials (optuna TPE, seed {r.seed}); each trial "
        f"{r.settings.replications} model seed(s), the same for every trial, scale {r.settings.scale:g}"
    ]
    basis = []
    if r.use_face:
        basis.append("face targets (analysis/validation/targets.toml, weight > 0)")
    if r.counts is not None:
        basis.append(
            f"counts {r.counts.path} ({len(r.counts.table)} rows per {r.counts.level}, "
            f"{', '.join(r.counts.measures)}; relative error {r.settings.relative_error:g})"
        )
    lines.append("Fitted to: " + " + ".join(basis))
    lines.append(
        f"Loss: start {r.start_eval.loss:.3g} -> best {r.best_eval.loss:.3g}; Monte Carlo noise SD at the "
        f"best point {r.noise_sd:.3g} (other seeds); threshold delta = {r.delta:.3g}"
    )
    lines.append("")
    w = max(len(i.parameter) for i in r.identifiability)
    lines.append(
        f"{'parameter':<{w}}  {'start':>8}  {'best':>8}  {'slice interval (delta)':<24}  "
        f"{'near-best spread':<20}  verdict"
    )
    for i in r.identifiability:
        lines.append(
            f"{i.parameter:<{w}}  {_g(r.base_values[i.parameter]):>8}  {_g(i.best):>8}  "
            f"{_g(i.slice_low) + ' to ' + _g(i.slice_high) + f' ({100 * i.slice_width:.0f}%)':<24}  "
            f"{_g(i.spread_low) + ' to ' + _g(i.spread_high) + f' ({100 * i.spread_width:.0f}%)':<20}  "
            f"{i.verdict}" + (f"; trades off with {i.trades_off}" if i.trades_off else "")
        )
    search = r.trials[r.trials.phase == "search"]
    lines.append(
        "(% = share of the search range; near-best = search trials with loss <= best + delta, at least the "
        f"best 10%: {len(near_best(search, r.best_eval.loss, r.delta))} of {len(search)}; trades off = rank "
        "correlation |r| >= 0.6 over them)"
    )
    lines += [
        "In plain words:",
        "  slice interval   the values this parameter can take, the others held at the best set, and still fit",
        "                   about as well as the best (loss within delta, i.e. within the Monte Carlo noise);",
        "  near-best spread the values it takes among the trials that fit about as well as the best;",
        "  identified       both are narrow: the data pin this parameter;",
        "  ridge            alone it looks pinned, but together with another parameter it can move a long way",
        "                   (e.g. more episodes and less help-seeking give the same counts): the data pin a",
        "                   combination, not the parameter;",
        "  one-sided        the data give only a lower or only an upper bound;",
        "  not identified   nearly any value in the search range fits.",
    ]
    lines.append("")
    final_loss = r.final_eval.loss if r.final_eval is not None else r.best_eval.loss
    for note in r.notes:
        lines.append(f"Refit: {note}")
    lines.append(f"Calibrated set (loss {final_loss:.3g}):")
    for name, v in r.final.items():
        lines.append(f"  {name:<{w}} = {_g(v):<8}  {r.final_reason.get(name, '')}")
    lines.append("")
    lines.append("Outputs of the first year over the near-best trials (whole city):")
    for _, row in r.near_best_outputs.iterrows():
        lines.append(
            f"  {row.output:<24} best {row['best']:>10,.1f}   range {row['min']:>10,.1f} to {row['max']:>10,.1f}"
        )
    fe = r.final_eval or r.best_eval
    lines.append("")
    head = f"Loss contributions of the calibrated set at scale {r.settings.scale:g}"
    if r.verify_eval is not None:
        head += f" and, one seed, at scale {r.settings.verify_scale:g} (total {r.verify_eval.loss:.3g})"
    lines.append(head + ":")
    for k, v in sorted(fe.parts.items(), key=lambda kv: -kv[1]):
        name = k.split(":", 1)[1]
        text = f"  {k:<36} {v:8.3g}"
        if k.startswith("target:"):
            text += f"   simulated {fe.targets[name]:.4g}"
        if r.verify_eval is not None:
            text += f"   | {r.verify_eval.parts.get(k, math.nan):8.3g}"
            if k.startswith("target:"):
                text += f"   simulated {r.verify_eval.targets[name]:.4g}"
        lines.append(text)
    return "\n".join(lines)


def _base_reference(scenario: Scenario, out: Path) -> str:
    """How the calibrated file names its base: `base = "baseline"` for a shipped scenario or one next to it
    (the loader finds both by name), else a path relative to the written file (the loader resolves `base`
    next to the scenario file), so the pair can be moved or shared together."""
    import os

    from scenarios.loader import SCENARIO_DIR

    src = scenario.path.resolve()
    here = out.resolve().parent
    if (here / f"{src.stem}.toml") == src or (
        src.parent == SCENARIO_DIR.resolve() and not (here / f"{src.stem}.toml").exists()
    ):
        return src.stem
    try:
        return Path(os.path.relpath(src, here)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return str(src)


def write_scenario(
    result: CalibrationResult, out: str | Path, name: str | None = None, command: str | None = None
) -> Path:
    """Write the calibrated parameter set as a scenario file based on the calibrated scenario."""
    r = result
    out = Path(out)
    name = name or out.stem
    values = dict(r.final)
    reasons = dict(r.final_reason)
    base_min = r.scenario.params()["demand.seek_help_min"]
    if (
        "demand.seek_help_max" in values
        and values["demand.seek_help_max"] < base_min
        and "demand.seek_help_min" not in values
    ):
        values["demand.seek_help_min"] = values["demand.seek_help_max"]
        reasons["demand.seek_help_min"] = "lowered to seek_help_max (the model runs used min <= max)"
    lines = [
        f"# Calibrated hidden parameters for '{r.scenario.name}', written by `welzijnsim calibrate`.",
        f"# Command: {command}" if command else "#",
        f"# Method: optuna TPE (seed {r.seed}), {len(r.trials)} trials; every trial ran the same "
        f"{r.settings.replications} model seed(s) (common random numbers) at run.scale {r.settings.scale:g}.",
        "# Loss: sum of squared standardised distances to "
        + ("the face targets of analysis/validation/targets.toml" if r.use_face else "")
        + (" and " if r.use_face and r.counts is not None else "")
        + (f"the counts in {r.counts.path.name}" if r.counts is not None else "")
        + ".",
        f"# Best loss {r.best_eval.loss:.3g} (start {r.start_eval.loss:.3g}); this set "
        f"{(r.final_eval or r.best_eval).loss:.3g}; Monte Carlo noise SD {r.noise_sd:.3g}; delta {r.delta:.3g}.",
        *[f"# Refit: {note}." for note in r.notes],
        "# Identifiability (slice interval within delta of the best loss | spread of the near-best trials):",
    ]
    for i in r.identifiability:
        lines.append(
            f"#   {i.parameter}: {i.verdict}; slice {_g(i.slice_low)}-{_g(i.slice_high)}, "
            f"near-best {_g(i.spread_low)}-{_g(i.spread_high)}"
            + (f"; trades off with {i.trades_off}" if i.trades_off else "")
        )
    lines.append("# Counted contacts are capacity-bound at today's staffing (docs/model.md §9.1), so they do not")
    lines.append(
        "# identify demand. Parameters the data do not pin keep the base scenario's value where that still fits"
    )
    lines.append("# (see Refit above). See docs/validation.md for the method and what the targets can and cannot say.")
    lines += [
        "",
        "[scenario]",
        f'name = "{name}"',
        f'question = "{r.scenario.meta.question or r.scenario.name}, with calibrated hidden parameters"',
        f'base = "{_base_reference(r.scenario, out)}"',
    ]
    groups: dict[str, list[str]] = {}
    for pname, v in values.items():
        group, key = pname.split(".", 1)
        groups.setdefault(group, []).append(f"{key} = {float(f'{v:.4g}')!r}   # {reasons.get(pname, 'fitted')}")
    for group, entries in groups.items():
        lines += ["", f"[{group}]", *entries]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out


def default_out(scenario: Scenario) -> Path:
    return Path("results") / "calibration" / f"{scenario.name}-calibrated.toml"


__all__ = [
    "CalibrationError",
    "Counts",
    "FitParameter",
    "Settings",
    "calibrate",
    "load_settings",
    "parse_param",
    "read_counts",
    "report",
    "write_scenario",
    "counts_from_measurements",
    "SCENARIO_DIR",
    "TargetError",
]


# ---- the counts schema of the uniform registration (issue 9) --------------------------------------------------
QUARTERLY_COLUMNS = (
    "year",
    "quarter",
    "servicepunt",
    "visits",
    "unique_clients",
    "new_requests",
    *REFERRAL_FLOWS,
    "first_within_2_weeks",
    "waiting_first_end",
)


def example_counts(
    scenario: Scenario, seed: int | None = None, scale: float = 1.0, years: int = 1, params: dict | None = None
) -> pd.DataFrame:
    """Synthetic counts in the quarterly per-Servicepunt XL layout, made by the model (one run of `scenario`,
    first `years` reported years, whole numbers), with a `source` column saying so."""
    p = {**scenario.params(), "run.scale": scale, "run.years": years, **(params or {})}
    m = simulate(scenario.city(), p, scenario.meta.seed if seed is None else seed)
    measures = [ALIASES.get(c, c) for c in QUARTERLY_COLUMNS[3:]]
    out = counts_from_measurements([m], "service_point_quarter", measures)
    out[out.columns[3:]] = out[out.columns[3:]].round().astype(int)
    out["source"] = f"synthetic: welzijnsim {scenario.name}, seed {m.seed}, scale {scale:g}"
    return out[[*QUARTERLY_COLUMNS, "source"]]


def _main(argv: list[str] | None = None) -> int:
    """``python -m analysis.calibration.calibration --example-counts FILE [--scale S]`` writes synthetic counts in the
    quarterly layout of the uniform registration (docs/validation.md, "Municipality counts")."""
    import argparse

    from scenarios.loader import load_scenario

    ap = argparse.ArgumentParser(prog="python -m analysis.calibration.calibration", description=_main.__doc__)
    ap.add_argument("--example-counts", metavar="FILE", required=True)
    ap.add_argument("--scenario", default="scenarios/baseline.toml")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args(argv)
    frame = example_counts(load_scenario(args.scenario), args.seed, args.scale)
    frame.to_csv(args.example_counts, index=False)
    print(
        f"{args.example_counts}: {len(frame)} rows ({frame.servicepunt.nunique()} Servicepunten XL x "
        f"{frame.quarter.nunique()} quarters)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
