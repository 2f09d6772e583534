"""Staffing estimate under an unchanged mandate: the individual-support FTE each Servicepunt XL needs,
per year, to meet a service-level target; summed to stadsdelen and the city, with bands over replications.

The target (defaults): at least 80% of help requests get a first contact within 10 working days
(= waited at most 2 whole weeks in the weekly model, see `analysis.study.outcomes`), and at most 5% give up
before a first contact. Both are configurable (`Target`).

Search. Service points are independent queues, so one city run evaluates a candidate FTE for every
service point at once. Each replication (seed) runs its own search with common random numbers: every
candidate run uses the same seed. For every (service point, year) a bracket [lo, hi] is kept, where
`hi` met the target and `lo` did not (lo starts at 0 FTE), and nothing tried lies between them; a run
narrows every bracket its candidate falls in. The answer is `hi` (the smallest FTE tried that met the
target where the one below did not) once hi - lo <= max(rel_tol * hi, abs_tol). A candidate run gives
each service point one constant FTE for the whole run, so the years of one service point, which need
different FTE, compete for that one candidate per run.

Two ways to choose the candidates (`search_fte(method=...)`):

- "interpolate" (default; 19 runs for the whole city over ten years against 35-36 for "bisect", 20-25
  with the parameter priors `welzijnsim staffing` draws):
  every candidate of a service point lies on a grid anchored at today's FTE whose neighbouring points
  are 0.98 tolerance apart, so a neighbouring pair that missed and met the target closes a bracket.
  The run at today's FTE (the pilot) starts the brackets. Each open (year, service point) asks for
  grid points: with both ends run and a bracket narrower than 16 grid steps, the two around the zero
  of a straight line through the margins min(share within - target, max dropped - share dropped) at the
  ends (regula falsi; a failing end counts as at most 0.1 below the target, Illinois weights when the
  same end moves twice); with an end missing or a wider bracket, the offered load (hours the year's
  help requests need in the pilot / the pilot's median client hours per FTE, times 1.07) if it lies
  inside, else 2, 4, ..., 32 grid steps from the end it contradicts, at most to the middle; with one
  grid point left inside, that one.
  Each service point runs the grid point most of its open years ask for.
- "bisect" (the search before): a probe at 0.85 x an offered-load estimate, 1.3 x that estimate doubled
  until every year met the target, then simultaneous bisection, one run per distinct midpoint of a
  service point's open years.

Most of the runs go to the ten years of one service point needing different FTE: a run tries one FTE per
service point, and each year needs its own pair of neighbouring grid points unless its need lies within a
tolerance of another year's. At a service point the ten years' needs spread by 20% up to a factor 2
(noise, see below), which is why the search takes about 20 runs rather than a handful.

Where meeting the target is monotone in FTE both methods bracket the same threshold and agree within the
tolerance (tests/test_staffing.py). With the model's noise it often is not: a year can miss the target at
one FTE and meet it a few percent lower, so two searches can settle on different crossings of the same
year, several tolerances apart at small service points; the city totals agree within the tolerance
(docs/benchmarks.md).

Convention: the FTE "needed in year y" is the constant FTE with which year y meets the target when the
service point runs at that FTE from the start (the queue entering year y is the one that FTE produces).

Area-based work (jongerenwerk, opbouwwerk, ouderenwerk) is not a queue: it is reported as today's FTE
times the scenario's levers, labelled as such, and added to the total and cost.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from analysis.study.outcomes import WITHIN_WEEKS, shares, year_counts

SEARCH_METHODS = ("interpolate", "bisect")
GRID_STEP = 0.98  # neighbouring grid points, in tolerances: below 1 so rounding never leaves a pair too far apart
# FTE needed / offered load: the median over the 170 (year, service point) of a bisection search of the whole city,
# ten years, seed 1 (10-90%: 0.92-1.28).
LOAD_HEADROOM = 1.07
# Far below the need nobody is seen in time and the margin saturates (about -0.8), which would put regula falsi's
# zero next to hi: a failing bracket end counts as at most this far below the target.
MARGIN_FLOOR = -0.1
# A bracket wider than this many grid steps (FTE ratio about 1.6) is split at the offered-load estimate if inside
# it (else in the middle): the margins at ends that far apart say little about where the year meets the target.
WIDE = 16
# Steps away from a known end double up to 2**MAX_STEP grid steps (a factor 2.6 in FTE above 1.7 FTE): the
# steps count every run that left the year on the same side, also runs other years asked for.
MAX_STEP = 5
MAX_RUNS = 200  # a safety stop; the searches take 10-40 runs
UNBOUNDED = 10**9


@dataclass(frozen=True)
class Target:
    within_weeks: int = WITHIN_WEEKS  # "10 working days" = first contact after at most 2 whole weeks
    share_within: float = 0.80  # share of help requests with a first contact within target
    max_dropped: float = 0.05  # share of help requests that give up before a first contact
    rel_tol: float = 0.03  # the search stops at hi - lo <= max(rel_tol * hi, abs_tol)
    abs_tol: float = 0.05  # FTE
    max_doublings: int = 8

    def options(self) -> dict:
        return asdict(self)

    def tolerance(self, fte: np.ndarray) -> np.ndarray:
        """The widest bracket [lo, hi] accepted with hi = fte."""
        return np.maximum(self.rel_tol * fte, self.abs_tol)


def _ok_and_margin(counts: dict, target: Target) -> tuple[np.ndarray, np.ndarray]:
    """Per (year, service point): meets the target, and by how much (negative: misses it by that much)."""
    within, dropped = shares(counts["within"], counts["first"], counts["dropped"])
    ok = np.where(np.isnan(within), True, (within >= target.share_within) & (dropped <= target.max_dropped))
    # A year without help requests meets any target; 1.0 is more than any real margin.
    margin = np.where(np.isnan(within), 1.0, np.minimum(within - target.share_within, target.max_dropped - dropped))
    return ok, margin


def _capacity_per_fte(p: dict) -> float:
    """Contacts per week (simulated population) one FTE gives, on average."""
    return (
        p["service.hours_per_fte"]
        * p["service.working_weeks"]
        / 52.0
        * (1.0 - p["service.sickness_absence"])
        * p["service.client_time_share"]
        / p["service.hours_per_contact"]
        * p["run.scale"]
    )


def _offered_load(res, years: int) -> np.ndarray:
    """FTE per (year, service point) whose client hours equal the hours the year's help requests need."""
    hours = np.asarray(res.counters["hours_needed"], dtype=float)[: 52 * years]
    need = hours.reshape(years, 52, -1).sum(axis=1) / float(res.scale)  # whole-city hours
    client = np.asarray(res.counters["client_hours"], dtype=float)[: 52 * years].reshape(years, 52, -1).sum(axis=1)
    fte = np.asarray(res.sp_fte, dtype=float)
    # Client hours per FTE as the pilot delivered them at each point (absence), the median over the years: a
    # year with a vacant post would make one FTE look worth a fraction of its hours. The model's average where
    # a point had no staff.
    with np.errstate(invalid="ignore", divide="ignore"):
        per_fte = np.nanmedian(np.where(client > 0, client / fte, np.nan), axis=0)
    per_fte = np.where((fte > 0) & np.isfinite(per_fte) & (per_fte > 0), per_fte, float(res.client_hours_per_fte_year))
    return need / per_fte


