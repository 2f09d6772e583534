"""Reusing the drawn residents (sim.population.SYNTHESISED) changes no number: a model built from the cache
runs exactly as one that drew its residents itself, and anything synthesis reads is part of the key."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import load_city
from sim.model import WelzijnModel
from sim.parameters import resolve
from sim.population import ATTRIBUTES, SYNTHESISED

PARAMS = {"run.scale": 0.03, "run.years": 2, "run.warmup_weeks": 13}


@pytest.fixture()
def cache():
    SYNTHESISED.clear()
    yield SYNTHESISED
    SYNTHESISED.clear()


def _run(params: dict, seed: int = 11, **kwargs) -> tuple[dict, pd.DataFrame]:
    model = WelzijnModel(load_city("den_haag"), resolve({**PARAMS, **params}), seed=seed, **kwargs)
    start = {name: getattr(model.population, name).copy() for name in ATTRIBUTES}
    return start, model.run().annual("service_point")


def test_a_model_from_the_cache_runs_exactly_as_one_that_drew_its_residents(cache):
    start_drawn, drawn = _run({})
    hits = cache.hits
    start_cached, cached = _run({})  # the same city, seed and population parameters: from the cache
    assert cache.hits == hits + 1
    for name in ATTRIBUTES:  # the first run changed its own copy, not the cached residents
        np.testing.assert_array_equal(start_cached[name], start_drawn[name])
    pd.testing.assert_frame_equal(cached, drawn)
    # Another FTE (a staffing search's next run) reuses them too, and differs only through the FTE.
    n_sp = len(cached.area.unique())
    _, more_staff = _run({}, sp_fte=np.full(n_sp, 20.0))
    assert cache.hits == hits + 2
    assert not more_staff.equals(drawn)


@pytest.mark.parametrize(
    "change",
    [{"population.trust_registered": 0.6}, {"space.deprivation_contrast": 1.5}, {"unregistered.factor": 1.5}],
)
def test_anything_synthesis_reads_is_part_of_the_key(cache, change):
    start, _ = _run({})
    hits = cache.hits
    other, _ = _run(change)
    assert cache.hits == hits  # drawn again, not taken from the cache
    assert any(len(other[n]) != len(start[n]) or not np.array_equal(other[n], start[n]) for n in ATTRIBUTES)


def test_another_seed_draws_other_residents(cache):
    start, _ = _run({}, seed=11)
    other, _ = _run({}, seed=12)
    assert not np.array_equal(other["cell"], start["cell"])
