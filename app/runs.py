"""Runs for the app: replications go to a bounded pool of spawned worker processes, never the server thread.

One pool per server process, shared by all browser sessions (so a room full of laptops cannot start more
model processes than the machine has cores). Finished replications are kept in a small cache keyed by
(parameters, seed): a run is a pure function of them, so sharing the cache between sessions is safe, and
"pause" followed by "run" only computes the replications still missing.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context

import pandas as pd

from app.settings import Settings
from app.worker import frames_only, run_one

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 400


def pool_size() -> int:
    """Worker processes: WELZIJNSIM_APP_WORKERS, else the cores (at most 4)."""
    env = os.environ.get("WELZIJNSIM_APP_WORKERS")
    return max(1, int(env)) if env else max(1, min(4, os.cpu_count() or 1))


def pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=pool_size(), mp_context=get_context("spawn"))
        return _pool


def shutdown() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


def warm_up() -> None:
    """Start the workers and import the model in them now, so the first run does not pay for it."""
    p = pool()
    for _ in range(pool_size()):
        p.submit(_import_model)


def _import_model() -> bool:
    import sim.model  # noqa: F401

    return True


@dataclass(frozen=True)
class Run:
    """The result of one setting: its replications' frames (with a replication column) and the map."""

    settings: Settings
    frames: dict = field(hash=False, compare=False)
    map: dict | None = field(default=None, hash=False, compare=False)
    done: int = 0
    seconds: float = 0.0
    number: int = 0  # position in the session's history (1, 2, ...)

    @property
    def complete(self) -> bool:
        return self.done >= self.settings.replications


def _key(city: str, params: dict, seed: int) -> tuple:
    # Some parameters are tables (per stadsdeel, per Servicepunt XL): JSON with sorted keys makes them hashable.
    return (city, json.dumps(params, sort_keys=True, default=repr), int(seed))


def run_setting(
    settings: Settings,
    progress: Callable[[Run, int], None] | None = None,
    stop: Callable[[], bool] | None = None,
    limit: int | None = None,
) -> Run:
    """Run (or fetch from the cache) the replications of `settings`; stop early when `stop()` says so.

    `limit` caps the number of replications (a "step" runs one more than is done). The first replication also
    returns the per-cell map. `progress(partial_run, total)` is called as replications finish, so a view can
    redraw before the last one. Replications stopped before they started are cancelled; any that finish
    later still land in the cache."""
    t0 = time.perf_counter()
    sc = settings.scenario()
    params, city = sc.params(), sc.meta.city
    seeds = settings.seeds()[: limit or settings.replications]
    results: dict[int, dict] = {}
    futures: dict[Future, int] = {}
    for i, seed in enumerate(seeds):
        key = _key(city, params, seed)
        with _cache_lock:
            hit = _cache.get(key)
        if hit is not None and (i > 0 or "map" in hit):
            results[i] = hit
        else:
            fut = pool().submit(run_one, city, params, seed, i == 0)
            fut.add_done_callback(lambda f, key=key: _store(key, f))
            futures[fut] = i
    if progress and results:
        progress(assemble(settings, results, time.perf_counter() - t0), len(seeds))
    pending = set(futures)
    while pending:
        finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
        for fut in finished:
            results[futures[fut]] = fut.result()
        if progress and finished and pending:
            progress(assemble(settings, results, time.perf_counter() - t0), len(seeds))
        if stop and stop():
            for fut in pending:
                fut.cancel()
            break
    return assemble(settings, results, time.perf_counter() - t0)


def _store(key: tuple, fut: Future) -> None:
    if fut.cancelled() or fut.exception() is not None:
        return
    with _cache_lock:
        _cache[key] = fut.result()
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def assemble(settings: Settings, results: dict[int, dict], seconds: float = 0.0) -> Run:
    """Frames of the finished replications, concatenated with their replication number."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for i in sorted(results):
        for name, df in frames_only(results[i]).items():
            df = df.copy()
            df.insert(0, "replication", i)
            parts.setdefault(name, []).append(df)
    frames = {name: pd.concat(dfs, ignore_index=True) for name, dfs in parts.items()}
    first = results.get(0, {})
    return Run(settings, frames, first.get("map"), done=len(results), seconds=seconds)
