"""Informal welfare: resident-run organisations that take up episodes, low-trust residents first.

Each stadsdeel has informal organisations (volunteers and a few paid staff, source 001) with a yearly
capacity in episodes. Each week they take up new episodes that would otherwise stay hidden, lowest
trust first, then, with capacity left, new help requests (again lowest trust first), which then do not
reach the Servicepunt XL. Their subsidy is renewed each year with a probability; an optional earmark of
the area-based budget (Rotterdam: 10%) funds extra capacity and steadier renewal, and is taken from
area-based staff: the money of the emptied posts is reported as `earmark_eur` (the lever's cost). Informal
help can fail: the episodes taken up are passed on as `started["informal"]`, and escalation gives them their
own chance (sim/mechanisms/escalation.py).
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.base import Mechanism
from sim.population import NONE


class InformalWelfare(Mechanism):
    name = "informal"
    counters = ("informal_helped", "earmark_eur")

    def __init__(self, model):
        super().__init__(model)
        p = self.params
        self.orgs = np.maximum(1, np.round(model.city.wijken * p["informal.orgs_per_wijk"])).astype(int)
        self.active = [np.ones(n, dtype=bool) for n in self.orgs]
        # The earmark is paid from area-based staff: that share of their posts is emptied, and exactly the
        # money of those posts (EUR per year per stadsdeel, start-year prices) goes to informal organisations.
        # It is a reallocation with a price: reported as `earmark_eur`, so the lever is never free.
        self.earmark_eur = np.zeros(len(self.orgs))
        if p["informal.earmark"] > 0:
            for w in model.workers("area"):
                if self.rng.random() < p["informal.earmark"]:
                    w.vacant = True
                    w.earmarked = True
                    fte = w.contract_hours / p["service.hours_per_fte"]
                    self.earmark_eur[w.district] += fte * p["service.cost_per_fte"]
        self.sp_district = np.array([sp.district for sp in model.service_points])
        self.sp_share = 1.0 / np.bincount(self.sp_district, minlength=len(self.orgs))[self.sp_district]
        self.weekly_earmark = np.zeros(len(self.sp_district))
        self.weekly_capacity = np.zeros(len(self.orgs))
        self.carry = np.zeros(len(self.orgs))

    def start_year(self, year_index: int, week: int) -> None:
        p = self.params
        renew = (
            p["informal.renewal_probability"]
            if p["informal.earmark"] == 0
            else p["informal.renewal_probability_earmarked"]
        )
        if year_index > 0:
            for d, act in enumerate(self.active):
                keeps = self.rng.random(len(act)) < renew
                restarts = self.rng.random(len(act)) < p["informal.restart_probability"]
                self.active[d] = np.where(act, keeps, restarts)
        per_year = np.array([a.sum() for a in self.active]) * p["informal.capacity_per_org"]
        per_year = per_year + self.earmark_eur / p["informal.cost_per_episode"]
        self.weekly_capacity = per_year / 52.0 * p["run.scale"]
        # Earmark money per service point and week (split equally over a stadsdeel's points), at this year's
        # prices, in simulated units (x run.scale) like every flow, so the annual tables scale it back.
        index = (1.0 + p["service.cost_growth"]) ** year_index
        self.weekly_earmark = self.earmark_eur[self.sp_district] * self.sp_share * index / 52.0 * p["run.scale"]

    def after_demand(self, week: int, started: dict[str, np.ndarray]) -> None:
        pop = self.model.population
        if self.earmark_eur.any():
            self.model.results.ensure("earmark_eur")[self.model.results.row] += self.weekly_earmark
        exact = self.weekly_capacity + self.carry
        cap = np.floor(exact).astype(int)
        self.carry = exact - cap
        # Per stadsdeel, organisations take up to `cap` new episodes: hidden ones first, then requests; within
        # each, the residents who trust services least first (ties in the order they came).
        groups = {key: _by_district_then_trust(pop, started[key], len(cap)) for key in ("hidden", "asked")}
        taken = {"hidden": [], "asked": []}
        for d in range(len(cap)):
            left = cap[d]
            for key in ("hidden", "asked"):
                if left <= 0:
                    break
                order, bounds = groups[key]
                take = order[bounds[d] : bounds[d + 1]][:left]  # positions in started[key]
                taken[key].append(take)
                left -= len(take)
        picked = {}
        for key in ("hidden", "asked"):
            pos = np.concatenate(taken[key]) if taken[key] else np.zeros(0, dtype=np.intp)
            rest = np.ones(len(started[key]), dtype=bool)
            rest[pos] = False
            picked[key] = started[key][pos]
            started[key] = started[key][rest]
        helped = np.concatenate([picked["hidden"], picked["asked"]])
        pop.set_state(helped, NONE)
        pop.contacts_left[helped] = 0
        started["informal"] = helped  # informal help can fail too: escalation sees these (sim/mechanisms/escalation.py)
        self.model.results.add("informal_helped", self.model.results.row, pop.service_point[helped])


def _by_district_then_trust(pop, residents: np.ndarray, n_districts: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions in `residents` sorted by stadsdeel, then trust (lowest first), ties in order; and where each
    stadsdeel's run starts (n_districts + 1 bounds)."""
    district = pop.district[residents]
    order = np.lexsort((pop.trust[residents], district))
    return order, np.searchsorted(district[order], np.arange(n_districts + 1))
