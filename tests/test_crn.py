"""Common random numbers: a lever at one Servicepunt XL changes nothing at the others.

Every stochastic process draws from its own stream, per service point or per worker where it acts
locally, and demand draws are taken for every episode event whether or not it is used. So with the
service points uncoupled (no flexible deployment, no informal organisations sharing a stadsdeel's
capacity), changing one point's FTE must leave every other point's weekly numbers exactly equal.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.city import load_city
from sim.model import WelzijnModel, run_model

PARAMS = {"run.scale": 0.1, "run.years": 2}


@pytest.fixture(scope="module")
def city():
    return load_city("den_haag")


@pytest.mark.parametrize(
    "extra", [{}, {"escalation.enabled": True, "drivers.enabled": True, "prevention.enabled": True}]
)
@pytest.mark.slow
def test_changing_one_service_point_leaves_the_others_identical(city, extra):
    params = {**PARAMS, **extra}
    today = np.array([sp.fte for sp in WelzijnModel(city, params, 11).service_points])
    changed = today.copy()
    changed[3] *= 2.0
    a = run_model(city, params, 11, sp_fte=today)
    b = run_model(city, params, 11, sp_fte=changed)
    others = np.arange(len(today)) != 3
    assert not np.array_equal(a.counters["first_contacts"][:, 3], b.counters["first_contacts"][:, 3])
    for name in ("help_requests", "first_contacts", "contacts", "dropped_first", "waiting_first"):
        np.testing.assert_array_equal(a.counters[name][:, others], b.counters[name][:, others], err_msg=name)
    np.testing.assert_array_equal(a.wait_hist[:, others], b.wait_hist[:, others])
    if "escalation.enabled" in extra:
        np.testing.assert_array_equal(
            a.counters["escalation_cost"][:, others], b.counters["escalation_cost"][:, others]
        )
