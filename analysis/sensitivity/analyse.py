"""Indices of a sensitivity study: SALib analyses of every outcome, the dummy's noise floor, convergence.

For each outcome (and year) the replications of a design point are averaged (they share seeds with the
replications of every other point: common random numbers), and the SALib analysis of the design's
method runs on those means in the sample's own row order, with bootstrap confidence intervals
(`resamples`, `conf_level`, seeded by the design seed).

Noise floor: the dummy factor only moves the random seed, so its index is what pure model noise scores.
A factor counts as a driver of an outcome when its index is above the dummy's upper bound (index + CI).

Convergence: the same analysis on the first half of the design (Morris r/2 trajectories, Sobol N/2 base
samples, delta N/2 points - each a valid design of its own) next to the full one; an outcome is called
converged when no main index moved by more than 10% of the largest one.

Files written to the study directory:
    points.parquet      point, every factor (and the dummy), outcome, year, mean, sd, n over replications
    summary.parquet/csv method, outcome, year, factor, index, value, conf, low, high, above_noise
    convergence.parquet method, outcome, year, factor, index, half, full
    sensitivity.json    design, noise floors, convergence verdicts, top drivers, discovery (PRIM) result
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.sensitivity.design import DUMMY, Design, point_rows
from analysis.study.store import write_csv, write_json, write_parquet

MAIN_INDEX = {"morris": "mu_star", "sobol": "ST", "delta": "delta"}
CONVERGED_REL = 0.10  # half vs full design: largest change of a main index <= 10% of the largest index


def salib_indices(design: Design, X: np.ndarray, Y: np.ndarray) -> list[dict]:
    """One SALib analysis -> rows (factor, index, value, conf). Constant outputs give zeros, flagged."""
    problem = design.problem()
    names = problem["names"]
    if not np.all(np.isfinite(Y)):
        raise ValueError("non-finite outcome values; cannot analyse")
    kw = dict(num_resamples=design.resamples, conf_level=design.conf_level, seed=design.seed)
    rows = []
    if np.ptp(Y) == 0:
        for idx in _indices(design.method):
            rows += [{"factor": n, "index": idx, "value": 0.0, "conf": 0.0, "constant": True} for n in names]
        return rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if design.method == "morris":
            from SALib.analyze import morris

            si = morris.analyze(problem, X, Y, num_levels=design.levels, **kw)
            pairs = {"mu_star": "mu_star_conf", "sigma": None, "mu": None}
        elif design.method == "sobol":
            from SALib.analyze import sobol

            si = sobol.analyze(problem, Y, calc_second_order=False, **kw)  # relies on the sample's row order
            pairs = {"ST": "ST_conf", "S1": "S1_conf"}
        else:
            from SALib.analyze import delta

            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):  # SALib notices
                si = dict(delta.analyze(problem, X, Y, **kw))
            if "delta" not in si:  # SALib >= 1.6: raw / balanced / step variants; raw is Plischke et al. (2013)
                si["delta"], si["delta_conf"] = si["delta_raw"], si["delta_raw_conf"]
            pairs = {"delta": "delta_conf", "S1": "S1_conf"}
    for idx, conf in pairs.items():
        vals = np.asarray(si[idx], dtype=float)
        confs = np.asarray(si[conf], dtype=float) if conf else np.full(len(names), np.nan)
        rows += [
            {"factor": n, "index": idx, "value": float(v), "conf": float(c), "constant": False}
            for n, v, c in zip(names, vals, confs)
        ]
    return rows


def _indices(method: str) -> tuple[str, ...]:
    return {"morris": ("mu_star", "sigma", "mu"), "sobol": ("ST", "S1"), "delta": ("delta", "S1")}[method]


def point_means(directory: Path, spec) -> pd.DataFrame:
    """outcomes of all stored runs, averaged over the replications of each design point."""
    from analysis.study.study import load_table

    runs = load_table(directory, "outcomes")
    if runs.empty:
        return runs
    reps = int(spec.options["point_replications"])
    runs["point"] = runs["replication"] // reps
    g = runs.groupby(["point", "outcome", "key", "area", "year"], sort=True)["value"]
    return g.agg(mean="mean", sd="std", n="count").reset_index()


def analyse(design: Design, X: np.ndarray, means: pd.DataFrame, n_points: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indices and convergence for every outcome with values at all `n_points` points."""
    half = point_rows(design, n_points)
    main = MAIN_INDEX[design.method]
    out, conv = [], []
    for (outcome, year), g in means.groupby(["outcome", "year"], sort=True):
        if len(g) != n_points:
            continue  # an outcome some runs lack (e.g. a column added later): not analysable
        Y = g.sort_values("point")["mean"].to_numpy(dtype=float)
        if not np.all(np.isfinite(Y)):
            continue  # e.g. a service level in an area without requests
        full = salib_indices(design, X, Y)
        for r in full:
            out.append({"method": design.method, "outcome": outcome, "year": int(year), **r})
        part = {(r["factor"], r["index"]): r["value"] for r in salib_indices(design, X[half], Y[half])}
        for r in full:
            if r["index"] == main:
                conv.append(
                    {
                        "method": design.method,
                        "outcome": outcome,
                        "year": int(year),
                        "factor": r["factor"],
                        "index": main,
                        "half": part[(r["factor"], main)],
                        "full": r["value"],
                    }
                )
    idx = pd.DataFrame(out)
    if not idx.empty:
        idx["low"] = idx["value"] - idx["conf"]
        idx["high"] = idx["value"] + idx["conf"]
        idx["above_noise"] = False
        for (outcome, year, index), g in idx.groupby(["outcome", "year", "index"]):
            d = g[g.factor == DUMMY].iloc[0]
            floor = d["value"] + (d["conf"] if np.isfinite(d["conf"]) else 0.0)
            mask = (idx.outcome == outcome) & (idx.year == year) & (idx["index"] == index) & (idx.factor != DUMMY)
            idx.loc[mask, "above_noise"] = (idx.loc[mask, "value"] > floor) & ~idx.loc[mask, "constant"]
    return idx, pd.DataFrame(conv)


