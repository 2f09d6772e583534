"""Informal welfare: resident-run organisations that take up episodes, low-trust residents first.

Each stadsdeel has informal organisations (volunteers and a few paid staff, source 001) with a yearly
capacity in episodes. Each week they take up new episodes that would otherwise stay hidden, lowest
trust first, then, with capacity left, new help requests (again lowest trust first), which then do not
reach the Servicepunt XL. Their subsidy is renewed each year with a probability; an optional earmark of
the area-based budget (Rotterdam: 10%) funds extra capacity and steadier renewal, and is taken from
area-based staff.
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms import Mechanism
from sim.population import NONE


class InformalWelfare(Mechanism):
    name = "informal"

    def __init__(self, model):
        super().__init__(model)
        p = self.params
        self.orgs = np.maximum(1, np.round(model.city.wijken * p["informal.orgs_per_wijk"])).astype(int)
        self.active = [np.ones(n, dtype=bool) for n in self.orgs]
        self.earmark_eur = self._earmark_budget()
        if p["informal.earmark"] > 0:
            # The earmark is paid from area-based staff: empty that share of their posts.
            for w in list(model.agents_by_type.get(_area_worker(), [])):
                if self.rng.random() < p["informal.earmark"]:
                    w.vacant = True
                    w.earmarked = True
        self.weekly_capacity = np.zeros(len(self.orgs))
        self.carry = np.zeros(len(self.orgs))

    def _earmark_budget(self) -> np.ndarray:
        """EUR per year per stadsdeel moved to informal organisations."""
        fte = self.model.area_fte()
        return fte * self.params["service.cost_per_fte"] * self.params["informal.earmark"]

    def start_year(self, year_index: int, week: int) -> None:
        p = self.params
        renew = p["informal.renewal_probability"] if p["informal.earmark"] == 0 else \
            p["informal.renewal_probability_earmarked"]
        if year_index > 0:
            for d, act in enumerate(self.active):
                keeps = self.rng.random(len(act)) < renew
                restarts = self.rng.random(len(act)) < p["informal.restart_probability"]
                self.active[d] = np.where(act, keeps, restarts)
        per_year = np.array([a.sum() for a in self.active]) * p["informal.capacity_per_org"]
        per_year = per_year + self.earmark_eur / p["informal.cost_per_episode"]
        self.weekly_capacity = per_year / 52.0 * p["run.scale"]

    def after_demand(self, week: int, started: dict[str, np.ndarray]) -> None:
        pop = self.model.population
        exact = self.weekly_capacity + self.carry
        cap = np.floor(exact).astype(int)
        self.carry = exact - cap
        taken_hidden, taken_asked = [], []
        for d in range(len(cap)):
            left = cap[d]
            for key, bucket in (("hidden", taken_hidden), ("asked", taken_asked)):
                if left <= 0:
                    break
                cand = started[key][pop.district[started[key]] == d]
                take = cand[np.argsort(pop.trust[cand], kind="stable")[:left]]
                bucket.append(take)
                left -= len(take)
        hidden = np.concatenate(taken_hidden) if taken_hidden else np.zeros(0, dtype=np.int64)
        asked = np.concatenate(taken_asked) if taken_asked else np.zeros(0, dtype=np.int64)
        helped = np.concatenate([hidden, asked])
        pop.state[helped] = NONE
        pop.contacts_left[helped] = 0
        started["hidden"] = np.setdiff1d(started["hidden"], hidden, assume_unique=True)
        started["asked"] = np.setdiff1d(started["asked"], asked, assume_unique=True)
        started["informal"] = helped  # informal help can fail too: escalation sees these (sim/escalation.py)
        self.model.results.add("informal_helped", week, pop.service_point[helped])


def _area_worker():
    from sim.agents import AreaWorker

    return AreaWorker
