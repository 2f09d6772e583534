"""Help requests: problem episodes arise in residents, are solved alone, stay hidden or reach a service point.

Rules are vectorised over index arrays. Episode times are drawn ahead (geometric waiting time from a
weekly hazard), so a week only touches the residents whose event falls in it.
"""

from __future__ import annotations

import numpy as np

from sim.arrays import count_below, pad8
from sim.population import HIDDEN, NONE, REGISTERED, WAITING_FIRST, Population

DOMAINS = ("finances", "housing", "work", "social", "health", "meaning")  # source 004 table 2.1
# Base mix of life domains of an episode and the attribute tilts on it (estimates).
DOMAIN_BASE = np.array([0.25, 0.15, 0.12, 0.20, 0.18, 0.10])
NEVER = np.int32(2**30)

# Triage at the first contact (issue 9): what a Servicepunt XL does with a help request. Drawn when the
# request is made (so the demand streams stay paired across scenarios) and acted on at the first contact.
ROUTES = ("solved", "trajectory", "referred", "trajectory_blocked")
SOLVED, TRAJECTORY, REFERRED, TRAJECTORY_BLOCKED = 0, 1, 2, 3  # blocked: a referral the resident cannot use
DESTINATIONS = ("debt_help", "wmo_wijkteam", "ggz", "housing", "youth_care", "income_support")
DEBT, WMO, GGZ, HOUSING, YOUTH, INCOME = range(len(DESTINATIONS))
# Where a referral goes, by life domain of the episode (rows follow DOMAINS). Estimate: debts go to
# schuldhulpverlening or income support, housing problems to housing (or the shelter for the homeless),
# social, health and meaning problems to the Wmo/wijkteam or mental-health care. Minors' referrals to the
# Wmo or GGZ go to youth care instead.
REFERRAL_MIX = np.array(
    [
        # debt   wmo   ggz  housing youth income
        [0.55, 0.05, 0.00, 0.05, 0.00, 0.35],  # finances
        [0.10, 0.10, 0.00, 0.75, 0.00, 0.05],  # housing
        [0.05, 0.10, 0.05, 0.00, 0.00, 0.80],  # work
        [0.00, 0.70, 0.20, 0.00, 0.10, 0.00],  # social
        [0.00, 0.45, 0.50, 0.00, 0.05, 0.00],  # health
        [0.00, 0.50, 0.40, 0.00, 0.10, 0.00],  # meaning
    ]
)
# Destinations a kind of unregistered resident cannot use (figures.md §B: undocumented residents have no
# Wmo, no health insurance, no income support and no social housing; debt help needs a BSN). Medically
# necessary care (CAK scheme) and youth care for minors stay open. Estimate.
BLOCKED = {"undocumented": (DEBT, WMO, HOUSING, INCOME)}
URGENT_DOMAINS = (0, 1)  # finances, housing: arrears and eviction do not wait (estimate)


def access_matrix(kind_names: list[str]) -> np.ndarray:
    """bool (1 + kinds, destinations): True where residents of that kind cannot use the destination
    (row 0: registered residents)."""
    blocked = np.zeros((1 + len(kind_names), len(DESTINATIONS)), dtype=bool)
    for k, name in enumerate(kind_names):
        blocked[k + 1, list(BLOCKED.get(name, ()))] = True
    return blocked


_REFERRAL_CUM = pad8(np.cumsum(REFERRAL_MIX, axis=1))  # per domain: the same sums as per request, once


def triage(
    pop: Population, who: np.ndarray, u_route: np.ndarray, u_dest: np.ndarray, params: dict
) -> tuple[np.ndarray, np.ndarray]:
    """Triage outcome and referral destination of the requests of residents `who` (their domain is set),
    from uniform draws. A referral the resident cannot use becomes a trajectory at the Servicepunt XL."""
    solved = params["service.triage_solved_share"]
    referred = min(params["service.triage_referred_share"], 1.0 - solved)
    route = np.where(u_route < solved, SOLVED, np.where(u_route < solved + referred, REFERRED, TRAJECTORY)).astype(
        np.int8
    )
    cum = _REFERRAL_CUM[np.maximum(pop.domain[who], 0)]
    dest = count_below(u_dest * cum[:, len(DESTINATIONS) - 1], cum)
    dest = np.where((pop.age_band[who] <= 1) & ((dest == WMO) | (dest == GGZ)), YOUTH, dest).astype(np.int8)
    blocked = pop.meta.get("blocked")
    if blocked is not None:
        route[(route == REFERRED) & blocked[pop.kind[who], dest]] = TRAJECTORY_BLOCKED
    return route, dest


def is_trajectory(route: np.ndarray) -> np.ndarray:
    return (route == TRAJECTORY) | (route == TRAJECTORY_BLOCKED)


def expected_hours_per_request(params: dict) -> float:
    """Mean worker hours a help request takes if it is served in full (first contact + trajectory)."""
    solved = params["service.triage_solved_share"]
    referred = min(params["service.triage_referred_share"], 1.0 - solved)
    trajectory = 1.0 - solved - referred
    return (
        params["service.hours_first_contact"]
        + trajectory * (params["demand.contacts_mean"] - 1.0) * params["service.hours_per_contact"]
    )


def request_hours(contacts_left: np.ndarray, params: dict) -> np.ndarray:
    """Worker hours still needed by requests waiting for their first contact with `contacts_left` contacts."""
    return params["service.hours_first_contact"] + (contacts_left - 1) * params["service.hours_per_contact"]


