"""Residents as numpy columns (one row per person, Starsim/Covasim style).

All residents, registered and unregistered, live in one `Population`. Attributes are fixed at
synthesis; dynamic state (episode, queue position, ...) is held in columns next to them and updated
by vectorised rules in `sim.demand` and `sim.service`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.arrays import unique_ids
from sim.space import CitySpace

REGISTERED = 0  # `kind` column: 0 registered, k+1 for unregistered kind k of the city file

# Age mix of unregistered residents (mostly working-age labour migrants and homeless adults).
# Estimate: figures.md §B counts adults (CBS homeless 18-65, labour migrants). Used for a kind of
# unregistered resident that UNREGISTERED_KINDS does not describe.
UNREGISTERED_AGE_SHARES = np.array([0.05, 0.12, 0.78, 0.04, 0.01])


@dataclass(frozen=True)
class KindProfile:
    """How one kind of unregistered resident differs (issue 9; figures.md §B, all estimates).

    `age_shares` over AGE_BANDS; `home`: where they live ("crowded" = overcrowded dwellings, "density" =
    shelters and the street, found where the city is dense, not in overcrowded homes); `trust`: the
    parameter with their mean trust in institutions (awareness of services folded in); `alone` and
    `low_income` shares. Access to referral destinations is in sim.demand.BLOCKED."""

    age_shares: tuple[float, ...]
    home: str
    trust: str
    alone: float
    low_income: float


UNREGISTERED_KINDS = {
    # Families and others in overcrowded, unregistered housing: all ages.
    "overcrowding": KindProfile((0.20, 0.15, 0.57, 0.05, 0.03), "crowded", "population.trust_unregistered", 0.30, 0.85),
    # CBS homeless 18-65 plus homeless families (420 families at the daklozenloket in 2020): shelters or nowhere.
    "homeless": KindProfile((0.07, 0.10, 0.79, 0.04, 0.00), "density", "population.trust_homeless", 0.85, 0.95),
    # Labour migrants: mostly 20-45, employed, shared overcrowded dwellings, low trust and awareness.
    "labour_migrant": KindProfile(
        (0.02, 0.12, 0.85, 0.01, 0.00), "crowded", "population.trust_labour_migrant", 0.60, 0.70
    ),
    # Undocumented residents avoid institutions; some children.
    "undocumented": KindProfile((0.08, 0.10, 0.78, 0.03, 0.01), "crowded", "population.trust_undocumented", 0.55, 0.95),
}

NO_QUARTER = -(2**30)  # `last_client_quarter` of someone never served

# Episode states.
NONE, HIDDEN, WAITING_FIRST, WAITING_REPEAT = 0, 1, 2, 3
GROWTH_ROOM = 1.15  # buffer length / residents when a column is (re)allocated: ten years of growth fit


class OpenEpisodes:
    """Ids of the residents with an open episode (state not NONE), in ascending order, kept up to date.

    Fewer than 1 % of residents have an open episode, yet the queue, the hidden-episode ends and the weekly
    record each asked for them by scanning the whole population (three ~0.15 ms scans a week at 1:1, about
    a tenth of a run). States change only through `Population.set_state`, which files every resident whose
    episode opens; residents whose episode closed are dropped when the ids are next asked for.
    """

    def __init__(self) -> None:
        self._ids = np.zeros(0, dtype=np.intp)
        self._opened: list[np.ndarray] = []

    def opened(self, idx: np.ndarray) -> None:
        if idx.size:
            self._opened.append(idx.astype(np.intp, copy=False).ravel())

    def ids(self, state: np.ndarray) -> np.ndarray:
        ids = self._ids
        if self._opened:
            # A resident can be filed twice (an episode closed and another opened since the last call).
            ids = unique_ids(np.concatenate([ids, *self._opened]))
            self._opened = []
        self._ids = ids = ids[state[ids] != NONE]
        return ids


class EpisodeCalendar:
    """The residents whose next episode event falls in a given week, without scanning the whole population.

    Each week's episode events were found by comparing every resident's `next_episode` with the week (the
    largest single line of a run). The calendar scans the population once per window of `WINDOW` weeks and
    files the events in that window by week; residents rescheduled into the window later are filed as they
    are rescheduled (`Population.set_next_episode`, the one place `next_episode` changes). A week's events are
    the residents filed for it whose `next_episode` is still that week: a stale filing drops out by that test.
    """

    WINDOW = 13

    def __init__(self) -> None:
        self._start = self._end = 0  # the window [start, end) the filing covers
        self._by_week = np.zeros(0, dtype=np.intp)  # residents found by the scan, by week, then id
        self._bounds = np.zeros(1, dtype=np.intp)  # where each week of the window starts in _by_week
        self._filed: list[np.ndarray] = []  # rescheduled into the window since the scan

    def filed(self, idx: np.ndarray, weeks: np.ndarray) -> None:
        near = idx[(weeks < self._end) & (weeks >= self._start)]
        if near.size:
            self._filed.append(near.astype(np.intp, copy=False))

    def due(self, week: int, next_episode: np.ndarray) -> np.ndarray:
        """Ids (ascending) of the residents whose next episode event is in `week`."""
        if not self._start <= week < self._end:
            self._start, self._end = week, week + self.WINDOW
            found = np.flatnonzero((next_episode >= week) & (next_episode < self._end))
            weeks = next_episode[found]
            by_week = np.argsort(weeks, kind="stable")
            self._by_week = found[by_week]
            self._bounds = np.searchsorted(weeks[by_week], np.arange(week, self._end + 1))
            self._filed = []
        i = week - self._start
        candidates = self._by_week[self._bounds[i] : self._bounds[i + 1]]
        if self._filed:
            filed = np.concatenate(self._filed)
            ahead = next_episode[filed]
            self._filed = [filed[ahead >= week]]  # this and later weeks of the window; the rest is stale
            candidates = np.concatenate([candidates, filed[ahead == week]])
        return unique_ids(candidates[next_episode[candidates] == week])


@dataclass
class Population:
    district: np.ndarray  # int16 stadsdeel index
    cell: np.ndarray  # int32 global cell id
    age_band: np.ndarray  # int8 index into sim.city.AGE_BANDS
    alone: np.ndarray  # bool
    low_income: np.ndarray  # bool
    migration: np.ndarray  # bool
    kind: np.ndarray  # int8: 0 registered, k+1 unregistered kind k
    network: np.ndarray  # float32 0-1
    trust: np.ndarray  # float32 0-1
    service_point: np.ndarray = field(default=None)  # int16, set once sites exist

    # dynamic state, created by `reset_state`
    state: np.ndarray = field(default=None)  # int8 episode state (NONE, HIDDEN, ...); written by `set_state`
    since: np.ndarray = field(default=None)  # int32 week the current wait started / is due
    request_week: np.ndarray = field(default=None)  # int32 week the current help request was made
    contacts_left: np.ndarray = field(default=None)  # int16 contacts the open episode still needs
    domain: np.ndarray = field(default=None)  # int8 life domain of the open episode
    next_episode: np.ndarray = field(default=None)  # int32 week of the next episode event
    weekly_hazard: np.ndarray = field(default=None)  # float64 episode hazard per week
    hazard_multiplier: np.ndarray = field(default=None)  # float32 set by mechanisms (prevention), 1 = none
    last_client_year: np.ndarray = field(default=None)  # int16 last year served (unique clients)
    episodes: np.ndarray = field(default=None)  # int32 episodes started, whole run
    contacts: np.ndarray = field(default=None)  # int32 contacts received, whole run
    last_client_quarter: np.ndarray = field(default=None)  # int32 last quarter (week // 13) served
    route: np.ndarray = field(default=None)  # int8 triage outcome of the open request (sim.demand)
    destination: np.ndarray = field(default=None)  # int8 referral destination of the open request
    # Not per resident (so `append` leaves it alone): the referral access matrix (kind x destination) and
    # the stream for triage of requests raised outside the demand step (set by the model).
    meta: dict = field(default_factory=dict)
    # Value a newcomer starts with, per column that does not start at zero (`append`); mechanisms add theirs
    # through `add_columns`.
    defaults: dict = field(default_factory=dict)
    open_episodes: OpenEpisodes = field(default_factory=OpenEpisodes)  # see `set_state`, `open_ids`
    calendar: EpisodeCalendar = field(default_factory=EpisodeCalendar)  # see `set_next_episode`, `episodes_due`
    buffers: dict = field(default_factory=dict, repr=False)  # column name -> the array it is a view of (`append`)

    def __len__(self) -> int:
        return len(self.district)

    @property
    def registered(self) -> np.ndarray:
        return self.kind == REGISTERED

    def set_state(self, idx, value: int) -> None:
        """The one way episode states change, so the index of open episodes stays exact."""
        if value != NONE:
            # Only episodes that open are filed: an open one is already in the index (or filed).
            idx = np.arange(len(self))[idx] if isinstance(idx, slice) else np.asarray(idx)
            if idx.dtype == bool:
                idx = np.flatnonzero(idx)
            self.open_episodes.opened(idx[self.state[idx] == NONE])
        self.state[idx] = value

    def set_next_episode(self, idx: np.ndarray, weeks: np.ndarray) -> None:
        """The one way the week of residents' next episode event changes, so `episodes_due` stays exact."""
        self.next_episode[idx] = weeks
        self.calendar.filed(np.asarray(idx), np.asarray(weeks))

    def episodes_due(self, week: int) -> np.ndarray:
        """Ids of residents whose next episode event is in `week`, ascending, as `flatnonzero` would give."""
        return self.calendar.due(week, self.next_episode)

    def open_ids(self) -> np.ndarray:
        """Ids of residents whose episode is open (state not NONE), ascending, as `flatnonzero` would give."""
        return self.open_episodes.ids(self.state)

    def reset_state(self) -> None:
        n = len(self)
        self.open_episodes = OpenEpisodes()
        self.calendar = EpisodeCalendar()
        self.state = np.zeros(n, dtype=np.int8)
        self.since = np.zeros(n, dtype=np.int32)
        self.request_week = np.zeros(n, dtype=np.int32)
        self.contacts_left = np.zeros(n, dtype=np.int16)
        self.domain = np.full(n, -1, dtype=np.int8)
        self.next_episode = np.zeros(n, dtype=np.int32)
        self.weekly_hazard = np.zeros(n, dtype=np.float64)
        self.hazard_multiplier = np.ones(n, dtype=np.float32)
        self.last_client_year = np.full(n, -1, dtype=np.int16)
        self.episodes = np.zeros(n, dtype=np.int32)
        self.contacts = np.zeros(n, dtype=np.int32)
        self.route = np.zeros(n, dtype=np.int8)
        self.last_client_quarter = np.full(n, NO_QUARTER, dtype=np.int32)
        self.destination = np.zeros(n, dtype=np.int8)
        self.defaults.update(domain=-1, last_client_year=-1, last_client_quarter=NO_QUARTER, hazard_multiplier=1.0)

    def add_columns(self, columns: dict[str, tuple[str, object]]) -> None:
        """Per-resident columns a mechanism declares (name -> (dtype, start value)); `append` grows them."""
        for name, (dtype, start) in columns.items():
            if name in vars(self):
                raise ValueError(f"population column {name!r} exists already")
            setattr(self, name, np.full(len(self), start, dtype=dtype))
            self.defaults[name] = start

    def append(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        """Add residents (attribute columns as from `draw_*`); their state starts empty. Returns their ids."""
        n_old, n_new = len(self), len(columns["district"])
        n = n_old + n_new
        for name, col in list(vars(self).items()):
            if not isinstance(col, np.ndarray):
                continue
            # Columns are views of the first `n` rows of a longer buffer, so a year's newcomers are written in
            # place instead of copying every column (~30 columns of the whole city, a few ms a year). A column
            # that is not such a view (replaced by a new array since) moves to a new buffer with room to grow.
            buffer = self.buffers.get(name)
            if buffer is None or col.base is not buffer or len(col) != n_old or len(buffer) < n:
                buffer = np.empty(int(n * GROWTH_ROOM), dtype=col.dtype)
                buffer[:n_old] = col
                self.buffers[name] = buffer
            buffer[n_old:n] = columns[name] if name in columns else self.defaults.get(name, 0)
            setattr(self, name, buffer[:n])
        return np.arange(n_old, n)

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
    """Bernoulli draws whose probability follows `weights` but whose mean is `base_share`.

    p = min(k * weights, 0.98) with mean(weights) = 1; k = base_share unless the cap binds (high shares in
    deprived cells), then k is found by bisection so that mean(p) = base_share as far as the cap allows.
    """
    if len(weights) == 0:
        return np.zeros(0, dtype=bool)
    w = weights / weights.mean()
    k = base_share
    if k * w.max() > 0.98:
        # The weights take few distinct values (one per cell or age band): the bisection averages over those.
        values, counts = np.unique(w, return_counts=True)
        share = counts / len(w)

        def mean_p(scale: float) -> float:
            return float(np.minimum(scale * values, 0.98) @ share)

        lo, hi = 0.0, base_share
        while mean_p(hi) < base_share and hi < 1e6:
            hi *= 2.0
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if mean_p(mid) < base_share else (lo, mid)
        k = hi
    return rng.random(len(weights)) < np.minimum(k * w, 0.98)


ATTRIBUTES = ("district", "cell", "age_band", "alone", "low_income", "migration", "kind", "network", "trust")


@dataclass(frozen=True)
class DistrictProfile:
    """What synthesis needs to know about one stadsdeel."""

    index: int
    age_shares: np.ndarray
    living_alone: float
    low_income: float
    migration: float


def draw_registered(
    profile: DistrictProfile, n: int, space: CitySpace, params: dict, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """`n` registered residents of one stadsdeel: cells by density, low income following deprivation."""
    cells = space.cells_of(profile.index)
    dens = space.density[cells]
    cell = rng.choice(cells, size=n, p=dens / dens.sum())
    age = rng.choice(len(profile.age_shares), size=n, p=profile.age_shares)
    depr = space.deprivation[cell]  # the contrast is already in the layer (sim.space)
    low = _bernoulli_mean_preserving(rng, profile.low_income, depr)
    mig = _bernoulli_mean_preserving(rng, profile.migration, np.sqrt(depr))
    # Children do not live alone; youths half as often as adults; adults take up the rest.
    alone = _bernoulli_mean_preserving(rng, profile.living_alone, np.array([0.0, 0.5, 1.0, 1.0, 1.0])[age])
    return _finish(profile.index, cell, age, alone, low, mig, np.zeros(n, dtype=np.int8), params, rng)


def draw_unregistered(
    profile: DistrictProfile,
    counts: np.ndarray,
    space: CitySpace,
    params: dict,
    rng: np.random.Generator,
    kind_names: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """Unregistered residents of one stadsdeel, `counts[k]` of kind k, each kind with its own ages, homes,
    trust, living alone and income (UNREGISTERED_KINDS, by `kind_names`); a kind without a profile lives in
    overcrowded cells with the general shares and trust."""
    cells = space.cells_of(profile.index)
    crowd = space.density[cells] * space.overcrowding[cells]
    dense = space.density[cells].astype(float)
    n = int(counts.sum())
    kind = np.repeat(np.arange(1, len(counts) + 1, dtype=np.int8), counts)
    names = list(kind_names) if kind_names is not None else [None] * len(counts)
    profiles = [UNREGISTERED_KINDS.get(name) for name in names]
    cell = np.empty(n, dtype=np.int64)
    age = np.empty(n, dtype=np.int64)
    p_alone = np.empty(n)
    p_low = np.empty(n)
    trust = np.empty(n)
    start = 0
    for k, c in enumerate(counts):
        sl = slice(start, start + int(c))
        start += int(c)
        kp = profiles[k]
        weights = dense if kp is not None and kp.home == "density" else crowd
        cell[sl] = rng.choice(cells, size=int(c), p=weights / weights.sum())
        ages = np.array(kp.age_shares) if kp is not None else UNREGISTERED_AGE_SHARES
        age[sl] = rng.choice(len(ages), size=int(c), p=ages / ages.sum())
        p_alone[sl] = kp.alone if kp is not None else params["population.unregistered_alone"]
        p_low[sl] = kp.low_income if kp is not None else params["population.unregistered_low_income"]
        trust[sl] = params[kp.trust] if kp is not None else params["population.trust_unregistered"]
    low = rng.random(n) < p_low
    alone = (rng.random(n) < p_alone) & (age > 0)
    return _finish(profile.index, cell, age, alone, low, np.ones(n, dtype=bool), kind, params, rng, trust)


def _finish(district, cell, age, alone, low, mig, kind, params, rng, unregistered_trust=None) -> dict[str, np.ndarray]:
    """Typed columns plus trust and network, whose means depend on the other attributes
    (`unregistered_trust`: mean trust per unregistered resident, by kind)."""
    unreg = kind != REGISTERED
    trust_unreg = params["population.trust_unregistered"] if unregistered_trust is None else unregistered_trust
    trust_mean = np.where(unreg, trust_unreg, params["population.trust_registered"])
    trust_mean = trust_mean + params["population.trust_migration_shift"] * mig
    net_mean = (
        params["population.network_mean"]
        + params["population.network_alone_shift"] * alone
        + params["population.network_unregistered_shift"] * unreg
    )
    conc = params["population.beta_concentration"]
    return {
        "district": np.full(len(cell), district, dtype=np.int16),
        "cell": cell.astype(np.int32),
        "age_band": age.astype(np.int8),
        "alone": alone.astype(bool),
        "low_income": low.astype(bool),
        "migration": mig.astype(bool),
        "kind": kind.astype(np.int8),
        "network": _beta(rng, net_mean, conc),
        "trust": _beta(rng, trust_mean, conc),
    }


def synthesise(
    *,
    registered: np.ndarray,  # persons per stadsdeel
    unregistered: np.ndarray,  # persons per (stadsdeel, kind)
    profiles: list[DistrictProfile],
    space: CitySpace,
    params: dict,
    rng: np.random.Generator,
    kind_names: list[str] | None = None,
) -> Population:
    """Draw every resident of the city, stadsdeel by stadsdeel."""
    parts = []
    for prof in profiles:
        parts.append(draw_registered(prof, int(registered[prof.index]), space, params, rng))
        parts.append(draw_unregistered(prof, unregistered[prof.index], space, params, rng, kind_names))
    pop = Population(**{k: np.concatenate([part[k] for part in parts]) for k in ATTRIBUTES})
    pop.reset_state()
    return pop


class SynthesisCache:
    """The residents a city, seed and population parameters draw, kept for the next model with the same ones.

    A staffing search runs the same replication 20-40 times with different FTE, and a sensitivity design runs
    each seed at many parameter points that leave the population alone: drawing the same residents again was
    about half of a model's set-up. The draws come from their own stream ("population"), which nothing else
    reads, so reusing them changes no other draw. The entry keeps its city, so the city's id in the key
    cannot be reused by another city while the entry lives. Six entries (~13 MB each for the whole city)
    cover the five replications a sensitivity design runs at each point.
    """

    def __init__(self, size: int = 6) -> None:
        self.size = size
        self._entries: dict = {}  # key -> (city, attribute columns), oldest first
        self.hits = 0

    def population(self, key: tuple, city, draw) -> Population:
        """A fresh Population (own arrays, state reset) from the entry for `key`, drawn by `draw()` if none."""
        entry = self._entries.pop(key, None)
        if entry is None:
            pop = draw()
            entry = (city, {name: getattr(pop, name) for name in ATTRIBUTES})
            pop = Population(**{name: col.copy() for name, col in entry[1].items()})
        else:
            self.hits += 1
            pop = Population(**{name: col.copy() for name, col in entry[1].items()})
        self._entries[key] = entry  # most recent last
        while len(self._entries) > self.size:
            del self._entries[next(iter(self._entries))]
        pop.reset_state()
        return pop

    def clear(self) -> None:
        self._entries.clear()


SYNTHESISED = SynthesisCache()
SYNTHESIS_PARAMETERS = ("population.", "space.", "unregistered.")  # every parameter synthesis reads starts so
