"""Flexible deployment: a pool of hours sent each week (or month) to the service points under most pressure.

Each service point puts `pool_share` of its contact capacity in a city-wide pool. The pool is handed out
in proportion to each service point's excess demand (queue beyond its own remaining capacity); what is
not needed goes back home. Moved hours cost travel and co-ordination (a share is lost), and a contact
with a worker who is not the client's usual one resolves less often: relational factors explain ≈30% of
the effect of help (Blom & Morén via source 004 §4.4.4), so such a contact fails to move the episode
forward with probability `stranger_penalty`.
"""

from __future__ import annotations

import numpy as np

from sim import service
from sim.mechanisms import Mechanism


class FlexibleDeployment(Mechanism):
    name = "deployment"

    def __init__(self, model):
        super().__init__(model)
        self.allocation = None  # contacts per service point decided at the last decision week

    def adjust_capacity(self, week: int, capacity: np.ndarray, setback: np.ndarray) -> None:
        p, m = self.params, self.model
        if p["deployment.policy"] == "fixed" or p["deployment.pool_share"] == 0:
            return
        pool = np.floor(capacity * p["deployment.pool_share"]).astype(np.int64)
        own = capacity - pool
        if self.allocation is None or week % p["deployment.interval_weeks"] == 0:
            waiting = np.bincount(m.population.service_point[service.queue(m.population, week)],
                                  minlength=len(capacity))
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
        m.results.ensure("hours_moved_in")[week] += moved_in * hpc
        m.results.ensure("hours_moved_out")[week] += moved_out * hpc
        res = m.results  # the scratch record during warm-up
        if res.moved_hours is None:
            n = len(capacity)
            res.moved_hours = np.zeros((res.weeks, n, n))
        if moved_in.sum() > 0:
            flows = np.outer(moved_out, moved_in) / moved_in.sum()
            res.moved_hours[week] = flows * hpc / p["run.scale"]
        # Travel and co-ordination eat part of every moved contact.
        effective = own + np.minimum(alloc, pool) + moved_in * (1.0 - p["deployment.travel_overhead"])
        new_capacity = np.floor(effective + 1e-9).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            stranger_share = np.where(new_capacity > 0, moved_in * (1 - p["deployment.travel_overhead"])
                                      / np.maximum(new_capacity, 1), 0.0)
        capacity[:] = new_capacity
        setback[:] = np.clip(stranger_share, 0, 1) * p["deployment.stranger_penalty"]
