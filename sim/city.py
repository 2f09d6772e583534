"""City data sets: load, check and derive what the model needs from `sim/data/<city>.toml`.

A city is data, not code. This module turns the file into a `City`: registered population per
stadsdeel scaled to the city total, unregistered residents per stadsdeel and kind as ranges, and
today's welfare FTE per stadsdeel and type derived from the budget (an estimate, flagged as such).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DATA_DIR = Path(__file__).parent / "data"

AGE_BANDS = ("0-11", "12-23", "24-64", "65-74", "75+")
WORK_TYPES = ("individual_support", "jongerenwerk", "opbouwwerk", "ouderenwerk")
AREA_WORK_TYPES = WORK_TYPES[1:]
NON_STAFF_ITEMS = ("accommodation", "activities", "volunteer_support")


class CityDataError(ValueError):
    """A city data file is missing, unreadable or violates its schema."""


class _Strict(BaseModel):
    # allow_inf_nan=False: a NaN or infinite number anywhere in the file is an error, never a silent zero
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


MAX_PERSONS = 100_000_000  # a generous bound on a city's residents (guards memory: residents are array rows)


def _number(
    q: Quantity, low: float | None = None, high: float | None = None, *, positive: bool = False, whole: bool = False
) -> Quantity:
    """One finite number (not a list) in range; `whole` for counts (wijken, sites, persons)."""
    v = q.value
    if isinstance(v, list):
        raise ValueError(f"must be a single number, not a list ({len(v)} values)")
    if whole and not float(v).is_integer():
        raise ValueError("must be a whole number")
    if positive and not v > 0:
        raise ValueError("must be above 0")
    if (low is not None and v < low) or (high is not None and v > high):
        raise ValueError(f"must be in [{low:g}, {high:g}]")
    return q


class Quantity(_Strict):
    """One sourced number (or list of numbers): what it is, in what unit, and where it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    value: float | list[float]
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)
    # An estimate's plausible range: [low, high], or one [low, high] per element of a list value.
    range: list[float] | list[list[float]] | None = None

    @model_validator(mode="after")
    def _range_fits(self) -> Quantity:
        """A plausible range is [low, high] with low <= value <= high (one pair per element of a list value)."""
        if self.range is None:
            return self
        values = self.value if isinstance(self.value, list) else [self.value]
        pairs = self.range if isinstance(self.value, list) else [self.range]
        if len(pairs) != len(values) or any(not isinstance(r, list) or len(r) != 2 for r in pairs):
            raise ValueError(f"range must be [low, high]{' per element of value' if len(values) > 1 else ''}")
        for v, (lo, hi) in zip(values, pairs):
            if not lo <= v <= hi:
                raise ValueError(f"range [{lo:g}, {hi:g}] must contain the value {v:g} (low <= value <= high)")
        return self

    @field_validator("value", mode="before")
    @classmethod
    def _numbers_only(cls, v: Any) -> Any:
        # pydantic would read true as 1 and "12" as 12.0: in a data file those are mistakes
        items = v if isinstance(v, list) else [v]
        if any(isinstance(x, (bool, str)) for x in items):
            raise ValueError("must be a number (or a list of numbers), not true/false or text")
        return v

    @property
    def is_estimate(self) -> bool:
        return self.source.lower().startswith("estimate")


def _shares(q: Quantity, n: int, name: str) -> Quantity:
    if not isinstance(q.value, list) or len(q.value) != n:
        raise ValueError(f"{name} must be a list of {n} shares")
    if any(v < 0 for v in q.value) or abs(sum(q.value) - 1.0) > 1e-6:
        raise ValueError(f"{name} must be non-negative and sum to 1 (sum is {sum(q.value):.4f})")
    return q


def _share(q: Quantity) -> Quantity:
    if isinstance(q.value, list) or not 0.0 <= q.value <= 1.0:
        raise ValueError("must be a single share between 0 and 1")
    return q


