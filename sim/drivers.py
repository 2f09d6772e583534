"""Ten-year drivers that change the world from year to year: money for staff, people, workforce.

`fte_factor_path` says, per simulated year, which share of today's staff the budget pays for
(1.0 = today's FTE). In "mandate" mode staffing is not budget-bound and the factor is 1.
"""

from __future__ import annotations

import numpy as np

from sim.city import City
from sim.mechanisms import Mechanism
from sim.population import ATTRIBUTES, draw_registered, draw_unregistered


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


def cost_index(params: dict) -> np.ndarray:
    """Cost of one FTE per simulated year relative to the start year (wage growth)."""
    return (1.0 + params["service.cost_growth"]) ** np.arange(params["run.years"])


def fte_factor_path(city: City, params: dict, staff_cost_at_start: float) -> np.ndarray:
    """Share of the hired staff's hours that each year's budget pays for (at that year's wages)."""
    if params["budget.mode"] == "mandate":
        return np.ones(params["run.years"])
    return staff_budget(city, params, staff_cost_at_start) / (staff_cost_at_start * cost_index(params))


class TenYearDrivers(Mechanism):
    """Year-on-year change: population growth, ageing, more people living alone, a housing shortage that
    raises the unregistered population, and workforce turnover with hard-to-fill vacancies."""

    name = "drivers"

    def __init__(self, model):
        super().__init__(model)
        self._vacancies_at_equilibrium()

    def _vacancies_at_equilibrium(self) -> None:
        """Start with the share of empty posts that turnover and time-to-fill settle at, v = tT / (52 + tT)
        (t turnover a year, T mean weeks to fill), each with a remaining vacancy drawn from the same
        (memoryless) time-to-fill, so the first years show the drivers' trend, not a start-up effect."""
        from sim.agents import Worker

        t, fill = self.params["drivers.turnover"], self.params["drivers.time_to_fill_weeks"]
        vacancy = t * fill / (52.0 + t * fill)
        week = self.model.week
        for w in self.model.agents:
            if isinstance(w, Worker):
                u, u_len = self.model.streams[f"drivers/workforce-start/{w.key}"].random(2)
                if u < vacancy:
                    w.vacancy = (week, week + _weeks_to_fill(u_len, fill))
                    w.update_vacancy(week)

    def start_year(self, year_index: int, week: int) -> None:
        self._workforce(week)  # every year, the warm-up's and the first included: workers leave all the time
        if year_index == 0:
            return
        newcomers = [c for c in self._grow() + self._unregistered(year_index) if len(c["district"])]
        new_ids = np.zeros(0, dtype=np.int64)
        if newcomers:
            # One append per year: appending copies every column.
            columns = {k: np.concatenate([c[k] for c in newcomers]) for k in ATTRIBUTES}
            new_ids = self.model.add_residents(columns, week, refresh=False)
        changed = [new_ids, self._age(year_index), self._living_alone(year_index)]
        self.model.refresh_hazard(np.unique(np.concatenate(changed)), week)

    def _grow(self) -> list[dict[str, np.ndarray]]:
        """Registered population grows by the chosen path; newcomers resemble their stadsdeel."""
        m, p = self.model, self.params
        rate = {"municipal": p["drivers.growth_municipal"], "pbl": p["drivers.growth_pbl"],
                "none": 0.0}[p["drivers.growth_path"]]
        pop = m.population
        current = np.bincount(pop.district[pop.kind == 0], minlength=len(m.profiles))
        # Stochastic rounding keeps small (scaled-down) stadsdelen growing on average.
        exact = current * rate
        n_new = (np.floor(exact) + (self.rng.random(len(exact)) < exact % 1)).astype(int)
        return [draw_registered(prof, n_new[prof.index], m.space, p, self.rng) for prof in m.profiles]

    def _unregistered(self, year_index: int) -> list[dict[str, np.ndarray]]:
        """The housing shortage moves the unregistered population towards factor_end by end_year."""
        m, p = self.model, self.params
        year = p["run.start_year"] + year_index
        span = max(1, p["drivers.unregistered_end_year"] - p["run.start_year"])
        progress = min(1.0, (year - p["run.start_year"]) / span)
        factor = 1.0 + (p["drivers.unregistered_factor_end"] - 1.0) * progress
        target = np.round(m.base_unregistered * factor * p["run.scale"]).astype(np.int64)
        pop = m.population
        have = np.zeros_like(target)
        np.add.at(have, (pop.district[pop.kind > 0], pop.kind[pop.kind > 0] - 1), 1)
        add = np.maximum(target - have, 0)  # nobody is removed when the factor falls
        return [draw_unregistered(prof, add[prof.index], m.space, p, self.rng, m.city.kind_names)
                for prof in m.profiles if add[prof.index].sum() > 0]

    def _toward(self, year_index: int, start_share: float, end_share: float) -> float:
        p = self.params
        span = max(1, p["drivers.target_year"] - p["run.start_year"])
        return start_share + (end_share - start_share) * min(1.0, year_index / span)

    def _age(self, year_index: int) -> np.ndarray:
        """Ageing: a tenth of 65-74 move to 75+ each year; adults turn 65 until 65+ reaches its target share."""
        pop, rng = self.model.population, self.rng
        seniors = np.flatnonzero(pop.age_band == 3)
        older = seniors[rng.random(len(seniors)) < 0.1]
        pop.age_band[older] = 4
        if not hasattr(self, "_elderly_start"):
            self._elderly_start = float(np.mean(pop.age_band >= 3))
        target = self._toward(year_index, self._elderly_start, self.params["drivers.elderly_share_end"])
        short = int(round(target * len(pop))) - int(np.sum(pop.age_band >= 3))
        adults = np.flatnonzero(pop.age_band == 2)
        turning = rng.choice(adults, size=min(max(short, 0), len(adults)), replace=False)
        pop.age_band[turning] = 3
        return np.concatenate([older, turning])

    def _living_alone(self, year_index: int) -> np.ndarray:
        pop, rng = self.model.population, self.rng
        if not hasattr(self, "_alone_start"):
            self._alone_start = float(np.mean(pop.alone))
        target = self._toward(year_index, self._alone_start, self.params["drivers.alone_share_end"])
        short = int(round(target * len(pop))) - int(pop.alone.sum())
        candidates = np.flatnonzero(~pop.alone & (pop.age_band >= 2))
        flip = rng.choice(candidates, size=min(max(short, 0), len(candidates)), replace=False)
        pop.alone[flip] = True
        return flip

    def _workforce(self, week: int) -> None:
        """Turnover: a worker leaves this year with probability `turnover`, in a uniformly drawn week; the post
        is empty for a geometric time-to-fill (mean `time_to_fill_weeks`), then filled (issue 9: vacancies are
        a time-to-fill, not a share of posts that stays empty)."""
        p = self.params
        from sim.agents import Worker

        for w in self.model.agents:
            if not isinstance(w, Worker) or w.earmarked:
                continue
            # Per post, so staffing changes elsewhere leave this post's draws alone.
            leave, when, length = self.model.streams[f"drivers/workforce/{w.key}"].random(3)
            busy_until = w.vacancy[1] if w.vacancy is not None else week
            if leave < p["drivers.turnover"]:
                start = max(week + int(when * 52), busy_until)
                w.vacancy = (start, start + _weeks_to_fill(length, p["drivers.time_to_fill_weeks"]))
            w.update_vacancy(week)


def _weeks_to_fill(u: float, mean_weeks: float) -> int:
    """Geometric weeks (at least 1) with mean `mean_weeks`, from one uniform draw (inverse transform)."""
    q = min(1.0, 1.0 / mean_weeks)
    return 1 if q >= 1.0 else max(1, int(np.ceil(np.log1p(-u) / np.log1p(-q))))
