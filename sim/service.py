"""Service: one queue per Servicepunt XL, served within the hours its workers have this week.

The queue is not a Python list: it is the set of residents whose state is waiting and whose wait has
started. Each week clients may give up (a small constant rate), then each service point serves its queue
in order within its hours: ongoing clients first (when `service.repeat_priority`), then by when they came
to the desk. A first (triage) contact takes `service.hours_first_contact`, a trajectory contact
`service.hours_per_contact`; a contact started before the hours run out is finished, and its overrun is
taken from the next week's hours (as a worker who finishes a conversation). Walk-in residents who were
not seen this week look at the work ahead of them and may leave: to come back another day, or not at all
(`walk_in_leaving`). Triage itself (solved / trajectory / referred) was drawn with the request
(`sim.demand.triage`) and takes effect through the contacts the request needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.demand import URGENT_DOMAINS
from sim.population import NONE, WAITING_FIRST, WAITING_REPEAT, Population
from sim.streams import GroupStreams

_URGENT_BY_DOMAIN = np.isin(np.arange(-1, 6), URGENT_DOMAINS)  # by domain + 1 (domain -1 = none)

# Parameters under which triage and walk-in leaving are off: every request is a trajectory of equal
# contacts and waiting clients give up at the constant weekly rate only (the foundation rules that the
# queueing verification and the one-agent-per-resident reference implement). Merge over a scenario.
FOUNDATION_RULES = {
    "service.triage_solved_share": 0.0,
    "service.triage_referred_share": 0.0,
    "demand.leave_pressure": 0.0,
}
# The foundation's parameter values before issue 9 recalibrated today (an overloaded city: 0.10 episodes a
# year, 3.5 contacts of 2.5 hours, 10% give-up a week). Verification checks designed on that city use them.
FOUNDATION_VALUES = {
    "demand.episode_rate": 0.10,
    "demand.self_solve_share": 0.57,
    "demand.contacts_mean": 3.5,
    "demand.give_up_per_week": 0.10,
    "service.hours_per_contact": 2.5,
    "service.hours_first_contact": 2.5,
}


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass
class ServiceOutcome:
    dropped_first: np.ndarray  # residents who gave up before a first contact
    dropped_first_wait: np.ndarray  # weeks they had waited when they gave up
    dropped_repeat: np.ndarray  # residents who gave up between contacts
    served: np.ndarray  # residents who had a contact this week
    first: np.ndarray  # bool over `served`: it was their first contact
    first_wait: np.ndarray  # weeks waited, for first contacts (aligned with served[first])
    resolved: np.ndarray  # residents whose episode ended with this contact
    # bool over `dropped_first`: the problem was later solved without the Servicepunt XL (else unresolved)
    dropped_solved_alone: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    left: np.ndarray = field(default_factory=_empty)  # walk-ins who left the queue and will come back
    contact_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))  # worker hours, aligned with served
    overrun: np.ndarray | None = None  # hours per service point borrowed from next week (weekly engine)


def queue(pop: Population, week: int) -> np.ndarray:
    """Residents waiting for a contact this week."""
    # Open cases first (a few thousand), then their due weeks: one full-length scan instead of three.
    open_ids = pop.open_ids()
    open_cases = open_ids[pop.state[open_ids] >= WAITING_FIRST]  # WAITING_FIRST or WAITING_REPEAT
    return open_cases[pop.since[open_cases] <= week]


def _uniform(rng, groups: np.ndarray) -> np.ndarray:
    """Uniform draws, one per element: from its group's stream (GroupStreams) or from one Generator."""
    return rng.random(groups) if isinstance(rng, GroupStreams) else rng.random(len(groups))


