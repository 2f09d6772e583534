"""Staffing estimate under an unchanged mandate: the individual-support FTE each Servicepunt XL needs,
per year, to meet a service-level target; summed to stadsdelen and the city, with bands over replications.

The target (defaults): at least 80% of help requests get a first contact within 10 working days
(= waited at most 2 whole weeks in the weekly model, see `analysis.study.outcomes`), and at most 5% give up
before a first contact. Both are configurable (`Target`).

Search. Service points are independent queues, so one city run evaluates a candidate FTE for every
service point at once. Each replication (seed) runs its own search with common random numbers: every
candidate run uses the same seed. For every (service point, year) a bracket [lo, hi] is kept, where
`hi` met the target and `lo` did not: first `hi` is found from an offered-load estimate, doubled where
needed; then all brackets are bisected simultaneously. A candidate run gives each service point one
constant FTE for the whole run; if the years of one service point sit in different brackets, one run
per distinct midpoint is made (usually 1-3), and every run's result also narrows any other bracket its
candidate falls in. The answer is `hi` (the smallest FTE seen to meet the target) once
hi - lo <= max(rel_tol * hi, abs_tol).

Convention: the FTE "needed in year y" is the constant FTE with which year y meets the target when the
service point runs at that FTE from the start (the queue entering year y is the one that FTE produces).

Area-based work (jongerenwerk, opbouwwerk, ouderenwerk) is not a queue: it is reported as today's FTE
times the scenario's levers, labelled as such, and added to the total and cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from analysis.study.outcomes import WITHIN_WEEKS, shares, year_counts


@dataclass(frozen=True)
class Target:
    within_weeks: int = WITHIN_WEEKS  # "10 working days" = first contact after at most 2 whole weeks
    share_within: float = 0.80  # share of help requests with a first contact within target
    max_dropped: float = 0.05  # share of help requests that give up before a first contact
    rel_tol: float = 0.03  # bisection stops at hi - lo <= max(rel_tol * hi, abs_tol)
    abs_tol: float = 0.05  # FTE
    max_doublings: int = 8

    def options(self) -> dict:
        return asdict(self)


def _meets(res, target: Target) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    c = year_counts(res, target.within_weeks)
    within, dropped = shares(c["within"], c["first"], c["dropped"])
    ok = np.where(np.isnan(within), True, (within >= target.share_within) & (dropped <= target.max_dropped))
    return ok, c


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


@dataclass
class SearchResult:
    fte_needed: np.ndarray  # (years, service points); NaN where no FTE up to the limit met the target
    counts_at_need: dict  # year_counts of the run that set fte_needed, per (year, sp)
    pilot: object  # RunResults at today's staffing
    runs: int  # model runs used


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


def search_fte(
    city,
    params: dict,
    seed: int,
    target: Target = Target(),
    run=None,
    progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Bisection over FTE per (service point, year) with common random numbers (see module docstring).

    `progress(runs done, runs expected)` is called after every model run; the expected number is an
    estimate (`runs_left`) that changes as the brackets narrow. It reads no random stream."""
    from sim.model import run_model
    from sim.parameters import resolve

    run = run or run_model
    p = resolve({**params, "budget.mode": "mandate"})  # the search asks what the mandate needs
    pilot = run(city, p, seed)
    years, n_sp = pilot.weeks // 52, len(pilot.service_points)
    n_runs = 1

    c0 = year_counts(pilot, target.within_weeks)
    per_week = c0["requests"].max(axis=0) / 52.0
    offered = per_week * float(p.get("demand.contacts_mean", 3.5)) / max(_capacity_per_fte(p), 1e-12)
    cand = np.maximum(1.3 * offered, 0.1)

    lo = np.zeros((years, n_sp))
    hi = np.full((years, n_sp), np.nan)
    at_need = {k: np.full((years, n_sp), np.nan) for k in c0}

    def record(c: np.ndarray, ok: np.ndarray, counts: dict, mask: np.ndarray) -> None:
        cc = np.broadcast_to(c, (years, n_sp))
        win = mask & ok & (np.isnan(hi) | (cc < hi))
        lose = mask & ~ok & (cc > lo)
        hi[win] = cc[win]
        for k in at_need:
            at_need[k][win] = counts[k][win]
        lo[lose] = cc[lose]

    def tell(extra: int = 0) -> None:
        if progress is not None:
            progress(n_runs, n_runs + extra + runs_left(lo, hi, target))

    # 0. the pilot itself is a run at today's FTE
    ok0, _ = _meets(pilot, target)
    record(np.asarray(pilot.sp_fte, dtype=float), ok0, c0, np.ones_like(ok0, dtype=bool))
    tell(extra=2)  # the probe and at least one candidate follow
    # 1. a likely infeasible lower end (utilisation above 1 at 0.85 x the offered load) ...
    probe = 0.85 * offered
    if (probe > 0).any():
        ok, counts = _meets(run(city, p, seed, sp_fte=probe), target)
        n_runs += 1
        record(probe, ok, counts, np.ones_like(ok, dtype=bool))
        tell(extra=1)
    # ... and a feasible upper end for every (year, sp)
    for _ in range(target.max_doublings + 1):
        ok, counts = _meets(run(city, p, seed, sp_fte=cand), target)
        n_runs += 1
        # Every candidate narrows the brackets it falls in, also where today's FTE (the pilot) already met
        # the target: a smaller feasible FTE found here saves the bisection steps between the two.
        record(cand, ok, counts, np.ones_like(ok, dtype=bool))
        missing = np.isnan(hi)
        tell(extra=int(missing.any()))
        if not missing.any():
            break
        cand = np.where(missing.any(axis=0), cand * 2.0, cand)

    # 2. simultaneous bisection of every bracket
    for _iteration in range(60):
        width = hi - lo
        active = ~np.isnan(hi) & (width > np.maximum(target.rel_tol * hi, target.abs_tol))
        if not active.any():
            break
        mids = (lo + hi) / 2.0
        per_sp = [np.unique(mids[active[:, s], s]) for s in range(n_sp)]
        rounds = max(len(m) for m in per_sp)
        for r in range(rounds):
            cand = np.array(
                [m[min(r, len(m) - 1)] if len(m) else np.nanmax(np.r_[hi[:, s], 0.0]) for s, m in enumerate(per_sp)]
            )
            ok, counts = _meets(run(city, p, seed, sp_fte=cand), target)
            n_runs += 1
            inside = (cand[None, :] > lo) & (cand[None, :] < hi)
            record(cand, ok, counts, inside & ~np.isnan(hi))
            tell(extra=rounds - r - 1)  # the rest of this round's midpoints
    return SearchResult(fte_needed=hi, counts_at_need=at_need, pilot=pilot, runs=n_runs)


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
    """Study task body: search one replication and return its `staffing` table. `progress(fraction)` gets
    the share of the search's model runs done (an estimate below 1 until the search ends)."""
    from analysis.study.study import cached_city

    target = Target(**(options or {}).get("target", {}))
    city = cached_city(city_name)

    def runs_done(done: int, expected: int) -> None:
        progress(min(done / max(expected, 1), 0.99))

    found = search_fte(city, params, seed, target, progress=runs_done if progress else None)
    return {"staffing": staffing_table(city, params, found, target)}


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
