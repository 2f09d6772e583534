"""Face validation: the model's outputs against the sourced figures of figures.md (`welzijnsim check-model`).

Targets are data (`analysis/validation/targets.toml`): a label, a source, a band [low, high], an optional central
value and how to compute the simulated value from the city's yearly measurement table. That table is
`RunResults.annual("city")` plus the derived columns in `DERIVED`, which need the model itself (the
per-resident contacts of the year, the worker head count, the youth band). Runs are measured year by
year, so the model is stepped here instead of through `run_model`; a run is only as long as the last
measured year needs (the years after it cannot change it).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from sim.agents import SupportWorker
from sim.city import City
from sim.model import WelzijnModel
from sim.streams import replication_seeds

TARGETS_FILE = Path(__file__).with_name("targets.toml")

# Columns added to the annual city table (and, where they make sense, the stadsdeel table).
DERIVED = {
    "unregistered_population": "actual_population - registered_population",
    "support_workers": "head count of filled individual-support posts at the end of the year",
    "fte_jongerenwerk": "filled jongerenwerk FTE x the year's funded factor, at the end of the year",
    "youths_12_23": "residents aged 12-23 (registered and not) at the end of the year, whole city",
    "top25_contact_share": "share of the year's contacts made by the 25% of that year's clients with most contacts",
    "clients_for_half_of_contacts": "smallest share of the year's clients that together made half of its contacts",
    "self_solved_share": "self_solved / new_episodes",
    "solved_at_first_contact_share": "solved_first_contact / first_contacts (triage, issue 9)",
    "first_within_2_weeks": "first contacts in the year after a wait of at most 2 whole weeks",
}


class TargetError(ValueError):
    """The targets file is invalid. The message names the file and the field."""


# ---- the targets file ----------------------------------------------------------------------------
class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    source: str = Field(min_length=1)
    column: str
    per: str | None = None
    value: float | None = None
    low: float
    high: float
    format: str = Field(default="ratio", pattern=r"^(count|share|ratio)$")
    weight: float = Field(default=1.0, ge=0.0)

    @field_validator("high")
    @classmethod
    def _band(cls, high: float, info: ValidationInfo) -> float:
        low = info.data.get("low")
        if low is not None and not low < high:
            raise ValueError(f"must be above low ({low})")
        return high

    @model_validator(mode="after")
    def _value_in_band(self) -> Target:
        if self.value is not None and not self.low <= self.value <= self.high:
            raise PydanticCustomError(
                "value_outside_band",
                "field 'value' ({value}) must lie in [low, high] = [{low}, {high}]",
                {"value": self.value, "low": self.low, "high": self.high},
            )
        return self

    def z(self, simulated: float, mc_sd: float = 0.0) -> float:
        """Standardised distance used by calibration (see targets.toml): 0 at `value` or inside a flat band.
        `mc_sd` is the Monte Carlo error of the simulated value; it widens the band's sigma."""
        if simulated is None or not np.isfinite(simulated):
            return math.inf
        if self.value is not None:
            half = (self.value - self.low) if simulated < self.value else (self.high - self.value)
            return (simulated - self.value) / math.hypot(half, mc_sd) if half > 0 or mc_sd > 0 else 0.0
        half = math.hypot((self.high - self.low) / 2.0, mc_sd)
        if simulated < self.low:
            return (simulated - self.low) / half
        if simulated > self.high:
            return (simulated - self.high) / half
        return 0.0

    def status(self, simulated: float) -> str:
        if simulated is None or not np.isfinite(simulated):
            return "n/a"
        if simulated < self.low:
            return "LOW"
        if simulated > self.high:
            return "HIGH"
        return "ok"

    def fmt(self, x: float) -> str:
        if x is None or not np.isfinite(x):
            return "n/a"
        if self.format == "share":
            return f"{100 * x:.1f}%"
        if self.format == "count":
            return f"{x:,.0f}"
        return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


class _TargetsFile(BaseModel):
    model_config = ConfigDict(extra="allow")

    target: list[Target]


