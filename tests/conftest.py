"""Shared fixtures for the welzijnsim test suite.

Runs are small (`run.scale` 0.02-0.05, 1-2 years) so the whole suite stays fast; tests that need the
full population build the model at scale 1.0 without stepping it (synthesis takes well under a second).
Every stochastic test fixes its seeds here or in the test, so results are reproducible.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.city import load_city
from sim.model import WelzijnModel

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
BASELINE = ROOT / "scenarios" / "baseline.toml"

# Small runs: 2 years at 3% of the residents (about 18,000 people, 17 service points).
SMALL = {"run.scale": 0.03, "run.years": 2}
TRACED = {"run.scale": 0.02, "run.years": 2}
SEED = 20260205


@pytest.fixture(scope="session")
def city():
    return load_city("den_haag")


def build(city, params: dict | None = None, seed: int = SEED, trace_all: bool = False) -> WelzijnModel:
    """A model with `params` on top of the defaults; `trace_all` follows every resident."""
    if not trace_all:
        return WelzijnModel(city, params, seed)
    n = len(WelzijnModel(city, params, seed).population)  # same seed, same population size
    return WelzijnModel(city, params, seed, trace=list(range(n)))


@pytest.fixture(scope="session")
def traced_run(city):
    """A small 2-year run in which every resident is traced: (model, results)."""
    model = build(city, TRACED, trace_all=True)
    return model, model.run()


@pytest.fixture(scope="session")
def full_model(city):
    """The model at full scale (scale 1.0) with default parameters, set up but not run."""
    return WelzijnModel(city, {"run.years": 1}, SEED)


# ---- the console script ---------------------------------------------------------------------
def uniform_population(n: int, service_point=0, trust: float = 0.5):
    """`n` identical residents (adults, one cell, registered) at the given service point(s), all idle."""
    from sim.population import Population

    pop = Population(
        district=np.zeros(n, np.int16),
        cell=np.zeros(n, np.int32),
        age_band=np.full(n, 2, np.int8),
        alone=np.zeros(n, bool),
        low_income=np.zeros(n, bool),
        migration=np.zeros(n, bool),
        kind=np.zeros(n, np.int8),
        network=np.full(n, 0.5, np.float32),
        trust=np.full(n, trust, np.float32),
    )
    pop.reset_state()
    pop.service_point = np.broadcast_to(np.asarray(service_point, dtype=np.int16), (n,)).copy()
    return pop


def welzijnsim_command() -> list[str]:
    """How to call the installed `welzijnsim` console script from this interpreter's environment.

    The script sits next to `sys.executable` in a virtual environment (bin/ or Scripts/). If it is
    missing the package is not installed properly; we then run the same entry point through the
    interpreter so the remaining CLI tests still say something useful (test_cli checks the script).
    """
    bindir = Path(sys.executable).parent
    for name in ("welzijnsim", "welzijnsim.exe"):
        script = bindir / name
        if script.is_file():
            return [str(script)]
    return [sys.executable, "-c", "import sys; from analysis.cli import app; sys.argv[0] = 'welzijnsim'; app()"]


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1", TERM="dumb", COLUMNS="200")
    return subprocess.run(
        [*welzijnsim_command(), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def cumulative(counter: np.ndarray) -> np.ndarray:
    return np.cumsum(counter, axis=0)


def by_stadsdeel(results, counter: np.ndarray) -> np.ndarray:
    """(weeks, service points) → (weeks, stadsdelen) by summing the service points of each stadsdeel."""
    out = np.zeros((counter.shape[0], len(results.stadsdelen)), dtype=counter.dtype)
    for sp, d in enumerate(results.sp_district):
        out[:, d] += counter[:, sp]
    return out


# Module fixtures that take seconds to build (a command line run per case in subprocesses, a calibration
# recovery, app runs): every test that uses one is slow, whatever its own duration, so `-m "not slow"` skips
# building them.
SLOW_FIXTURES = {"cli", "recovered", "small_runs"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
