"""Scenario discovery: under which factor ranges does the service level fail at today's budget?

The runs of a sensitivity study keep today's staff (the baseline's mandate: today's FTE, paid from today's
budget at the cost per FTE), so a design point "fails" when its outcome misses the target, by default:
share of help requests seen within 10 working days in the last year below 80% (the staffing target).
PRIM (EMA Workbench, Friedman & Fisher's patient rule induction) then looks for boxes in factor space
where failures concentrate; each box is reported with its coverage (share of all failures inside it),
density (share of points inside that fail) and mass (share of all points inside). On the peeling
trajectory we take the box with the highest coverage whose density reaches `density_min`.
Feature scores (extra trees, EMA Workbench) rank the factors, dummy included, by how well they
predict failure.

EMA Workbench is an optional extra (`pip install 'welzijnsim[sensitivity]'`); without it discovery is
skipped with a note, and everything else still works.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT = {"outcome": "share_within_target", "threshold": 0.80, "fails_when": "below"}


def prim_boxes(
    x: pd.DataFrame, fails: np.ndarray, density_min: float = 0.8, mass_min: float = 0.05, max_boxes: int = 2
) -> list[dict]:
    """PRIM boxes where `fails` concentrates: limits of the restricted factors, coverage, density, mass."""
    from ema_workbench.analysis import prim

    fails = np.asarray(fails, dtype=int)
    total_fail = int(fails.sum())
    ranges = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
    boxes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("EMA").setLevel(logging.ERROR)
        logging.getLogger("EMA.analysis.prim").setLevel(logging.ERROR)
        alg = prim.Prim(x.reset_index(drop=True), fails, threshold=density_min, mass_min=mass_min, peel_alpha=0.05)
        for _ in range(max_boxes):
            box = alg.find_box()
            if box is None:
                break
            traj = box.peeling_trajectory
            ok = traj[traj["density"] >= density_min]
            i = int(ok["coverage"].idxmax()) if len(ok) else int(traj["density"].idxmax())
            box.select(i)
            lims = box.box_lims[i]
            inside = np.ones(len(x), dtype=bool)
            limits = {}
            for c in x.columns:
                lo, hi = float(lims[c].iloc[0]), float(lims[c].iloc[1])
                inside &= (x[c].to_numpy() >= lo) & (x[c].to_numpy() <= hi)
                if lo > ranges[c][0] or hi < ranges[c][1]:
                    limits[c] = [lo, hi]
            if not limits:
                break  # the rest of the space, not a box
            # Coverage and density recomputed on all points (EMA's are relative to the data left for this box).
            n_in = int(inside.sum())
            boxes.append(
                {
                    "limits": limits,
                    "coverage": float(fails[inside].sum() / total_fail) if total_fail else 0.0,
                    "density": float(fails[inside].mean()) if n_in else 0.0,
                    "mass": float(n_in / len(x)),
                    "n": n_in,
                }
            )
            if float(traj["density"].max()) < density_min:
                break
    return boxes


def feature_scores(x: pd.DataFrame, fails: np.ndarray, seed: int) -> dict[str, float]:
    from ema_workbench.analysis import feature_scoring
    from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, *_ = feature_scoring.get_ex_feature_scores(
            x.reset_index(drop=True),
            np.asarray(fails, dtype=int),
            mode=RuleInductionType.CLASSIFICATION,
            random_state=seed,
        )
    s = scores.iloc[:, 0] if isinstance(scores, pd.DataFrame) else scores
    return {str(k): float(v) for k, v in s.sort_values(ascending=False).items()}


def discover(design, directory: Path, means: pd.DataFrame, wide: pd.DataFrame) -> dict:
    """PRIM boxes and feature scores for the design's [discovery] rule (or the default)."""
    rule = {**DEFAULT, **(design.discovery or {})}
    years = sorted(y for y in means.year.unique() if y)
    part = means[(means.outcome == rule["outcome"]) & (means.year == (years[-1] if years else 0))]
    if part.empty:
        part = means[means.outcome == rule["outcome"]]
    out = {"rule": rule, "year": int(part.year.iloc[0]) if len(part) else None}
    if part.empty:
        return {**out, "status": "outcome not available"}
    y = part.sort_values("point").set_index("point")["mean"]
    x = wide.set_index("point").loc[y.index]
    fails = (y < rule["threshold"]) if rule["fails_when"] == "below" else (y > rule["threshold"])
    fails = fails.to_numpy() & np.isfinite(y.to_numpy())
    out.update(
        {
            "points": int(len(y)),
            "failing": int(fails.sum()),
            "share_failing": float(fails.mean()),
            "range": [float(np.nanmin(y)), float(np.nanmax(y))],
        }
    )  # how far from the threshold the design goes
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "ipyparallel not installed": not needed here
            import ema_workbench  # noqa: F401
    except ImportError:
        return {**out, "status": "EMA Workbench not installed (pip install 'welzijnsim[sensitivity]')"}
    if fails.all() or not fails.any():
        return {
            **out,
            "status": "fails at every point" if fails.all() else "fails at no point",
            "boxes": [],
            "feature_scores": {},
        }
    real = [c for c in x.columns if c != "dummy"]
    out["boxes"] = prim_boxes(x[real], fails)
    out["feature_scores"] = feature_scores(x, fails, design.seed)
    out["status"] = "ok"
    return out