def load_targets(path: str | Path | None = None) -> list[Target]:
    """The targets of `path` (default: targets.toml beside this module), validated; TargetError names file and
    field."""
    path = Path(path) if path else TARGETS_FILE
    raw = _read_toml(path)
    try:
        targets = _TargetsFile(**raw).target
    except ValidationError as exc:
        raise TargetError(_format_errors(path, exc, raw)) from exc
    names = [t.name for t in targets]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise TargetError(f"{path}: target name(s) used twice: {', '.join(dup)}")
    return targets


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TargetError(f"{path}: file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TargetError(f"{path}: not a valid UTF-8 TOML file: {exc}") from exc


def _format_errors(path: Path, exc: ValidationError, raw: dict) -> str:
    msgs = []
    for e in exc.errors():
        loc = list(e["loc"])
        where = ".".join(str(x) for x in loc)
        if len(loc) >= 2 and loc[0] == "target" and isinstance(loc[1], int):
            items = raw.get("target", [])
            name = items[loc[1]].get("name", "?") if loc[1] < len(items) and isinstance(items[loc[1]], dict) else "?"
            field_ = ".".join(str(x) for x in loc[2:]) or "(target)"
            where = f"target #{loc[1] + 1} ('{name}'), field '{field_}'"
        else:
            where = f"field '{where}'"
        found = e.get("input")
        msgs.append(f"{path}: {where}: {e['msg']}" + ("" if isinstance(found, dict) else f" (found {found!r})"))
    return "\n".join(msgs)


# ---- measuring a run -----------------------------------------------------------------------------
@dataclass
class Measurement:
    """One run, measured: yearly tables per level with the derived columns (whole-city counts)."""

    seed: int
    city: pd.DataFrame
    stadsdeel: pd.DataFrame
    service_point: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)
    quarterly: pd.DataFrame | None = None  # per Servicepunt XL and quarter (the uniform registration, issue 9)

    def table(self, level: str) -> pd.DataFrame:
        if level == "service_point_quarter":
            return self.quarterly
        return {"city": self.city, "stadsdeel": self.stadsdeel, "service_point": self.service_point}[level]


def contact_concentration(contacts: np.ndarray) -> tuple[float, float]:
    """(share of contacts by the top 25% of clients, share of clients making half the contacts).

    `contacts` are the contacts of each resident in one year; clients are residents with at least one.
    """
    c = np.sort(contacts[contacts > 0])[::-1].astype(float)
    if len(c) == 0:
        return math.nan, math.nan
    total = c.sum()
    top = c[: max(1, math.ceil(0.25 * len(c)))].sum() / total
    half = (np.searchsorted(np.cumsum(c), 0.5 * total) + 1) / len(c)
    return float(top), float(half)


def _year_extra(model: WelzijnModel, contacts_before: np.ndarray, y: int) -> dict[str, float]:
    pop = model.population
    scale = model.params["run.scale"]
    during = pop.contacts.astype(np.int64).copy()
    during[: len(contacts_before)] -= contacts_before
    top, half = contact_concentration(during)
    workers = [w for w in model.agents_by_type.get(SupportWorker, []) if not w.vacant]
    factor = float(model.fte_factor_by_year[y])
    return {
        "support_workers": float(len(workers)),
        "fte_jongerenwerk": float(model.area_fte_by_type()["jongerenwerk"].sum()) * factor,
        "youths_12_23": float(np.sum(pop.age_band == 1)) / scale,
        "top25_contact_share": top,
        "clients_for_half_of_contacts": half,
    }


