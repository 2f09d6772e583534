"""Costs and benefits that hold up (issue 10): escalation by route and payer, lever costs, paired B/C.

Every test runs the model at small scale with fixed seeds; identities are exact (floating-point
tolerance 1e-9 relative), comparisons between runs state their direction.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.city import load_city
from sim.escalation import KINDS, PAYERS, ROUTES, STAFFING_ROUTES, case_costs
from sim.model import run_model
from sim.parameters import resolve

SEED = 11
SMALL = {"run.scale": 0.05, "run.years": 2, "run.warmup_weeks": 13}
ALL_ON = {f"{m}.enabled": True for m in ("drivers", "prevention", "informal", "deployment", "escalation")}


@pytest.fixture(scope="module")
def city():
    return load_city("den_haag")


@pytest.fixture(scope="module")
def all_on(city):
    return run_model(city, {**SMALL, **ALL_ON, "informal.earmark": 0.1}, SEED)


def test_escalation_cost_by_route_and_by_payer_sums_to_the_total(all_on):
    c = all_on.counters
    total = c["escalation_cost"]
    assert total.sum() > 0
    np.testing.assert_allclose(sum(c[f"escalation_cost_{r}"] for r in ROUTES), total, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(sum(c[f"escalation_cost_{x}"] for x in PAYERS), total, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(sum(c[f"escalations_{r}"] for r in ROUTES), c["escalations"], rtol=1e-9)
    a = all_on.annual("city")
    np.testing.assert_allclose(a.escalation_cost_staffing,
                               sum(a[f"escalation_cost_{r}"] for r in STAFFING_ROUTES), rtol=1e-9)
    assert (a.escalation_cost_staffing < a.escalation_cost).all()


def test_informal_help_can_escalate(all_on):
    assert all_on.counters["informal_helped"].sum() > 0
    assert all_on.counters["escalations_informal"].sum() > 0


def test_escalation_books_annual_unit_cost_times_duration():
    p = resolve({"escalation.years_wmo": 3.0})
    costs = case_costs(p)
    assert costs[KINDS.index("wmo")] == pytest.approx(3.0 * p["escalation.cost_wmo"])
    assert costs[KINDS.index("eviction")] == pytest.approx(p["escalation.cost_eviction"])  # one-off per case


def test_longer_durations_raise_escalation_cost_in_proportion(city):
    """Same seed: the same escalations happen, only their price changes (CRN), so cost scales exactly."""
    params = {**SMALL, "escalation.enabled": True}
    base = run_model(city, params, SEED)
    longer = run_model(city, {**params, **{f"escalation.years_{k}": 2 * resolve()[f"escalation.years_{k}"]
                                           for k in KINDS if k != "eviction"}}, SEED)
    np.testing.assert_array_equal(base.counters["escalations"], longer.counters["escalations"])
    assert longer.counters["escalation_cost"].sum() > 1.5 * base.counters["escalation_cost"].sum()
