"""Tidy outcomes of one run, and the service-level convention used by studies and the staffing search.

Service level convention (weekly model). A help request made in week t that gets its first contact in
week t + w has waited w whole weeks (w = 0: seen the week it asked). "A first contact within 10
working days" is counted as w <= 2 (`within_weeks`, default 2): two whole weeks of five working days.
The share of a year is taken over the help requests whose outcome fell in that year:

    share_within_target = first contacts with w <= within_weeks / (first contacts + dropped before a first contact)
    share_dropped       = dropped before a first contact       / (first contacts + dropped before a first contact)

Requests still waiting at the end of a year count in the year they are served or give up. An area
and year without any request meets every target (shares are reported as NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.city import City

LEVELS = ("city", "stadsdeel", "service_point")
WITHIN_WEEKS = 2  # 10 working days in the weekly model (see module docstring)


class BudgetExceeded(AssertionError):
    """A budget-mode run spent more on staff than its budget path allows."""


def group_index(res, level: str) -> tuple[np.ndarray, list[str]]:
    """Service point -> group index at `level`, and the group names (same names as RunResults.annual)."""
    return res.group_index(level)


def year_counts(res, within_weeks: int = WITHIN_WEEKS) -> dict[str, np.ndarray]:
    """Per (year, service point), in simulated counts: first contacts within target, first contacts, dropped."""
    weeks = res.wait_hist.shape[0]
    years = weeks // 52
    n_sp = res.wait_hist.shape[1]
    hist = res.wait_hist[: 52 * years].reshape(years, 52, n_sp, -1).sum(axis=1)
    within = hist[..., : within_weeks + 1].sum(axis=-1)
    first = res.counters["first_contacts"][: 52 * years].reshape(years, 52, n_sp).sum(axis=1)
    dropped = res.counters["dropped_first"][: 52 * years].reshape(years, 52, n_sp).sum(axis=1)
    requests = res.counters["help_requests"][: 52 * years].reshape(years, 52, n_sp).sum(axis=1)
    return {
        "within": within.astype(float),
        "first": first.astype(float),
        "dropped": dropped.astype(float),
        "requests": requests.astype(float),
    }


def shares(within: np.ndarray, first: np.ndarray, dropped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    outcome = first + dropped
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(outcome > 0, within / outcome, np.nan), np.where(outcome > 0, dropped / outcome, np.nan)


def service_levels(res, level: str, within_weeks: int = WITHIN_WEEKS) -> pd.DataFrame:
    """share_within_target and share_dropped per year and area at `level` (see the module docstring)."""
    group, names = group_index(res, level)
    c = year_counts(res, within_weeks)
    k = len(names)
    agg = {n: np.stack([v[:, group == g].sum(axis=1) for g in range(k)], axis=1) for n, v in c.items()}
    within, dropped = shares(agg["within"], agg["first"], agg["dropped"])
    years = agg["within"].shape[0]
    return pd.DataFrame(
        {
            "year": np.repeat(res.start_year + np.arange(years), k),
            "area": np.tile(names, years),
            "share_within_target": within.ravel(),
            "share_dropped": dropped.ravel(),
        }
    )


def staff_cost_at_start(res) -> float:
    """EUR a year of the staff hired at the start (before any budget factor)."""
    return float(np.asarray(res.fte.to_numpy(), dtype=float).sum()) * float(res.cost_per_fte)


def budget_path(city: City, params: dict, res) -> np.ndarray:
    """EUR per simulated year of the welfare budget (the path the model's budget mode follows)."""
    return np.asarray(res.budget_total_by_year, dtype=float)


def check_spending(rows: pd.DataFrame, rel_tol: float = 1e-9) -> None:
    """Raise BudgetExceeded if any row (year and area, any level) spent more than its budget."""
    over = rows.spend_eur.to_numpy(float) > rows.budget_eur.to_numpy(float) * (1 + rel_tol) + 1e-6
    if over.any():
        r = rows[over].iloc[0]
        raise BudgetExceeded(
            f"{r.area} {int(r.year)}: spending EUR {r.spend_eur:,.0f} exceeds the budget EUR {r.budget_eur:,.0f}"
        )


def check_budget(city_rows: pd.DataFrame, budget: np.ndarray, rel_tol: float = 1e-9) -> None:
    """Raise BudgetExceeded if any year's staff cost is above that year's budget."""
    cost = city_rows.sort_values("year")["cost_eur"].to_numpy(dtype=float)
    over = cost > budget[: len(cost)] * (1 + rel_tol) + 1e-6
    if over.any():
        y = int(np.flatnonzero(over)[0])
        raise BudgetExceeded(
            f"year {int(city_rows.year.min()) + y}: staff cost EUR {cost[y]:,.0f} exceeds "
            f"the budget EUR {budget[y]:,.0f}"
        )


def annual_outcomes(res, city: City, params: dict, within_weeks: int = WITHIN_WEEKS) -> pd.DataFrame:
    """One row per level, area and year: RunResults.annual plus service levels (and the budget in budget mode)."""
    parts = []
    for level in LEVELS:
        df = res.annual(level)
        df = df.merge(service_levels(res, level, within_weeks), on=["year", "area"], how="left")
        df.insert(0, "level", level)
        parts.append(df)
    out = pd.concat(parts, ignore_index=True)
    if params.get("budget.mode") == "budget":
        # Never spend more than the budget: the whole path (city), and each stadsdeel's and Servicepunt XL's
        # allocation (sim.mechanisms.drivers.budget_plan), every year.
        check_spending(out)
        city_rows = out[out.level == "city"]
        check_budget(city_rows, budget_path(city, params, res))
    return out