def convergence_verdicts(conv: pd.DataFrame) -> dict[str, dict]:
    out = {}
    for (outcome, year), g in conv.groupby(["outcome", "year"]):
        top = float(np.nanmax(np.abs(g["full"]))) if len(g) else 0.0
        change = float(np.nanmax(np.abs(g["full"] - g["half"]))) if len(g) else 0.0
        rank_full = list(g.sort_values("full", ascending=False).factor[:3])
        rank_half = list(g.sort_values("half", ascending=False).factor[:3])
        out[f"{outcome}|{year}"] = {
            "max_change": change,
            "max_index": top,
            "converged": bool(top == 0 or change <= CONVERGED_REL * top),
            "top3_full": rank_full,
            "top3_half": rank_half,
        }
    return out


def noise_floors(idx: pd.DataFrame, method: str) -> dict[str, dict]:
    main = MAIN_INDEX[method]
    d = idx[(idx.factor == DUMMY) & (idx["index"] == main)]
    return {f"{r.outcome}|{r.year}": {"value": float(r.value), "conf": float(r.conf)} for r in d.itertuples()}


def top_drivers(idx: pd.DataFrame, method: str, outcome: str, year: int, n: int = 5) -> list[dict]:
    main = MAIN_INDEX[method]
    g = idx[(idx.outcome == outcome) & (idx.year == year) & (idx["index"] == main) & (idx.factor != DUMMY)]
    g = g.sort_values("value", ascending=False).head(n)
    return [
        {"factor": r.factor, "value": float(r.value), "conf": float(r.conf), "above_noise": bool(r.above_noise)}
        for r in g.itertuples()
    ]


def summarise_sensitivity(directory: Path, spec) -> pd.DataFrame:
    """Called by `analysis.study.study.summarise` for kind "sensitivity": write indices, convergence, PRIM."""
    directory = Path(directory)
    design = Design.from_dict(spec.options["design"])
    X = np.asarray(spec.options["sample"], dtype=float)
    n_points = len(X)
    means = point_means(directory, spec)
    if means.empty:
        return means
    wide = pd.DataFrame(X, columns=design.names).rename_axis("point").reset_index()
    write_parquet(directory / "points.parquet", means.merge(wide, on="point", how="left"))
    complete = means.groupby(["outcome", "year"])["point"].nunique().eq(n_points).any()
    if not complete:
        return pd.DataFrame()  # interrupted: analyse when every point is stored (--resume)
    idx, conv = analyse(design, X, means, n_points)
    write_parquet(directory / "summary.parquet", idx)
    write_csv(directory / "summary.csv", idx)
    write_parquet(directory / "convergence.parquet", conv)
    years = sorted(y for y in means.year.unique() if y)
    first, last = (years[0], years[-1]) if years else (0, 0)
    from analysis.sensitivity.outcomes import HEADLINE

    info = {
        "method": design.method,
        "main_index": MAIN_INDEX[design.method],
        "design": design.to_dict(),
        "points": n_points,
        "replications": int(spec.options["point_replications"]),
        "runs": len(spec.runs()),
        "first_year": int(first),
        "last_year": int(last),
        "noise_floor": noise_floors(idx, design.method),
        "convergence": convergence_verdicts(conv),
        "converged_rel": CONVERGED_REL,
        "headline": {
            "outcome": HEADLINE,
            "year": int(last),
            "drivers": top_drivers(idx, design.method, HEADLINE, int(last)),
        },
        "outcomes": sorted(idx.outcome.unique().tolist()) if not idx.empty else [],
    }
    from analysis.sensitivity.discovery import discover

    info["discovery"] = discover(design, directory, means, wide)
    write_json(directory / "sensitivity.json", json.loads(json.dumps(info, default=_json_default)))
    return idx


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