@dataclass
class SearchResult:
    fte_needed: np.ndarray  # (years, service points); NaN where no FTE up to the limit met the target
    counts_at_need: dict  # year_counts of the run that set fte_needed, per (year, sp)
    pilot: object  # RunResults at today's staffing
    runs: int  # model runs used
    fte_below: np.ndarray | None = None  # the FTE below fte_needed that missed the target (0: none tried)


class _Brackets:
    """lo (missed the target; 0 = nothing tried yet) and hi (met it; NaN = none yet) per (year, service point),
    the margins measured there and the counts of the run that set hi."""

    def __init__(self, years: int, n_sp: int, keys) -> None:
        self.shape = (years, n_sp)
        self.lo = np.zeros(self.shape)
        self.hi = np.full(self.shape, np.nan)
        self.m_lo = np.full(self.shape, np.nan)  # NaN: lo = 0, never run
        self.m_hi = np.full(self.shape, np.nan)
        self.at_need = {k: np.full(self.shape, np.nan) for k in keys}

    def inside(self, fte: np.ndarray) -> np.ndarray:
        c = np.broadcast_to(fte, self.shape)
        return (c > self.lo) & (np.isnan(self.hi) | (c < self.hi))

    def record(self, fte: np.ndarray, counts: dict, target: Target, mask: np.ndarray) -> None:
        ok, margin = _ok_and_margin(counts, target)
        c = np.broadcast_to(fte, self.shape)
        win = mask & ok & (np.isnan(self.hi) | (c < self.hi))
        lose = mask & ~ok & (c > self.lo)
        self.hi[win], self.m_hi[win] = c[win], margin[win]
        self.lo[lose], self.m_lo[lose] = c[lose], margin[lose]
        for k in self.at_need:
            self.at_need[k][win] = counts[k][win]

    def closed(self, target: Target) -> np.ndarray:
        return ~np.isnan(self.hi) & (self.hi - self.lo <= target.tolerance(self.hi))