def _add_derived(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["unregistered_population"] = df["actual_population"] - df["registered_population"]
    with np.errstate(invalid="ignore", divide="ignore"):
        df["self_solved_share"] = df["self_solved"] / df["new_episodes"]
        df["solved_at_first_contact_share"] = df["solved_first_contact"] / df["first_contacts"]
    return df


def simulate(city: City, params: dict, seed: int, last_year: int | None = None) -> Measurement:
    """Run `params` with `seed` up to the end of reported year index `last_year` (default: all years)
    and measure every reported year. The run is cut after `last_year`: later years cannot change it."""
    params = dict(params)
    years = params["run.years"] if last_year is None else min(params["run.years"], last_year + 1)
    params["run.years"] = years
    model = WelzijnModel(city, params, seed)
    while model.week < 0:  # warm-up, not reported
        model.step()
    extras = []
    for y in range(years):
        before = model.population.contacts.astype(np.int64).copy()
        for _ in range(52):
            model.step()
        extras.append(_year_extra(model, before, y))
    res = model.results
    city_df = _add_derived(res.annual("city"))
    for key in extras[0]:
        city_df[key] = [e[key] for e in extras]
    return Measurement(
        seed=int(seed),
        city=city_df,
        stadsdeel=_add_derived(res.annual("stadsdeel")),
        service_point=res.annual("service_point"),
        quarterly=res.quarterly("service_point"),
    )


def check_columns(targets: list[Target], table: pd.DataFrame, where: str) -> None:
    """TargetError if a target asks for a column the measurement table does not have."""
    for t in targets:
        for key, col in (("column", t.column), ("per", t.per)):
            if col is not None and col not in table.columns:
                raise TargetError(
                    f"{where}: target '{t.name}', field '{key}' = {col!r}: no such column in the city's yearly "
                    f"table. Available: {', '.join(sorted(table.columns))}"
                )


def evaluate(target: Target, row: pd.Series) -> float:
    """The simulated value of `target` in one measured year (row of the city table)."""
    num = float(row[target.column])
    if target.per is None:
        return num
    den = float(row[target.per])
    return num / den if den else math.nan


@dataclass
class CheckResult:
    scenario: str
    year: int
    scale: float
    seeds: list[int]
    targets: list[Target]
    values: np.ndarray  # (replications, targets)

    @property
    def mean(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.nanmean(self.values, axis=0) if len(self.values) else np.array([])

    def frame(self) -> pd.DataFrame:
        rows = []
        for j, t in enumerate(self.targets):
            v = self.values[:, j]
            m = float(self.mean[j])
            rows.append(
                {
                    "target": t.name,
                    "label": t.label,
                    "simulated": m,
                    "band_low": float(np.nanmin(v)) if np.isfinite(v).any() else math.nan,
                    "band_high": float(np.nanmax(v)) if np.isfinite(v).any() else math.nan,
                    "low": t.low,
                    "high": t.high,
                    "value": t.value,
                    "status": t.status(m),
                    "source": t.source,
                }
            )
        return pd.DataFrame(rows)

    @property
    def in_range(self) -> int:
        return int(sum(t.status(m) == "ok" for t, m in zip(self.targets, self.mean)))


def check_model(
    city: City,
    params: dict,
    seed: int,
    replications: int,
    year_index: int = 0,
    targets: list[Target] | None = None,
    targets_path: str | Path | None = None,
    scenario: str = "scenario",
    progress=None,
) -> CheckResult:
    """Run `replications` seeds (derived from `seed` as in `welzijnsim run`) and evaluate every target in
    reported year `year_index`."""
    targets = targets if targets is not None else load_targets(targets_path)
    seeds = replication_seeds(seed, replications)
    values = np.full((replications, len(targets)), math.nan)
    for i, s in enumerate(seeds):
        m = simulate(city, params, s, last_year=year_index)
        if i == 0:
            check_columns(targets, m.city, str(targets_path or TARGETS_FILE))
        row = m.city.iloc[year_index]
        values[i] = [evaluate(t, row) for t in targets]
        if progress:
            progress(i + 1, replications)
    return CheckResult(
        scenario, int(params["run.start_year"]) + year_index, float(params["run.scale"]), seeds, targets, values
    )


# ---- printing ------------------------------------------------------------------------------------
def _simulated_text(t: Target, v: np.ndarray, mean: float) -> str:
    text = t.fmt(mean)
    if len(v) > 1 and np.isfinite(v).any():
        text += f" ({t.fmt(float(np.nanmin(v)))} to {t.fmt(float(np.nanmax(v)))})"
    return text


def _range_text(t: Target) -> str:
    text = f"{t.fmt(t.low)} to {t.fmt(t.high)}"
    return text + (f", central {t.fmt(t.value)}" if t.value is not None else "")


def format_check(result: CheckResult, markdown: bool = False) -> str:
    """The check as text: one block per target (label, simulated, range, status, source), or a Markdown table."""
    reps = len(result.seeds)
    band = "mean (min to max over replications)" if reps > 1 else "one replication"
    head = (
        f"Face validation of '{result.scenario}', {result.year} (scale {result.scale:g}, {reps} "
        f"replication(s); simulated = {band})"
    )
    mean = result.mean
    if markdown:
        lines = [head, "", "| Target | Simulated | Range | In range | Source |", "|---|---|---|---|---|"]
        for j, t in enumerate(result.targets):
            lines.append(
                f"| {t.label} (`{t.name}`) | {_simulated_text(t, result.values[:, j], mean[j])} | "
                f"{_range_text(t)} | {t.status(mean[j])} | {t.source} |"
            )
    else:
        w = max(len(t.label) for t in result.targets)
        sim = [_simulated_text(t, result.values[:, j], mean[j]) for j, t in enumerate(result.targets)]
        ws = max(len("simulated"), *(len(s) for s in sim))
        rng = [_range_text(t) for t in result.targets]
        wr = max(len("range"), *(len(r) for r in rng))
        lines = [head, "", f"{'target':<{w}}  {'simulated':<{ws}}  {'range':<{wr}}  in range"]
        for j, t in enumerate(result.targets):
            lines.append(f"{t.label:<{w}}  {sim[j]:<{ws}}  {rng[j]:<{wr}}  {t.status(mean[j])}")
            lines.append(f"    [{t.name}] source: {t.source}")
    lines.append("")
    lines.append(f"{result.in_range} of {len(result.targets)} targets in range.")
    return "\n".join(lines)
