"""Help requests: problem episodes arise in residents, are solved alone, stay hidden or reach a service point.

Rules are vectorised over index arrays. Episode times are drawn ahead (geometric waiting time from a
weekly hazard), so a week only touches the residents whose event falls in it.
"""

from __future__ import annotations

import numpy as np

from sim.population import HIDDEN, NONE, WAITING_FIRST, Population

DOMAINS = ("finances", "housing", "work", "social", "health", "meaning")  # source 004 table 2.1
# Base mix of life domains of an episode and the attribute tilts on it (estimates).
DOMAIN_BASE = np.array([0.25, 0.15, 0.12, 0.20, 0.18, 0.10])
NEVER = np.int32(2**30)


def weekly_hazard(pop: Population, params: dict, idx: np.ndarray | None = None) -> np.ndarray:
    """Weekly probability that residents `idx` (default: all) start a problem episode."""
    idx = slice(None) if idx is None else idx
    rr_age = np.array([params["demand.rr_child"], params["demand.rr_youth"], 1.0,
                       params["demand.rr_senior"], params["demand.rr_elderly"]])
    rate = params["demand.episode_rate"] * rr_age[pop.age_band[idx]]
    rate = rate * np.where(pop.low_income[idx], params["demand.rr_low_income"], 1.0)
    rate = rate * np.where(pop.alone[idx], params["demand.rr_alone"], 1.0)
    rate = rate * np.where(pop.migration[idx], params["demand.rr_migration"], 1.0)
    rate = rate * np.where(pop.kind[idx] == 0, 1.0, params["demand.rr_unregistered"])
    rate = rate * (1.0 - params["demand.network_protection"] * pop.network[idx])
    rate = rate * pop.hazard_multiplier[idx]
    return -np.expm1(-np.maximum(rate, 0.0) / 52.0)


def schedule_next(pop: Population, idx: np.ndarray, week: int, rng: np.random.Generator) -> None:
    """Draw the week of the next episode event of residents `idx` (memoryless, so redrawing is exact)."""
    h = pop.weekly_hazard[idx]
    gaps = rng.geometric(np.clip(h, 1e-9, 1.0))
    pop.next_episode[idx] = np.where(h > 0, np.minimum(week + gaps, NEVER), NEVER).astype(np.int32)


def choose_domains(pop: Population, idx: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Life domain of new episodes of residents `idx`, from uniform draws `u` (one per resident)."""
    w = np.tile(DOMAIN_BASE, (len(idx), 1))
    w[:, 0] *= np.where(pop.low_income[idx], 2.0, 1.0)                 # finances
    w[:, 1] *= np.where(pop.registered[idx], 1.0, 3.0)                 # housing
    w[:, 2] *= np.where(pop.age_band[idx] == 1, 1.5, 1.0)              # work: youths
    w[:, 3] *= np.where(pop.alone[idx] | (pop.age_band[idx] >= 3), 1.5, 1.0)  # social
    w[:, 4] *= np.where(pop.age_band[idx] >= 3, 1.5, 1.0)              # health
    cum = np.cumsum(w, axis=1)
    return ((u * cum[:, -1])[:, None] > cum).sum(axis=1).astype(np.int8)


def extra_contacts(n: int, params: dict, rng: np.random.Generator) -> np.ndarray:
    """Contacts beyond the first: negative binomial with mean contacts_mean - 1 and shape k."""
    mean_extra = params["demand.contacts_mean"] - 1.0
    if mean_extra <= 0:
        return np.zeros(n, dtype=np.int16)
    k = params["demand.contacts_dispersion"]
    return rng.negative_binomial(k, k / (k + mean_extra), size=n).astype(np.int16)


def start_episodes(pop: Population, week: int, params: dict, streams,
                   network_reference: float) -> dict[str, np.ndarray]:
    """Fire this week's episode events; return the residents in each outcome (index arrays).

    `network_reference` is the network strength at which the self-solve probability equals
    `demand.self_solve_share` (the population's mean at the start), so the sourced 57% holds on average.
    """
    fired = np.flatnonzero(pop.next_episode == week)
    schedule_next(pop, fired, week, streams["episodes"])
    # Every fired event takes its draws, used or not, so how much each stream is used does not depend on
    # who is busy with an open episode: scenarios that change service keep the same demand draws.
    n = len(fired)
    u_domain = streams["domains"].random(n)
    u_solve = streams["self_solve"].random(n)
    u_seek = streams["help_seeking"].random(n)
    n_contacts = 1 + extra_contacts(n, params, streams["contacts"])
    duration = streams["hidden"].geometric(min(1.0, 1.0 / params["demand.hidden_weeks"]), size=n)

    # Someone with an open episode carries the new problem inside it.
    free = pop.state[fired] == NONE
    new = fired[free]
    pop.episodes[new] += 1
    pop.domain[new] = choose_domains(pop, new, u_domain[free])
    net_dev = pop.network[new] - network_reference
    p_self = np.clip(params["demand.self_solve_share"] + params["demand.self_solve_network_effect"] * net_dev, 0, 1)
    solved = u_solve[free] < p_self
    lo, hi = params["demand.seek_help_min"], params["demand.seek_help_max"]
    seek = ~solved & (u_seek[free] < lo + (hi - lo) * pop.trust[new])
    hide = ~solved & ~seek
    askers, hidden = new[seek], new[hide]

    ask_for_help(pop, askers, week, n_contacts[free][seek])
    pop.state[hidden] = HIDDEN
    pop.since[hidden] = week + duration[free][hide]
    return {"new": new, "self_solved": new[solved], "hidden": hidden, "asked": askers}


def ask_for_help(pop: Population, who: np.ndarray, week: int, contacts: np.ndarray) -> None:
    """Residents `who` bring their episode to their service point: a help request joins the queue.
    `contacts` is how many contacts each episode will need."""
    pop.state[who] = WAITING_FIRST
    pop.since[who] = week
    pop.request_week[who] = week
    pop.contacts_left[who] = contacts


def end_hidden(pop: Population, week: int) -> np.ndarray:
    """Hidden episodes whose time is up fade out (later mechanisms decide if they escalated)."""
    done = np.flatnonzero((pop.state == HIDDEN) & (pop.since <= week))
    pop.state[done] = NONE
    return done
