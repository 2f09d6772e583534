"""Flexible deployment: a pool of hours sent each week (or month) to the service points under most pressure.

Each service point puts `pool_share` of its contact capacity in a city-wide pool. The pool is handed out
in proportion to each service point's excess demand (queue beyond its own remaining capacity); what is
not needed goes back home. The lever has two prices:

- Travel and co-ordination: a share `travel_overhead` of every moved contact is lost. Those are paid hours
  not spent with clients: reported as `travel_hours` and, at the integral cost of a paid hour, as
  `travel_cost_eur` (inside the staff cost, not on top of it).
- Relationships: a FOLLOW-UP contact given by a worker who is not the client's usual one (moved-in capacity)
  does not move the episode forward with probability `stranger_penalty`, so the client needs one contact
  more. First contacts carry no penalty: there is no relationship yet. Relational factors explain ≈30 % of
  the variation in outcomes (Blom & Morén via source 004 §4.4.4); that does not say how much less often a
  contact with an unfamiliar worker succeeds, so the penalty is an estimate with a range (figures.md,
  reading notes). It is applied after service (`after_service`), by re-opening the episode's step.
"""

from __future__ import annotations

import numpy as np

from sim import service
from sim.mechanisms.base import Mechanism
from sim.population import NONE, WAITING_REPEAT


class FlexibleDeployment(Mechanism):
    name = "deployment"
    counters = ("hours_moved_in", "hours_moved_out", "travel_hours", "travel_cost_eur", "stranger_setbacks")

    def __init__(self, model):
        super().__init__(model)
        self.allocation = None  # contacts per service point decided at the last decision week
        self.carry = None  # fractional contacts carried to next week (small scales lose none to rounding)

    def adjust_capacity(self, week: int, capacity: np.ndarray, setback: np.ndarray) -> None:
        p, m = self.params, self.model
        if p["deployment.policy"] == "fixed" or p["deployment.pool_share"] == 0:
            return
        pool = np.floor(capacity * p["deployment.pool_share"]).astype(np.int64)
        own = capacity - pool
        if self.allocation is None or week % p["deployment.interval_weeks"] == 0:
            waiting = np.bincount(
                m.population.service_point[service.queue(m.population, week)], minlength=len(capacity)
            )
            excess = np.maximum(waiting - own, 0).astype(float)
            total_pool = pool.sum()
            if excess.sum() > 0:
                wanted = np.minimum(excess, total_pool * excess / excess.sum())
            else:
                wanted = np.zeros(len(capacity))
            # Pool not wanted elsewhere stays at home, in proportion to what each point put in.
            rest = total_pool - wanted.sum()
            self.allocation = wanted + rest * pool / max(total_pool, 1)
        alloc = self.allocation
        moved_in = np.maximum(alloc - pool, 0.0)
        moved_out = np.maximum(pool - alloc, 0.0)
        hpc = p["service.hours_per_contact"]
        m.results.ensure("hours_moved_in")[m.results.row] += moved_in * hpc
        m.results.ensure("hours_moved_out")[m.results.row] += moved_out * hpc
        res = m.results  # the scratch record during warm-up
        if res.moved_hours is None:
            n = len(capacity)
            res.moved_hours = np.zeros((res.weeks, n, n))
        if moved_in.sum() > 0:
            flows = np.outer(moved_out, moved_in) / moved_in.sum()
            res.moved_hours[res.row] = flows * hpc / p["run.scale"]
        # Travel and co-ordination eat part of every moved contact.
        effective = own + np.minimum(alloc, pool) + moved_in * (1.0 - p["deployment.travel_overhead"])
        if self.carry is None:
            self.carry = np.zeros(len(capacity))
        effective = effective + self.carry
        new_capacity = np.floor(effective + 1e-9).astype(np.int64)
        self.carry = np.maximum(effective - new_capacity, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            stranger_share = np.where(
                new_capacity > 0, moved_in * (1 - p["deployment.travel_overhead"]) / np.maximum(new_capacity, 1), 0.0
            )
        capacity[:] = new_capacity
        self.stranger_share = np.clip(stranger_share, 0, 1)
        # Paid hours lost to travel and co-ordination, and their cost at the integral cost of a paid hour.
        lost = moved_in * hpc * p["deployment.travel_overhead"]
        res.ensure("travel_hours")[res.row] += lost
        hour_cost = p["service.cost_per_fte"] / (p["service.hours_per_fte"] * 52.0)
        index = (1.0 + p["service.cost_growth"]) ** (max(week, 0) // 52)
        res.ensure("travel_cost_eur")[res.row] += lost * hour_cost * index

    def after_service(self, week: int, out, hidden_ended: np.ndarray) -> None:
        """Follow-up contacts with a worker who is not the client's own fail to move the episode forward with
        probability stranger_share x stranger_penalty at their service point: that contact is undone."""
        share = getattr(self, "stranger_share", None)
        if share is None or not share.any() or self.params["deployment.stranger_penalty"] == 0:
            return
        pop, p = self.model.population, self.params
        follow_up = out.served[~out.first]
        chance = share[pop.service_point[follow_up]] * p["deployment.stranger_penalty"]
        failed = follow_up[self.rng.random(len(follow_up)) < chance]
        if len(failed) == 0:
            return
        pop.contacts_left[failed] += 1
        reopened = failed[pop.state[failed] == NONE]  # resolved by this contact: not resolved after all
        pop.set_state(reopened, WAITING_REPEAT)
        gap = self.rng.geometric(min(1.0, 1.0 / p["demand.repeat_gap_weeks"]), size=len(reopened))
        pop.since[reopened] = week + gap
        out.resolved = np.setdiff1d(out.resolved, reopened, assume_unique=True)
        self.model.results.ensure("stranger_setbacks")
        self.model.results.add("stranger_setbacks", self.model.results.row, pop.service_point[failed])
