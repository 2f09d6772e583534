"""Unchanged budget: what a budget path buys. Tables over a `simulate` study of a budget-mode scenario.

Per run, `analysis.outcomes.annual_outcomes` checks that staff cost never exceeds the budget path
(`sim.drivers.staff_budget`) and stores the budget (`budget_eur`, city rows).
"""

from __future__ import annotations

import pandas as pd

from analysis.staffing import band, bands_by

CITY_METRICS = ["budget_eur", "cost_eur", "fte_total", "fte_individual_support", "share_within_target",
                "mean_wait_weeks", "dropped_first", "help_requests"]
AREA_METRICS = ["fte_total", "fte_individual_support", "share_within_target", "mean_wait_weeks", "dropped_first"]


def _cells(b: pd.DataFrame, metric: str, fmt: str, scale: float = 1.0) -> list[str]:
    return [band(getattr(r, f"{metric}_p10") / scale, getattr(r, f"{metric}_p50") / scale,
                 getattr(r, f"{metric}_p90") / scale, fmt) for r in b.itertuples()]


def budget_city_table(annual: pd.DataFrame) -> str:
    city = annual[annual.level == "city"]
    b = bands_by(city, ["year"], CITY_METRICS)
    out = pd.DataFrame({
        "year": b.year,
        "budget (EUR M)": [f"{v / 1e6:,.2f}" for v in b.budget_eur_p50],
        "staff cost (EUR M)": _cells(b, "cost_eur", "{:,.2f}", 1e6),
        "FTE paid": _cells(b, "fte_total", "{:,.1f}"),
        "of which indiv. support": _cells(b, "fte_individual_support", "{:,.1f}"),
        "within 10 days": _cells(b, "share_within_target", "{:.0%}"),
        "mean wait (wk)": _cells(b, "mean_wait_weeks", "{:.1f}"),
        "gave up (unmet)": _cells(b, "dropped_first", "{:,.0f}"),
        "help requests": _cells(b, "help_requests", "{:,.0f}"),
    })
    return out.set_index("year").to_string()


def budget_stadsdeel_table(annual: pd.DataFrame, years: list[int]) -> str:
    part = annual[(annual.level == "stadsdeel") & annual.year.isin(years)]
    b = bands_by(part, ["area", "year"], AREA_METRICS)
    rows = {}
    for r in b.itertuples():
        row = rows.setdefault(r.area, {})
        one = pd.DataFrame([r._asdict()])
        row[f"{r.year} FTE"] = _cells(one, "fte_total", "{:,.1f}")[0]
        row[f"{r.year} within 10d"] = _cells(one, "share_within_target", "{:.0%}")[0]
        row[f"{r.year} wait (wk)"] = _cells(one, "mean_wait_weeks", "{:.1f}")[0]
        row[f"{r.year} gave up"] = _cells(one, "dropped_first", "{:,.0f}")[0]
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "stadsdeel"
    return table.to_string()
