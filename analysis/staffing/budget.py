"""Unchanged budget: what a budget path makes realistic. Tables over a `simulate` study of a budget-mode scenario.

The model splits each year's welfare budget by the priority rule (`sim.mechanisms.drivers.budget_plan`, documented in
docs/model.md): accommodation first, then individual support (the legal core), then jongerenwerk in the
most deprived stadsdelen, then the rest. Per run, `analysis.study.outcomes.annual_outcomes` checks that spending
(staff + non-staff) never exceeds the budget in any year, for the city and for every stadsdeel's and
Servicepunt XL's allocation. Tables show what the money buys: FTE and hours by type of work, the coverage of
the area-based need and the service level they give, unmet demand and where it goes, and what is unspent
and why.
"""

from __future__ import annotations

import pandas as pd

from analysis.staffing.staffing import band, bands_by

HOURS_PER_FTE = 36.0  # CAO Sociaal Werk (service.hours_per_fte default), for hours per week


def _cells(b: pd.DataFrame, metric: str, fmt: str, scale: float = 1.0) -> list[str]:
    return [
        band(
            getattr(r, f"{metric}_p10") / scale,
            getattr(r, f"{metric}_p50") / scale,
            getattr(r, f"{metric}_p90") / scale,
            fmt,
        )
        for r in b.itertuples()
    ]


def _present(df: pd.DataFrame, metrics: list[str]) -> list[str]:
    return [m for m in metrics if m in df and df[m].notna().any()]


CITY_METRICS = [
    "budget_eur",
    "spend_eur",
    "cost_eur",
    "non_staff_eur",
    "unspent_vacancies_eur",
    "unspent_no_posts_eur",
    "fte_individual_support",
    "fte_area_based",
    "fte_area_need",
    "funded_share_jongerenwerk_deprived",
    "funded_share_rest",
    "share_within_target",
    "mean_wait_weeks",
    "dropped_first",
    "help_requests",
]


def budget_city_table(annual: pd.DataFrame) -> str:
    city = annual[annual.level == "city"]
    b = bands_by(city, ["year"], _present(city, CITY_METRICS))
    cols = {
        "year": b.year,
        "budget (EUR M)": [f"{v / 1e6:,.2f}" for v in b.budget_eur_p50],
        "spent (EUR M)": _cells(b, "spend_eur", "{:,.2f}", 1e6),
        "of which staff": _cells(b, "cost_eur", "{:,.2f}", 1e6),
        "non-staff": _cells(b, "non_staff_eur", "{:,.2f}", 1e6),
        "unspent: vacancies": _cells(b, "unspent_vacancies_eur", "{:,.2f}", 1e6),
        "unspent: no posts": _cells(b, "unspent_no_posts_eur", "{:,.2f}", 1e6),
        "FTE indiv. support": _cells(b, "fte_individual_support", "{:,.1f}"),
        "FTE area-based": _cells(b, "fte_area_based", "{:,.1f}"),
    }
    if "fte_area_need_p50" in b:
        cols["area need (mandate)"] = _cells(b, "fte_area_need", "{:,.1f}")
    if "funded_share_rest_p50" in b:
        cols["funded: jw deprived"] = [f"{v:.0%}" for v in b.funded_share_jongerenwerk_deprived_p50]
        cols["funded: rest"] = [f"{v:.0%}" for v in b.funded_share_rest_p50]
    cols.update(
        {
            "within 10 days": _cells(b, "share_within_target", "{:.0%}"),
            "mean wait (wk)": _cells(b, "mean_wait_weeks", "{:.1f}"),
            "gave up (unmet)": _cells(b, "dropped_first", "{:,.0f}"),
        }
    )
    return pd.DataFrame(cols).set_index("year").to_string()


AREA_METRICS = [
    "budget_eur",
    "spend_eur",
    "fte_individual_support",
    "fte_jongerenwerk",
    "fte_opbouwwerk",
    "fte_ouderenwerk",
    "coverage_area_need",
    "share_within_target",
    "mean_wait_weeks",
    "dropped_first",
    "hidden_started",
    "informal_helped",
    "escalations",
]


