"""The contract every optional mechanism follows (the registry is `sim.mechanisms.REGISTRY`).

A mechanism is switched on with ``<name>.enabled = true`` in a scenario. It draws only from its own
random stream (named after it), so switching one on leaves every other draw as it was, and with all
mechanisms off a run is exactly the foundation model. The model calls the hooks in this order each
week: ``start_year`` (first week of a year), ``adjust_capacity``, ``after_demand``, ``after_service``
(and ``residents_changed`` whenever residents' hazard is refreshed);
within a hook, mechanisms run in registry order.

What a mechanism may use of the model is MODEL_INTERFACE (tests/test_mechanism_contract.py checks every
mechanism module against it): ``population``, ``results`` (this week's record: the scratch record during
warm-up; count into row ``results.row``, not at the week number), ``streams``, ``params``, ``week``,
``service_points``, ``city``, and ``refresh_hazard`` / ``add_residents`` to change residents; beyond that, by
name and for a stated reason: the synthesis inputs for newcomers (``profiles``, ``space``,
``base_unregistered``: drivers), the posts (``workers()``: drivers' turnover, informal's earmarked posts), and
the area-based FTE that sets prevention's reach (``area_fte_by_type()``, ``fte_factor_by_year``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import WelzijnModel
    from sim.service import ServiceOutcome


MODEL_INTERFACE = frozenset(
    {
        "population",
        "results",
        "streams",
        "params",
        "week",
        "service_points",
        "city",
        "refresh_hazard",
        "add_residents",
        # synthesis inputs for newcomers (drivers)
        "profiles",
        "space",
        "base_unregistered",
        # staff: posts for turnover and earmarking, area-based FTE for prevention's reach
        "workers",
        "area_fte_by_type",
        "fte_factor_by_year",
    }
)


class Mechanism:
    # The parameter group and the random stream: `<name>.enabled` switches the mechanism on.
    name = "mechanism"
    # Per-resident columns the mechanism keeps on the population: column name -> (dtype, default).
    # Declared so that residents added later (`Population.append`) get them too.
    columns: dict[str, tuple[str, object]] = {}
    # Weekly result counters the mechanism writes (`RunResults.counters`; created on first use by
    # `RunResults.ensure`, so a mechanism that is off adds no columns to the output).
    counters: tuple[str, ...] = ()

    def __init__(self, model: WelzijnModel):
        self.model = model
        self.params = model.params
        self.rng = model.streams[self.name]
        model.population.add_columns(self.columns)

    @classmethod
    def enabled(cls, params: dict) -> bool:
        return bool(params[f"{cls.name}.enabled"])

    def start_year(self, year_index: int, week: int) -> None:
        """Once a year, before anything else in its first week."""

    def adjust_capacity(self, week: int, capacity: np.ndarray, setback: np.ndarray) -> None:
        """Change this week's contact capacity per service point (in place); `setback` is the chance per
        service point that a contact does not move its episode forward."""

    def after_demand(self, week: int, started: dict[str, np.ndarray]) -> None:
        """See (and may re-route) this week's new episodes before they are counted."""

    def after_service(self, week: int, out: ServiceOutcome, hidden_ended: np.ndarray) -> None:
        """See this week's service outcome and the hidden episodes that ended."""

    def residents_changed(self, idx: np.ndarray) -> None:
        """Residents `idx` changed attributes or hazard (`WelzijnModel.refresh_hazard`): for a mechanism that
        keeps per-resident values derived from them."""
