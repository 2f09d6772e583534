"""Searches and studies run many models in one process: a finished run must not keep its model alive."""

from __future__ import annotations

import gc

import pytest
from mesa import Agent

from sim.city import load_city
from sim.model import run_model


@pytest.mark.slow
def test_run_model_releases_its_model():
    city = load_city("den_haag")
    gc.collect()
    before = len(Agent._ids)
    for seed in range(3):
        run_model(city, {"run.scale": 0.01, "run.years": 1}, seed)
    gc.collect()
    # Mesa 3.3 keys Agent._ids by model; an entry left there keeps the model and its columns alive.
    assert len(Agent._ids) == before