def search_fte(
    city,
    params: dict,
    seed: int,
    target: Target = Target(),
    run=None,
    method: str = "interpolate",
    progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """FTE per (year, service point) that meets `target`, with common random numbers (see module docstring).

    `progress(runs done, runs expected)` is called after every model run; the expected number is an
    estimate (`runs_left`, `_interpolate_runs_left`) that changes as the brackets narrow. It reads no
    random stream."""
    from sim.model import run_model
    from sim.parameters import resolve

    if method not in SEARCH_METHODS:
        raise ValueError(f"search method {method!r}: choose one of {', '.join(SEARCH_METHODS)}")
    if target.rel_tol <= 0 and target.abs_tol <= 0:
        raise ValueError("the staffing search needs rel_tol > 0 or abs_tol > 0")
    run = run or run_model
    p = resolve({**params, "budget.mode": "mandate"})  # the search asks what the mandate needs
    pilot = run(city, p, seed)
    years = pilot.weeks // 52
    c0 = year_counts(pilot, target.within_weeks)
    b = _Brackets(years, len(pilot.service_points), c0)
    today = np.asarray(pilot.sp_fte, dtype=float)
    # The pilot is a run at today's FTE: it starts every bracket.
    b.record(today, c0, target, np.ones(b.shape, dtype=bool))

    def measure(fte: np.ndarray) -> dict:
        return year_counts(run(city, p, seed, sp_fte=fte), target.within_weeks)

    def tell(done: int, left: int) -> None:
        if progress is not None:
            progress(done, done + left)

    if method == "bisect":
        runs = _bisect(b, c0, p, measure, target, tell)
    else:
        runs = _interpolate(b, today, _offered_load(pilot, years), measure, target, tell)
    return SearchResult(fte_needed=b.hi, counts_at_need=b.at_need, pilot=pilot, runs=runs, fte_below=b.lo)


def runs_left(lo: np.ndarray, hi: np.ndarray, target: Target) -> int:
    """Estimate of the bisection runs a search still needs (for progress only): halvings of the widest
    bracket down to its tolerance, times the distinct midpoints the widest service point needs per round.
    Brackets without a feasible end yet count from twice their lower end."""
    hi = np.where(np.isnan(hi), np.maximum(2.0 * lo, target.abs_tol), hi)
    tol = np.maximum(target.rel_tol * hi, target.abs_tol)
    active = hi - lo > tol
    if not active.any():
        return 0
    halvings = int(np.ceil(np.log2((hi - lo)[active] / tol[active])).max())
    mids = (lo + hi) / 2.0
    rounds = max(len(np.unique(mids[active[:, s], s])) for s in range(hi.shape[1]))
    return halvings * rounds


def _bisect(b: _Brackets, c0: dict, p: dict, measure, target: Target, tell) -> int:
    """The earlier search: a probe below and doublings above an offered-load estimate, then bisection.
    Returns the model runs made, the pilot included."""
    years, n_sp = b.shape
    everywhere = np.ones(b.shape, dtype=bool)
    per_week = c0["requests"].max(axis=0) / 52.0
    offered = per_week * float(p.get("demand.contacts_mean", 3.5)) / max(_capacity_per_fte(p), 1e-12)
    n_runs = 1
    tell(n_runs, 2 + runs_left(b.lo, b.hi, target))  # the probe and at least one candidate follow
    # 1. a likely infeasible lower end (utilisation above 1 at 0.85 x the offered load) ...
    probe = 0.85 * offered
    if (probe > 0).any():
        b.record(probe, measure(probe), target, everywhere)
        n_runs += 1
        tell(n_runs, 1 + runs_left(b.lo, b.hi, target))
    # ... and a feasible upper end for every (year, sp)
    cand = np.maximum(1.3 * offered, 0.1)
    for _ in range(target.max_doublings + 1):
        # Every candidate narrows the brackets it falls in, also where today's FTE (the pilot) already met
        # the target: a smaller feasible FTE found here saves the bisection steps between the two.
        b.record(cand, measure(cand), target, everywhere)
        n_runs += 1
        missing = np.isnan(b.hi)
        tell(n_runs, int(missing.any()) + runs_left(b.lo, b.hi, target))
        if not missing.any():
            break
        cand = np.where(missing.any(axis=0), cand * 2.0, cand)

    # 2. simultaneous bisection of every bracket
    for _iteration in range(60):
        active = ~np.isnan(b.hi) & ~b.closed(target)
        if not active.any():
            break
        mids = (b.lo + b.hi) / 2.0
        per_sp = [np.unique(mids[active[:, s], s]) for s in range(n_sp)]
        rounds = max(len(m) for m in per_sp)
        for r in range(rounds):
            cand = np.array(
                [m[min(r, len(m) - 1)] if len(m) else np.nanmax(np.r_[b.hi[:, s], 0.0]) for s, m in enumerate(per_sp)]
            )
            counts = measure(cand)
            n_runs += 1
            b.record(cand, counts, target, b.inside(cand) & ~np.isnan(b.hi))
            tell(n_runs, rounds - r - 1 + runs_left(b.lo, b.hi, target))  # the rest of this round's midpoints
    return n_runs


class _Grid:
    """FTE values whose neighbours are GRID_STEP tolerances apart: equal steps of abs_tol below
    abs_tol / rel_tol FTE, equal ratios above it. Index 0 is today's FTE of each service point."""

    def __init__(self, today: np.ndarray, target: Target) -> None:
        self.r, self.a = target.rel_tol, target.abs_tol
        # Tolerance units: u(f) = f / a up to f* = a / r, above it f* / a + log(f / f*) / -log(1 - r) (only one of
        # the two when r or a is 0); a step of 1 in u is one tolerance, hi - lo = max(r * hi, a).
        self.fstar = self.a / self.r if self.r > 0 and self.a > 0 else (np.inf if self.r <= 0 else 0.0)
        self.u0 = self.u(np.maximum(today, 1e-9))

    def u(self, f: np.ndarray) -> np.ndarray:
        f = np.asarray(f, dtype=float)
        if self.r <= 0:
            return f / self.a
        ustar = self.fstar / self.a if self.a > 0 else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            geometric = ustar + np.log(f / max(self.fstar, 1e-300)) / -np.log1p(-self.r)
        if self.a <= 0:
            return geometric
        return np.where(f <= self.fstar, f / self.a, geometric)

    def f(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if self.r <= 0:
            return u * self.a
        ustar = self.fstar / self.a if self.a > 0 else 0.0
        geometric = max(self.fstar, 1e-300) * np.exp((u - ustar) * -np.log1p(-self.r))
        if self.a <= 0:
            return geometric
        return np.where(u <= ustar, u * self.a, geometric)

    def index(self, f: np.ndarray, s) -> np.ndarray:
        """Grid position (fractional) of FTE f at service point(s) s; 0 FTE is -inf on a ratio-only grid."""
        return (self.u(f) - self.u0[s]) / GRID_STEP

    def fte(self, k: np.ndarray, s) -> np.ndarray:
        return self.f(self.u0[s] + np.asarray(k, dtype=float) * GRID_STEP)


def _interpolate(b: _Brackets, today: np.ndarray, load: np.ndarray, measure, target: Target, tell) -> int:
    """Grid candidates chosen by the open years' estimates (see the module docstring). Returns the model runs
    made, the pilot included."""
    grid = _Grid(today, target)
    sps = np.arange(b.shape[1])
    load_k = grid.index(LOAD_HEADROOM * np.maximum(load, 1e-9), sps[None, :])
    # Beyond this FTE a year that still misses the target is given up (NaN), as the bisection's doublings.
    limit = 2.0**target.max_doublings * np.maximum(np.nanmax(np.r_[load, today[None, :]], axis=0), 0.1)
    # Per (year, service point): steps taken from the one end known so far, and which end moved last
    # (1: hi, -1: lo) for the Illinois weights on the margins.
    steps = {"up": np.zeros(b.shape, dtype=int), "down": np.zeros(b.shape, dtype=int)}
    last_moved = np.zeros(b.shape, dtype=int)
    n_runs = 1
    while True:
        reachable = ~np.isnan(b.hi) | (b.lo < limit[None, :])
        open_ = ~b.closed(target) & reachable
        tell(n_runs, _interpolate_runs_left(b, grid, open_))
        if not open_.any():
            break
        if n_runs >= MAX_RUNS:
            msg = f"staffing search stopped after {MAX_RUNS} runs with {int(open_.sum())} brackets still open"
            warnings.warn(msg, stacklevel=3)
            break
        b.m_lo = np.maximum(b.m_lo, MARGIN_FLOOR)  # NaN (lo = 0, never run) stays NaN
        cand = np.array([_candidate(b, grid, s, open_[:, s], load_k[:, s], steps) for s in sps])
        lo_before, hi_before = b.lo.copy(), b.hi.copy()
        with np.errstate(invalid="ignore"):
            wide = ~(grid.index(b.hi, sps[None, :]) - grid.index(b.lo, sps[None, :]) <= WIDE + 1)  # NaN hi: wide
        b.record(cand, measure(cand), target, b.inside(cand))
        n_runs += 1
        moved_lo = b.lo > lo_before
        moved_hi = ~np.isnan(b.hi) & (np.isnan(hi_before) | (b.hi < hi_before))
        steps["up"] += moved_lo & wide  # stepped up from lo (or to the load estimate) and still short
        steps["down"] += moved_hi & (wide | np.isnan(b.m_lo))  # stepped down and still meeting the target
        # Illinois: when the same end moves twice in a row, halve the other end's margin, so the next estimate
        # moves towards that end instead of creeping up on it one grid step at a time.
        b.m_lo[moved_hi & (last_moved == 1)] *= 0.5
        b.m_hi[moved_lo & (last_moved == -1)] *= 0.5
        last_moved[moved_hi] = 1
        last_moved[moved_lo] = -1
    return n_runs


def _interpolate_runs_left(b: _Brackets, grid: _Grid, open_: np.ndarray) -> int:
    """Estimate of the runs an interpolating search still needs (for progress only): at the service point
    with most work left, one run per open year, two where more than one grid point is left in its bracket."""
    if not open_.any():
        return 0
    sps = np.arange(b.shape[1])[None, :]
    with np.errstate(invalid="ignore"):
        wide = ~(grid.index(b.hi, sps) - grid.index(b.lo, sps) <= 2 + 1e-6)  # NaN hi (no end yet) counts wide
    return int((open_ * (1 + wide)).sum(axis=0).max())


def _candidate(b: _Brackets, grid: _Grid, s: int, open_years: np.ndarray, load_k: np.ndarray, steps: dict) -> float:
    """Service point s's FTE for the next run: the grid point most of its open years ask for."""
    votes: dict[int, float] = {}
    fallback = []
    for y in np.flatnonzero(open_years):
        lo, hi = b.lo[y, s], b.hi[y, s]
        lo_k = float(grid.index(lo, s))  # -inf for 0 FTE on a grid of ratios only (abs_tol = 0)
        hi_k = np.inf if np.isnan(hi) else float(grid.index(hi, s))
        # the grid points strictly inside the bracket (lo and hi are grid points, up to rounding)
        first = int(np.floor(lo_k + 1e-6)) + 1 if np.isfinite(lo_k) else -UNBOUNDED
        last = int(np.ceil(hi_k - 1e-6)) - 1 if np.isfinite(hi_k) else UNBOUNDED
        if last < first:  # no grid point inside, which the grid's step below 1 tolerance rules out: halve it
            fallback.append((lo + hi) / 2.0)
            continue
        if first == last:
            want = [first]  # the one point left closes the bracket whatever it shows
        elif np.isnan(b.m_lo[y, s]) or last - first >= WIDE:
            # One end missing or far: the offered-load estimate if it lies inside, else 2, 4, 8, ... grid steps
            # from the end it contradicts, but never past the middle (then it is a bisection).
            mid = (lo_k + hi_k) / 2.0 if np.isfinite(lo_k) and np.isfinite(hi_k) else hi_k
            up = min(lo_k + 2.0 ** min(steps["up"][y, s] + 1, MAX_STEP), mid)
            down = max(hi_k - 2.0 ** min(steps["down"][y, s] + 1, MAX_STEP), mid)
            if np.isnan(b.m_lo[y, s]):
                e = min(load_k[y], down)
            elif np.isnan(hi):
                e = max(load_k[y], up)
            else:
                e = up if load_k[y] <= lo_k else down if load_k[y] >= hi_k else load_k[y]
            want = [int(np.clip(round(e), first, last))]
        else:
            # Regula falsi on the margin; the two grid points around its zero close the bracket if it is right.
            a, z = b.m_lo[y, s], b.m_hi[y, s]
            e = lo_k + (hi_k - lo_k) * (-a) / (z - a) if z > a else (lo_k + hi_k) / 2.0
            below = int(np.floor(e))
            want = [k for k in (below, below + 1) if first <= k <= last] or [int(np.clip(round(e), first, last))]
        for k in want:
            votes[k] = votes.get(k, 0.0) + 1.0 / len(want)
    if not votes:
        return fallback[0] if fallback else float(np.nanmax(np.r_[b.hi[:, s], grid.fte(0, s)]))
    most = max(votes.values())
    tied = sorted(k for k, v in votes.items() if v == most)
    return float(grid.fte(tied[len(tied) // 2], s))


def staffing_table(city, params: dict, found: SearchResult, target: Target) -> pd.DataFrame:
    """Tidy rows per level (service_point, stadsdeel, city) and year for one replication."""
    from sim.parameters import resolve

    p = resolve(params)
    pilot = found.pilot
    years, n_sp = found.fte_needed.shape
    year_labels = pilot.start_year + np.arange(years)
    district = np.asarray(pilot.sp_district, dtype=np.int64)
    stadsdelen = list(pilot.stadsdelen)
    cost_index = getattr(pilot, "cost_index", None)
    cost_by_year = float(p["service.cost_per_fte"]) * (
        np.ones(years) if cost_index is None else np.asarray(cost_index, dtype=float)[:years]
    )
    scale = float(pilot.scale)
    area_fte = pilot.fte.drop(columns="individual_support").sum(axis=1).to_numpy(dtype=float)
    # Today's individual support, two different numbers never mixed (issue 9): posts = the funded FTE of the
    # Servicepunt XL's posts (budget-derived, sim.city); filled = FTE of the posts filled at the start of each
    # year (vacancies while posts are being filled), times the year's funded factor.
    today_sp = np.asarray(pilot.sp_fte, dtype=float)
    filled_sp = (
        np.asarray(pilot.sp_fte_by_year, dtype=float)[:years]
        * np.asarray(pilot.fte_factor_by_year, dtype=float)[:years, None]
    )
    c = found.counts_at_need
    req0 = year_counts(pilot, target.within_weeks)["requests"]

    def rows(level, names, groups, area_based, stadsdeel_of):
        out = []
        for g, name in enumerate(names):
            m = groups == g
            for y in range(years):
                need = found.fte_needed[y, m]
                need_sum = float(need.sum()) if not np.isnan(need).any() else np.nan
                within, dropped = shares(
                    np.nansum(c["within"][y, m]), np.nansum(c["first"][y, m]), np.nansum(c["dropped"][y, m])
                )
                ab = float(area_based[g])
                cost = cost_by_year[y]
                out.append(
                    {
                        "level": level,
                        "area": name,
                        "stadsdeel": stadsdeel_of(g),
                        "year": int(year_labels[y]),
                        "fte_individual_needed": need_sum,
                        "fte_individual_today": float(today_sp[m].sum()),
                        "fte_individual_posts": float(today_sp[m].sum()),
                        "fte_individual_filled": float(filled_sp[y, m].sum()),
                        "fte_area_based": ab,
                        "fte_total_needed": need_sum + ab,
                        "cost_individual_eur": need_sum * cost,
                        "cost_total_eur": (need_sum + ab) * cost,
                        "cost_per_fte_eur": cost,
                        "help_requests": float(req0[y, m].sum()) / scale,
                        "share_within_at_need": float(within),
                        "share_dropped_at_need": float(dropped),
                    }
                )
        return out

    parts = rows(
        "service_point", list(pilot.service_points), np.arange(n_sp), np.zeros(n_sp), lambda g: stadsdelen[district[g]]
    )
    parts += rows("stadsdeel", stadsdelen, district, area_fte, lambda g: stadsdelen[g])
    parts += rows("city", [city.name], np.zeros(n_sp, dtype=np.int64), np.array([area_fte.sum()]), lambda g: "")
    df = pd.DataFrame(parts)
    df["search_runs"] = found.runs
    return df


def staffing_run(
    city_name: str,
    params: dict,
    seed: int,
    options: dict | None = None,
    progress: Callable[[float], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Study task body: search one replication and return its `staffing` table, and the `annual` table of the
    search's pilot (today's FTE under the mandate: the run a simulate study of the same scenario and seed
    makes, which the area-based need is read from). `progress(fraction)` gets the share of the search's model
    runs done (an estimate below 1 until the search ends)."""
    from analysis.study.outcomes import WITHIN_WEEKS, annual_outcomes
    from analysis.study.study import cached_city

    target = Target(**(options or {}).get("target", {}))
    city = cached_city(city_name)

    def runs_done(done: int, expected: int) -> None:
        progress(min(done / max(expected, 1), 0.99))

    found = search_fte(city, params, seed, target, progress=runs_done if progress else None)
    mandate = {**params, "budget.mode": "mandate"}
    return {
        "annual": annual_outcomes(found.pilot, city, mandate, WITHIN_WEEKS),
        "staffing": staffing_table(city, params, found, target),
    }


# ---- printed tables ------------------------------------------------------------------------
def band(p10: float, p50: float, p90: float, fmt: str = "{:,.1f}") -> str:
    if any(pd.isna(v) for v in (p10, p50, p90)):
        return "not reached"
    return f"{fmt.format(p50)} [{fmt.format(p10)}-{fmt.format(p90)}]"


def bands_by(df: pd.DataFrame, keys: list[str], metrics: list[str]) -> pd.DataFrame:
    g = df.groupby(keys, sort=False)[metrics]
    q = g.quantile([0.1, 0.5, 0.9]).unstack()
    q.columns = [f"{m}_p{int(round(x * 100))}" for m, x in q.columns]
    return q.reset_index()


def city_table(staffing: pd.DataFrame) -> str:
    city = staffing[staffing.level == "city"]
    filled = "fte_individual_filled" if "fte_individual_filled" in city else "fte_individual_today"
    b = bands_by(
        city,
        ["year"],
        [
            "fte_individual_needed",
            "fte_individual_today",
            filled,
            "fte_area_based",
            "fte_total_needed",
            "cost_total_eur",
        ],
    )
    out = pd.DataFrame(
        {
            "year": b.year,
            "individual support needed": [
                band(r.fte_individual_needed_p10, r.fte_individual_needed_p50, r.fte_individual_needed_p90)
                for r in b.itertuples()
            ],
            "posts today (funded FTE)": [f"{v:,.1f}" for v in b.fte_individual_today_p50],
            "filled (FTE, same year)": [f"{v:,.1f}" for v in getattr(b, f"{filled}_p50")],
            "area-based (today x levers)": [f"{v:,.1f}" for v in b.fte_area_based_p50],
            "total FTE": [
                band(r.fte_total_needed_p10, r.fte_total_needed_p50, r.fte_total_needed_p90) for r in b.itertuples()
            ],
            "cost (EUR M)": [
                band(r.cost_total_eur_p10 / 1e6, r.cost_total_eur_p50 / 1e6, r.cost_total_eur_p90 / 1e6, "{:,.2f}")
                for r in b.itertuples()
            ],
        }
    )
    return out.set_index("year").to_string()


def area_table(staffing: pd.DataFrame, years: list[int], levels=("stadsdeel", "service_point")) -> str:
    blocks = []
    for level in levels:
        part = staffing[(staffing.level == level) & staffing.year.isin(years)]
        if part.empty:
            continue
        b = bands_by(
            part,
            ["area", "year"],
            [
                "fte_individual_needed",
                "fte_individual_today",
                "fte_area_based",
                "fte_total_needed",
                "cost_total_eur",
                "share_within_at_need",
            ],
        )
        rows = {}
        for r in b.itertuples():
            row = rows.setdefault(r.area, {"posts today (funded FTE)": f"{r.fte_individual_today_p50:,.1f}"})
            row[f"{r.year} needed"] = band(
                r.fte_individual_needed_p10, r.fte_individual_needed_p50, r.fte_individual_needed_p90
            )
            if level == "stadsdeel":
                row[f"{r.year} total incl. area-based"] = band(
                    r.fte_total_needed_p10, r.fte_total_needed_p50, r.fte_total_needed_p90
                )
                row[f"{r.year} cost EUR M"] = band(
                    r.cost_total_eur_p10 / 1e6, r.cost_total_eur_p50 / 1e6, r.cost_total_eur_p90 / 1e6, "{:,.2f}"
                )
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "stadsdeel" if level == "stadsdeel" else "Servicepunt XL"
        blocks.append(table.to_string())
    return "\n\n".join(blocks)
