"""Queueing theory used to verify the service engines (docs/verification.md, tests/test_verification.py).

- Erlang C (M/M/c, FCFS, no abandonment): probability of waiting, mean wait, wait tail.
- The discrete-time batch-service queue that the weekly engine is (Lindley recursion): wait in weeks.
- Little's law on a finished run: exactly, in whole weeks, for first-contact waits (either engine), and
  as time averages in working hours for the servers engine.
- `one_point_params`: the model configuration that reduces individual support at the one-point test
  city (tests/data/verify_one_point.toml) to an M/M/c queue with a chosen load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.population import WAITING_FIRST
from sim.service import FOUNDATION_RULES


# ---- Erlang C ------------------------------------------------------------------------------------
def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c with offered load a = lambda / mu (stable recursion)."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """P(wait > 0) in M/M/c with offered load a = lambda / mu < c."""
    if not 0 <= a < c:
        raise ValueError(f"offered load {a} must lie in [0, c = {c})")
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue (same time unit as 1/lam) of M/M/c FCFS: C(c, a) / (c mu - lam)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_wait_tail(lam: float, mu: float, c: int, t: float) -> float:
    """P(W > t) = C(c, a) exp(-(c mu - lam) t)."""
    return erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * t)


def mmc_mean_queue(lam: float, mu: float, c: int) -> float:
    """Mean number waiting, L_q = lam W_q (Little)."""
    return lam * mmc_mean_wait(lam, mu, c)


# ---- the weekly engine's own theory: a discrete-time batch-service queue -----------------------------
def lindley_wait_tail(lam: float, c: int, weeks: int = 60, qmax: int | None = None, tol: float = 1e-13) -> np.ndarray:
    """P(W > w), w = 0 .. weeks-1, of the weekly engine's wait (whole weeks) for a first contact at one
    service point with Poisson(lam) help requests a week, exactly c contacts a week, one contact per
    episode, no give-up and FCFS by week (ties in random order).

    The number waiting after week t follows Q_{t+1} = max(Q_t + A_{t+1} - c, 0); its stationary law is
    found by iterating that map. A request that is the j-th of its week's arrivals finds Q ahead of it
    and waits W = floor((Q + j - 1) / c) weeks; a random request is the j-th with probability
    P(A >= j) / lam (size-biased position), so P(W <= w) = Σ_j P(A >= j)/lam · P(Q <= (w+1)c - j)."""
    if lam >= c:
        raise ValueError("needs lam < c for a stationary queue")
    amax = int(lam + 12 * math.sqrt(lam) + 30)
    k = np.arange(amax + 1)
    pa = np.exp(-lam + k * math.log(lam) - np.array([math.lgamma(i + 1) for i in k]))
    pa /= pa.sum()
    qmax = qmax or int(50 * c / (1 - lam / c)) + 10 * amax
    pi = np.zeros(qmax + 1)
    pi[0] = 1.0
    for _ in range(200_000):
        conv = np.convolve(pi, pa)[: qmax + c + 1]
        nxt = np.zeros(qmax + 1)
        nxt[0] = conv[: c + 1].sum()
        nxt[1:] = conv[c + 1 : qmax + c + 1]
        nxt[-1] += 1.0 - nxt.sum()  # mass beyond the truncation stays in the last state
        done = np.abs(nxt - pi).sum() < tol
        pi = nxt
        if done:
            break
    cdf_q = np.cumsum(pi)
    p_at_least = 1.0 - np.concatenate([[0.0], np.cumsum(pa)[:-1]])  # P(A >= j), j = 0..amax
    j = np.arange(1, amax + 1)
    tail = np.empty(weeks)
    for w in range(weeks):
        idx = (w + 1) * c - j
        cdf = np.where(idx >= 0, cdf_q[np.clip(idx, 0, qmax)], 0.0)
        tail[w] = 1.0 - float((p_at_least[1:] / lam * cdf).sum())
    return np.clip(tail, 0.0, 1.0)


# ---- the one-point configuration -------------------------------------------------------------------
def one_point_params(
    arrivals_per_week: float,
    residents: int,
    *,
    years: int,
    warmup_weeks: int = 0,
    hours_per_contact: float = 2.5,
    contacts_mean: float = 1.0,
    give_up: float = 0.0,
    engine: str = "servers",
    duration: str = "exponential",
    client_time_share: float = 0.65,
    **extra,
) -> dict:
    """Parameters under which the one-point test city is a single queue fed by help requests that arrive
    as Binomial(residents, h) per week (≈ Poisson), h = arrivals_per_week / residents: no risk factors, no
    network protection, nobody solves alone, everyone asks, no sickness, no leave."""
    h = arrivals_per_week / residents
    return {
        "run.years": years,
        "run.warmup_weeks": warmup_weeks,
        "run.scale": 1.0,
        "demand.episode_rate": -52.0 * math.log1p(-h),  # weekly hazard h for everyone
        "demand.rr_youth": 1.0,
        "demand.rr_senior": 1.0,
        "demand.network_protection": 0.0,
        "demand.self_solve_share": 0.0,
        "demand.self_solve_network_effect": 0.0,
        "demand.seek_help_min": 1.0,
        "demand.seek_help_max": 1.0,
        "demand.contacts_mean": contacts_mean,
        "demand.give_up_per_week": give_up,
        "service.sickness_absence": 0.0,
        "service.working_weeks": 52.0,
        "service.hours_per_fte": 36.0,
        "service.client_time_share": client_time_share,
        "service.hours_per_contact": hours_per_contact,
        "service.engine": engine,
        "service.duration": duration,
        # No triage, no walk-in leaving, first contacts as long as the others: the queue theory's assumptions.
        **FOUNDATION_RULES,
        "service.hours_first_contact": hours_per_contact,
        **extra,
    }


def fte_for_servers(c: int, client_time_share: float = 0.65) -> float:
    """FTE whose client hours are exactly c servers of H hours (no sickness, 52 working weeks)."""
    return c / client_time_share


# ---- Little's law ------------------------------------------------------------------------------------
def waiting_first_snapshot(model) -> tuple[np.ndarray, np.ndarray]:
    """(service point, request week) of everyone now waiting for a first contact."""
    pop = model.population
    open_ids = pop.open_ids()
    who = open_ids[pop.state[open_ids] == WAITING_FIRST]
    return pop.service_point[who].astype(np.int64), pop.request_week[who].astype(np.int64)


def run_with_snapshot(model):
    """Run `model` to the end; also return who was waiting for a first contact when the reported weeks
    began (after the warm-up), which Little's law in whole weeks needs."""
    while model.week < 0:
        model.step()
    initial = waiting_first_snapshot(model)
    return model.run(), initial


