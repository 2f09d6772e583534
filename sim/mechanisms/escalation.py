"""Escalation: problems that get help late or never can turn into costly care, paid by different payers.

An episode can escalate along one of five routes, each with its own chance (per episode):

- ``never_reached``: a hidden episode that ended without the resident ever asking a service for help.
  Welfare *staffing* cannot change these; prevention (reach, signalling) and informal help can.
- ``informal``: the episode was taken up by an informal organisation instead; informal help can fail too.
- ``dropped``: the resident gave up waiting (before a first contact or between contacts), and the problem
  was not solved without the Servicepunt XL afterwards (``demand.gave_up_solved_alone``).
- ``late``: the first contact came after ``late_weeks``.
- ``in_time``: help came in time (the floor: some problems escalate whatever is done).

A help request that triage solves in one contact (a light question, sim/demand.py) escalates on the request
routes with its chance times ``escalation.light_factor``. ``dropped`` and ``late`` are the escalation that
individual-support staffing can change (STAFFING_ROUTES);
they are reported apart from the others, so the cost of problems that never reached any service is not
read as a cost of short staffing.

What an episode escalates into follows its life domain and the resident's age. The unit costs of figures.md
§E are mostly *annual* costs per client; an escalation is booked as the annual unit cost times a duration in
years (``escalation.years_<kind>``), undiscounted, in the week it escalates, and charged to the payer of that
kind of care (PAYER; the scope of each unit cost is in SCOPE). The gross avoided cost of each served episode is
its chance of escalating without help minus with help, times the expected cost: a gross figure (source 004 §4.4:
net effects are smaller: deadweight, displacement, attribution). Net effects of a lever come from paired runs
(analysis/staffing/levers.py).
"""

from __future__ import annotations

import numpy as np

from sim.mechanisms.base import Mechanism
from sim.streams import GroupUniforms

# Kinds of escalated care, their payer and the parameters holding their unit cost (EUR per client-year) and
# duration (years).
KINDS = ("problem_debt", "eviction", "ggz", "wmo", "youth_care")
# Who actually pays. Problem debt's societal cost (IBO) falls largely on national budgets (benefits, toeslagen,
# collection): charged to the Rijk, an estimate. Severe mental-health care is Zvw (zorgverzekeraar) in its first
# years; Wlz (Rijk) only for lasting care, which the durations here do not reach.
PAYER = {
    "problem_debt": "rijk",
    "eviction": "gemeente",
    "ggz": "zorgverzekeraar",
    "wmo": "gemeente",
    "youth_care": "gemeente",
}
PAYERS = ("gemeente", "zorgverzekeraar", "rijk")  # "rijk" = Rijk incl. Wlz
# What each unit cost covers (printed in docs/model.md).
SCOPE = {
    "problem_debt": "societal cost of a year of problematic debt per household (IBO 2024: EUR 8.5bn / 730k)",
    "eviction": "municipal cost per participant of a housing-support trajectory (Bouwdepot); one-off, not annual",
    "ggz": "a year of specialised care for severe mental illness (Vektis: EUR 4.7bn / 220k EPA patients)",
    "wmo": "a year of Wmo maatwerk provision per client (CBS: EUR 5.48bn / ~60 per 1,000 residents)",
    "youth_care": "a year of specialist plus escalated youth care per client (2017: EUR 3.94bn / ~430k)",
}
ROUTES = ("never_reached", "informal", "dropped", "late", "in_time")
REQUEST_ROUTES = ("dropped", "late", "in_time")  # routes of a help request, whose triage outcome is known
STAFFING_ROUTES = ("dropped", "late")


# domains: finances, housing, work, social, health, meaning
_BY_DOMAIN = np.array([0, 1, 0, 3, 2, 3])  # work problems end in debt; social and meaning in Wmo
# Kind by (young, domain + 1), flat: one lookup (called several times a week). Domain -1 (none) counts as 0.
_KIND_FLAT = np.concatenate([_BY_DOMAIN[:1], _BY_DOMAIN, np.full(7, KINDS.index("youth_care"))])


def escalation_kind(domain: np.ndarray, age_band: np.ndarray) -> np.ndarray:
    """Index into KINDS: young residents (0-23) escalate into youth care; adults by life domain."""
    return _KIND_FLAT[np.where(age_band <= 1, 8, 1) + domain]


def case_costs(params: dict) -> np.ndarray:
    """EUR per escalated case of each kind at start-year prices: annual unit cost x duration in years."""
    return np.array([params[f"escalation.cost_{k}"] * params[f"escalation.years_{k}"] for k in KINDS])


