"""A small, obviously correct Mesa version of welzijnsim's core weekly rules: one Agent per resident.

It is the reference the fast engine (`sim.model.WelzijnModel`: numpy columns, draws ahead, vectorised
service) is compared against in tests/test_reference.py and timed against in benchmarks/bench_reference.py.
It implements the foundation rules of docs/model.md §3.2 and §7 (all mechanisms off, weekly engine, no
warm-up) as literally as possible, one resident and one week at a time:

- every week every resident has an episode event with probability h_i (§7.1), written as a Bernoulli
  trial instead of a geometric time drawn ahead; an event while an episode is open is absorbed;
- a new episode is solved alone with p_self (§7.3), else brought to the service point with p_seek (§7.4),
  else hidden (§7.5); a hidden episode ends in each later week with probability 1/hidden_weeks (the
  fast engine draws its geometric length at the start), after that week's episode events;
- a help request needs 1 + X contacts, X ~ Poisson(Gamma(k, (μ-1)/k)) — the negative binomial written
  as its gamma-Poisson mixture, not with numpy's parametrisation that the fast engine uses (§7.6);
- each week each support worker is absent with probability `service.sickness_absence`; a service
  point's capacity is its workers' hours × funded factor × client share / hours per contact × scale
  plus the carried fraction, rounded down (§7.8);
- service (§7.7-7.9): the queue is everyone waiting whose wait has started; whoever has waited a full
  week gives up with probability g; the rest are sorted ongoing clients first, then by `since`, then by
  resident id, and the first C are served; a served client's episode is resolved or the next contact
  becomes due in each later week with probability 1/repeat_gap_weeks (a geometric gap ≥ 1);
- unique clients: the first contact of a resident in a simulated year (§7.10).

The population (attributes), the service points' catchments, the workers' contract hours and the funded
factor are copied from a `WelzijnModel` instance, so only the rules differ. Random numbers come from
Python's `random.Random` (Bernoulli trials) and one numpy Generator (gamma and Poisson), both seeded
from `seed`; they are not the fast engine's streams, so outcomes agree in distribution, not per draw.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict

import numpy as np
from mesa import Agent, Model

NONE, HIDDEN, WAITING_FIRST, WAITING_REPEAT = 0, 1, 2, 3
COUNTERS = (
    "new_episodes",
    "self_solved",
    "hidden_started",
    "help_requests",
    "contacts",
    "first_contacts",
    "new_clients",
    "dropped_first",
    "dropped_repeat",
    "resolved",
    "wait_weeks_sum",
)


class Resident(Agent):
    """One resident: the attributes of sim.population plus the episode state."""

    def __init__(
        self, model, index, district, age_band, alone, low_income, migration, kind, network, trust, service_point
    ):
        super().__init__(model)
        self.index = index  # the resident's row in the fast engine (its id there; ties in the queue)
        self.district, self.age_band, self.alone = district, age_band, alone
        self.low_income, self.migration, self.kind = low_income, migration, kind
        self.network, self.trust, self.service_point = network, trust, service_point
        self.hazard = self.weekly_hazard()
        self.state = NONE
        self.since = 0  # week the wait started (first) or the contact is due (repeat)
        self.request_week = 0
        self.contacts_left = 0
        self.last_client_year = -1

    def weekly_hazard(self) -> float:
        """§7.1: proportional relative risks, then 1 - exp(-rate / 52)."""
        p = self.model.p
        rr_age = (p["demand.rr_child"], p["demand.rr_youth"], 1.0, p["demand.rr_senior"], p["demand.rr_elderly"])
        rate = p["demand.episode_rate"] * rr_age[self.age_band]
        if self.low_income:
            rate *= p["demand.rr_low_income"]
        if self.alone:
            rate *= p["demand.rr_alone"]
        if self.migration:
            rate *= p["demand.rr_migration"]
        if self.kind != 0:
            rate *= p["demand.rr_unregistered"]
        rate *= 1.0 - p["demand.network_protection"] * self.network
        return 1.0 - math.exp(-max(rate, 0.0) / 52.0)

    def step(self) -> None:
        """This week's episode event (if any), then the end of a hidden episode (if due)."""
        m, p, week = self.model, self.model.p, self.model.week
        if m.random.random() < self.hazard and self.state == NONE:
            m.count("new_episodes", self)
            p_self = min(
                1.0,
                max(
                    0.0,
                    p["demand.self_solve_share"]
                    + p["demand.self_solve_network_effect"] * (self.network - m.network_reference),
                ),
            )
            if m.random.random() < p_self:
                m.count("self_solved", self)
            else:
                lo, hi = p["demand.seek_help_min"], p["demand.seek_help_max"]
                if m.random.random() < lo + (hi - lo) * self.trust:
                    self.state, self.since, self.request_week = WAITING_FIRST, week, week
                    self.contacts_left = 1 + m.extra_contacts()
                    m.count("help_requests", self)
                else:
                    self.state = HIDDEN
                    self.since = week  # started now; it can end from next week on
                    m.count("hidden_started", self)
        elif self.state == HIDDEN and week > self.since and m.random.random() < 1.0 / p["demand.hidden_weeks"]:
            self.state = NONE


