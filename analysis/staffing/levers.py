"""What a lever costs and what it returns, from paired runs with and without it (common random numbers).

A lever is a scenario setting that changes capacity: more or fewer posts, posts moved to other work, money
moved to informal organisations, hours moved between Servicepunten XL. Every such lever has a price (LEVERS
says which output carries it), and its benefit is read from two runs with the same seed, one without the
lever (A) and one with it (B). Because both runs share every random stream the lever does not touch, the
difference is the lever's effect, not noise between runs.

- **Cost** of the lever over the years compared: the difference of total spending (staff cost plus money
  earmarked for informal organisations) for levers that add money; for levers that move money or hours
  (a reallocation) the money or hours moved, valued at the integral cost (LEVERS names the column).
- **Net benefit**: escalation cost of A minus escalation cost of B (what happens without the lever is the
  paired run itself, so deadweight and displacement inside the model are netted out).
- **Gross benefit**: the difference of the model's gross attributions (helped episodes, informal help and
  prevented episodes each credited as if they would otherwise have had no help; `avoided_cost*`), the way
  business cases count (source 004 §4.4: SEOR's average 1.6 is gross).

Both ratios are labelled; `net_share` = net / gross is what source 004 puts at 11-25 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

GROSS_COLUMNS = ("avoided_cost", "avoided_cost_informal", "avoided_cost_prevention")


@dataclass(frozen=True)
class Lever:
    parameter: str
    cost: str  # "spending": the paired difference of spending; otherwise the column with the moved money
    capacity: str  # what capacity it changes (for people)


# Every parameter marked "scenario lever" in sim/parameters.py that changes capacity, and its price.
LEVERS: dict[str, Lever] = {
    "staffing.individual_support_factor": Lever(
        "staffing.individual_support_factor", "spending", "individual-support posts in every stadsdeel"
    ),
    "staffing.individual_support_by_stadsdeel": Lever(
        "staffing.individual_support_by_stadsdeel", "spending", "individual-support posts in the named stadsdelen"
    ),
    "staffing.area_based_factor": Lever("staffing.area_based_factor", "spending", "area-based posts"),
    "staffing.area_based_by_stadsdeel": Lever(
        "staffing.area_based_by_stadsdeel", "spending", "area-based posts in the named stadsdelen"
    ),
    "staffing.individual_support_by_servicepunt": Lever(
        "staffing.individual_support_by_servicepunt",
        "spending",
        "individual-support posts at the named Servicepunten XL",
    ),
    "prevention.youth_factor_deprived": Lever(
        "prevention.youth_factor_deprived", "spending", "jongerenwerk posts in the most deprived stadsdelen"
    ),
    "prevention.push_funding": Lever(
        "prevention.push_funding", "reallocated_eur", "jongerenwerk posts taken from opbouwwerk and ouderenwerk"
    ),
    "informal.earmark": Lever("informal.earmark", "earmark_eur", "area-based posts moved to informal organisations"),
    "deployment.pool_share": Lever(
        "deployment.pool_share", "travel_cost_eur", "individual-support hours moved to the busiest Servicepunten XL"
    ),
    "budget.ravijnjaar_cut": Lever("budget.ravijnjaar_cut", "spending", "funded hours of every post"),
    "budget.azwa_extra": Lever("budget.azwa_extra", "spending", "funded hours of every post"),
}
# Levers that set the scene rather than buy capacity (no price of their own): the reason is documented.
NOT_CAPACITY = {
    "unregistered.factor": "a scenario of the world (more residents), not a purchase",
    "budget.mode": "switches how FTE are set; the budget levers carry the money",
    "deployment.policy": "switches the pool on; deployment.pool_share carries its price",
    "deployment.interval_weeks": "how often the pool is re-allocated; its price is in deployment.pool_share",
    "budget.priority": "decides which tasks a fixed budget funds first; the budget path carries the money",
    "budget.protected_deprived_count": "how many deprived stadsdelen the priority rule protects; same budget",
}


def spending(annual_city: pd.DataFrame) -> pd.Series:
    """EUR per year spent: staff cost (plus the non-staff costs of the whole budget, `spend_eur`, where the
    results have them) plus money earmarked for informal organisations (taken from emptied staff posts)."""
    earmark = annual_city["earmark_eur"] if "earmark_eur" in annual_city else 0.0
    base = annual_city["spend_eur"] if "spend_eur" in annual_city else annual_city["cost_eur"]
    return base + earmark


def _total(df: pd.DataFrame, column: str) -> float:
    return float(df[column].sum()) if column in df else 0.0


def reallocated_eur(res_without, res_with) -> float:
    """EUR over the run of the area-based posts a reallocation moved into jongerenwerk (from RunResults):
    the jongerenwerk FTE gained x cost per FTE of each year x the year's funded share."""
    gained = float((res_with.fte["jongerenwerk"] - res_without.fte["jongerenwerk"]).clip(lower=0).sum())
    index = np.ones(res_with.years) if res_with.cost_index is None else np.asarray(res_with.cost_index)
    return gained * res_with.cost_per_fte * float((index[: res_with.years] * res_with.fte_factor_by_year).sum())


def benefit_cost(without: pd.DataFrame, with_: pd.DataFrame, lever: str, moved_eur: float | None = None) -> dict:
    """Paired benefit/cost of `lever` from the city annual tables of one seed without (A) and with (B) it,
    summed over the years both cover. Returns cost, net and gross benefit, both ratios and net_share.
    `moved_eur` is the price of a reallocation that no column carries (see reallocated_eur)."""
    years = sorted(set(without.year) & set(with_.year))
    a = without[without.year.isin(years)].sort_values("year")
    b = with_[with_.year.isin(years)].sort_values("year")
    kind = LEVERS[lever].cost
    extra = float(spending(b).sum() - spending(a).sum())
    if kind == "spending":
        cost = extra
    elif kind == "reallocated_eur":
        if moved_eur is None:
            raise ValueError(f"{lever}: a reallocation needs moved_eur (analysis.staffing.levers.reallocated_eur)")
        cost = float(moved_eur)
    else:
        cost = _total(b, kind) - _total(a, kind)
    net = _total(a, "escalation_cost") - _total(b, "escalation_cost")
    gross = sum(_total(b, c) - _total(a, c) for c in GROSS_COLUMNS)

    def ratio(x: float) -> float:
        return x / cost if cost else np.nan

    return {
        "lever": lever,
        "cost_eur": cost,
        "extra_spending_eur": extra,
        "benefit_net_eur": net,
        "benefit_gross_eur": gross,
        "bc_net": ratio(net),
        "bc_gross": ratio(gross),
        "net_share": net / gross if gross else np.nan,
    }


def paired_table(pairs: list[tuple[pd.DataFrame, pd.DataFrame]], lever: str) -> pd.DataFrame:
    """One row per seed (pair of city annual tables), plus p10/p50/p90 over seeds in `bands`."""
    return pd.DataFrame([benefit_cost(a, b, lever) for a, b in pairs])


def bands(table: pd.DataFrame) -> pd.DataFrame:
    """p10, p50, p90 of every numeric column over paired seeds."""
    num = table.select_dtypes("number")
    return num.quantile([0.1, 0.5, 0.9]).T.rename(columns={0.1: "p10", 0.5: "p50", 0.9: "p90"})