def budget_stadsdeel_table(annual: pd.DataFrame, years: list[int], hours_per_fte: float = HOURS_PER_FTE) -> str:
    """Per stadsdeel: the money allocated and spent, contract hours a week by type of work (individual support,
    jongerenwerk, opbouwwerk, ouderenwerk), the share of the area-based need they cover, the service level of
    individual support, and unmet demand and where it went (gave up, never asked, informal help, escalated)."""
    part = annual[(annual.level == "stadsdeel") & annual.year.isin(years)]
    b = bands_by(part, ["area", "year"], _present(part, AREA_METRICS))
    rows = {}
    for r in b.itertuples():
        row = rows.setdefault(r.area, {})
        one = pd.DataFrame([r._asdict()])
        y = r.year
        row[f"{y} EUR M (spent)"] = (
            f"{r.budget_eur_p50 / 1e6:,.2f} ({r.spend_eur_p50 / 1e6:,.2f})"
            if hasattr(r, "budget_eur_p50")
            else f"({r.spend_eur_p50 / 1e6:,.2f})"
        )
        hours = [
            getattr(r, f"{m}_p50", float("nan")) * hours_per_fte
            for m in ("fte_individual_support", "fte_jongerenwerk", "fte_opbouwwerk", "fte_ouderenwerk")
        ]
        row[f"{y} h/wk ind/jw/ob/ou"] = "/".join(f"{h:,.0f}" for h in hours)
        if hasattr(r, "coverage_area_need_p50"):
            row[f"{y} area need covered"] = _cells(one, "coverage_area_need", "{:.0%}")[0]
        row[f"{y} within 10d"] = _cells(one, "share_within_target", "{:.0%}")[0]
        row[f"{y} gave up"] = _cells(one, "dropped_first", "{:,.0f}")[0]
        where = [f"hidden {r.hidden_started_p50:,.0f}"]
        if hasattr(r, "informal_helped_p50"):
            where.append(f"informal {r.informal_helped_p50:,.0f}")
        if hasattr(r, "escalations_p50"):
            where.append(f"escalated {r.escalations_p50:,.0f}")
        row[f"{y} unmet goes to"] = ", ".join(where)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "stadsdeel"
    return table.to_string()


SP_METRICS = [
    "budget_eur",
    "spend_eur",
    "fte_individual_support",
    "share_within_target",
    "mean_wait_weeks",
    "dropped_first",
    "help_requests",
]


def budget_service_point_table(annual: pd.DataFrame, years: list[int], hours_per_fte: float = HOURS_PER_FTE) -> str:
    """Per Servicepunt XL: money allocated and spent, hours a week, service level and unmet demand."""
    part = annual[(annual.level == "service_point") & annual.year.isin(years)]
    b = bands_by(part, ["area", "year"], _present(part, SP_METRICS))
    rows = {}
    for r in b.itertuples():
        row = rows.setdefault(r.area, {})
        one = pd.DataFrame([r._asdict()])
        y = r.year
        if hasattr(r, "budget_eur_p50"):
            row[f"{y} EUR M (spent)"] = f"{r.budget_eur_p50 / 1e6:,.2f} ({r.spend_eur_p50 / 1e6:,.2f})"
        row[f"{y} h/wk"] = f"{r.fte_individual_support_p50 * hours_per_fte:,.0f}"
        row[f"{y} within 10d"] = _cells(one, "share_within_target", "{:.0%}")[0]
        row[f"{y} wait (wk)"] = _cells(one, "mean_wait_weeks", "{:.1f}")[0]
        row[f"{y} gave up"] = _cells(one, "dropped_first", "{:,.0f}")[0]
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "Servicepunt XL"
    return table.to_string()


PRIORITY_RULE = (
    "Priority rule (budget.priority = core_first): a short budget pays, in this order, (0) accommodation and "
    "community centres (contracts), (1) individual support at the Servicepunten XL (the legal core: "
    "cliëntondersteuning), (2) jongerenwerk in the {n} most deprived stadsdelen, (3) the rest of area-based work, "
    "activities and volunteer support, all alike. Money beyond today's posts and commitments is not spent "
    "(creating posts is a staffing decision); money for posts that stand empty is not spent (vacancies)."
)