class SupportWorker(Agent):
    def __init__(self, model, contract_hours: float):
        super().__init__(model)
        self.contract_hours = contract_hours
        self.available_hours = 0.0

    def plan_week(self) -> None:
        p = self.model.p
        absent = self.model.random.random() < p["service.sickness_absence"]
        self.available_hours = 0.0 if absent else self.contract_hours * p["service.working_weeks"] / 52.0


class ServicePoint(Agent):
    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index
        self.workers: list[SupportWorker] = []
        self.residents: list[Resident] = []  # its catchment
        self.carry = 0.0
        self.capacity = 0

    def plan_capacity(self) -> None:
        p, m = self.model.p, self.model
        hours = sum(w.available_hours for w in self.workers) * m.fte_factor[m.week // 52]
        exact = hours * p["service.client_time_share"] / p["service.hours_per_contact"] * p["run.scale"] + self.carry
        self.capacity = int(exact)
        self.carry = exact - self.capacity

    def serve(self) -> None:
        m, p, week = self.model, self.model.p, self.model.week
        # Repeat clients whose next contact was not yet due: it becomes due this week with prob 1/gap.
        for r in self.residents:
            if r.state == WAITING_REPEAT and r.since > week and m.random.random() < 1.0 / p["demand.repeat_gap_weeks"]:
                r.since = week
        waiting = [r for r in self.residents if r.state in (WAITING_FIRST, WAITING_REPEAT) and r.since <= week]
        stay = []
        for r in waiting:
            if r.since < week and m.random.random() < p["demand.give_up_per_week"]:
                m.count("dropped_first" if r.state == WAITING_FIRST else "dropped_repeat", r)
                r.state = NONE
            else:
                stay.append(r)
        priority = p["service.repeat_priority"]
        stay.sort(key=lambda r: ((r.state == WAITING_FIRST) if priority else 0, r.since, r.index))
        year = week // 52
        for r in stay[: self.capacity]:
            m.count("contacts", r)
            if r.state == WAITING_FIRST:
                m.count("first_contacts", r)
                m.counters[year]["wait_weeks_sum"] += week - r.request_week
            if r.last_client_year != year:
                r.last_client_year = year
                m.count("new_clients", r)
            r.contacts_left -= 1
            if r.contacts_left <= 0:
                r.state = NONE
                m.count("resolved", r)
            else:
                r.state = WAITING_REPEAT
                r.since = week + 1_000_000  # not yet due; becomes due from next week on (above)


class ReferenceModel(Model):
    """The reference: built from a (not yet run) `WelzijnModel` so population and staff are the same."""

    def __init__(self, fast, seed: int = 0):
        super().__init__(seed=seed)
        self.random = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.p = dict(fast.params)
        if any(self.p[f"{m}.enabled"] for m in ("drivers", "prevention", "informal", "deployment", "escalation")):
            raise ValueError("the reference model has the foundation rules only: switch the mechanisms off")
        if self.p["run.warmup_weeks"] or self.p["service.engine"] != "weekly":
            raise ValueError("the reference model has no warm-up and only the weekly engine")
        self.week = 0
        self.weeks = 52 * self.p["run.years"]
        self.fte_factor = list(fast.fte_factor_by_year)
        self.counters = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
        self.points = [ServicePoint(self, sp.index) for sp in fast.service_points]
        for sp in fast.service_points:
            for w in sp.workers:
                self.points[sp.index].workers.append(SupportWorker(self, w.contract_hours))
        pop = fast.population
        self.network_reference = float(np.mean(pop.network))
        columns = [
            pop.district,
            pop.age_band,
            pop.alone,
            pop.low_income,
            pop.migration,
            pop.kind,
            pop.network,
            pop.trust,
            pop.service_point,
        ]
        for i, row in enumerate(zip(*(c.tolist() for c in columns))):
            r = Resident(self, i, *row)
            self.points[r.service_point].residents.append(r)

    def extra_contacts(self) -> int:
        """Contacts beyond the first: negative binomial (mean μ - 1, shape k) as a gamma-Poisson mixture."""
        mean_extra, k = self.p["demand.contacts_mean"] - 1.0, self.p["demand.contacts_dispersion"]
        if mean_extra <= 0:
            return 0
        return int(self.np_rng.poisson(self.np_rng.gamma(k, mean_extra / k)))

    def count(self, name: str, resident: Resident) -> None:
        self.counters[self.week // 52][name] += 1

    def step(self) -> None:
        self.agents_by_type[SupportWorker].do("plan_week")
        for sp in self.points:
            sp.plan_capacity()
        self.agents_by_type[Resident].do("step")
        for sp in self.points:
            sp.serve()
        self.week += 1

    def run(self) -> dict[int, dict[str, int]]:
        while self.week < self.weeks:
            self.step()
        return {y: dict(self.counters[y]) for y in range(self.weeks // 52)}


def fast_counters(results) -> dict[int, dict[str, int]]:
    """The same yearly counters from a fast engine's RunResults (whole simulated population, not × 1/scale)."""
    out = {}
    bins = np.arange(results.wait_hist.shape[-1])
    for y in range(results.weeks // 52):
        sl = slice(52 * y, 52 * (y + 1))
        row = {name: int(results.counters[name][sl].sum()) for name in COUNTERS if name != "wait_weeks_sum"}
        row["wait_weeks_sum"] = int((results.wait_hist[sl].sum(axis=(0, 1)) * bins).sum())
        out[y] = row
    return out
