"""Ten-year drivers that change the world from year to year: money for staff, people, workforce.

`budget_plan` says, per simulated year, what the welfare budget pays for: per priority tier the funded share
of today's posts (× levers) and commitments, per stadsdeel and Servicepunt XL. In "mandate" mode staffing
is not budget-bound and every factor is 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.city import AREA_WORK_TYPES, City
from sim.mechanisms.base import Mechanism
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


def cost_index(params: dict) -> np.ndarray:
    """Cost of one FTE per simulated year relative to the start year (wage indexation, `service.cost_growth`)."""
    return (1.0 + params["service.cost_growth"]) ** np.arange(params["run.years"])


def price_index(params: dict) -> np.ndarray:
    """Non-staff costs (accommodation, activities, volunteer support) per year relative to the start year."""
    return (1.0 + params["budget.price_growth"]) ** np.arange(params["run.years"])


# Priority tiers of an unchanged budget, protected first (budget.priority = "core_first"):
TIERS = (
    "accommodation",  # community centres and Servicepunt XL sites: contracts, paid first
    "individual_support",  # the legal core: cliëntondersteuning and individual support at the Servicepunten XL
    "jongerenwerk_deprived",  # outreach youth work in the budget.protected_deprived_count most deprived stadsdelen
    "rest",  # other area-based work (opbouwwerk, ouderenwerk, jongerenwerk elsewhere),
    # activities and volunteer support, all alike
)


@dataclass
class BudgetPlan:
    """What a budget path buys, per year: money per tier, stadsdeel and Servicepunt XL (EUR, whole city).

    `factor` is the funded share of each tier's full cost (today's posts × levers at that year's wages,
    non-staff costs at that year's prices). `unspent_no_posts` is money left after every post and commitment
    is paid: it would need a decision to create posts (a staffing lever), so it is shown, not spent.
    """

    total: np.ndarray  # (years,) the welfare budget
    factor: np.ndarray  # (years, TIERS)
    area_factor: np.ndarray  # (years, stadsdeel, AREA_WORK_TYPES) funded share of area posts
    individual_factor: np.ndarray  # (years,) funded share of individual-support posts
    budget_stadsdeel: np.ndarray  # (years, stadsdeel) allocated: area-based work + its Servicepunten XL
    budget_sp: np.ndarray  # (years, service points) allocated to each Servicepunt XL
    non_staff: np.ndarray  # (years, stadsdeel, NON_STAFF_ITEMS) funded non-staff costs
    non_staff_sp: np.ndarray  # (years, service points) funded non-staff of the Servicepunten XL
    unspent_no_posts: np.ndarray  # (years,)


def welfare_budget(city: City, params: dict) -> np.ndarray:
    """EUR per simulated year for professional welfare work: today's welfare subsidies moved by the budget
    path (sociale basis line or frozen), the ravijnjaar cut and AZWa extra money; with `budget.indexation`
    = real, compensated for wage and price growth (staff and non-staff weighted as at the start)."""
    years = params["run.start_year"] + np.arange(params["run.years"])
    b = city.data.budget
    start = float(b.welfare_subsidies.value)
    budget = start * budget_index(city, params)
    if params["budget.indexation"] == "real":
        parts = city.budget_at_start(params["service.cost_per_fte"])
        staff = float(parts["staff"].sum()) / start
        budget = budget * (staff * cost_index(params) + (1.0 - staff) * price_index(params))
    budget = budget * np.where(years >= params["budget.ravijnjaar_year"], 1.0 - params["budget.ravijnjaar_cut"], 1.0)
    return budget + params["budget.azwa_extra"]


def budget_plan(
    city: City, params: dict, area_posts: np.ndarray, sp_posts: np.ndarray, sp_district: np.ndarray
) -> BudgetPlan:
    """Split each year's welfare budget over the priority tiers (module TIERS; or pro rata), stadsdelen and
    Servicepunten XL. `area_posts` (stadsdeel, AREA_WORK_TYPES) and `sp_posts` (service points) are the hired
    FTE (today's × levers). In mandate mode every factor is 1 and the budget is what the mandate costs."""
    years, k, n_sp = params["run.years"], len(city.stadsdelen), len(sp_posts)
    cost = params["service.cost_per_fte"] * cost_index(params)  # (years,)
    prices = price_index(params)
    parts = city.budget_at_start(params["service.cost_per_fte"])
    non_staff0 = parts["non_staff"]  # (k, items)
    sp_share = np.asarray(sp_posts, float) / max(float(np.sum(sp_posts)), 1e-12)
    non_staff_sp0 = parts["non_staff_individual"].sum() * sp_share  # (n_sp,)
    protected = np.zeros(k, dtype=bool)
    protected[np.argsort(-city.share("low_income"), kind="stable")[: params["budget.protected_deprived_count"]]] = True
    jw = AREA_WORK_TYPES.index("jongerenwerk")

    # Full cost per tier and year (EUR).
    accommodation = np.outer(prices, non_staff0[:, 0])  # (years, k)
    individual = np.outer(cost, sp_posts) + np.outer(prices, non_staff_sp0)  # (years, n_sp)
    area_staff = cost[:, None, None] * area_posts[None]  # (years, k, types)
    jw_deprived = area_staff[:, :, jw] * protected  # (years, k)
    rest_staff = area_staff.copy()
    rest_staff[:, protected, jw] = 0.0
    rest_other = np.outer(prices, non_staff0[:, 1:].sum(axis=1))  # activities, volunteers
    full = np.stack(
        [accommodation.sum(1), individual.sum(1), jw_deprived.sum(1), rest_staff.sum((1, 2)) + rest_other.sum(1)],
        axis=1,
    )  # (years, TIERS)

    if params["budget.mode"] == "mandate":
        total = full.sum(axis=1)
        factor = np.ones_like(full)
    else:
        total = welfare_budget(city, params)
        factor = np.zeros_like(full)
        if params["budget.priority"] == "pro_rata":
            factor[:] = np.minimum(1.0, total / full.sum(axis=1))[:, None]
        else:
            left = total.copy()
            for t in range(len(TIERS)):
                give = np.minimum(full[:, t], np.maximum(left, 0.0))
                factor[:, t] = np.where(full[:, t] > 0, give / np.where(full[:, t] > 0, full[:, t], 1.0), 1.0)
                left = left - give
    f = {name: factor[:, i] for i, name in enumerate(TIERS)}
    area_factor = np.repeat(f["rest"][:, None, None], k, axis=1).repeat(len(AREA_WORK_TYPES), axis=2)
    area_factor[:, protected, jw] = f["jongerenwerk_deprived"][:, None]
    non_staff = np.empty((years, k, non_staff0.shape[1]))
    non_staff[:, :, 0] = accommodation * f["accommodation"][:, None]
    non_staff[:, :, 1:] = prices[:, None, None] * non_staff0[None, :, 1:] * f["rest"][:, None, None]
    budget_sp = individual * f["individual_support"][:, None]
    non_staff_sp = np.outer(prices, non_staff_sp0) * f["individual_support"][:, None]
    area_funded = (area_staff * area_factor).sum(axis=2) + non_staff.sum(axis=2)
    sp_to_d = np.zeros((n_sp, k))
    sp_to_d[np.arange(n_sp), np.asarray(sp_district, dtype=np.int64)] = 1.0
    budget_stadsdeel = area_funded + budget_sp @ sp_to_d
    unspent = total - budget_stadsdeel.sum(axis=1)
    return BudgetPlan(
        total=total,
        factor=factor,
        area_factor=area_factor,
        individual_factor=f["individual_support"],
        budget_stadsdeel=budget_stadsdeel,
        budget_sp=budget_sp,
        non_staff=non_staff,
        non_staff_sp=non_staff_sp,
        unspent_no_posts=np.maximum(unspent, 0.0),
    )


class TenYearDrivers(Mechanism):
    """Year-on-year change: population growth, ageing, more people living alone, a housing shortage that
    raises the unregistered population, and workforce turnover with hard-to-fill vacancies."""

    name = "drivers"
    # Writes no counters of its own: its effects show in the foundation counters and the yearly record.

    def __init__(self, model):
        super().__init__(model)
        self._vacancies_at_equilibrium()

    def _vacancies_at_equilibrium(self) -> None:
        """Start with the share of empty posts that turnover and time-to-fill settle at, v = tT / (52 + tT)
        (t turnover a year, T mean weeks to fill), each with a remaining vacancy drawn from the same
        (memoryless) time-to-fill, so the first years show the drivers' trend, not a start-up effect."""
        t, fill = self.params["drivers.turnover"], self.params["drivers.time_to_fill_weeks"]
        vacancy = t * fill / (52.0 + t * fill)
        week = self.model.week
        for w in self.model.workers():
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
        rate = {"municipal": p["drivers.growth_municipal"], "pbl": p["drivers.growth_pbl"], "none": 0.0}[
            p["drivers.growth_path"]
        ]
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
        unreg = np.flatnonzero(pop.kind > 0)
        n_kinds = target.shape[1]
        key = pop.district[unreg].astype(np.intp) * n_kinds + pop.kind[unreg] - 1
        have = np.bincount(key, minlength=target.size).reshape(target.shape).astype(target.dtype)
        add = np.maximum(target - have, 0)  # nobody is removed when the factor falls
        return [
            draw_unregistered(prof, add[prof.index], m.space, p, self.rng, m.city.kind_names)
            for prof in m.profiles
            if add[prof.index].sum() > 0
        ]

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
        for w in self.model.workers():
            if w.earmarked:
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
