"""What runs in the worker processes: one replication, and the per-cell map of the first one.

Top-level functions only: the pool spawns its workers (``import mesa`` forces the "spawn" start method), so
workers import this module by name. The numbers are those of `analysis.study.runner.run_replication`: the same
model, parameters and seed; the map only reads the finished model's state (no model logic here).
"""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd

from analysis.study.runner import LEVELS
from sim.city import load_city
from sim.space import LAYERS


def run_one(city: str, params: dict, seed: int, with_map: bool = False) -> dict:
    """One replication: the frames `run_replication` returns, plus ``"map"`` (per-cell arrays) if asked."""
    from mesa import Agent

    from sim.model import WelzijnModel

    model = WelzijnModel(load_city(city), params, seed)
    res = model.run()
    out: dict = {f"annual_{level}": res.annual(level) for level in LEVELS}
    out["weekly_stadsdeel"] = res.weekly("stadsdeel")
    for level in LEVELS:
        add_seen_within(out[f"annual_{level}"], res, level)
    for df in out.values():
        df.insert(0, "seed", seed)
    if with_map:
        out["map"] = map_snapshot(model)
    # As run_model does: Mesa 3.3 keeps every model alive in Agent._ids unless released.
    Agent._ids.pop(model, None)
    del model
    gc.collect()
    return out


def map_snapshot(model) -> dict:
    """Per stadsdeel grid: the Mesa property layers, the catchment (service point per cell), residents,
    unregistered residents and residents reached by area-based work per cell, and the service point sites."""
    space, pop = model.space, model.population
    n = space.n_cells
    residents = np.bincount(pop.cell, minlength=n).astype(float)
    unregistered = np.bincount(pop.cell[pop.kind != 0], minlength=n).astype(float)
    reached = np.full(n, np.nan)
    for m in getattr(model, "mechanisms", []):
        if getattr(m, "name", "") == "prevention" and hasattr(m, "reached_week"):
            from sim.mechanisms.prevention import NOT_REACHED

            # Reached by targeted work (jongerenwerk, ouderenwerk): opbouwwerk reaches nearly everyone thinly.
            k = min(len(m.reached_week), len(pop.cell))
            targeted = (m.reached_week[:k] != NOT_REACHED) & (
                m.effect[:k] > model.params["prevention.community_effect"]
            )
            reached = np.bincount(pop.cell[:k][targeted], minlength=n).astype(float)
    grids = []
    for d, grid in enumerate(space.grids):
        cells = space.cells_of(d)
        shape = tuple(grid.dimensions)
        g = {"name": model.city.stadsdelen[d], "shape": shape}
        for layer in LAYERS:
            g[layer] = np.asarray(getattr(grid, layer).data, dtype=float)
        for key, arr in (
            ("residents", residents),
            ("unregistered", unregistered),
            ("reached", reached),
            ("catchment", model.cell_service_point.astype(float)),
        ):
            g[key] = arr[cells].reshape(shape)
        g["sites"] = [
            (sp.index, sp.name, tuple(int(v) for v in sp.cell.coordinate))
            for sp in model.service_points
            if sp.district == d
        ]
        grids.append(g)
    return {"grids": grids, "scale": float(model.params["run.scale"])}


SEEN_WITHIN_WEEKS = 2  # 10 working days


def add_seen_within(frame: pd.DataFrame, res, level: str) -> None:
    """Column ``seen_within_10_days``: share of first contacts that waited at most two weeks (10 working
    days), per year and area, read from the run's wait histograms (kept if the model already reports it)."""
    if "seen_within_10_days" in frame.columns:
        return
    if "share_first_within_2_weeks" in frame.columns:  # the model reports it itself (newer versions)
        frame["seen_within_10_days"] = frame["share_first_within_2_weeks"]
        return
    grouping = getattr(res, "group_index", None) or getattr(res, "_group", None)
    if grouping is None or getattr(res, "wait_hist", None) is None:
        return
    group, names = grouping(level)
    hist = res._sum_groups(res.wait_hist, group, len(names))  # (weeks, areas, bins)
    years = res.weeks // 52
    by_year = hist[: 52 * years].reshape(years, 52, len(names), -1).sum(axis=1)
    total = by_year.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = by_year[..., : SEEN_WITHIN_WEEKS + 1].sum(axis=-1) / total
    frame["seen_within_10_days"] = share.ravel()  # rows are (year, area) in the same order as annual()


def frames_only(out: dict) -> dict[str, pd.DataFrame]:
    return {k: v for k, v in out.items() if isinstance(v, pd.DataFrame)}
