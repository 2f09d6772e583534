"""Service: one queue per Servicepunt XL, served within the hours its workers have this week.

The queue is not a Python list: it is the set of residents whose state is waiting and whose wait has
started. Each week clients may give up, then each service point serves up to its capacity in order:
ongoing clients first (when `service.repeat_priority`), then by how long they have waited.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.population import NONE, WAITING_FIRST, WAITING_REPEAT, Population
from sim.streams import GroupStreams


@dataclass
class ServiceOutcome:
    dropped_first: np.ndarray      # residents who gave up before a first contact
    dropped_first_wait: np.ndarray # weeks they had waited when they gave up
    dropped_repeat: np.ndarray     # residents who gave up between contacts
    served: np.ndarray             # residents who had a contact this week
    first: np.ndarray              # bool over `served`: it was their first contact
    first_wait: np.ndarray         # weeks waited, for first contacts (aligned with served[first])
    resolved: np.ndarray           # residents whose episode ended with this contact


def queue(pop: Population, week: int) -> np.ndarray:
    """Residents waiting for a contact this week."""
    waiting = (pop.state == WAITING_FIRST) | (pop.state == WAITING_REPEAT)
    return np.flatnonzero(waiting & (pop.since <= week))


def _uniform(rng, groups: np.ndarray) -> np.ndarray:
    """Uniform draws, one per element: from its group's stream (GroupStreams) or from one Generator."""
    return rng.random(groups) if isinstance(rng, GroupStreams) else rng.random(len(groups))


def give_up(pop: Population, waiting: np.ndarray, week: int, p: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Clients who waited a full week or more may give up; returns (gave up, still waiting)."""
    eligible = pop.since[waiting] < week
    quits = eligible & (_uniform(rng, pop.service_point[waiting]) < p)
    return waiting[quits], waiting[~quits]


def dropped_fields(pop: Population, gone: np.ndarray, was_first: np.ndarray, week: int) -> dict:
    """The give-up part of a ServiceOutcome (both service engines)."""
    return {"dropped_first": gone[was_first],
            "dropped_first_wait": week - pop.request_week[gone[was_first]],
            "dropped_repeat": gone[~was_first]}


def after_contacts(pop: Population, served: np.ndarray, progress, next_from, params: dict,
                   rng: np.random.Generator | GroupStreams) -> np.ndarray:
    """Bookkeeping after contacts (both service engines): each contact that moved its episode forward
    (`progress`, 1 or an array of 0/1) needs one contact fewer; episodes with none left are resolved, the
    others are due again a geometric gap after `next_from` (a week, or one per client). Returns the resolved."""
    pop.contacts[served] += 1
    pop.contacts_left[served] -= progress
    done = pop.contacts_left[served] <= 0
    resolved = served[done]
    pop.state[resolved] = NONE
    ongoing = served[~done]
    pop.state[ongoing] = WAITING_REPEAT
    p_gap = min(1.0, 1.0 / params["demand.repeat_gap_weeks"])
    gap = (rng.geometric(p_gap, pop.service_point[ongoing]) if isinstance(rng, GroupStreams)
           else rng.geometric(p_gap, size=len(ongoing)))
    pop.since[ongoing] = (next_from if np.ndim(next_from) == 0 else next_from[~done]) + gap
    return resolved


def serve(pop: Population, waiting: np.ndarray, capacity: np.ndarray, week: int, params: dict,
          rng: np.random.Generator | GroupStreams, setback: np.ndarray | None = None,
          setback_rng: np.random.Generator | None = None) -> ServiceOutcome:
    """Serve this week's queues. `setback[sp]` is the chance that a contact at service point sp does not
    move its episode forward (a worker who is not the client's own: flexible deployment)."""
    gone, waiting = give_up(pop, waiting, week, params["demand.give_up_per_week"], rng)
    was_first = pop.state[gone] == WAITING_FIRST
    pop.state[gone] = NONE

    sp = pop.service_point[waiting]
    priority = (pop.state[waiting] == WAITING_FIRST) if params["service.repeat_priority"] else np.zeros(len(waiting))
    order = np.lexsort((waiting, pop.since[waiting], priority, sp))
    ordered = waiting[order]
    sp_sorted = sp[order]
    # Rank of each client within its service point's queue.
    starts = np.searchsorted(sp_sorted, np.arange(len(capacity)))
    rank = np.arange(len(ordered)) - starts[sp_sorted]
    served = ordered[rank < capacity[sp_sorted]]

    first = pop.state[served] == WAITING_FIRST
    first_wait = week - pop.request_week[served[first]]
    progress = 1
    if setback is not None and setback.any():
        # Drawn from the mechanism's own stream so the service stream is unchanged when it is off.
        progress = (setback_rng.random(len(served)) >= setback[pop.service_point[served]]).astype(np.int16)
    resolved = after_contacts(pop, served, progress, week, params, rng)
    return ServiceOutcome(
        **dropped_fields(pop, gone, was_first, week),
        served=served,
        first=first,
        first_wait=first_wait,
        resolved=resolved,
    )