@dataclass
class WeeklyLittle:
    """Little's law over the reported weeks, per service point, in whole weeks (exact identity).

    `stock_weeks` = Σ_t waiting_first_t (end-of-week stock, the L side × weeks). `wait_weeks` = whole weeks
    waited inside the reported period by everyone who was ever waiting in it: the first-contact waits of
    those served (`wait_hist`) and of those who gave up (`drop_wait_hist`), plus T − r for those still
    waiting at the end, minus the part (−r) of the waits of those already waiting at week 0 that fell in
    the warm-up."""

    stock_weeks: np.ndarray
    wait_weeks: np.ndarray
    served: np.ndarray
    dropped: np.ndarray
    still_waiting: np.ndarray
    capped: int  # waits in the last (open) histogram bin: the identity is then not exact

    @property
    def holds(self) -> bool:
        return self.capped == 0 and bool(np.array_equal(self.stock_weeks, self.wait_weeks))


def little_weekly(results, model, initial: tuple[np.ndarray, np.ndarray]) -> WeeklyLittle:
    n_sp = len(results.service_points)
    bins = np.arange(results.wait_hist.shape[-1])
    served_w = (results.wait_hist.sum(axis=0) * bins).sum(axis=-1)
    dropped_w = (results.drop_wait_hist.sum(axis=0) * bins).sum(axis=-1)
    sp_end, r_end = waiting_first_snapshot(model)
    still_w = np.bincount(sp_end, weights=results.weeks - r_end, minlength=n_sp)
    sp0, r0 = initial
    before = np.bincount(sp0, weights=r0, minlength=n_sp)  # r < 0 for those waiting at week 0
    capped = int(results.wait_hist[..., -1].sum() + results.drop_wait_hist[..., -1].sum())
    return WeeklyLittle(
        stock_weeks=results.counters["waiting_first"].sum(axis=0).astype(np.int64),
        wait_weeks=np.rint(served_w + dropped_w + still_w + before).astype(np.int64),
        served=results.wait_hist.sum(axis=(0, 2)),
        dropped=results.drop_wait_hist.sum(axis=(0, 2)),
        still_waiting=np.bincount(sp_end, minlength=n_sp),
        capped=capped,
    )


@dataclass
class HoursLittle:
    """Little's law in working hours for the servers engine, per service point: time-average number
    waiting L (from the integral of the queue), arrival rate λ (per hour) and mean wait W (hours) of the
    clients who left the queue, served or gave up. L ≈ λ W up to edge effects (clients waiting at the
    start or the end of the run)."""

    L: np.ndarray
    lam: np.ndarray
    W: np.ndarray

    @property
    def relative_gap(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.L / (self.lam * self.W) - 1.0


def little_hours(model, kind: str = "first") -> HoursLittle:
    """`kind` = first (waits for a first contact) or all (first and repeat contacts)."""
    s = model.servers_engine.stats
    T = s.weeks * model.servers_engine.hours
    if kind == "first":
        area, arrivals = s.queue_area_first, s.arrivals_first
        left, waits = s.served_first + s.dropped_first, s.wait_first_hours + s.drop_wait_first_hours
    elif kind == "all":
        area = s.queue_area_first + s.queue_area_repeat
        arrivals = s.arrivals_first + s.arrivals_repeat
        left = s.served_first + s.served_repeat + s.dropped_first + s.dropped_repeat
        waits = s.wait_first_hours + s.wait_repeat_hours + s.drop_wait_first_hours + s.drop_wait_repeat_hours
    else:
        raise ValueError("kind must be first or all")
    with np.errstate(invalid="ignore", divide="ignore"):
        return HoursLittle(L=area / T, lam=arrivals / T, W=waits / left)


# ---- confidence intervals -------------------------------------------------------------------------
def mean_ci(x, level: float = 0.99) -> tuple[float, float]:
    """Mean and half-width of a Student-t confidence interval over independent replications or batches."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    n = len(x)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n)
    return float(x.mean()), float(half)