def weekly_hazard(pop: Population, params: dict, idx: np.ndarray | None = None) -> np.ndarray:
    """Weekly probability that residents `idx` (default: all) start a problem episode."""
    idx = slice(None) if idx is None else idx
    rr_age = np.array(
        [
            params["demand.rr_child"],
            params["demand.rr_youth"],
            1.0,
            params["demand.rr_senior"],
            params["demand.rr_elderly"],
        ]
    )
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
    pop.set_next_episode(idx, np.where(h > 0, np.minimum(week + gaps, NEVER), NEVER).astype(np.int32))


def _domain_weights() -> np.ndarray:
    """Cumulative domain weights for each of the 32 combinations of the attributes that shift them (bit 0 low
    income, 1 unregistered, 2 youth, 3 alone or 65+, 4 65+): a lookup instead of five weight columns per
    episode, with the same products as computing them per resident."""
    w = np.tile(DOMAIN_BASE, (32, 1))
    bits = np.arange(32)[:, None] >> np.arange(5) & 1
    w[:, 0] *= np.where(bits[:, 0], 2.0, 1.0)  # finances
    w[:, 1] *= np.where(bits[:, 1], 3.0, 1.0)  # housing
    w[:, 2] *= np.where(bits[:, 2], 1.5, 1.0)  # work: youths
    w[:, 3] *= np.where(bits[:, 3], 1.5, 1.0)  # social
    w[:, 4] *= np.where(bits[:, 4], 1.5, 1.0)  # health
    return np.cumsum(w, axis=1)


_DOMAIN_CUM = pad8(_domain_weights())


def choose_domains(pop: Population, idx: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Life domain of new episodes of residents `idx`, from uniform draws `u` (one per resident)."""
    band = pop.age_band[idx]
    old = band >= 3
    combo = (
        pop.low_income[idx].astype(np.intp)
        + 2 * (pop.kind[idx] != REGISTERED)
        + 4 * (band == 1)
        + 8 * (pop.alone[idx] | old)
        + 16 * old
    )
    cum = _DOMAIN_CUM[combo]
    return count_below(u * cum[:, len(DOMAINS) - 1], cum).astype(np.int8)


def extra_contacts(n: int, params: dict, rng: np.random.Generator) -> np.ndarray:
    """Contacts beyond the first: negative binomial with mean contacts_mean - 1 and shape k."""
    mean_extra = params["demand.contacts_mean"] - 1.0
    if mean_extra <= 0:
        return np.zeros(n, dtype=np.int16)
    k = params["demand.contacts_dispersion"]
    return rng.negative_binomial(k, k / (k + mean_extra), size=n).astype(np.int16)


def start_episodes(
    pop: Population, week: int, params: dict, streams, network_reference: float
) -> dict[str, np.ndarray]:
    """Fire this week's episode events; return the residents in each outcome (index arrays).

    `network_reference` is the network strength at which the self-solve probability equals
    `demand.self_solve_share` (the population's mean at the start), so the sourced 57% holds on average.
    """
    fired = pop.episodes_due(week)
    schedule_next(pop, fired, week, streams["episodes"])
    # Every fired event takes its draws, used or not, so how much each stream is used does not depend on
    # who is busy with an open episode: scenarios that change service keep the same demand draws.
    n = len(fired)
    u_domain = streams["domains"].random(n)
    u_solve = streams["self_solve"].random(n)
    u_seek = streams["help_seeking"].random(n)
    n_contacts = 1 + extra_contacts(n, params, streams["contacts"])
    u_triage = streams["triage"].random((n, 2))
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

    ask_for_help(pop, askers, week, n_contacts[free][seek], params, u_triage[free][seek])
    pop.set_state(hidden, HIDDEN)
    pop.since[hidden] = week + duration[free][hide]
    return {"new": new, "self_solved": new[solved], "hidden": hidden, "asked": askers}


def ask_for_help(
    pop: Population,
    who: np.ndarray,
    week: int,
    contacts: np.ndarray,
    params: dict | None = None,
    u_triage: np.ndarray | None = None,
) -> None:
    """Residents `who` bring their episode to their service point: a help request joins the queue.
    `contacts` is how many contacts the episode needs if it becomes a trajectory; requests solved or
    referred at the first contact need only that one. `u_triage` (n, 2) are the triage draws; without them
    they come from the model's triage stream for other requests (e.g. signalled by prevention)."""
    pop.set_state(who, WAITING_FIRST)
    pop.since[who] = week
    pop.request_week[who] = week
    params = params if params is not None else pop.meta.get("params")
    if params is None:  # a bare population (tests): every request is a trajectory, as before triage
        pop.route[who] = TRAJECTORY
        pop.contacts_left[who] = contacts
        return
    if u_triage is None:
        u_triage = pop.meta["triage_rng"].random((len(who), 2))
    route, dest = triage(pop, who, u_triage[:, 0], u_triage[:, 1], params)
    pop.route[who] = route
    pop.destination[who] = dest
    pop.contacts_left[who] = np.where(is_trajectory(route), contacts, 1)


def end_hidden(pop: Population, week: int) -> np.ndarray:
    """Hidden episodes whose time is up fade out (later mechanisms decide if they escalated)."""
    open_ids = pop.open_ids()
    hidden = open_ids[pop.state[open_ids] == HIDDEN]
    done = hidden[pop.since[hidden] <= week]
    pop.set_state(done, NONE)
    return done
