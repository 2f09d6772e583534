"""Area-based work (jongerenwerk, opbouwwerk, ouderenwerk) and its preventive effect.

Each year the area workers of a stadsdeel reach as many residents of their target group as their FTE
allows (capacity per FTE; Moerwijk: 1 FTE for ~514 youths, source 003), most deprived cells first.
After a delay, reached residents start fewer episodes and have a stronger network. Reaching people
also uncovers hidden need: some reached residents with a hidden episode now ask for help (signalling),
which raises demand in the short run.
"""

from __future__ import annotations

import numpy as np

from sim.arrays import unique_ids
from sim.demand import ask_for_help, extra_contacts
from sim.mechanisms.base import Mechanism
from sim.mechanisms.escalation import case_costs, escalation_kind
from sim.population import HIDDEN

NOT_REACHED = np.iinfo(np.int32).min


def push_districts(city, params: dict) -> np.ndarray:
    """Indices of the stadsdelen the prevention push goes to: the `deprived_count` with most low income."""
    return np.argsort(-city.share("low_income"), kind="stable")[: params["prevention.deprived_count"]]


def apply_push(fte: np.ndarray, city, params: dict) -> np.ndarray:
    """FTE per (stadsdeel, WORK_TYPES) with the prevention push's posts: jongerenwerk x youth_factor_deprived
    in the push stadsdelen. Extra reach costs posts: with `push_funding = "extra"` they are new posts (and
    cost); with "reallocate" they are taken from opbouwwerk and ouderenwerk in the same stadsdeel (pro rata,
    at most all of them), so the total stays the same and the other work loses that reach."""
    out = fte.copy()
    factor = params["prevention.youth_factor_deprived"]
    if factor == 1.0:
        return out
    for d in push_districts(city, params):
        extra = out[d, 1] * (factor - 1.0)
        if params["prevention.push_funding"] == "reallocate" and extra > 0:
            others = out[d, 2:].sum()
            extra = min(extra, others)
            if others > 0:
                out[d, 2:] *= 1.0 - extra / others
        out[d, 1] += extra
    return out


# Target age bands per area work type (sim.city.AGE_BANDS: 0-11, 12-23, 24-64, 65-74, 75+).
TARGETS = {"jongerenwerk": (1,), "opbouwwerk": (0, 1, 2, 3, 4), "ouderenwerk": (3, 4)}
TARGET_MASK = {wt: np.isin(np.arange(5), bands) for wt, bands in TARGETS.items()}  # by age-band index


