"""The life-cycle every optional mechanism follows, and the registry of mechanisms.

A mechanism is switched on with ``<name>.enabled = true`` in a scenario. It draws only from its own
random stream (named after it), so switching one on leaves every other draw as it was, and with all
mechanisms off a run is exactly the foundation model. The model calls the hooks in this order each
week: ``start_year`` (first week of a year), ``adjust_capacity``, ``after_demand``, ``after_service``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import WelzijnModel
    from sim.service import ServiceOutcome


class Mechanism:
    name = "mechanism"

    def __init__(self, model: WelzijnModel):
        self.model = model
        self.params = model.params
        self.rng = model.streams[self.name]

    def start_year(self, year_index: int, week: int) -> None:
        """Once a year, before anything else in its first week."""

    def adjust_capacity(self, week: int, capacity: np.ndarray, setback: np.ndarray) -> None:
        """Change this week's contact capacity per service point (in place); `setback` is the chance per
        service point that a contact does not move its episode forward."""

    def after_demand(self, week: int, started: dict[str, np.ndarray]) -> None:
        """See (and may re-route) this week's new episodes before they are counted."""

    def after_service(self, week: int, out: ServiceOutcome, hidden_ended: np.ndarray) -> None:
        """See this week's service outcome and the hidden episodes that ended."""


def enabled_mechanisms(model: WelzijnModel) -> list[Mechanism]:
    """Instances of the mechanisms switched on in `model.params`, in their fixed calling order."""
    from sim.deployment import FlexibleDeployment
    from sim.drivers import TenYearDrivers
    from sim.escalation import Escalation
    from sim.informal import InformalWelfare
    from sim.prevention import AreaPrevention

    order = [TenYearDrivers, AreaPrevention, InformalWelfare, FlexibleDeployment, Escalation]
    return [cls(model) for cls in order if model.params[f"{cls.name}.enabled"]]
