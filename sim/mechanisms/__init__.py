"""Optional mechanisms: one module each, one line each in `REGISTRY`.

The registry order is the calling order of the hooks within a week; changing it changes which random
draws happen first where mechanisms share model state, so the golden numbers depend on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.mechanisms.base import Mechanism
from sim.mechanisms.deployment import FlexibleDeployment
from sim.mechanisms.drivers import TenYearDrivers
from sim.mechanisms.escalation import Escalation
from sim.mechanisms.informal import InformalWelfare
from sim.mechanisms.prevention import AreaPrevention

if TYPE_CHECKING:  # pragma: no cover
    from sim.model import WelzijnModel

REGISTRY: list[type[Mechanism]] = [TenYearDrivers, AreaPrevention, InformalWelfare, FlexibleDeployment, Escalation]


def enabled_mechanisms(model: WelzijnModel) -> list[Mechanism]:
    """Instances of the mechanisms switched on in `model.params`, in registry (calling) order."""
    return [cls(model) for cls in REGISTRY if cls.enabled(model.params)]


__all__ = ["REGISTRY", "Mechanism", "enabled_mechanisms"]
