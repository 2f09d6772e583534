"""Escalation: problems that get help late or never can turn into costly care, paid by different payers.

An episode ends in one of four ways, each with its own chance of escalating (per episode):
dropped (gave up waiting), hidden (never asked), served late (first contact after `late_weeks`) and
served in time. What it escalates into follows its life domain and the resident's age, with unit costs
from figures.md §E and a payer. The avoided cost of each served episode is its chance of escalating
without help minus with help, times the expected cost: a gross figure (source 004 §4.4 explains why net
effects are smaller: deadweight, displacement, attribution).
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms import Mechanism
from sim.streams import GroupStreams

# Kinds of escalated care, their payer and the parameter holding their unit cost (EUR per case).
KINDS = ("problem_debt", "eviction", "ggz", "wmo", "youth_care")
# Problem debt's societal cost (IBO) falls largely on national budgets (benefits, enforcement): an estimate.
PAYER = {"problem_debt": "rijk", "eviction": "gemeente", "ggz": "zorgverzekeraar",
         "wmo": "gemeente", "youth_care": "gemeente"}
PAYERS = ("gemeente", "zorgverzekeraar", "rijk")


def escalation_kind(domain: np.ndarray, age_band: np.ndarray) -> np.ndarray:
    """Index into KINDS: young residents (0-23) escalate into youth care; adults by life domain."""
    # domains: finances, housing, work, social, health, meaning
    by_domain = np.array([0, 1, 0, 3, 2, 3])  # work problems end in debt; social and meaning in Wmo
    kind = by_domain[np.clip(domain, 0, 5)]
    return np.where(age_band <= 1, KINDS.index("youth_care"), kind)


class Escalation(Mechanism):
    name = "escalation"

    def __init__(self, model):
        super().__init__(model)
        p = self.params
        self.unit_cost = np.array([p[f"escalation.cost_{k}"] for k in KINDS])
        # Per service point, so a change at one point does not reshuffle escalations elsewhere.
        self.draws = GroupStreams(model.streams, "escalation", len(model.service_points))
        self.payer_of = np.array([PAYERS.index(PAYER[k]) for k in KINDS])
        for name in ("escalations", "escalation_cost", "avoided_cost") + tuple(f"escalation_cost_{x}" for x in PAYERS):
            model.results.ensure(name)

    def _escalate(self, week: int, who: np.ndarray, probability: float) -> None:
        if len(who) == 0:
            return
        pop, res = self.model.population, self.model.results
        hit = who[self.draws.random(pop.service_point[who]) < probability]
        kind = escalation_kind(pop.domain[hit], pop.age_band[hit])
        cost = self.unit_cost[kind] * self._cost_index(week)
        sp = pop.service_point[hit]
        res.add("escalations", week, sp)
        res.add("escalation_cost", week, sp, weights=cost)
        for j, payer in enumerate(PAYERS):
            mask = self.payer_of[kind] == j
            res.add(f"escalation_cost_{payer}", week, sp[mask], weights=cost[mask])

    def _cost_index(self, week: int) -> float:
        """Unit costs grow like wages (care is mostly staff), so benefit/cost is not eroded by accounting."""
        return (1.0 + self.params["escalation.cost_growth"]) ** (max(week, 0) // 52)

    def after_service(self, week: int, out, hidden_ended: np.ndarray) -> None:
        p, pop = self.params, self.model.population
        late = out.first_wait > p["escalation.late_weeks"]
        first = out.served[out.first]
        self._escalate(week, np.concatenate([out.dropped_first, out.dropped_repeat]), p["escalation.p_no_help"])
        self._escalate(week, hidden_ended, p["escalation.p_no_help"])
        self._escalate(week, first[late], p["escalation.p_late"])
        self._escalate(week, first[~late], p["escalation.p_in_time"])
        # Gross avoided cost: the no-help chance minus the chance with help, for each episode helped.
        helped_late, helped = first[late], first[~late]
        for group, p_with in ((helped, p["escalation.p_in_time"]), (helped_late, p["escalation.p_late"])):
            expected = self.unit_cost[escalation_kind(pop.domain[group], pop.age_band[group])] * self._cost_index(week)
            self.model.results.add("avoided_cost", week, pop.service_point[group],
                                   weights=(p["escalation.p_no_help"] - p_with) * expected)
