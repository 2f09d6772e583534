"""Benefit/cost of levers against the sources: the `[[lever_target]]` entries of analysis/validation/targets.toml.

Each target names a lever and the settings that switch it on. For every seed the checked scenario runs
without and with those settings (common random numbers: same seed, own streams per mechanism), and
analysis/staffing/levers.py gives the paired cost, net and gross benefit over all simulated years. Printed by
`welzijnsim check-model --levers` next to the face validation.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from analysis.staffing.levers import LEVERS, benefit_cost, reallocated_eur
from sim.city import City
from sim.model import run_model
from sim.parameters import PARAMETERS
from sim.streams import replication_seeds

TARGETS_FILE = Path(__file__).with_name("targets.toml")
COLUMNS = ("bc_gross", "bc_net", "net_share")


class LeverTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    lever: str
    set: dict[str, Any]
    column: str
    low: float
    high: float
    source: str = Field(min_length=1)


def load_lever_targets(path: str | Path | None = None) -> list[LeverTarget]:
    """The `[[lever_target]]` entries, checked; ValueError names the file, the entry and the field."""
    path = Path(path) if path else TARGETS_FILE
    raw = tomllib.loads(path.read_text(encoding="utf-8")).get("lever_target", [])
    out = []
    for i, entry in enumerate(raw):
        where = f"{path}: lever_target[{i}] ({entry.get('name', '?')})"
        try:
            t = LeverTarget(**entry)
        except ValidationError as exc:
            fields = ", ".join(".".join(str(x) for x in e["loc"]) + f": {e['msg']}" for e in exc.errors())
            raise ValueError(f"{where}: {fields}") from exc
        if t.lever not in LEVERS:
            raise ValueError(f"{where}: field 'lever' = {t.lever!r}; allowed: {', '.join(LEVERS)}")
        if t.column not in COLUMNS:
            raise ValueError(f"{where}: field 'column' = {t.column!r}; allowed: {', '.join(COLUMNS)}")
        unknown = [k for k in t.set if k not in PARAMETERS]
        if unknown:
            raise ValueError(f"{where}: field 'set' names unknown parameter(s) {', '.join(unknown)}")
        out.append(t)
    return out


def check_levers(
    city: City, params: dict, seed: int, replications: int, targets: list[LeverTarget] | None = None
) -> list[dict]:
    """One row per target: the paired value per seed, its mean, and whether the mean is in [low, high]."""
    targets = targets if targets is not None else load_lever_targets()
    seeds = replication_seeds(seed, replications)
    cache: dict[tuple, list[dict]] = {}
    rows = []
    for t in targets:
        key = (t.lever, tuple(sorted(t.set.items())))
        if key not in cache:
            cache[key] = []
            for s in seeds:
                a = run_model(city, params, s)
                b = run_model(city, {**params, **t.set}, s)
                moved = reallocated_eur(a, b) if LEVERS[t.lever].cost == "reallocated_eur" else None
                cache[key].append(benefit_cost(a.annual("city"), b.annual("city"), t.lever, moved_eur=moved))
        values = np.array([r[t.column] for r in cache[key]], dtype=float)
        mean = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
        status = "n/a" if not math.isfinite(mean) else "LOW" if mean < t.low else "HIGH" if mean > t.high else "ok"
        rows.append(
            {
                "target": t,
                "values": values,
                "mean": mean,
                "status": status,
                "cost_eur": float(np.mean([r["cost_eur"] for r in cache[key]])),
                "benefit_net_eur": float(np.mean([r["benefit_net_eur"] for r in cache[key]])),
                "benefit_gross_eur": float(np.mean([r["benefit_gross_eur"] for r in cache[key]])),
            }
        )
    return rows


def format_levers(rows: list[dict]) -> str:
    lines = [
        "",
        "Levers: benefit/cost from paired runs (same seed without and with the lever; all simulated years)",
        "",
    ]
    for r in rows:
        t = r["target"]
        spread = (
            f" ({np.nanmin(r['values']):.3g} to {np.nanmax(r['values']):.3g})"
            if len(r["values"]) > 1 and np.isfinite(r["values"]).any()
            else ""
        )
        lines.append(f"{t.label}: {t.column} {r['mean']:.3g}{spread}; range {t.low:g} to {t.high:g}  {r['status']}")
        lines.append(
            f"    cost EUR {r['cost_eur'] / 1e6:,.2f}M, net benefit EUR {r['benefit_net_eur'] / 1e6:,.2f}M, "
            f"gross benefit EUR {r['benefit_gross_eur'] / 1e6:,.2f}M"
        )
        lines.append(f"    [{t.name}] source: {t.source}")
    return "\n".join(lines)