class AreaPrevention(Mechanism):
    name = "prevention"
    counters = ("signalled", "avoided_cost_prevention")

    # Per-resident columns (on the population, so newcomers get them): the week reached (NOT_REACHED, or
    # negative in warm-up), whether the effect has started, the network boost given once, and the hazard
    # reduction once effective.
    columns = {
        "prevention_reached_week": ("int32", NOT_REACHED),
        "prevention_effective": ("bool", False),
        "prevention_boosted": ("bool", False),
        "prevention_effect": ("float32", 0.0),
    }

    def __init__(self, model):
        super().__init__(model)
        self._effective_idx = None  # flatnonzero(effective), kept until it changes
        self.case_cost = case_costs(self.params)  # per escalation kind; fixed for the run
        # The weekly gross credit per effective resident (prevented episodes a week x case cost) and its sum per
        # service point, kept up to date for the residents whose hazard or domain changed since last week:
        # recomputing ~150k residents every week was the largest single cost of a run.
        self._credit = np.zeros(0)
        self._credit_total = np.zeros(len(model.service_points))
        self._changed: list[np.ndarray] = []
        # Reached residents whose effect has not started (the only ones `adjust_capacity` can make effective).
        self._pending = np.zeros(0, dtype=np.int64)
        # Residents of each stadsdeel by their cell's deprivation and that deprivation (`_by_district`): kept
        # between years, as sorting the city every year was the largest part of the yearly reach.
        self._members: list[np.ndarray] = []
        self._member_deprivation: list[np.ndarray] = []
        self._members_of = 0  # residents filed so far
        self._cell_rank = None

    # The columns under their short names (app/worker.py and tests read them from the mechanism).
    reached_week = property(lambda self: self.model.population.prevention_reached_week)
    effective = property(lambda self: self.model.population.prevention_effective)
    boosted = property(lambda self: self.model.population.prevention_boosted)

    @property
    def effect(self) -> np.ndarray:
        return self.model.population.prevention_effect

    @effect.setter
    def effect(self, value: np.ndarray) -> None:
        self.model.population.prevention_effect[:] = value  # in place: the column stays a view (Population.append)

    def reach_capacity(self) -> dict[str, np.ndarray]:
        """Residents each stadsdeel's area workers can reach this year, per work type (scaled)."""
        m, p = self.model, self.params
        fte = m.area_fte_by_type()
        youth_factor = np.ones(len(m.profiles))
        # The push's posts are hired at the start (sim/model.py, apply_push), but it is a policy from the start
        # year on: during warm-up the push stadsdelen reach only what today's jongerenwerk posts reach.
        if m.week < 0 and p["prevention.youth_factor_deprived"] > 0:
            youth_factor[push_districts(m.city, p)] = 1.0 / p["prevention.youth_factor_deprived"]
        per_fte = {
            "jongerenwerk": p["prevention.youth_reach_per_fte"],
            "opbouwwerk": p["prevention.community_reach_per_fte"],
            "ouderenwerk": p["prevention.elderly_reach_per_fte"],
        }
        out = {}
        for wt, reach in per_fte.items():
            factor = youth_factor if wt == "jongerenwerk" else 1.0
            out[wt] = fte[wt] * factor * reach * p["run.scale"] * m.fte_factor_by_year[max(m.week, 0) // 52]
        return out

    def start_year(self, year_index: int, week: int) -> None:
        m, p, pop = self.model, self.params, self.model.population
        reached = np.zeros(len(pop), dtype=bool)
        effect = np.zeros(len(pop), dtype=np.float32)
        noise = self.rng.random(len(pop))
        members, deprivation = self._by_district()
        capacities = self.reach_capacity()
        # Per stadsdeel, each work type reaches the `capacity` eligible residents of highest priority: deprived
        # cells first, ties random. Targeted work (youth, elderly) first; community work then reaches the
        # residents still unreached. Which residents, not in what order, is what counts, so a partition
        # (linear) replaces a full sort; priorities are distinct (deprivation > 0 times continuous noise), so
        # the set is the sorted one.
        for d, (ids, dep) in enumerate(zip(members, deprivation, strict=True)):
            band = pop.age_band[ids]  # ids by deprivation, highest first
            reached_here = np.zeros(len(ids), dtype=bool)
            for wt in ("jongerenwerk", "ouderenwerk", "opbouwwerk"):
                e = p["prevention.community_effect"] if wt == "opbouwwerk" else p["prevention.effect"]
                take = np.flatnonzero(TARGET_MASK[wt][band] & ~reached_here)
                k = max(int(capacities[wt][d]), 0)
                if k == 0:
                    take = take[:0]
                elif k < len(take):
                    # A priority lies in [dep, 1.2 dep): the k-th eligible by deprivation has priority at least
                    # its dep, so nobody below dep / 1.2 of it can be among the k highest. Only the residents
                    # above that bound (10-20 % of the eligible) need a priority and the partition.
                    bound = dep[take[k - 1]] / 1.2 * (1.0 - 1e-9)
                    cand = take[: np.searchsorted(take, np.searchsorted(-dep, -bound, side="right"))]
                    priority = dep[cand] * (1.0 + 0.2 * noise[ids[cand]])
                    take = cand[np.argpartition(-priority, k - 1)[:k]]
                reached_here[take] = True
                effect[ids[take]] = e
            reached[ids[reached_here]] = True
        changed = reached & (self.reached_week != NOT_REACHED) & (effect != self.effect) & self.effective
        self.effect = effect
        newly = reached & (self.reached_week == NOT_REACHED)
        self.reached_week[newly] = week
        lost = ~reached & (self.reached_week != NOT_REACHED)
        self.reached_week[lost] = NOT_REACHED
        lapsed = np.flatnonzero((lost & self.effective) | changed)
        self.effective[lapsed] = False
        self._effective_idx = None
        self._pending = np.flatnonzero((self.reached_week != NOT_REACHED) & ~self.effective)
        pop.hazard_multiplier[lapsed] = 1.0
        m.refresh_hazard(lapsed, week)
        # Signalling: reached residents with hidden need are more likely to ask for help now.
        hidden = np.flatnonzero(newly & (pop.state == HIDDEN))
        asks = hidden[self.rng.random(len(hidden)) < p["prevention.signalling"]]
        ask_for_help(pop, asks, week, 1 + extra_contacts(len(asks), p, self.rng))
        m.results.add("help_requests", m.results.row, pop.service_point[asks])
        m.results.add("contacts_needed", m.results.row, pop.service_point[asks], weights=pop.contacts_left[asks])
        m.results.ensure("signalled")
        m.results.add("signalled", m.results.row, pop.service_point[asks])

    def _by_district(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per stadsdeel, its residents' ids by their cell's deprivation (highest first) and that deprivation.
        Residents do not move, so this changes only when newcomers arrive. The order among equal deprivation
        does not matter (the reach takes a set, and the bound only compares deprivations)."""
        m, pop = self.model, self.model.population
        if self._members_of < len(pop):
            if self._cell_rank is None:
                # Cells ranked by deprivation: sorting residents by their cell's rank (a small integer, which
                # numpy sorts by radix) orders them by deprivation at a fraction of a float sort.
                rank = np.empty(len(m.space.deprivation), dtype=np.int64)
                rank[np.argsort(-m.space.deprivation, kind="stable")] = np.arange(len(rank))
                self._cell_rank = rank.astype(np.uint16 if len(rank) < 2**16 else np.int64)
            new = np.arange(self._members_of, len(pop))
            district = pop.district[new]
            order = np.argsort(district, kind="stable")
            bounds = np.searchsorted(district[order], np.arange(len(m.profiles) + 1))
            if not self._members:
                self._members = [np.zeros(0, dtype=np.intp)] * len(m.profiles)
                self._member_deprivation = [np.zeros(0)] * len(m.profiles)
                self._member_rank = [np.zeros(0, dtype=self._cell_rank.dtype)] * len(m.profiles)
            for d in range(len(m.profiles)):
                ids = new[order[bounds[d] : bounds[d + 1]]]
                cells = pop.cell[ids]
                by_rank = np.argsort(self._cell_rank[cells], kind="stable")
                ids, cells = ids[by_rank], cells[by_rank]
                rank = self._cell_rank[cells]
                dep = m.space.deprivation[cells]
                if len(self._members[d]) == 0:
                    self._members[d], self._member_rank[d], self._member_deprivation[d] = ids, rank, dep
                    continue
                # Newcomers go after the residents of equal rank already filed (as one stable sort of all would).
                at = np.searchsorted(self._member_rank[d], rank, side="right")
                self._members[d] = np.insert(self._members[d], at, ids)
                self._member_rank[d] = np.insert(self._member_rank[d], at, rank)
                self._member_deprivation[d] = np.insert(self._member_deprivation[d], at, dep)
            self._members_of = len(pop)
        return self._members, self._member_deprivation

    def residents_changed(self, idx: np.ndarray) -> None:
        if self._effective_idx is not None and len(idx):  # else the next rebuild recomputes everyone
            self._changed.append(idx)

    def _credit_of(self, idx: np.ndarray) -> np.ndarray:
        """Per resident: episodes a week the effect prevents x the cost of the kind each would escalate into."""
        pop = self.model.population
        kept = np.maximum(pop.hazard_multiplier[idx], 1e-6)
        prevented = pop.weekly_hazard[idx] * (1.0 / kept - 1.0)
        return prevented * self.case_cost[escalation_kind(pop.domain[idx], pop.age_band[idx])]

    def after_demand(self, week, started) -> None:
        """Gross credit of prevention (only with escalation on): the episodes the effect prevents this week,
        valued as if each would otherwise have had no help (the escalation chance without help x case cost).
        Gross like the business cases: every prevented episode is credited in full (source 004 §4.4)."""
        p = self.params
        if not p["escalation.enabled"]:
            return
        pop = self.model.population
        n_sp = len(self._credit_total)
        if self._effective_idx is None:
            # The effective residents change only at a year start and every 4 weeks: rebuild then.
            idx = self._effective_idx = np.flatnonzero(self.effective[: len(pop)])
            self._credit = self._credit_of(idx)
            self._credit_total = np.bincount(pop.service_point[idx], weights=self._credit, minlength=n_sp)
        else:
            # Between rebuilds a resident's credit changes only with its hazard (`residents_changed`, called by
            # the model's refresh_hazard) or the domain of a new episode.
            idx = self._effective_idx
            changed = np.concatenate([*self._changed, started["new"]]) if len(idx) else idx
            pos = np.searchsorted(idx, changed)
            pos = unique_ids(pos[(pos < len(idx)) & (idx[np.minimum(pos, len(idx) - 1)] == changed)])
            if len(pos):
                new = self._credit_of(idx[pos])
                delta = np.bincount(pop.service_point[idx[pos]], weights=new - self._credit[pos], minlength=n_sp)
                self._credit_total += delta
                self._credit[pos] = new
        self._changed = []
        if len(idx) == 0:
            return
        index = (1.0 + p["escalation.cost_growth"]) ** (max(week, 0) // 52)
        res = self.model.results
        res.ensure("avoided_cost_prevention")[res.row] += self._credit_total * (p["escalation.p_no_help"] * index)

    def adjust_capacity(self, week, capacity, setback) -> None:
        # Every 4 weeks, the effect starts for residents reached at least `delay_weeks` ago.
        if week % 4:
            return
        p, pop = self.params, self.model.population
        ripe = self.reached_week[self._pending] + p["prevention.delay_weeks"] <= week
        due, self._pending = self._pending[ripe], self._pending[~ripe]
        if len(due) == 0:
            return
        self.effective[due] = True
        self._effective_idx = None
        pop.hazard_multiplier[due] = 1.0 - self.effect[due]
        first = due[~self.boosted[due]]
        self.boosted[first] = True
        pop.network[first] = np.minimum(1.0, pop.network[first] + p["prevention.network_boost"])
        self.model.refresh_hazard(due, week)
