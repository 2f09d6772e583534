"""Area-based need tables: the FTE jongerenwerk, opbouwwerk and ouderenwerk need per stadsdeel and year
(unchanged mandate = today's coverage of the target groups held; see sim/area_need.py), with bands over
replications, next to today's FTE (and the range of the estimate it comes from) and with the euro cost.

Input is the `annual` table of a simulate study (or the `run` command's stadsdeel/city frames): the need
columns are computed in every run (`RunResults.annual`).
"""

from __future__ import annotations

import pandas as pd

from analysis.staffing.staffing import band, bands_by
from sim.area_need import AREA_TYPES

NEED = [f"fte_need_{wt}" for wt in AREA_TYPES] + ["fte_area_need", "cost_area_need_eur", "fte_area_target"]
LABEL = {"jongerenwerk": "jongerenwerk", "opbouwwerk": "opbouwwerk", "ouderenwerk": "ouderenwerk"}


def _levels(annual: pd.DataFrame, levels=("stadsdeel", "city")) -> pd.DataFrame:
    """Rows of `levels`, stadsdelen before the city (so the city total is the last row of a table)."""
    if "level" not in annual:
        return annual
    part = annual[annual.level.isin(levels)]
    order = {name: i for i, name in enumerate(levels)}
    return part.iloc[part.level.map(order).argsort(kind="stable")]


def need_table(annual: pd.DataFrame, years: list[int]) -> str:
    """Per stadsdeel (and the city): today's FTE per type [range of the estimate], and per year the need per
    type and in all with bands, its cost, and the FTE the coverage targets would need."""
    part = _levels(annual)
    part = part[part.year.isin(years)]
    if part.empty or "fte_area_need" not in part:
        return "(no area-based need columns in these results)"
    b = bands_by(part, ["area", "year"], NEED)
    today = part.groupby("area", sort=False)[
        [c for wt in AREA_TYPES for c in (f"fte_today_{wt}", f"fte_today_{wt}_low", f"fte_today_{wt}_high")]
    ].median()
    rows = {}
    for r in b.itertuples():
        row = rows.get(r.area)
        if row is None:
            t = today.loc[r.area]
            row = rows[r.area] = {
                f"today {wt}": f"{t[f'fte_today_{wt}']:,.1f} ({t[f'fte_today_{wt}_low']:,.0f}-"
                f"{t[f'fte_today_{wt}_high']:,.0f})"
                for wt in AREA_TYPES
            }
        for wt in AREA_TYPES:
            row[f"{r.year} {wt}"] = band(
                getattr(r, f"fte_need_{wt}_p10"), getattr(r, f"fte_need_{wt}_p50"), getattr(r, f"fte_need_{wt}_p90")
            )
        row[f"{r.year} all"] = band(r.fte_area_need_p10, r.fte_area_need_p50, r.fte_area_need_p90)
        row[f"{r.year} EUR M"] = band(
            r.cost_area_need_eur_p10 / 1e6, r.cost_area_need_eur_p50 / 1e6, r.cost_area_need_eur_p90 / 1e6, "{:,.2f}"
        )
        row[f"{r.year} at targets"] = f"{r.fte_area_target_p50:,.1f}"
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "stadsdeel"
    return table.to_string()


def city_need_by_year(annual: pd.DataFrame) -> str:
    """City total by year: today's area FTE, need per type with bands, cost, and groups (median)."""
    city = _levels(annual, ("city",))
    if city.empty or "fte_area_need" not in city:
        return "(no area-based need columns in these results)"
    b = bands_by(city, ["year"], NEED + ["fte_area_today", "youths", "risk_youths", "elderly_alone"])
    out = pd.DataFrame(
        {
            "year": b.year,
            "today": [f"{v:,.1f}" for v in b.fte_area_today_p50],
            **{
                f"{wt} need": [
                    band(
                        getattr(r, f"fte_need_{wt}_p10"),
                        getattr(r, f"fte_need_{wt}_p50"),
                        getattr(r, f"fte_need_{wt}_p90"),
                    )
                    for r in b.itertuples()
                ]
                for wt in AREA_TYPES
            },
            "area need": [band(r.fte_area_need_p10, r.fte_area_need_p50, r.fte_area_need_p90) for r in b.itertuples()],
            "cost (EUR M)": [
                band(
                    r.cost_area_need_eur_p10 / 1e6,
                    r.cost_area_need_eur_p50 / 1e6,
                    r.cost_area_need_eur_p90 / 1e6,
                    "{:,.2f}",
                )
                for r in b.itertuples()
            ],
            "at targets": [f"{v:,.1f}" for v in b.fte_area_target_p50],
            "youths 12-23": [f"{v:,.0f}" for v in b.youths_p50],
            "risk youths": [f"{v:,.0f}" for v in b.risk_youths_p50],
            "65+ alone": [f"{v:,.0f}" for v in b.elderly_alone_p50],
        }
    )
    return out.set_index("year").to_string()


def both_halves_table(staffing: pd.DataFrame, annual: pd.DataFrame, years: list[int]) -> str:
    """Needed FTE and euros per stadsdeel for both halves: individual support (searched, from a staffing
    study) + area-based need (from a simulate study with the same seeds), paired by replication; staff cost
    and the total with today's non-staff costs (accommodation, activities, volunteer support, price-indexed)."""
    ind = staffing[(staffing.level.isin(["stadsdeel", "city"])) & staffing.year.isin(years)]
    area = _levels(annual)
    area = area[area.year.isin(years)]
    keys = ["replication", "area", "year"]
    extra = ["non_staff_eur"] if "non_staff_eur" in area else []
    both = ind[keys + ["fte_individual_needed", "cost_per_fte_eur"]].merge(
        area[keys + ["fte_area_need"] + extra], on=keys, how="inner"
    )
    if both.empty:
        return "(no matching replications)"
    both["fte_needed_both"] = both.fte_individual_needed + both.fte_area_need
    both["cost_both_eur"] = both.fte_needed_both * both.cost_per_fte_eur
    # Non-staff costs (accommodation, activities, volunteer support) are today's, indexed with prices.
    both["total_eur"] = both.cost_both_eur + (both.non_staff_eur if extra else 0.0)
    b = bands_by(
        both,
        ["area", "year"],
        ["fte_individual_needed", "fte_area_need", "fte_needed_both", "cost_both_eur", "total_eur"],
    )
    rows = {}
    for r in b.itertuples():
        row = rows.setdefault(r.area, {})
        row[f"{r.year} individual"] = band(
            r.fte_individual_needed_p10, r.fte_individual_needed_p50, r.fte_individual_needed_p90
        )
        row[f"{r.year} area-based"] = band(r.fte_area_need_p10, r.fte_area_need_p50, r.fte_area_need_p90)
        row[f"{r.year} both"] = band(r.fte_needed_both_p10, r.fte_needed_both_p50, r.fte_needed_both_p90)
        row[f"{r.year} staff EUR M"] = band(
            r.cost_both_eur_p10 / 1e6, r.cost_both_eur_p50 / 1e6, r.cost_both_eur_p90 / 1e6, "{:,.2f}"
        )
        row[f"{r.year} incl. non-staff"] = band(
            r.total_eur_p10 / 1e6, r.total_eur_p50 / 1e6, r.total_eur_p90 / 1e6, "{:,.2f}"
        )
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "stadsdeel"
    return table.to_string()
