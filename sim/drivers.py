"""Ten-year drivers that change the world from year to year. Here: the money for welfare staff.

`fte_factor_path` says, per simulated year, which share of today's staff the budget pays for
(1.0 = today's FTE). In "mandate" mode staffing is not budget-bound and the factor is 1.
"""

from __future__ import annotations

import numpy as np

from sim.city import City


def budget_index(city: City, params: dict) -> np.ndarray:
    """Welfare budget per simulated year relative to the start year (before cuts and extras)."""
    years = params["run.start_year"] + np.arange(params["run.years"])
    if params["budget.index"] == "frozen":
        return np.ones(len(years))
    b = city.data.budget
    known_years = np.array(b.sociale_basis_years)
    amounts = np.array(b.sociale_basis.value, dtype=float)
    # Outside the published years the line is held at its nearest published value.
    path = np.interp(years, known_years, amounts)
    start = np.interp(params["run.start_year"], known_years, amounts)
    return path / start


def staff_budget(city: City, params: dict, staff_cost_at_start: float) -> np.ndarray:
    """EUR per simulated year available for welfare staff."""
    years = params["run.start_year"] + np.arange(params["run.years"])
    budget = staff_cost_at_start * budget_index(city, params)
    budget = budget * np.where(years >= params["budget.ravijnjaar_year"], 1.0 - params["budget.ravijnjaar_cut"], 1.0)
    return budget + params["budget.azwa_extra"]


def fte_factor_path(city: City, params: dict, staff_cost_at_start: float) -> np.ndarray:
    """Share of the hired staff's hours that each year's budget pays for."""
    if params["budget.mode"] == "mandate":
        return np.ones(params["run.years"])
    return staff_budget(city, params, staff_cost_at_start) / staff_cost_at_start
