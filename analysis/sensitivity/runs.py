"""The run function of a sensitivity study: one (design point, replication) -> its outcomes table.

Called by the study runner (`analysis.study.study.run_batch`, kind "sensitivity") in any executor, so it is
top level and a pure function of (city, parameters, seed). The evaluator is chosen by name from a fixed
table, never imported from a string: `model` (welzijnsim) or the analytic `ishigami` function, which
verifies the whole pipeline (sample -> runner -> store -> indices) against known indices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def model_outcomes(city_name: str, params: dict, seed: int, options: dict) -> dict[str, pd.DataFrame]:
    """Run welzijnsim once and reduce the run to the outcome registry."""
    from analysis.sensitivity.outcomes import outcome_table
    from analysis.study.outcomes import WITHIN_WEEKS, annual_outcomes
    from analysis.study.study import cached_city
    from sim.model import run_model

    city = cached_city(city_name)
    res = run_model(city, params, seed)
    annual = annual_outcomes(res, city, params, options.get("within_weeks", WITHIN_WEEKS))
    return {"outcomes": outcome_table(annual, options.get("outcomes") or None)}


# Ishigami & Homma (1990): f = sin x1 + a sin^2 x2 + b x3^4 sin x1, x_i ~ U(-pi, pi).
ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> dict[str, dict[str, float]]:
    """Analytic first-order and total Sobol indices of the Ishigami function."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": {"x1": v1 / v, "x2": v2 / v, "x3": 0.0}, "ST": {"x1": (v1 + v13) / v, "x2": v2 / v, "x3": v13 / v}}


def ishigami(city_name: str, params: dict, seed: int, options: dict) -> dict[str, pd.DataFrame]:
    """Ishigami at (x1, x2, x3), plus Gaussian noise of sd `options['noise']` drawn from the run's seed."""
    x1, x2, x3 = (float(params[k]) for k in ("x1", "x2", "x3"))
    y = np.sin(x1) + ISHIGAMI_A * np.sin(x2) ** 2 + ISHIGAMI_B * x3**4 * np.sin(x1)
    noise = float(options.get("noise", 0.0))
    if noise:
        y += noise * np.random.default_rng(seed).standard_normal()
    return {"outcomes": pd.DataFrame({"outcome": ["y"], "key": ["y"], "area": ["-"], "year": [0], "value": [y]})}


EVALUATORS = {"model": model_outcomes, "ishigami": ishigami}


def sensitivity_run(city_name: str, params: dict, seed: int, options: dict) -> dict[str, pd.DataFrame]:
    name = options.get("evaluator", "model")
    if name not in EVALUATORS:
        raise ValueError(f"unknown evaluator {name!r}; expected one of {', '.join(EVALUATORS)}")
    # The runner's "replication" of a sensitivity study is the run index: point * replications + k.
    return EVALUATORS[name](city_name, params, seed, options)