def give_up(pop: Population, waiting: np.ndarray, week: int, p: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Clients who waited a full week or more may give up; returns (gave up, still waiting)."""
    eligible = pop.since[waiting] < week
    quits = eligible & (_uniform(rng, pop.service_point[waiting]) < p)
    return waiting[quits], waiting[~quits]


def dropped_fields(
    pop: Population, gone: np.ndarray, was_first: np.ndarray, week: int, params: dict, u_fate: np.ndarray
) -> dict:
    """The give-up part of a ServiceOutcome (both service engines). `u_fate` (one draw per element of `gone`)
    decides what became of the problem of those who gave up before a first contact."""
    solved_alone = u_fate[was_first] < params["demand.gave_up_solved_alone"]
    return {
        "dropped_first": gone[was_first],
        "dropped_first_wait": week - pop.request_week[gone[was_first]],
        "dropped_repeat": gone[~was_first],
        "dropped_solved_alone": solved_alone,
    }


def contact_hours(pop: Population, who: np.ndarray, params: dict) -> np.ndarray:
    """Worker hours of the next contact of residents `who`: a first (triage) contact or a trajectory contact."""
    return np.where(
        pop.state[who] == WAITING_FIRST, params["service.hours_first_contact"], params["service.hours_per_contact"]
    )


def walk_in_leaving(
    pop: Population, unseen: np.ndarray, work_ahead: np.ndarray, week: int, params: dict, rng
) -> tuple[np.ndarray, np.ndarray]:
    """Walk-in residents `unseen` (waiting for a first contact, not seen this week) with `work_ahead` weeks of
    their point's work before their turn decide to stay, leave and come back another day, or leave for good.

    P(leave) = 1 - exp(-leave_pressure * work_ahead * impatience), impatience = (1.5 - trust), halved for urgent
    problems; P(not return | leave) = no_return_share * (1.5 - trust). Returns (left for good, will return);
    the returners queue again a geometric number of weeks later (at least one)."""
    pressure = params["demand.leave_pressure"]
    if pressure <= 0 or len(unseen) == 0:
        return _empty(), _empty()
    trust = pop.trust[unseen].astype(float)
    urgent = _URGENT_BY_DOMAIN[pop.domain[unseen] + 1]  # domain -1 = none
    impatience = (1.5 - trust) * np.where(urgent, 0.5, 1.0)
    with np.errstate(invalid="ignore", over="ignore"):
        # work_ahead is in [0, inf]: inf (no hours this week) counts as 1e6 weeks (np.nan_to_num, ~10x dearer).
        p_leave = -np.expm1(-pressure * np.where(work_ahead == np.inf, 1e6, work_ahead) * impatience)
    groups = np.repeat(pop.service_point[unseen], 3)  # three draws per resident, from its point's stream
    u = (rng.random(groups) if isinstance(rng, GroupStreams) else rng.random(len(groups))).reshape(-1, 3)
    leaves = u[:, 0] < p_leave
    gone = leaves & (u[:, 1] < np.clip(params["demand.no_return_share"] * (1.5 - trust), 0.0, 1.0))
    back = leaves & ~gone
    returners = unseen[back]
    p_gap = min(1.0, 1.0 / params["demand.return_gap_weeks"])
    # Geometric from the third uniform (inverse transform), so each resident uses a fixed number of draws.
    gap = (
        np.maximum(1, np.ceil(np.log1p(-u[back, 2]) / np.log1p(-p_gap))) if p_gap < 1 else np.ones(int(back.sum()))
    ).astype(np.int32)
    pop.since[returners] = week + gap
    return unseen[gone], returners


def after_contacts(
    pop: Population, served: np.ndarray, progress, next_from, params: dict, rng: np.random.Generator | GroupStreams
) -> np.ndarray:
    """Bookkeeping after contacts (both service engines): each contact that moved its episode forward
    (`progress`, 1 or an array of 0/1) needs one contact fewer; episodes with none left are resolved, the
    others are due again a geometric gap after `next_from` (a week, or one per client). Returns the resolved."""
    pop.contacts[served] += 1
    pop.contacts_left[served] -= progress
    done = pop.contacts_left[served] <= 0
    resolved = served[done]
    pop.set_state(resolved, NONE)
    ongoing = served[~done]
    pop.set_state(ongoing, WAITING_REPEAT)
    p_gap = min(1.0, 1.0 / params["demand.repeat_gap_weeks"])
    gap = (
        rng.geometric(p_gap, pop.service_point[ongoing])
        if isinstance(rng, GroupStreams)
        else rng.geometric(p_gap, size=len(ongoing))
    )
    pop.since[ongoing] = (next_from if np.ndim(next_from) == 0 else next_from[~done]) + gap
    return resolved


def serve(
    pop: Population,
    waiting: np.ndarray,
    capacity: np.ndarray,
    week: int,
    params: dict,
    rng: np.random.Generator | GroupStreams,
    setback: np.ndarray | None = None,
    setback_rng: np.random.Generator | None = None,
    overrun: np.ndarray | None = None,
    leave_rng: np.random.Generator | GroupStreams | None = None,
) -> ServiceOutcome:
    """Serve this week's queues. `capacity[sp]` is the week's client time in trajectory contacts
    (units of `service.hours_per_contact`); `overrun[sp]` the hours last week's contacts ran over.
    `setback[sp]` is the chance that a contact at service point sp does not move its episode forward (a
    worker who is not the client's own: flexible deployment)."""
    gone, waiting = give_up(pop, waiting, week, params["demand.give_up_per_week"], rng)
    was_first = pop.state[gone] == WAITING_FIRST
    pop.set_state(gone, NONE)
    n_sp = len(capacity)

    sp = pop.service_point[waiting]
    priority = (pop.state[waiting] == WAITING_FIRST) if params["service.repeat_priority"] else np.zeros(len(waiting))
    order = np.lexsort((waiting, pop.since[waiting], priority, sp))
    ordered = waiting[order]
    sp_sorted = sp[order]
    # Hours of work in the queue before each client, within its service point; a client is seen if any of
    # the week's hours are left when their turn comes.
    hours = contact_hours(pop, ordered, params)
    cum = np.cumsum(hours)
    starts = np.searchsorted(sp_sorted, np.arange(n_sp + 1))
    base = np.concatenate([[0.0], cum])[starts[:-1]]
    before = cum - hours - base[sp_sorted]
    available = np.asarray(capacity, dtype=float) * params["service.hours_per_contact"]
    if overrun is not None:
        available = available - overrun
    seen = before < available[sp_sorted] - 1e-9 * np.maximum(1.0, available[sp_sorted])
    served = ordered[seen]
    used = np.bincount(sp_sorted[seen], weights=hours[seen], minlength=n_sp)
    over = np.maximum(used - available, 0.0)

    # Walk-ins not seen this week weigh the work ahead of them (in weeks of this week's hours).
    unseen = ~seen & (pop.state[ordered] == WAITING_FIRST)
    with np.errstate(divide="ignore", invalid="ignore"):
        weekly = np.asarray(capacity, dtype=float)[sp_sorted[unseen]] * params["service.hours_per_contact"]
        ahead = np.where(weekly > 0, before[unseen] / weekly, np.inf)
    quit_rng = leave_rng if leave_rng is not None else rng
    walked, left = walk_in_leaving(pop, ordered[unseen], ahead, week, params, quit_rng)
    pop.set_state(walked, NONE)
    gone = np.concatenate([gone, walked])
    was_first = np.concatenate([was_first, np.ones(len(walked), dtype=bool)])
    u_fate = _uniform(quit_rng, pop.service_point[gone])

    first = pop.state[served] == WAITING_FIRST
    served_hours = contact_hours(pop, served, params)
    first_wait = week - pop.request_week[served[first]]
    progress = 1
    if setback is not None and setback.any():
        # Drawn from the mechanism's own stream so the service stream is unchanged when it is off.
        progress = (setback_rng.random(len(served)) >= setback[pop.service_point[served]]).astype(np.int16)
    resolved = after_contacts(pop, served, progress, week, params, rng)
    return ServiceOutcome(
        **dropped_fields(pop, gone, was_first, week, params, u_fate),
        served=served,
        first=first,
        first_wait=first_wait,
        resolved=resolved,
        left=left,
        contact_hours=served_hours,
        overrun=over,
    )
