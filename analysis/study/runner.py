"""Run a scenario's replications and gather their tidy results.

`run_replication` is a pure top-level function of (city, parameters, seed), so any executor
(a process pool that spawns, a Dask worker) can import and call it.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from scenarios.loader import Scenario
from sim.city import load_city
from sim.model import run_model
from sim.streams import replication_seeds

LEVELS = ("city", "stadsdeel", "service_point")


def run_replication(city: str, params: dict, seed: int) -> dict[str, pd.DataFrame]:
    """One run → annual tables per level (and weekly per stadsdeel), each tagged with its seed."""
    res = run_model(load_city(city), params, seed)
    frames = {f"annual_{level}": res.annual(level) for level in LEVELS}
    frames["weekly_stadsdeel"] = res.weekly("stadsdeel")
    for df in frames.values():
        df.insert(0, "seed", seed)
    return frames


def run_scenario(scenario: Scenario, progress: Callable[[int, int], None] | None = None) -> dict[str, pd.DataFrame]:
    """All replications of a scenario, one after the other; frames concatenated with a replication column."""
    seeds = replication_seeds(scenario.meta.seed, scenario.meta.replications)
    parts: dict[str, list[pd.DataFrame]] = {}
    for i, seed in enumerate(seeds):
        for name, df in run_replication(scenario.meta.city, scenario.params(), seed).items():
            df.insert(0, "replication", i)
            parts.setdefault(name, []).append(df)
        if progress:
            progress(i + 1, len(seeds))
    return {name: pd.concat(dfs, ignore_index=True) for name, dfs in parts.items()}