class Escalation(Mechanism):
    name = "escalation"

    def __init__(self, model):
        super().__init__(model)
        p = self.params
        self.case_cost = case_costs(p)
        # Per service point, so a change at one point does not reshuffle escalations elsewhere.
        self.draws = GroupUniforms(model.streams, "escalation", len(model.service_points))
        self.payer_of = np.array([PAYERS.index(PAYER[k]) for k in KINDS])
        self._payer_counters = tuple(f"escalation_cost_{payer}" for payer in PAYERS)
        self.probability = {
            "never_reached": p["escalation.p_never_reached"],
            "dropped": p["escalation.p_no_help"],
            "informal": p["escalation.p_informal"],
            "late": p["escalation.p_late"],
            "in_time": p["escalation.p_in_time"],
        }
        for name in counter_names():
            model.results.ensure(name)

    def _escalate(self, week: int, groups: list[tuple[str, np.ndarray]]) -> None:
        """Residents of each (route, who) escalate with the route's chance; cost by kind, payer and route.

        All routes of a week in one pass: the draws are per service point stream in order (route by route,
        residents in order within a route), the same numbers as one call per route, at a fraction of the calls.
        """
        who = np.concatenate([w for _, w in groups])
        if len(who) == 0:
            return
        pop, res = self.model.population, self.model.results
        routes = [r for r, _ in groups]
        route_of = np.repeat(np.arange(len(groups)), [len(w) for _, w in groups])
        chance = np.array([self.probability[r] for r in routes])[route_of]
        request = np.array([r in REQUEST_ROUTES for r in routes])[route_of]
        if request.any():  # a light question (solved at triage) escalates less often
            chance = np.where(request, chance * self._light(who), chance)
        sp_all = pop.service_point[who]
        hit_mask = self.draws.random(sp_all) < chance
        hit = who[hit_mask]
        kind = escalation_kind(pop.domain[hit], pop.age_band[hit])
        cost = self.case_cost[kind] * self._cost_index(week)
        n_sp, n_r, n_p = len(self.model.service_points), len(groups), len(PAYERS)
        key = route_of[hit_mask] * n_sp + sp_all[hit_mask]
        count = np.bincount(key, minlength=n_r * n_sp).reshape(n_r, n_sp).astype(float)
        euros = np.bincount(key, weights=cost, minlength=n_r * n_sp).reshape(n_r, n_sp)
        pkey = (route_of[hit_mask] * n_p + self.payer_of[kind]) * n_sp + sp_all[hit_mask]
        by_payer = np.bincount(pkey, weights=cost, minlength=n_r * n_p * n_sp).reshape(n_r, n_p, n_sp)
        w = res.row
        for r, route in enumerate(routes):
            for name in ("escalations", f"escalations_{route}"):
                res.ensure(name)[w] += count[r]
            for name in ("escalation_cost", f"escalation_cost_{route}"):
                res.ensure(name)[w] += euros[r]
            for j, name in enumerate(self._payer_counters):
                res.ensure(name)[w] += by_payer[r, j]

    def _light(self, who: np.ndarray) -> np.ndarray:
        """Per resident: `escalation.light_factor` for a request triage solves in one contact, else 1."""
        from sim.demand import SOLVED

        route = self.model.population.route
        return np.where(route[who] == SOLVED, self.params["escalation.light_factor"], 1.0)

    def _cost_index(self, week: int) -> float:
        """Unit costs grow like wages (care is mostly staff), so benefit/cost is not eroded by accounting."""
        return (1.0 + self.params["escalation.cost_growth"]) ** (max(week, 0) // 52)

    def after_demand(self, week: int, started: dict[str, np.ndarray]) -> None:
        # Episodes informal organisations took up this week (sim/mechanisms/informal.py runs before this mechanism).
        taken = started.get("informal", np.zeros(0, dtype=np.int64))
        self._escalate(week, [("informal", taken)])
        # Gross credit for informal help: the chance had nobody helped minus the informal chance. Informal
        # organisations take up hidden episodes first, so "nobody" is the never-reached chance.
        pop, p = self.model.population, self.params
        expected = self.case_cost[escalation_kind(pop.domain[taken], pop.age_band[taken])] * self._cost_index(week)
        self.model.results.add(
            "avoided_cost_informal",
            self.model.results.row,
            pop.service_point[taken],
            weights=(p["escalation.p_never_reached"] - p["escalation.p_informal"]) * expected,
        )

    def after_service(self, week: int, out, hidden_ended: np.ndarray) -> None:
        p, pop = self.params, self.model.population
        late = out.first_wait > p["escalation.late_weeks"]
        first = out.served[out.first]
        # Of those who gave up before a first contact, some solved the problem without the Servicepunt XL
        # later (sim/service.py, demand.gave_up_solved_alone): they do not escalate.
        alone = getattr(out, "dropped_solved_alone", None)
        unsolved = (
            out.dropped_first[~alone]
            if alone is not None and len(alone) == len(out.dropped_first)
            else out.dropped_first
        )
        dropped = np.concatenate([unsolved, out.dropped_repeat])
        self._escalate(
            week,
            [("dropped", dropped), ("never_reached", hidden_ended), ("late", first[late]), ("in_time", first[~late])],
        )
        # Gross avoided cost: the no-help chance minus the chance with help, for each episode helped.
        helped_late, helped = first[late], first[~late]
        for group, p_with in ((helped, p["escalation.p_in_time"]), (helped_late, p["escalation.p_late"])):
            expected = self.case_cost[escalation_kind(pop.domain[group], pop.age_band[group])] * self._cost_index(week)
            self.model.results.add(
                "avoided_cost",
                self.model.results.row,
                pop.service_point[group],
                weights=(p["escalation.p_no_help"] - p_with) * expected * self._light(group),
            )


def counter_names() -> tuple[str, ...]:
    """The weekly counters this mechanism records (escalations and EUR, in total, by route and by payer)."""
    return (
        ("escalations", "escalation_cost", "avoided_cost", "avoided_cost_informal", "avoided_cost_prevention")
        + tuple(f"escalation_cost_{x}" for x in PAYERS)
        + tuple(f"escalations_{r}" for r in ROUTES)
        + tuple(f"escalation_cost_{r}" for r in ROUTES)
    )


Escalation.counters = counter_names()  # created at set-up (Escalation.__init__), so zero rows are reported too
