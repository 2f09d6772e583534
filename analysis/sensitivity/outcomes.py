"""The outcomes a sensitivity study analyses: a small registry over one run's annual table.

Each entry names a column of `analysis.study.outcomes.annual_outcomes` (city, stadsdeel and service-point
rows per year), the level, which year(s) and how to reduce them. Columns that other parts of the model
add later (referrals, area-based need, budget) become outcomes by adding one line here; an entry whose
column a run does not have is skipped (the report lists it as not available), so nothing breaks.

Outcome ids are `key` (city) or `key@area`, with the year in a separate column (0 = whole run).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Outcome:
    key: str
    column: str  # a column of the annual table, or "+"-joined columns summed
    years: str  # "first", "last", "first+last", "sum" (whole run), "mean"
    level: str  # "city" or "stadsdeel" (one outcome per stadsdeel)
    unit: str
    nl: str
    en: str
    per_cost: bool = False  # value x cost per FTE of that year (euros of an FTE figure)


# The FTE the simulated demand needs: individual support from the contacts all help requests need
# (`need_fte`), plus area-based work (today's FTE x levers, with vacancies). The mandate-mode staff
# stays at today's FTE, so the need - not the staff - is what the uncertain assumptions move.
REGISTRY: tuple[Outcome, ...] = (
    Outcome(
        "fte_needed",
        "need_fte+fte_area_based",
        "first+last",
        "city",
        "FTE",
        "benodigde FTE (stad)",
        "FTE needed (city)",
    ),
    Outcome(
        "fte_needed_individual",
        "need_fte",
        "first+last",
        "city",
        "FTE",
        "benodigde FTE individuele ondersteuning (stad)",
        "FTE needed, individual support (city)",
    ),
    Outcome(
        "fte_area_based",
        "fte_area_based",
        "first+last",
        "city",
        "FTE",
        "FTE gebiedsgericht werk (stad)",
        "FTE area-based work (city)",
    ),
    Outcome(
        "fte_needed_sd",
        "need_fte+fte_area_based",
        "first+last",
        "stadsdeel",
        "FTE",
        "benodigde FTE per stadsdeel",
        "FTE needed per stadsdeel",
    ),
    Outcome(
        "cost_needed_eur",
        "need_fte+fte_area_based",
        "first+last",
        "city",
        "EUR",
        "kosten van de benodigde FTE (stad)",
        "cost of the FTE needed (city)",
        per_cost=True,
    ),
    Outcome(
        "total_cost_eur",
        "cost_eur",
        "sum",
        "city",
        "EUR",
        "totale personeelskosten over de looptijd",
        "total staff cost over the run",
    ),
    Outcome(
        "share_within_target",
        "share_within_target",
        "first+last",
        "city",
        "share",
        "aandeel binnen 10 werkdagen gezien",
        "share seen within 10 working days",
    ),
    Outcome(
        "unmet_demand",
        "dropped_first",
        "sum",
        "city",
        "requests",
        "onvervulde vraag (afgehaakt voor eerste contact)",
        "unmet demand (gave up before a first contact)",
    ),
    Outcome(
        "hidden_need",
        "hidden_started",
        "sum",
        "city",
        "episodes",
        "verborgen vraag (niet bij een Servicepunt XL)",
        "hidden need (never brought to a Servicepunt XL)",
    ),
    Outcome(
        "escalation_cost_eur",
        "escalation_cost",
        "sum",
        "city",
        "EUR",
        "escalatiekosten over de looptijd",
        "escalation cost over the run",
    ),
    # Columns other work adds (issue 12 asks for them; skipped until the runs have them):
    Outcome("referrals", "referrals", "sum", "city", "referrals", "doorverwijzingen", "referrals"),
    Outcome(
        "area_need_fte",
        "need_fte_area_based",
        "first+last",
        "city",
        "FTE",
        "benodigde FTE gebiedsgericht werk (stad)",
        "FTE needed, area-based work (city)",
    ),
)
BY_KEY = {o.key: o for o in REGISTRY}
HEADLINE = "fte_needed"  # the question the municipality asks: FTE needed, city, last year


def _value(rows: pd.DataFrame, column: str, per_cost: bool) -> pd.Series | None:
    cols = column.split("+")
    if any(c not in rows.columns for c in cols):
        return None
    v = sum(rows[c].astype(float) for c in cols)
    if per_cost:
        v = v * rows["cost_per_fte_eur"].astype(float)
    return v


def outcome_table(annual: pd.DataFrame, include: list[str] | None = None) -> pd.DataFrame:
    """One run's outcomes: rows (outcome, area, year, value). Registry entries without their column are left out."""
    first, last = int(annual.year.min()), int(annual.year.max())
    rows = []
    for o in REGISTRY:
        if include and o.key not in include:
            continue
        part = annual[annual.level == o.level]
        v = _value(part, o.column, o.per_cost)
        if v is None:
            continue
        frame = part[["area", "year"]].assign(value=v.to_numpy())
        for area, g in frame.groupby("area", sort=True):
            g = g.sort_values("year")
            if o.years == "sum":
                picks = [(0, float(g.value.sum()))]
            elif o.years == "mean":
                picks = [(0, float(g.value.mean()))]
            else:
                wanted = {"first": [first], "last": [last], "first+last": sorted({first, last})}[o.years]
                picks = [(y, float(g.loc[g.year == y, "value"].iloc[0])) for y in wanted if (g.year == y).any()]
            name = o.key if o.level == "city" else f"{o.key}@{area}"
            for y, val in picks:
                rows.append({"outcome": name, "key": o.key, "area": str(area), "year": int(y), "value": val})
    return pd.DataFrame(rows, columns=["outcome", "key", "area", "year", "value"])


def outcome_id(outcome: str, year: int) -> str:
    """`fte_needed@Laak 2035` style label used in index tables (year 0 = whole run)."""
    return outcome if not year else f"{outcome} {year}"


def describe(outcome: str, lang: str = "nl") -> tuple[str, str]:
    """(human label, unit) of an outcome id like `fte_needed_sd@Laak`."""
    key, _, area = outcome.partition("@")
    o = BY_KEY.get(key)
    if o is None:
        return outcome, ""
    label = o.nl if lang == "nl" else o.en
    if area:
        label = label.replace(" per stadsdeel", "") + f": {area}"
    return label, o.unit


def is_finite_table(df: pd.DataFrame) -> bool:
    return bool(np.isfinite(df["value"].to_numpy(dtype=float)).all())