def _text(path: Path) -> str:
    """The file's text; any failure to read it is a CityDataError naming the file."""
    try:
        return path.read_text(encoding="utf-8-sig")  # -sig: accept a byte-order mark
    except UnicodeDecodeError as exc:
        raise CityDataError(
            f"{path}: not a UTF-8 text file (byte {exc.start}: {exc.reason}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise CityDataError(f"{path}: cannot read the city data file ({exc.strerror})") from None


def _toml(path: Path, text: str) -> dict[str, Any]:
    """The file's TOML; any failure to parse it is a CityDataError naming the file."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CityDataError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise CityDataError(f"{path}: not usable TOML: arrays or inline tables nested too deeply") from None
    except ValueError:
        raise CityDataError(f"{path}: not usable TOML: a number with thousands of digits") from None


class _CityBlock(_Strict):
    name: str = Field(min_length=1)
    year: int = Field(ge=1900, le=2100)
    registered_population: Quantity
    scale_stadsdelen_to_city_total: bool = True

    @field_validator("registered_population")
    @classmethod
    def _persons(cls, q: Quantity) -> Quantity:
        return _number(q, 1, MAX_PERSONS, positive=True, whole=True)


class _Budget(_Strict):
    welfare_subsidies: Quantity
    area_based_welfare: Quantity
    area_based_staff_share: Quantity
    area_based_type_shares: Quantity
    sociale_basis_years: list[int]
    sociale_basis: Quantity
    integral_cost_per_fte: Quantity
    # The rest of the area-based line (not staff): accommodation / community centres, activities, volunteer
    # and informal support; with area_based_staff_share it sums to 1. Individual support's staff share.
    area_based_non_staff_shares: Quantity | None = None
    individual_support_staff_share: Quantity | None = None

    @model_validator(mode="after")
    def _sociale_basis(self) -> _Budget:
        v = self.sociale_basis.value
        if not isinstance(v, list) or len(v) != len(self.sociale_basis_years) or min(v) <= 0:
            raise ValueError("sociale_basis needs one positive amount per entry of sociale_basis_years")
        if self.sociale_basis_years != sorted(set(self.sociale_basis_years)):
            raise ValueError("sociale_basis_years must be increasing")
        return self

    @model_validator(mode="after")
    def _non_staff(self) -> _Budget:
        q = self.area_based_non_staff_shares
        if q is not None:
            v = q.value if isinstance(q.value, list) else [q.value]
            if len(v) != len(NON_STAFF_ITEMS) or min(v) < 0:
                raise ValueError(
                    f"area_based_non_staff_shares needs {len(NON_STAFF_ITEMS)} non-negative shares "
                    f"({', '.join(NON_STAFF_ITEMS)})"
                )
            total = sum(v) + float(self.area_based_staff_share.value)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(
                    f"area_based_staff_share + area_based_non_staff_shares must sum to 1 (sum is {total:.4f})"
                )
        return self

    @field_validator("individual_support_staff_share")
    @classmethod
    def _individual_staff_share(cls, q: Quantity | None) -> Quantity | None:
        if q is not None:
            _share(q)
            if float(q.value) <= 0:
                raise ValueError("must be a share above 0 and at most 1")
        return q

    @field_validator("area_based_type_shares")
    @classmethod
    def _type_shares(cls, q: Quantity) -> Quantity:
        return _shares(q, len(AREA_WORK_TYPES), "area_based_type_shares")

    @field_validator("area_based_staff_share")
    @classmethod
    def _staff_share(cls, q: Quantity) -> Quantity:
        return _share(q)

    @field_validator("welfare_subsidies", "area_based_welfare")
    @classmethod
    def _money(cls, q: Quantity) -> Quantity:
        return _number(q, 0, 1e12)

    @field_validator("integral_cost_per_fte")
    @classmethod
    def _cost(cls, q: Quantity) -> Quantity:
        return _number(q, 1, 1e7, positive=True)

    @field_validator("sociale_basis")
    @classmethod
    def _sociale_basis_range(cls, q: Quantity) -> Quantity:
        if isinstance(q.value, list) and any(not 0 < v <= 1e12 for v in q.value):
            raise ValueError("every amount must be above 0 and at most 1e12 EUR")
        return q

    @model_validator(mode="after")
    def _individual_budget(self) -> _Budget:
        # Individual support is paid from the welfare subsidies outside the area-based line (fte_at_cost).
        if not self.welfare_subsidies.value > self.area_based_welfare.value:
            raise ValueError(
                f"budget.welfare_subsidies ({self.welfare_subsidies.value:,.0f}) must be larger than "
                f"budget.area_based_welfare ({self.area_based_welfare.value:,.0f}): the difference pays individual "
                "support and would be zero or negative"
            )
        return self


class _Unregistered(_Strict):
    kind_names: list[str]
    kind_shares: Quantity

    @model_validator(mode="after")
    def _kinds(self) -> _Unregistered:
        _shares(self.kind_shares, len(self.kind_names), "kind_shares")
        return self


class _Servicepunten(_Strict):
    total: Quantity
    visits_per_year_2016: Quantity

    @field_validator("total")
    @classmethod
    def _sites(cls, q: Quantity) -> Quantity:
        return _number(q, 1, 10_000, positive=True, whole=True)

    @field_validator("visits_per_year_2016")
    @classmethod
    def _visits(cls, q: Quantity) -> Quantity:
        return _number(q, 0, 1e9)


class _Stadsdeel(_Strict):
    name: str
    population: Quantity
    wijken: Quantity
    age_shares: Quantity
    living_alone: Quantity
    low_income: Quantity
    migration_background: Quantity
    unregistered_uplift: Quantity
    servicepunten: Quantity

    @field_validator("age_shares")
    @classmethod
    def _ages(cls, q: Quantity) -> Quantity:
        return _shares(q, len(AGE_BANDS), "age_shares")

    @field_validator("living_alone", "low_income", "migration_background")
    @classmethod
    def _one_share(cls, q: Quantity) -> Quantity:
        return _share(q)

    @field_validator("unregistered_uplift")
    @classmethod
    def _uplift(cls, q: Quantity) -> Quantity:
        v = q.value
        if not isinstance(v, list) or len(v) != 2 or not 0 <= v[0] <= v[1] <= 1:
            raise ValueError("must be a range [low, high] with 0 <= low <= high <= 1")
        return q

    @field_validator("population", "wijken", "servicepunten")
    @classmethod
    def _positive(cls, q: Quantity) -> Quantity:
        if isinstance(q.value, list) or q.value <= 0:
            raise ValueError("must be a single positive number")
        return q

    @field_validator("population")
    @classmethod
    def _persons(cls, q: Quantity) -> Quantity:
        return _number(q, 1, MAX_PERSONS, positive=True)

    @field_validator("wijken", "servicepunten")
    @classmethod
    def _count(cls, q: Quantity) -> Quantity:
        return _number(q, 1, 10_000, positive=True, whole=True)


class CityFile(_Strict):
    """The schema of a city data file."""

    city: _CityBlock
    budget: _Budget
    unregistered: _Unregistered
    servicepunten: _Servicepunten
    stadsdeel: list[_Stadsdeel] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CityFile:
        names = [s.name for s in self.stadsdeel]
        if len(set(names)) != len(names):
            raise ValueError("stadsdeel names must be unique")
        sites = sum(int(s.servicepunten.value) for s in self.stadsdeel)
        if sites != int(self.servicepunten.total.value):
            raise ValueError(
                f"servicepunten per stadsdeel sum to {sites}, but servicepunten.total is "
                f"{int(self.servicepunten.total.value)}"
            )
        return self


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to `weights` that sum exactly to `total`."""
    exact = total * weights / weights.sum()
    base = np.floor(exact).astype(np.int64)
    short = total - int(base.sum())
    base[np.argsort(-(exact - base), kind="stable")[:short]] += 1
    return base


@dataclass(frozen=True)
class City:
    """A loaded city: the raw file plus the derived tables the model uses."""

    source_file: Path
    data: CityFile

    @property
    def name(self) -> str:
        return self.data.city.name

    @property
    def stadsdelen(self) -> list[str]:
        return [s.name for s in self.data.stadsdeel]

    @property
    def kind_names(self) -> list[str]:
        return list(self.data.unregistered.kind_names)

    @cached_property
    def registered_population(self) -> np.ndarray:
        """Registered residents per stadsdeel (int), summing to the city total when scaling is on."""
        raw = np.array([s.population.value for s in self.data.stadsdeel], dtype=float)
        if not self.data.city.scale_stadsdelen_to_city_total:
            return raw.round().astype(np.int64)
        return _largest_remainder(int(self.data.city.registered_population.value), raw)

    @cached_property
    def age_shares(self) -> np.ndarray:
        return np.array([s.age_shares.value for s in self.data.stadsdeel], dtype=float)

    def share(self, field: str) -> np.ndarray:
        """A per-stadsdeel share column, e.g. ``share("low_income")``."""
        return np.array([getattr(s, field).value for s in self.data.stadsdeel], dtype=float)

    @cached_property
    def servicepunten_per_stadsdeel(self) -> np.ndarray:
        return np.array([int(s.servicepunten.value) for s in self.data.stadsdeel], dtype=np.int64)

    @cached_property
    def wijken(self) -> np.ndarray:
        return np.array([int(s.wijken.value) for s in self.data.stadsdeel], dtype=np.int64)

    @cached_property
    def unregistered_range(self) -> np.ndarray:
        """Unregistered residents, shape (stadsdeel, kind, 2) for [low, high] persons."""
        uplift = np.array([s.unregistered_uplift.value for s in self.data.stadsdeel], dtype=float)
        kinds = np.array(self.data.unregistered.kind_shares.value, dtype=float)
        reg = self.registered_population.astype(float)
        return reg[:, None, None] * uplift[:, None, :] * kinds[None, :, None]

    def unregistered_counts(self, position: float, factor: float = 1.0) -> np.ndarray:
        """Unregistered residents per (stadsdeel, kind) at `position` in [0, 1] of the range, × factor."""
        lo, hi = self.unregistered_range[..., 0], self.unregistered_range[..., 1]
        return np.round((lo + position * (hi - lo)) * factor).astype(np.int64)

    @property
    def cost_per_fte(self) -> float:
        return float(self.data.budget.integral_cost_per_fte.value)

    @cached_property
    def need_weight(self) -> np.ndarray:
        """Relative need per resident used to allocate today's staff: 0.5 + low-income share (estimate)."""
        return 0.5 + self.share("low_income")

    @cached_property
    def current_fte(self) -> np.ndarray:
        """Today's welfare FTE at the data file's cost per FTE; see `fte_at_cost`."""
        return self.fte_at_cost(self.cost_per_fte)

    def fte_at_cost(self, cost: float) -> np.ndarray:
        """Today's welfare FTE, shape (stadsdeel, WORK_TYPES). An estimate derived from the budget.

        Individual support is paid from the welfare subsidies outside the area-based line; the
        area-based line pays staff for its staff share, split by type. Each total is allocated over
        stadsdelen by the residents of the target group weighted by need.
        """
        b = self.data.budget
        individual = (b.welfare_subsidies.value - b.area_based_welfare.value) * self.individual_staff_share / cost
        area_total = b.area_based_welfare.value * b.area_based_staff_share.value / cost
        return self._allocate([individual] + [area_total * s for s in b.area_based_type_shares.value])

    def _allocate(self, type_totals: list[float]) -> np.ndarray:
        """City totals per WORK_TYPES over stadsdelen by the need-weighted residents of each target group."""
        pop = self.registered_population.astype(float)
        ages = self.age_shares
        weight = self.need_weight
        targets = [
            pop * weight,  # individual support: everyone, by need
            pop * ages[:, 1] * weight,  # jongerenwerk: 12-23
            pop * weight,  # opbouwwerk: everyone, by need
            pop * (ages[:, 3] + ages[:, 4]) * weight,  # ouderenwerk: 65+
        ]
        out = np.empty((len(pop), len(WORK_TYPES)))
        for j, (total, target) in enumerate(zip(type_totals, targets)):
            out[:, j] = total * target / target.sum()
        return out

    @property
    def individual_staff_share(self) -> float:
        q = self.data.budget.individual_support_staff_share
        return 1.0 if q is None else float(q.value)

    @property
    def non_staff_shares(self) -> np.ndarray:
        """Shares of the area-based line per NON_STAFF_ITEMS. A file without the split books the whole
        non-staff remainder as activities (it then shrinks with the last priority tier, protecting nothing)."""
        q = self.data.budget.area_based_non_staff_shares
        if q is None:
            out = np.zeros(len(NON_STAFF_ITEMS))
            out[NON_STAFF_ITEMS.index("activities")] = 1.0 - float(self.data.budget.area_based_staff_share.value)
            return out
        return np.array(q.value, dtype=float)

    def area_fte_today_range(self, cost: float) -> np.ndarray:
        """Today's area-based FTE per (stadsdeel, AREA_WORK_TYPES, [low, high]) from the estimate ranges of
        the staff share and the split by type (each end taken alone; central values elsewhere)."""
        b = self.data.budget
        staff = b.area_based_staff_share
        staff_lo, staff_hi = staff.range if staff.range else (staff.value, staff.value)
        types = b.area_based_type_shares
        ranges = types.range or [[v, v] for v in types.value]
        out = np.empty((len(self.stadsdelen), len(AREA_WORK_TYPES), 2))
        for j, (lo, hi) in enumerate(ranges):
            for e, (s, t) in enumerate(((staff_lo, lo), (staff_hi, hi))):
                totals = [0.0] * len(WORK_TYPES)
                totals[j + 1] = b.area_based_welfare.value * s * t / cost
                out[:, j, e] = self._allocate(totals)[:, j + 1]
        return out

    def budget_at_start(self, cost: float) -> dict[str, np.ndarray]:
        """The welfare budget of the start year split per stadsdeel (EUR/year): staff of each WORK_TYPES at
        today's FTE, and non-staff costs. Non-staff costs of the area-based line are allocated like its staff;
        individual support's (if any) like its staff. Sums to `welfare_subsidies`."""
        b = self.data.budget
        fte = self.fte_at_cost(cost)
        staff = fte * cost
        area_staff = staff[:, 1:].sum(axis=1)
        area_share = area_staff / area_staff.sum()
        ind_share = staff[:, 0] / staff[:, 0].sum()
        individual_total = b.welfare_subsidies.value - b.area_based_welfare.value
        return {
            "staff": staff,  # (stadsdeel, WORK_TYPES)
            "non_staff": np.outer(area_share, b.area_based_welfare.value * self.non_staff_shares),
            "non_staff_individual": ind_share * individual_total * (1.0 - self.individual_staff_share),
        }


def city_path(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".toml":
        return p
    return DATA_DIR / f"{name_or_path}.toml"


def _field_name(loc: tuple, raw: dict) -> tuple[str, str]:
    """(`stadsdeel.0.population.value`, " (stadsdeel Centrum)") for pydantic's `stadsdeel.0.population.value.float`:
    union tags dropped, and the stadsdeel named."""
    parts, node, named = [], raw, ""
    for x in loc:
        if isinstance(x, int):
            item = node[x] if isinstance(node, list) and x < len(node) else None
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                named = f" ({parts[-1] if parts else 'item'} {item['name']})"
            parts.append(str(x))
            node = item
            continue
        if x in ("float", "list[float]", "int", "str", "bool") and not (isinstance(node, dict) and x in node):
            continue
        parts.append(str(x))
        node = node.get(x) if isinstance(node, dict) else None
    return ".".join(parts), named


def _format_errors(path: Path, err: ValidationError, raw: dict | None = None) -> str:
    lines = [f"{path}: invalid city data"]
    seen: set[str] = set()
    for e in err.errors():
        field, named = _field_name(tuple(e["loc"]), raw or {})
        msg = e["msg"].removeprefix("Value error, ")
        if not field:
            # A check across the file (e.g. servicepunten per stadsdeel vs total): the message names the fields.
            lines.append(f"  {msg}")
            continue
        if field in seen:  # `float | list[float]`: one failure is reported once, not once per union member
            continue
        seen.add(field)
        found_value = e.get("input")
        if isinstance(found_value, dict) and "value" in found_value:
            field, found_value = field + ".value", found_value["value"]  # a {value, unit, source} quantity
        elif isinstance(found_value, dict):
            lines.append(f"  field '{field}'{named}: {msg}")  # a rule across a section: it names the fields
            continue
        found = repr(found_value)
        found = found if len(found) <= 200 else found[:200] + "..."
        lines.append(f"  field '{field}'{named}: {msg} (found: {found})")
    return "\n".join(lines)


def load_city(name_or_path: str | Path = "den_haag") -> City:
    """Load a city data set by name (``den_haag``) or path; raise CityDataError naming file and field.

    The file is parsed and checked once per process: later calls return the same `City` while the file is
    unchanged, so loading a scenario (and its base), the runs of a study in one worker and the app's
    replications share it. Treat the `City` as read-only."""
    path = city_path(name_or_path)
    if not path.is_file():
        known = sorted(p.stem for p in DATA_DIR.glob("*.toml"))
        raise CityDataError(f"{path}: city data file not found (known cities: {', '.join(known)})")
    # Keyed by the text, not the modification time: a file rewritten within one clock tick (tests do) has
    # the same time stamp. Reading it is a few microseconds; parsing and checking it a few milliseconds.
    return _parse_city(str(path), _text(path))


@lru_cache(maxsize=16)
def _parse_city(path_text: str, text: str) -> City:
    """The parse behind `load_city`, cached by file name and content (an invalid file raises every time:
    lru_cache keeps no exceptions)."""
    path = Path(path_text)
    raw = _toml(path, text)
    try:
        data = CityFile.model_validate(raw)
    except ValidationError as exc:
        raise CityDataError(_format_errors(path, exc, raw)) from None
    except RecursionError:
        raise CityDataError(f"{path}: invalid city data: values nested too deeply") from None
    return City(source_file=path, data=data)
