"""Residents as numpy columns (one row per person, Starsim/Covasim style).

All residents, registered and unregistered, live in one `Population`. Attributes are fixed at
synthesis; dynamic state (episode, queue position, ...) is held in columns next to them and updated
by vectorised rules in `sim.demand` and `sim.service`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.space import CitySpace

REGISTERED = 0  # `kind` column: 0 registered, k+1 for unregistered kind k of the city file

# Age mix of unregistered residents (mostly working-age labour migrants and homeless adults).
# Estimate: figures.md §B counts adults (CBS homeless 18-65, labour migrants).
UNREGISTERED_AGE_SHARES = np.array([0.05, 0.12, 0.78, 0.04, 0.01])

# Episode states.
NONE, HIDDEN, WAITING_FIRST, WAITING_REPEAT = 0, 1, 2, 3


@dataclass
class Population:
    district: np.ndarray          # int16 stadsdeel index
    cell: np.ndarray              # int32 global cell id
    age_band: np.ndarray          # int8 index into sim.city.AGE_BANDS
    alone: np.ndarray             # bool
    low_income: np.ndarray        # bool
    migration: np.ndarray         # bool
    kind: np.ndarray              # int8: 0 registered, k+1 unregistered kind k
    network: np.ndarray           # float32 0-1
    trust: np.ndarray             # float32 0-1
    service_point: np.ndarray = field(default=None)  # int16, set once sites exist

    # dynamic state, created by `reset_state`
    state: np.ndarray = field(default=None)           # int8 episode state (NONE, HIDDEN, ...)
    since: np.ndarray = field(default=None)           # int32 week the current wait started / is due
    request_week: np.ndarray = field(default=None)    # int32 week the current help request was made
    contacts_left: np.ndarray = field(default=None)   # int16 contacts the open episode still needs
    domain: np.ndarray = field(default=None)          # int8 life domain of the open episode
    next_episode: np.ndarray = field(default=None)    # int32 week of the next episode event
    weekly_hazard: np.ndarray = field(default=None)   # float64 episode hazard per week
    last_client_year: np.ndarray = field(default=None)  # int16 last year served (unique clients)
    episodes: np.ndarray = field(default=None)        # int32 episodes started, whole run
    contacts: np.ndarray = field(default=None)        # int32 contacts received, whole run

    def __len__(self) -> int:
        return len(self.district)

    @property
    def registered(self) -> np.ndarray:
        return self.kind == REGISTERED

    def reset_state(self) -> None:
        n = len(self)
        self.state = np.zeros(n, dtype=np.int8)
        self.since = np.zeros(n, dtype=np.int32)
        self.request_week = np.zeros(n, dtype=np.int32)
        self.contacts_left = np.zeros(n, dtype=np.int16)
        self.domain = np.full(n, -1, dtype=np.int8)
        self.next_episode = np.zeros(n, dtype=np.int32)
        self.weekly_hazard = np.zeros(n, dtype=np.float64)
        self.last_client_year = np.full(n, -1, dtype=np.int16)
        self.episodes = np.zeros(n, dtype=np.int32)
        self.contacts = np.zeros(n, dtype=np.int32)

    def describe(self, person: int) -> dict:
        """All columns of one resident, for following a single person through a run."""
        out = {"id": int(person)}
        for name, col in vars(self).items():
            if isinstance(col, np.ndarray):
                out[name] = col[person].item()
        return out


def _beta(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    mean = np.clip(mean, 0.02, 0.98)
    return rng.beta(mean * concentration, (1.0 - mean) * concentration).astype(np.float32)


def _bernoulli_mean_preserving(rng, base_share: float, weights: np.ndarray) -> np.ndarray:
    """Bernoulli draws whose probability follows `weights` but whose mean is `base_share`."""
    p = np.clip(base_share * weights / weights.mean(), 0.0, 0.98)
    return rng.random(len(weights)) < p


def synthesise(
    *,
    registered: np.ndarray,        # persons per stadsdeel
    unregistered: np.ndarray,      # persons per (stadsdeel, kind)
    age_shares: np.ndarray,        # (stadsdeel, age band)
    living_alone: np.ndarray,      # share per stadsdeel
    low_income: np.ndarray,        # share per stadsdeel
    migration: np.ndarray,         # share per stadsdeel
    space: CitySpace,
    params: dict,
    rng: np.random.Generator,
) -> Population:
    """Draw every resident of the city, stadsdeel by stadsdeel."""
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("district", "cell", "age_band", "alone",
                                                         "low_income", "migration", "kind")}
    n_kinds = unregistered.shape[1]
    for d in range(len(registered)):
        cells = space.cells_of(d)
        dens = space.density[cells]
        # Registered residents: cells by density; low income follows deprivation.
        n_reg = int(registered[d])
        reg_cells = rng.choice(cells, size=n_reg, p=dens / dens.sum())
        reg_age = rng.choice(len(age_shares[d]), size=n_reg, p=age_shares[d])
        depr = space.deprivation[reg_cells] ** params["space.deprivation_contrast"]
        reg_low = _bernoulli_mean_preserving(rng, low_income[d], depr)
        reg_mig = _bernoulli_mean_preserving(rng, migration[d], np.sqrt(depr))
        # Children do not live alone; youths half as often as adults; adults take up the rest.
        age_weight = np.array([0.0, 0.5, 1.0, 1.0, 1.0])[reg_age]
        reg_alone = _bernoulli_mean_preserving(rng, living_alone[d], age_weight)
        # Unregistered residents: cells by density x overcrowding, mostly working-age adults.
        crowd = dens * space.overcrowding[cells]
        n_unreg_k = unregistered[d]
        n_unreg = int(n_unreg_k.sum())
        un_cells = rng.choice(cells, size=n_unreg, p=crowd / crowd.sum())
        un_kind = np.repeat(np.arange(1, n_kinds + 1, dtype=np.int8), n_unreg_k)
        un_age = rng.choice(len(UNREGISTERED_AGE_SHARES), size=n_unreg, p=UNREGISTERED_AGE_SHARES)
        un_low = rng.random(n_unreg) < params["population.unregistered_low_income"]
        un_mig = np.ones(n_unreg, dtype=bool)
        un_alone = (rng.random(n_unreg) < params["population.unregistered_alone"]) & (un_age > 0)

        cols["district"].append(np.full(n_reg + n_unreg, d, dtype=np.int16))
        cols["cell"].append(np.concatenate([reg_cells, un_cells]).astype(np.int32))
        cols["age_band"].append(np.concatenate([reg_age, un_age]).astype(np.int8))
        cols["alone"].append(np.concatenate([reg_alone, un_alone]))
        cols["low_income"].append(np.concatenate([reg_low, un_low]))
        cols["migration"].append(np.concatenate([reg_mig, un_mig]))
        cols["kind"].append(np.concatenate([np.zeros(n_reg, dtype=np.int8), un_kind]))

    arrays = {k: np.concatenate(v) for k, v in cols.items()}
    unreg = arrays["kind"] != REGISTERED
    trust_mean = np.where(unreg, params["population.trust_unregistered"], params["population.trust_registered"])
    trust_mean = trust_mean + params["population.trust_migration_shift"] * arrays["migration"]
    net_mean = (params["population.network_mean"]
                + params["population.network_alone_shift"] * arrays["alone"]
                + params["population.network_unregistered_shift"] * unreg)
    conc = params["population.beta_concentration"]
    pop = Population(
        **arrays,
        network=_beta(rng, net_mean, conc),
        trust=_beta(rng, trust_mean, conc),
    )
    pop.reset_state()
    return pop
