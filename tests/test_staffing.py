"""The staffing search finds the known answer of a single discrete-time queue.

Our engine serves whole contacts per WEEK: capacity c = floor(client hours / hours_per_contact) with a
fractional carry. With one service point, Poisson arrivals A_t (help requests in week t), one contact
per episode, nobody giving up and FIFO service, the number waiting after week t follows the Lindley
recursion Q_{t+1} = max(Q_t + A_t - c, 0). A request arriving in week t as the k-th of that week's
arrivals waits W = floor((Q_t + k - 1) / c) whole weeks. The test computes the stationary law of Q
exactly (Markov chain, truncated far in the tail), then P(W <= w) with the size-biased position k of
a random arrival, and checks that the searched FTE is the one that turns into the smallest capacity
c* meeting the target.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from analysis.staffing.staffing import Target, search_fte
from sim.city import load_city
from sim.service import FOUNDATION_RULES

CITY = Path(__file__).parent / "data" / "study_one_point.toml"
N = 5000  # residents in the test city, all adults with relative risk 1
LAM = 3.25  # help requests per week
CONTACTS_PER_FTE_WEEK = 10.0  # 36 h x 0.65 client time / 2.34 h per contact, no absence, 52 working weeks


def single_queue_params(years: int) -> dict:
    h = LAM / N
    return {
        "run.years": years,
        "run.scale": 1.0,
        "demand.episode_rate": -52.0 * math.log1p(-h),  # weekly hazard h for everyone
        "demand.network_protection": 0.0,
        "demand.self_solve_share": 0.0,
        "demand.self_solve_network_effect": 0.0,
        "demand.seek_help_min": 1.0,
        "demand.seek_help_max": 1.0,
        "demand.contacts_mean": 1.0,
        "demand.give_up_per_week": 0.0,
        "service.sickness_absence": 0.0,
        "service.working_weeks": 52.0,
        "service.hours_per_fte": 36.0,
        "service.client_time_share": 0.65,
        "service.hours_per_contact": 2.34,
        # One kind of contact, no triage, no walk-in leaving (issue 9's rules off): Lindley's queue.
        **FOUNDATION_RULES,
        "service.hours_first_contact": 2.34,
    }


def poisson_pmf(lam: float, n: int) -> np.ndarray:
    k = np.arange(n + 1)
    logp = -lam + k * math.log(lam) - np.array([math.lgamma(i + 1) for i in k])
    p = np.exp(logp)
    return p / p.sum()


def share_within(lam: float, c: int, within_weeks: int, qmax: int = 2000) -> float:
    """P(W <= within_weeks) in the stationary Lindley queue with Poisson(lam) arrivals and capacity c."""
    pa = poisson_pmf(lam, int(lam + 15 * math.sqrt(lam) + 30))
    pi = np.zeros(qmax + 1)
    pi[0] = 1.0
    for _ in range(100_000):
        conv = np.convolve(pi, pa)  # law of Q + A
        nxt = np.zeros_like(pi)
        after = np.arange(len(conv)) - c  # Q + A - c
        nxt[0] = conv[after <= 0].sum()
        pos = after > 0
        np.add.at(nxt, np.minimum(after[pos], qmax), conv[pos])
        if np.abs(nxt - pi).sum() < 1e-14:
            pi = nxt
            break
        pi = nxt
    # Position k of a random arrival among its week's arrivals: P(k = j) = P(A >= j) / lam.
    p_at_least = 1.0 - np.concatenate([[0.0], np.cumsum(pa)[:-1]])  # P(A >= j), j = 0..
    cdf_q = np.cumsum(pi)
    limit = (within_weeks + 1) * c  # W <= w  <=>  Q + k <= (w + 1) c
    return float(sum(p_at_least[j] / lam * cdf_q[min(limit - j, qmax)] for j in range(1, min(limit, len(pa) - 1) + 1)))


@pytest.mark.slow
def test_exact_queue_sanity():
    # Light traffic: nearly everyone is seen in the week they ask; overload: hardly anyone.
    assert share_within(1.0, 10, 0) > 0.999
    assert share_within(3.25, 3, 0) < 0.01
    s = [share_within(LAM, c, 0) for c in range(4, 9)]
    assert all(a < b for a, b in zip(s, s[1:]))


@pytest.mark.slow
def test_search_finds_the_lindley_answer():
    within, target_share = 0, 0.80
    levels = {c: share_within(LAM, c, within) for c in range(4, 12)}
    c_star = min(c for c, s in levels.items() if s >= target_share)
    # The instance is chosen so the answer is clear-cut: c*-1 is well below target and c* well above.
    assert c_star == 5 and levels[4] < 0.70 and levels[5] > 0.88

    city = load_city(CITY)
    target = Target(within_weeks=within, share_within=target_share, max_dropped=1.0, rel_tol=0.005, abs_tol=0.005)
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for seed in (11, 12, 13):
            res = search_fte(city, single_queue_params(years=6), seed, target)
            found.append(res.fte_needed[:, 0])
    found = np.concatenate(found)
    assert not np.isnan(found).any()
    lo, hi = (c_star - 1) / CONTACTS_PER_FTE_WEEK, c_star / CONTACTS_PER_FTE_WEEK
    # With the fractional carry an FTE in ((c*-1)/k, c*/k] mixes weeks of c*-1 and c* contacts, so the
    # minimal FTE meeting the target lies in that interval. Each (year, seed) estimate is one year of a
    # ~170-request queue, so individual years scatter; their median must fall in the interval.
    assert lo < np.median(found) <= hi + 0.005, (found, lo, hi)
    assert np.mean((found > lo - 0.1) & (found <= hi + 0.1)) >= 0.8, found


@pytest.mark.slow
def test_staffing_command_prints_city_and_area_tables_with_bands(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli import app

    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "st"
    args = [
        "staffing",
        str(repo / "scenarios" / "baseline.toml"),
        "--set",
        "run.scale=0.01",
        "--set",
        "run.years=1",
        "--replications",
        "2",
        "--workers",
        "0",
        "--quiet",
        "--out",
        str(out),
    ]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "City by year:" in r.output and "Servicepunt XL" in r.output and "area-based" in r.output
    assert "Centrum" in r.output and "[" in r.output
    from analysis.study.study import load_table

    df = load_table(out, "staffing")
    city = df[df.level == "city"]
    sd = df[df.level == "stadsdeel"].groupby(["replication", "year"]).fte_individual_needed.sum()
    assert np.allclose(city.set_index(["replication", "year"]).fte_individual_needed.sort_index(), sd.sort_index())
    assert (city.cost_total_eur > 0).all()
    # resuming a finished staffing study recomputes nothing
    r = CliRunner().invoke(app, args + ["--resume"])
    assert r.exit_code == 0 and "City by year:" in r.output


@pytest.mark.slow
@pytest.mark.parametrize("method", ["interpolate", "bisect"])
def test_search_reports_every_model_run_and_progress_changes_no_number(method):
    """progress(runs done, runs expected) after every model run; the answer is the same without it."""
    city = load_city(CITY)
    target = Target(within_weeks=0, share_within=0.8, max_dropped=1.0)
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        quiet = search_fte(city, single_queue_params(years=2), 11, target, method=method)
        told = search_fte(
            city, single_queue_params(years=2), 11, target, method=method, progress=lambda d, e: seen.append((d, e))
        )
    np.testing.assert_array_equal(told.fte_needed, quiet.fte_needed)
    assert told.runs == quiet.runs and [d for d, _ in seen] == list(range(1, told.runs + 1))
    assert all(e >= d for d, e in seen) and seen[-1] == (told.runs, told.runs)  # done when the search is


# ---- the interpolating search against the bisection it replaces ------------------------------------------------
# Both searches return, per (year, service point), a bracket of FTE that were run: lo missed the target, hi met it,
# hi - lo <= max(rel_tol * hi, abs_tol) = tol(hi). If meeting the target is monotone in FTE there (one threshold T:
# met iff FTE >= T), both brackets contain T, so |hi_new - hi_old| < max(tol(hi_new), tol(hi_old)). If the two
# differ by more, the brackets are disjoint and the runs themselves show the target met at an FTE at or below
# one where it was missed: the model's noise, not the search.


def _logging_run(log: list, target: Target):
    """A `run` for search_fte that keeps (FTE per service point, met per (year, service point)) of every run."""
    from analysis.staffing.staffing import _ok_and_margin
    from analysis.study.outcomes import year_counts
    from sim.model import run_model

    def run(city, p, seed, sp_fte=None):
        res = run_model(city, p, seed, sp_fte=sp_fte)
        fte = np.asarray(res.sp_fte if sp_fte is None else sp_fte, dtype=float)
        log.append((fte, _ok_and_margin(year_counts(res, target.within_weeks), target)[0]))
        return res

    return run


def _not_monotone(logs: list, y: int, s: int) -> bool:
    """Some run met the target of (year y, service point s) at an FTE at or below one where another run missed it."""
    met = [fte[s] for fte, ok in logs if ok[y, s]]
    missed = [fte[s] for fte, ok in logs if not ok[y, s]]
    return bool(met and missed and min(met) <= max(missed))


def _check_bracket(found, logs: list, target: Target) -> None:
    """hi was run and met the target, lo was run and missed it (or is 0), and hi - lo is within the tolerance."""
    hi, lo = found.fte_needed, found.fte_below
    assert not np.isnan(hi).any()
    assert (hi - lo <= target.tolerance(hi) + 1e-12).all()
    for (y, s), h in np.ndenumerate(hi):
        assert any(np.isclose(fte[s], h, rtol=0, atol=1e-12) and ok[y, s] for fte, ok in logs), (y, s, h)
        assert lo[y, s] == 0 or any(
            np.isclose(fte[s], lo[y, s], rtol=0, atol=1e-12) and not ok[y, s] for fte, ok in logs
        ), (y, s, lo[y, s])


def _both(city, params: dict, seed: int, target: Target) -> dict:
    out = {}
    for method in ("bisect", "interpolate"):
        logs: list = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            found = search_fte(city, params, seed, target, run=_logging_run(logs, target), method=method)
        assert found.runs == len(logs)
        _check_bracket(found, logs, target)
        out[method] = (found, logs)
    return out


def test_grid_neighbours_are_within_the_tolerance():
    from analysis.staffing.staffing import _Grid

    rng = np.random.default_rng(5)
    today = np.array([0.01, 0.4, 1.6, 1.7, 5.0, 40.0])
    for rel, ab in ((0.03, 0.05), (0.03, 0.0), (0.0, 0.05), (0.01, 0.5)):
        target = Target(rel_tol=rel, abs_tol=ab)
        grid = _Grid(today, target)
        for s in range(len(today)):
            assert grid.fte(0, s) == pytest.approx(today[s])
            k = np.arange(-60, 200) + rng.random()
            f, g = grid.fte(k, s), grid.fte(k + 1, s)
            assert (g > f).all() and (g - f <= target.tolerance(g)).all(), (rel, ab, s)
            assert np.allclose(grid.index(f, s), k)


def test_unknown_search_method_is_refused():
    with pytest.raises(ValueError, match="interpolate, bisect"):
        search_fte(None, {}, 1, Target(), method="golden-section")


@pytest.mark.slow
def test_interpolating_search_agrees_with_bisection_on_a_monotone_queue():
    # The single queue above (one service point, six years needing 0.32-0.38 FTE) with the default service level;
    # abs_tol 0.005 so the 3% relative tolerance (about 0.011 FTE) is the one that counts.
    city = load_city(CITY)
    target = Target(abs_tol=0.005)
    runs = {"bisect": 0, "interpolate": 0}
    for seed in (12, 13):
        found = _both(city, single_queue_params(years=6), seed, target)
        logs = found["bisect"][1] + found["interpolate"][1]
        # The premise: over every FTE either search ran, each year meets the target above one FTE only.
        assert not any(_not_monotone(logs, y, 0) for y in range(6))
        old, new = found["bisect"][0].fte_needed[:, 0], found["interpolate"][0].fte_needed[:, 0]
        assert (np.abs(new - old) < np.maximum(target.tolerance(new), target.tolerance(old))).all(), (seed, old, new)
        for method, (f, _) in found.items():
            runs[method] += f.runs
    assert runs["interpolate"] < runs["bisect"], runs


@pytest.mark.slow
def test_interpolating_search_agrees_with_bisection_on_the_baseline():
    # The baseline at 20% of the city, two years, 17 service points. At this size a service point's year is a
    # queue of a few hundred requests, and meeting the target is not monotone in FTE within a few tolerances:
    # a year can miss the target at one FTE and meet it one grid step lower. So the two searches can settle on
    # different crossings of the same year; where they differ by more than the tolerance, the runs must show
    # that (see above). The city totals, the sums the study reports, must agree within the summed tolerances,
    # plus as much again for the cells where the response is not monotone.
    from scenarios.loader import load_scenario

    repo = Path(__file__).resolve().parents[1]
    scenario = load_scenario(repo / "scenarios" / "baseline.toml", ["run.scale=0.2", "run.years=2"])
    target = Target()
    found = _both(scenario.city(), scenario.params(), 2, target)
    old, new = found["bisect"][0].fte_needed, found["interpolate"][0].fte_needed
    logs = found["bisect"][1] + found["interpolate"][1]
    tol = np.maximum(target.tolerance(new), target.tolerance(old))
    for (y, s), d in np.ndenumerate(np.abs(new - old)):
        assert d < tol[y, s] or _not_monotone(logs, y, s), (y, s, old[y, s], new[y, s])
    assert (np.abs(new.sum(axis=1) - old.sum(axis=1)) <= 2 * tol.sum(axis=1)).all(), (old.sum(1), new.sum(1))
    assert found["interpolate"][0].runs < found["bisect"][0].runs
