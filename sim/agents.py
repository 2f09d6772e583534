"""Mesa agents: the welfare workers and the places they work from.

Residents are not agents (there are ~600k: see `sim.population`); workers and service points are
few and carry individual state (contract hours, absence), so they are Mesa agents.
"""

from __future__ import annotations

import numpy as np
from mesa import Agent
from mesa.discrete_space import FixedAgent

# Contract hours per week in social work (source 004 §2, figures.md README "Workforce"):
# 12% work up to 12 h, 64% 20-35 h, 24% more than 35 h. Hours within a band are uniform (estimate).
PART_TIME_BANDS = ((0.12, 8.0, 12.0), (0.64, 20.0, 35.0), (0.24, 36.0, 38.0))


MIN_CONTRACT_HOURS = PART_TIME_BANDS[0][1]


def draw_contract_hours(target_hours: float, rng: np.random.Generator) -> list[float]:
    """Contract hours of the workers it takes to fill `target_hours`, in sector-typical contracts.

    The last contract takes what is left if that is a real contract (at least MIN_CONTRACT_HOURS); a smaller
    rest is spread over the others instead of hiring someone for a couple of hours (issue 9). Total hours
    are exact. Only a post smaller than one small contract is a single short contract."""
    shares = np.array([b[0] for b in PART_TIME_BANDS])
    hours: list[float] = []
    remaining = target_hours
    while remaining > 1e-9:
        band = PART_TIME_BANDS[rng.choice(len(PART_TIME_BANDS), p=shares / shares.sum())]
        h = float(rng.uniform(band[1], band[2]))
        if h >= remaining or remaining - h < MIN_CONTRACT_HOURS:
            if remaining >= MIN_CONTRACT_HOURS or not hours:
                hours.append(remaining)
            else:  # a rest below a small contract: spread over the others
                hours = [x + remaining / len(hours) for x in hours]
            break
        hours.append(h)
        remaining -= h
    return hours


class Worker(Agent):
    """A welfare worker with contract hours who is sometimes absent through sickness."""

    def __init__(self, model, work_type: str, district: int, contract_hours: float, key: str | None = None):
        super().__init__(model)
        # `key` names the post (e.g. "sp3/2"); its streams are its own, so adding staff elsewhere does not
        # change this worker's absences or turnover (common random numbers).
        self.key = key or f"{work_type}/{district}/{self.unique_id}"
        self.absence_rng = model.streams[f"absence/{self.key}"]
        self.work_type = work_type
        self.district = district
        self.contract_hours = contract_hours
        self.vacant = False  # the post is empty (turnover not yet refilled): no hours, no cost
        self.earmarked = False  # the post's money went to informal organisations: stays empty
        # Weeks [start, end) the post is empty after its worker left, until it is filled (sim.mechanisms.drivers).
        self.vacancy: tuple[int, int] | None = None

    def update_vacancy(self, week: int) -> None:
        """The post is empty during its vacancy window (an earmarked post stays empty)."""
        if self.vacancy is not None and not self.earmarked:
            self.vacant = self.vacancy[0] <= week < self.vacancy[1]

    def absence_draws(self, weeks: int) -> np.ndarray:
        """The uniform draws that decide absence in each of the next `weeks` weeks (one a week, in order:
        the same numbers as one draw a week, drawn at once)."""
        return self.absence_rng.random(weeks)

    @property
    def filled_hours(self) -> float:
        return 0.0 if self.vacant else self.contract_hours


class SupportWorker(Worker):
    """Individual support (individuele ondersteuning) at one Servicepunt XL."""

    def __init__(self, model, district: int, service_point: int, contract_hours: float, key: str | None = None):
        super().__init__(model, "individual_support", district, contract_hours, key)
        self.service_point = service_point


class AreaWorker(Worker):
    """Area-based work (jongerenwerk, opbouwwerk, ouderenwerk) in one stadsdeel."""


class ServicePoint(FixedAgent):
    """A Servicepunt XL on a grid cell and its staff (the model turns their available hours into contact
    capacity for all points at once, `WelzijnModel._phase_capacity`)."""

    def __init__(self, model, index: int, name: str, district: int, cell):
        super().__init__(model)
        self.index = index
        self.name = name
        self.district = district
        self.cell = cell
        self.workers: list[SupportWorker] = []

    @property
    def fte(self) -> float:
        """FTE of the filled posts."""
        return sum(w.filled_hours for w in self.workers) / self.model.params["service.hours_per_fte"]
