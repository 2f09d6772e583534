"""Results of one run: weekly counters per Servicepunt XL, and tidy tables per week or year.

Counters are recorded for the simulated (possibly scaled-down) population; tables report counts of
people and contacts scaled back to the whole city (× 1/scale). Waits are recorded as a histogram of
weeks per service point and week, so means and percentiles can be taken at any level.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.demand import DESTINATIONS
from sim.servers import MAX_WAIT_HOURS

MAX_WAIT_WEEKS = 52  # waits of a year or more share the last histogram bin

# Flows counted per week and service point (number of residents or contacts that week).
FLOWS = (
    "new_episodes",  # problem episodes started
    "self_solved",  # ... solved by the resident or their own network
    "hidden_started",  # ... neither solved nor brought to a service point
    "help_requests",  # episodes brought to a service point (first request)
    "first_contacts",  # help requests that got their first contact
    "contacts",  # all contacts served, first and repeat
    "new_clients",  # residents served for the first time this calendar year (unique clients)
    "dropped_first",  # help requests that gave up before a first contact
    "dropped_repeat",  # clients who gave up between contacts
    "resolved",  # episodes that received all the contacts they needed
    "contacts_needed",  # contacts the week's help requests will need (true demand, in contacts)
    "informal_helped",  # episodes taken up by informal organisations instead (informal mechanism)
)
# Triage, referral and walk-in waiting (issue 9), per week and service point. At the first contact a request
# is solved, becomes a trajectory or is referred (by destination); before it, it may give up. Conservation:
# help_requests = solved_first_contact + trajectories_started + referred + dropped_first + change in
# waiting_first, and the referred_<destination> counters sum to referred.
REFERRAL_FLOWS = ("referred", *(f"referred_{d}" for d in DESTINATIONS))  # referrals, then by destination
TRIAGE_FLOWS = (
    "solved_first_contact",  # first contacts that solved the question (information, a form, advice)
    "trajectories_started",  # first contacts that started a trajectory of follow-up contacts
    *REFERRAL_FLOWS,  # first contacts that referred the resident to another service, in total and by destination
    "referral_blocked",  # trajectories started because the resident cannot use the destination (no access)
    "left_queue",  # walk-ins not seen who left to come back another day
    "gave_up_solved_alone",  # gave up before a first contact; the problem was solved without the SPXL later
    "gave_up_unresolved",  # gave up before a first contact; the problem stays unresolved
    "new_clients_quarter",  # residents served for the first time this quarter (13 weeks): unique clients a quarter
    "contact_hours",  # worker hours of the contacts served (first contacts are shorter)
    "hours_needed",  # worker hours the week's help requests will need in full (true demand, hours)
)
HOUR_FLOWS = ("contact_hours", "hours_needed")
FLOWS = FLOWS + TRIAGE_FLOWS
# Stocks measured at the end of each week.
STOCKS = ("waiting_first", "open_cases")  # waiting for a first contact; any open help episode
# Capacity per week (contacts are scaled like the population; hours are real hours).
CAPACITY = ("contact_capacity", "client_hours")


@dataclass
class RunResults:
    start_year: int
    weeks: int
    city_name: str
    scale: float
    seed: int
    stadsdelen: list[str]
    service_points: list[str]
    sp_district: np.ndarray  # stadsdeel index per service point
    registered_population: np.ndarray  # per stadsdeel, whole city
    actual_population: np.ndarray  # per stadsdeel incl. unregistered, whole city
    unregistered_by_kind: np.ndarray  # (stadsdeel, kind), whole city
    kind_names: list[str]
    fte: pd.DataFrame  # per stadsdeel x work type
    sp_fte: np.ndarray  # individual-support FTE per service point
    cost_per_fte: float
    hours_per_contact: float
    fte_factor_by_year: np.ndarray  # funded share of the hired hours, per year
    client_hours_per_fte_year: float  # client hours one FTE delivers in a year (for need in FTE)
    cost_index: np.ndarray | None = None  # cost per FTE per year relative to the start year
    years: int = 0
    counters: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (weeks, n_sp)
    extra_flows: list[str] = field(default_factory=list)  # counters added by mechanisms
    wait_hist: np.ndarray | None = None  # (weeks, n_sp, MAX_WAIT_WEEKS + 1) first-contact waits
    drop_wait_hist: np.ndarray | None = None  # same, weeks waited by those who gave up before a first contact
    population_by_year: np.ndarray | None = None  # (years, stadsdeel, [registered, actual]), whole city
    sp_fte_by_year: np.ndarray | None = None  # (years, n_sp) filled individual-support FTE
    area_fte_by_year: np.ndarray | None = None  # (years, stadsdeel) filled area-based FTE
    moved_hours: np.ndarray | None = None  # (weeks, from sp, to sp) flexible deployment
    initial_waiting_first: np.ndarray | None = None  # waiting for a first contact at week 0 (after warm-up)
    # (years, n_sp, MAX_WAIT_HOURS + 1) first-contact waits in working hours, servers engine only (else 0):
    # bin 0 = no wait, bin k = (k-1, k] hours, last bin = MAX_WAIT_HOURS or more (sim/servers.py)
    wait_hours_hist: np.ndarray | None = None
    # The row this week's counts go to, set by the model each week: mechanisms record at `row`, not at the
    # week number, so the warm-up (a scratch record) needs no negative weeks.
    row: int = 0
    # Area-based need (sim/area_need.py); types in sim.city.AREA_WORK_TYPES order, groups in area_need.GROUPS:
    area_fte_today: np.ndarray | None = None  # (stadsdeel, type) today's FTE before levers
    area_fte_today_range: np.ndarray | None = None  # (stadsdeel, type, [low, high]) from the estimate ranges
    target_groups_by_year: np.ndarray | None = None  # (years, stadsdeel, group) whole city, at the year's start
    target_reference: np.ndarray | None = None  # (stadsdeel, group) today's groups
    area_need_by_year: np.ndarray | None = None  # (years, stadsdeel, type) FTE at today's coverage
    area_target_by_year: np.ndarray | None = None  # (years, stadsdeel, type) FTE at the coverage targets
    area_fte_type_by_year: np.ndarray | None = None  # (years, stadsdeel, type) filled FTE
    area_factor_by_year: np.ndarray | None = None  # (years, stadsdeel, type) funded share (budget mode)
    # The welfare budget (sim.mechanisms.drivers.budget_plan), EUR per year, whole city:
    budget_mode: bool = False
    budget_total_by_year: np.ndarray | None = None  # (years,)
    budget_stadsdeel_by_year: np.ndarray | None = None  # (years, stadsdeel) allocated, incl. its Servicepunten XL
    budget_sp_by_year: np.ndarray | None = None  # (years, n_sp)
    non_staff_by_year: np.ndarray | None = None  # (years, stadsdeel, NON_STAFF_ITEMS) funded
    non_staff_sp_by_year: np.ndarray | None = None  # (years, n_sp) funded
    unspent_no_posts_by_year: np.ndarray | None = None  # (years,) budget beyond every post and commitment
    tier_factor_by_year: np.ndarray | None = None  # (years, sim.mechanisms.drivers.TIERS) funded share per tier

    @classmethod
    def empty(cls, weeks: int, n_sp: int, **meta) -> RunResults:
        res = cls(weeks=weeks, **meta)
        for name in FLOWS + STOCKS + CAPACITY:
            dtype = np.float64 if name in CAPACITY or name in HOUR_FLOWS else np.int64
            res.counters[name] = np.zeros((weeks, n_sp), dtype=dtype)
        res.wait_hist = np.zeros((weeks, n_sp, MAX_WAIT_WEEKS + 1), dtype=np.int64)
        res.drop_wait_hist = np.zeros((weeks, n_sp, MAX_WAIT_WEEKS + 1), dtype=np.int64)
        k = len(res.stadsdelen)
        res.population_by_year = np.zeros((res.years, k, 2))
        res.sp_fte_by_year = np.zeros((res.years, n_sp))
        res.area_fte_by_year = np.zeros((res.years, k))
        res.initial_waiting_first = np.zeros(n_sp, dtype=np.int64)
        res.wait_hours_hist = np.zeros((max(res.years, 1), n_sp, MAX_WAIT_HOURS + 1), dtype=np.int64)
        return res

    # ---- recording -------------------------------------------------------------------------
    def ensure(self, name: str) -> np.ndarray:
        """A mechanism's own flow counter (weeks × service points, float), created on first use."""
        if name not in self.counters:
            self.counters[name] = np.zeros((self.weeks, len(self.service_points)))
            self.extra_flows.append(name)
        return self.counters[name]

    def add(self, name: str, week: int, service_points: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Count residents (given by their service point) into flow `name` for `week`."""
        counts = np.bincount(service_points, weights=weights, minlength=len(self.service_points))
        counter = self.counters[name] if name in self.counters else self.ensure(name)
        counter[week] += counts.astype(counter.dtype)

    def add_counts(self, week: int, flows: dict[str, np.ndarray]) -> None:
        """`add` for several unweighted flows at once (name -> service point of each resident): one bincount."""
        n = len(self.service_points)
        parts = list(flows.values())
        offset = np.repeat(np.arange(len(parts)) * n, [len(p) for p in parts])
        key = np.concatenate(parts).astype(np.intp) + offset
        counts = np.bincount(key, minlength=len(parts) * n).reshape(len(parts), n)
        for name, row in zip(flows, counts, strict=True):
            counter = self.counters[name] if name in self.counters else self.ensure(name)
            counter[week] += row.astype(counter.dtype)

    def add_waits(self, week: int, service_points: np.ndarray, waits: np.ndarray, dropped: bool = False) -> None:
        hist = self.drop_wait_hist if dropped else self.wait_hist
        row = hist[week]  # (n_sp, bins): one bincount over the flat index, cheaper than np.add.at
        flat = service_points.astype(np.intp) * row.shape[1] + np.minimum(waits, MAX_WAIT_WEEKS)
        row += np.bincount(flat, minlength=row.size).reshape(row.shape)

    # ---- tables ----------------------------------------------------------------------------
    def group_index(self, level: str) -> tuple[np.ndarray, list[str]]:
        """Map each service point to a group index at `level` and name the groups (the city level is named
        after the city, so tables and outcomes of any city line up)."""
        n_sp = len(self.service_points)
        if level == "service_point":
            return np.arange(n_sp), list(self.service_points)
        if level == "stadsdeel":
            return self.sp_district.astype(np.int64), list(self.stadsdelen)
        if level == "city":
            return np.zeros(n_sp, dtype=np.int64), [self.city_name]
        raise ValueError(f"level must be service_point, stadsdeel or city, not {level!r}")

    @staticmethod
    def _sum_groups(arr: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
        """Sum axis 1 (service points) of `arr` into groups."""
        out = np.zeros((arr.shape[0], n_groups) + arr.shape[2:])
        for g in range(n_groups):
            out[:, g] = arr[:, group == g].sum(axis=1)
        return out

    @staticmethod
    def _wait_stats(hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and 90th percentile (weeks) of waits from histograms over the last axis."""
        n = hist.sum(axis=-1)
        bins = np.arange(hist.shape[-1])
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (hist * bins).sum(axis=-1) / n
            cdf = np.cumsum(hist, axis=-1) / n[..., None]
        p90 = np.where(n > 0, (cdf < 0.9).sum(axis=-1), np.nan)
        return mean, p90.astype(float)

    def quarterly(self, level: str = "service_point") -> pd.DataFrame:
        """One row per quarter (13 weeks) and area, as the municipality's uniform registration counts from April
        2026 (docs/validation.md, "Municipality counts"): flows summed, waiting at the quarter's end, first
        contacts within 2 weeks, and unique clients of the quarter. Whole-city counts."""
        group, names = self.group_index(level)
        k = len(names)
        expand = 1.0 / self.scale
        hist = self._sum_groups(self.wait_hist, group, k)
        flows = {n: self._sum_groups(self.counters[n], group, k) * expand for n in FLOWS + STOCKS}
        rows = []
        for q in range(self.weeks // 13):
            sl = slice(13 * q, 13 * (q + 1))
            for g, name in enumerate(names):
                row = {"year": self.start_year + q // 4, "quarter": q % 4 + 1, "area": name}
                for n in FLOWS:
                    row[n] = flows[n][sl, g].sum()
                for n in STOCKS:
                    row[n + "_end"] = flows[n][sl.stop - 1, g]
                row["unique_clients"] = row["new_clients_quarter"]
                row["first_within_2_weeks"] = self._within(hist[sl].sum(axis=0)[g], 2) * expand
                rows.append(row)
        return pd.DataFrame(rows)

    @staticmethod
    def _within(hist: np.ndarray, weeks: int) -> float:
        """First contacts with a wait of at most `weeks` whole weeks (from a wait histogram)."""
        return float(hist[: weeks + 1].sum())

    def weekly(self, level: str = "stadsdeel") -> pd.DataFrame:
        """One row per week and area; counts scaled to the whole city."""
        group, names = self.group_index(level)
        k = len(names)
        expand = 1.0 / self.scale
        cols = {}
        for name in FLOWS + STOCKS + ("contact_capacity",):
            cols[name] = self._sum_groups(self.counters[name], group, k) * expand
        cols["client_hours"] = self._sum_groups(self.counters["client_hours"], group, k)
        mean, p90 = self._wait_stats(self._sum_groups(self.wait_hist, group, k))
        with np.errstate(invalid="ignore", divide="ignore"):
            util = cols["contact_hours"] / cols["client_hours"]
        frame = pd.DataFrame(
            {
                "week": np.repeat(np.arange(self.weeks), k),
                "year": np.repeat(self.start_year + np.arange(self.weeks) // 52, k),
                "area": np.tile(names, self.weeks),
                **{c: v.ravel() for c, v in cols.items()},
                "mean_wait_weeks": mean.ravel(),
                "p90_wait_weeks": p90.ravel(),
                "utilisation": util.ravel(),
            }
        )
        return frame

    def annual(self, level: str = "stadsdeel") -> pd.DataFrame:
        """One row per year and area: flows summed, stocks at year end, waits over the year, FTE and cost.

        Observed versus true: `contacts` is what the municipality sees counted; `need_fte` is the FTE the
        simulated demand (contacts needed by all help requests) would take; `naive_norm_fte` is what a
        per-capita norm derived from the observed figures gives: the city's counted contacts turned into
        FTE, spread over areas by registered population.
        """
        group, names = self.group_index(level)
        k = len(names)
        years = self.weeks // 52
        expand = 1.0 / self.scale
        hist = self._sum_groups(self.wait_hist, group, k)
        flows = {
            n: self._sum_groups(self.counters[n], group, k) * expand for n in FLOWS + STOCKS + tuple(self.extra_flows)
        }
        hours = self._sum_groups(self.counters["client_hours"], group, k)
        city_group = np.zeros(len(self.service_points), dtype=np.int64)
        city_hours = self._sum_groups(self.counters["contact_hours"], city_group, 1)[:, 0] * expand
        rows = []
        for y in range(years):
            sl = slice(52 * y, 52 * (y + 1))
            f = self.fte_factor_by_year[y]
            mean, p90 = self._wait_stats(hist[sl].sum(axis=0))
            fte_ind = np.bincount(group, weights=self.sp_fte_by_year[y], minlength=k)
            pop_y = self.population_by_year[y]
            if self.area_factor_by_year is not None:  # funded area FTE per stadsdeel (budget mode: per type)
                area_funded = (self.area_fte_type_by_year[y] * self.area_factor_by_year[y]).sum(axis=1)
            else:
                area_funded = self.area_fte_by_year[y] * f
            if level == "stadsdeel":
                fte_area, reg, act = area_funded, pop_y[:, 0], pop_y[:, 1]
            elif level == "city":
                fte_area, reg, act = [area_funded.sum()], [pop_y[:, 0].sum()], [pop_y[:, 1].sum()]
            else:
                fte_area, reg, act = np.zeros(k), np.full(k, np.nan), np.full(k, np.nan)
            naive_city_fte = city_hours[sl].sum() / self.client_hours_per_fte_year
            for g, name in enumerate(names):
                row = {
                    "year": self.start_year + y,
                    "area": name,
                    "registered_population": reg[g],
                    "actual_population": act[g],
                }
                for n in FLOWS + tuple(self.extra_flows):
                    row[n] = flows[n][sl, g].sum()
                for n in STOCKS:
                    row[n + "_end"] = flows[n][sl.stop - 1, g]
                row["unique_clients"] = row["new_clients"]
                row["contacts_per_client"] = (
                    row["contacts"] / row["unique_clients"] if row["unique_clients"] else np.nan
                )
                row["mean_wait_weeks"] = mean[g]
                row["p90_wait_weeks"] = p90[g]
                used = row["contact_hours"]
                row["utilisation"] = used / hours[sl, g].sum() if hours[sl, g].sum() else np.nan
                row["fte_individual_support"] = fte_ind[g] * f
                row["fte_area_based"] = fte_area[g]
                row["fte_total"] = fte_ind[g] * f + fte_area[g]
                row["cost_per_fte_eur"] = self.cost_per_fte * (1.0 if self.cost_index is None else self.cost_index[y])
                row["cost_eur"] = row["fte_total"] * row["cost_per_fte_eur"]
                if "avoided_cost" in row:
                    staff = row["fte_individual_support"] * row["cost_per_fte_eur"]
                    row["benefit_cost_ratio_gross"] = row["avoided_cost"] / staff if staff else np.nan
                if "escalation_cost_dropped" in row:
                    # Escalation individual-support staffing can change (gave up waiting, served late) apart
                    # from problems that never reached any service (sim/mechanisms/escalation.py).
                    row["escalation_cost_staffing"] = row["escalation_cost_dropped"] + row["escalation_cost_late"]
                row["observed_contacts"] = row["contacts"]
                row["need_fte"] = row["hours_needed"] / self.client_hours_per_fte_year
                # Service level of a walk-in service (issue 9): shares of the year's help requests.
                req = row["help_requests"]
                row["share_first_within_2_weeks"] = (
                    self._within(hist[sl].sum(axis=0)[g], 2) * expand / req if req else np.nan
                )
                row["share_gave_up"] = row["dropped_first"] / req if req else np.nan
                row["first_within_2_weeks"] = self._within(hist[sl].sum(axis=0)[g], 2) * expand
                total_reg = self.population_by_year[y, :, 0].sum()
                row["naive_norm_fte"] = naive_city_fte * reg[g] / total_reg if np.isfinite(reg[g]) else np.nan
                row.update(self._area_need_row(level, y, g, row["cost_per_fte_eur"]))
                row.update(self._budget_row(level, y, g, row["cost_eur"]))
                rows.append(row)
        return pd.DataFrame(rows)

    def _budget_row(self, level: str, y: int, g: int, staff_cost: float) -> dict:
        """The welfare budget: non-staff costs paid, what was spent (staff + non-staff), and in budget mode the
        budget (allocated per stadsdeel and Servicepunt XL; the whole path for the city) and what was left
        unspent and why: funded posts that stood empty (vacancies), or money beyond every post and commitment
        (city only; creating posts is a staffing decision, not the budget's)."""
        from sim.city import NON_STAFF_ITEMS
        from sim.mechanisms.drivers import TIERS

        if self.budget_total_by_year is None:
            return {}
        if level == "service_point":
            items = np.zeros(len(NON_STAFF_ITEMS))
            items[0] = self.non_staff_sp_by_year[y, g]  # Servicepunt XL sites (none by default)
            budget = self.budget_sp_by_year[y, g]
        elif level == "stadsdeel":
            own_sp = np.asarray(self.sp_district) == g
            items = self.non_staff_by_year[y, g].copy()
            items[0] += self.non_staff_sp_by_year[y, own_sp].sum()
            budget = self.budget_stadsdeel_by_year[y, g]
        else:
            items = self.non_staff_by_year[y].sum(axis=0)
            items[0] += self.non_staff_sp_by_year[y].sum()
            budget = self.budget_total_by_year[y]
        row = {f"non_staff_{name}_eur": items[i] for i, name in enumerate(NON_STAFF_ITEMS)}
        row["non_staff_eur"] = items.sum()
        row["spend_eur"] = staff_cost + row["non_staff_eur"]
        nan = np.nan
        row["budget_eur"] = budget if self.budget_mode else nan
        row["unspent_eur"] = budget - row["spend_eur"] if self.budget_mode else nan
        no_posts = self.unspent_no_posts_by_year[y] if level == "city" else 0.0
        row["unspent_no_posts_eur"] = no_posts if self.budget_mode else nan
        row["unspent_vacancies_eur"] = row["unspent_eur"] - no_posts if self.budget_mode else nan
        for i, tier in enumerate(TIERS):
            row[f"funded_share_{tier}"] = self.tier_factor_by_year[y, i] if level == "city" else nan
        return row

    def _area_need_row(self, level: str, y: int, g: int, cost: float) -> dict:
        """Area-based need columns (stadsdeel and city levels; NaN per service point): target groups, today's
        FTE (with the range of the budget-split estimate), filled and funded FTE, need and its cost."""
        from sim.area_need import AREA_TYPES, GROUPS

        if self.area_need_by_year is None:
            return {}
        if level == "stadsdeel":
            pick = lambda a: a[g]  # noqa: E731
        elif level == "city":
            pick = lambda a: a.sum(axis=0)  # noqa: E731
        else:
            pick = lambda a: np.full(a.shape[1:], np.nan)  # noqa: E731
        groups = pick(self.target_groups_by_year[y])
        today, rng = pick(self.area_fte_today), pick(self.area_fte_today_range)
        funded = pick(self.area_fte_type_by_year[y] * self.area_factor_by_year[y])
        need, target = pick(self.area_need_by_year[y]), pick(self.area_target_by_year[y])
        row = {name: groups[i] for i, name in enumerate(GROUPS)}
        for j, wt in enumerate(AREA_TYPES):
            row[f"fte_today_{wt}"] = today[j]
            row[f"fte_today_{wt}_low"], row[f"fte_today_{wt}_high"] = rng[j, 0], rng[j, 1]
            row[f"fte_{wt}"] = funded[j]
            row[f"fte_need_{wt}"] = need[j]
            row[f"fte_target_{wt}"] = target[j]
        row["fte_area_today"] = today.sum()
        row["fte_area_need"] = need.sum()
        row["fte_area_target"] = target.sum()
        row["cost_area_need_eur"] = row["fte_area_need"] * cost
        row["cost_area_target_eur"] = row["fte_area_target"] * cost
        with np.errstate(invalid="ignore", divide="ignore"):
            row["coverage_area_need"] = funded.sum() / row["fte_area_need"]  # funded FTE / need (1 = held)
            # Population per funded FTE (not reach: the people one worker is in regular contact with).
            row["youths_per_fte_jongerenwerk"] = row["youths"] / funded[0]
            row["residents_per_fte_opbouwwerk"] = row["residents"] / funded[1]
            row["elderly_alone_per_fte_ouderenwerk"] = row["elderly_alone"] / funded[2]
        return row
