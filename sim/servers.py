"""Service as continuous-time multi-server queues in working-hour time (`service.engine = "servers"`).

The default engine (`sim.service`) serves whole contacts per week from a capacity in contacts: a
batch-service, discrete-time queue. This engine is the finer alternative. Each Servicepunt XL is a
first-come-first-served queue with c servers in continuous *working-hour* time, with the same give-up
and repeat rules, and it returns the same `ServiceOutcome`, so the model, the mechanisms and every
table work unchanged. It is what the verification against Erlang C and a discrete-event reference
(`tests/test_verification.py`, `docs/verification.md`) runs on.

Mapping onto the weekly model (docs/model.md §7.14):

- **Time.** Week t is the working-hour interval [t·H, (t+1)·H), H = `service.hours_per_fte` (36).
- **Servers.** The point's client hours of the week (available hours × funded factor × client time
  share, exactly what the weekly engine turns into contacts) times `run.scale`, divided by H, is a
  number of server-equivalents x_t. The servers of week t are c_t = floor(x_t + carry), carry ←
  x_t + carry − c_t: a deterministic carry, so that Σ c_t·H equals the client hours up to less than
  one server-week over any horizon. A server busy when a week ends finishes its contact in the next
  week (its remaining work carries over). A week with fewer servers than are still busy starts no new
  contact until enough of them have finished; nobody is interrupted.
- **Arrivals.** The week's help requests and the repeat contacts due that week arrive at independent
  uniform times in the week. Given Poisson weekly counts this is a Poisson process.
- **Order.** Non-preemptive. When a server is free it takes the waiting client who arrived first,
  ongoing (repeat) clients before new requests when `service.repeat_priority` (as in the weekly
  engine, where the order is ongoing first, then `since`).
- **Durations.** `service.duration`: exponential or deterministic, mean `service.hours_first_contact` for a
  first (triage) contact and `service.hours_per_contact` for a trajectory contact (issue 9). Triage itself
  (solved / trajectory / referred) was drawn with the request and acts through the contacts it needs, so
  this engine has the same triage outcomes as the weekly one.
- **A contact counts in the week it starts.** Its wait (start − arrival, in working hours) and the
  weekly wait (start week − request week, whole weeks, for the existing histogram) are recorded, and
  the episode is booked at once, as in the weekly engine: `contacts_left` − 1, resolved or
  `WAITING_REPEAT`. The next contact is due in week (week in which this contact ends) + G,
  G ~ Geom(1/`demand.repeat_gap_weeks`) ≥ 1, so a client never returns before their contact ended.
- **Give-up** as in the weekly engine, at the week boundary: at the start of week t every client still
  waiting (not in service) whose wait started in an earlier week (`since < t`) gives up with
  probability `demand.give_up_per_week`. This engine has no state-dependent walk-in leaving
  (`demand.leave_pressure` is ignored here): it is the simpler version used for verification.

Random numbers come from the stream "servers" only (arrival times, durations, give-up, repeat gaps),
so switching engines leaves every demand stream untouched. Flexible deployment moves contacts, not
servers, and is not supported with this engine (an error says so).

Scale: the servers are the scaled client hours, so at small `run.scale` a point has a fraction of a
server, which the carry turns into an occasional whole server-week; when the (small) queue runs dry
that server idles and capacity is lost (city utilisation 0.28 at scale 0.02, 0.61 at 0.05, 1.01 at 0.2,
1.00 at 1). The engine warns below scale 0.2 and is meant for scale >= 0.2, ideally 1 (a 1:1 city run
takes about 1.4 times the weekly engine's CPU time).
"""

from __future__ import annotations

import heapq
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from sim.population import NONE, WAITING_FIRST, Population
from sim.service import ServiceOutcome, after_contacts, dropped_fields, queue

# Waits in working hours share the last histogram bin from here on: 52 weeks at the longest working week.
MAX_WAIT_HOURS = 2080
# Below this run.scale the engine warns: scaled-down servers come in rare whole server-weeks (see below).
SMALL_SCALE = 0.2


@dataclass
class ServersOutcome(ServiceOutcome):
    """`ServiceOutcome` plus waits in working hours."""

    first_wait_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))  # aligned with served[first]
    wait_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))  # aligned with served
    start_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))  # start of each contact, hours


@dataclass
class ServerStats:
    """Exact running totals per service point over the reported weeks (t >= 0), for verification.

    Hours are working hours. `queue_area_*` is the integral of the number of clients waiting (not in
    service) over time, from arrival and start times; `busy_hours` the service time of the contacts
    that started.
    """

    n_sp: int
    weeks: int = 0
    server_hours: np.ndarray = None
    busy_hours: np.ndarray = None
    arrivals_first: np.ndarray = None
    arrivals_repeat: np.ndarray = None
    served_first: np.ndarray = None
    served_repeat: np.ndarray = None
    waited_first: np.ndarray = None  # first contacts with a wait > 0
    waited_repeat: np.ndarray = None
    wait_first_hours: np.ndarray = None  # sum of waits
    wait_repeat_hours: np.ndarray = None
    queue_area_first: np.ndarray = None
    queue_area_repeat: np.ndarray = None
    dropped_first: np.ndarray = None
    dropped_repeat: np.ndarray = None
    drop_wait_first_hours: np.ndarray = None  # hours waited by those who gave up (at a week start)
    drop_wait_repeat_hours: np.ndarray = None

    def __post_init__(self):
        for name in self.__dataclass_fields__:
            if name not in ("n_sp", "weeks"):
                setattr(self, name, np.zeros(self.n_sp))


class ServerEngine:
    """The state the servers engine keeps between weeks: busy servers, carries and arrival times."""

    def __init__(self, model):
        p = model.params
        if p["deployment.enabled"]:
            raise ValueError(
                "service.engine = 'servers' does not support flexible deployment "
                "(deployment.enabled = true): deployment moves contacts, not servers"
            )
        self.params = p
        self.hours = float(p["service.hours_per_fte"])
        self.scale = float(p["run.scale"])
        if self.scale < SMALL_SCALE:
            warnings.warn(
                f"service.engine = 'servers' at run.scale = {self.scale:g}: a service point then has "
                "fewer than one server-equivalent, which comes as whole server-weeks now and then, and a "
                "server idles when the small queue runs dry; utilisation falls (0.6 at scale 0.05). "
                f"Use run.scale >= {SMALL_SCALE:g} with this engine (docs/model.md §7.14).",
                stacklevel=3,
            )
        self.n_sp = len(model.service_points)
        self.busy: list[list[float]] = [[] for _ in range(self.n_sp)]  # heaps of completion times (hours)
        self.carry = np.zeros(self.n_sp)
        self.arrival = np.full(len(model.population), np.nan)  # arrival time of each resident's current wait
        self.rng = model.streams["servers"]
        self.stats = ServerStats(self.n_sp)
        self.servers_by_week: list[np.ndarray] = []  # c_t per service point, reported weeks

    # ---- one week --------------------------------------------------------------------------------
    def servers(self, client_hours: np.ndarray) -> np.ndarray:
        """Whole servers this week per service point, with the fractional part carried (see module doc)."""
        exact = np.asarray(client_hours, dtype=float) * self.scale / self.hours + self.carry
        whole = np.floor(exact + 1e-9)
        self.carry = exact - whole
        return whole.astype(np.int64)

    def serve(self, pop: Population, week: int, client_hours: np.ndarray) -> ServersOutcome:
        p, H, rng = self.params, self.hours, self.rng
        t0, t1 = week * H, (week + 1) * H
        c = self.servers(client_hours)
        if len(self.arrival) < len(pop):  # residents added by mechanisms (growth)
            self.arrival = np.concatenate([self.arrival, np.full(len(pop) - len(self.arrival), np.nan)])

        waiting = queue(pop, week)
        # Give-up at the week boundary, by those who have waited at least a full week.
        g = p["demand.give_up_per_week"]
        if g > 0:
            eligible = np.flatnonzero(pop.since[waiting] < week)
            quits = eligible[rng.random(len(eligible)) < g]
        else:
            quits = np.zeros(0, dtype=np.int64)
        gone = waiting[quits]
        waiting = np.delete(waiting, quits)
        was_first = pop.state[gone] == WAITING_FIRST
        pop.set_state(gone, NONE)

        # Arrival times: new this week at a uniform time; earlier ones keep theirs (redrawn in their
        # week if missing or stale, e.g. a wait started by a mechanism outside this engine).
        since = pop.since[waiting].astype(np.int64)
        arr = self.arrival[waiting]
        fresh = (since == week) | ~((arr >= since * H) & (arr < (since + 1) * H))
        arr[fresh] = (since[fresh] + rng.random(int(fresh.sum()))) * H
        self.arrival[waiting] = arr

        sp = pop.service_point[waiting].astype(np.int64)
        is_first = pop.state[waiting] == WAITING_FIRST
        klass = is_first.astype(np.int8) if p["service.repeat_priority"] else np.zeros(len(waiting), np.int8)
        order = np.lexsort((waiting, arr, klass, sp))
        waiting, arr, sp, klass, is_first = waiting[order], arr[order], sp[order], klass[order], is_first[order]
        mean_h = np.where(is_first, p["service.hours_first_contact"], p["service.hours_per_contact"])
        if p["service.duration"] == "exponential":
            dur = rng.standard_exponential(len(waiting)) * mean_h
        else:
            dur = mean_h.astype(float)

        bounds = np.searchsorted(sp, np.arange(self.n_sp + 1))
        started_pos: list[np.ndarray] = []
        started_at: list[np.ndarray] = []
        for j in range(self.n_sp):
            lo, hi = bounds[j], bounds[j + 1]
            busy = self.busy[j]
            while busy and busy[0] <= t0:  # servers that finished before the week began are free
                heapq.heappop(busy)
            if hi == lo:
                continue
            pos, at = _run_point(busy, int(c[j]), t0, t1, arr[lo:hi], klass[lo:hi], dur[lo:hi])
            started_pos.append(pos + lo)
            started_at.append(at)
        pos = np.concatenate(started_pos) if started_pos else np.zeros(0, dtype=np.int64)
        start = np.concatenate(started_at) if started_at else np.zeros(0)

        served = waiting[pos]
        first = is_first[pos]
        wait_h = start - arr[pos]
        first_wait = week - pop.request_week[served[first]]
        end_week = np.floor((start + dur[pos]) / H).astype(np.int64)  # next contact counts from here
        resolved = after_contacts(pop, served, 1, end_week, p, rng)
        u_fate = rng.random(len(gone)) if len(gone) else np.zeros(0)

        if week >= 0:
            self._account(week, c, waiting, arr, sp, is_first, pos, start, dur, gone, was_first, pop)
        return ServersOutcome(
            **dropped_fields(pop, gone, was_first, week, p, u_fate),
            served=served,
            first=first,
            first_wait=first_wait,
            resolved=resolved,
            contact_hours=dur[pos],
            first_wait_hours=wait_h[first],
            wait_hours=wait_h,
            start_hours=start,
        )

    def _account(self, week, c, waiting, arr, sp, is_first, pos, start, dur, gone, was_first, pop) -> None:
        s, H = self.stats, self.hours
        t1 = (week + 1) * H
        n = self.n_sp
        s.weeks += 1
        s.server_hours += c * H
        self.servers_by_week.append(c.copy())
        new = arr >= week * H
        s.arrivals_first += np.bincount(sp[new & is_first], minlength=n)
        s.arrivals_repeat += np.bincount(sp[new & ~is_first], minlength=n)
        # Integral of the queue over the week: everyone present from max(arrival, week start) to the
        # end of the week, minus what those who started did not wait.
        present = t1 - np.maximum(arr, week * H)
        not_waited = np.zeros(len(waiting))
        not_waited[pos] = t1 - start
        area = present - not_waited
        s.queue_area_first += np.bincount(sp[is_first], weights=area[is_first], minlength=n)
        s.queue_area_repeat += np.bincount(sp[~is_first], weights=area[~is_first], minlength=n)
        sp_s, first_s, w = sp[pos], is_first[pos], start - arr[pos]
        s.served_first += np.bincount(sp_s[first_s], minlength=n)
        s.served_repeat += np.bincount(sp_s[~first_s], minlength=n)
        s.waited_first += np.bincount(sp_s[first_s & (w > 0)], minlength=n)
        s.waited_repeat += np.bincount(sp_s[~first_s & (w > 0)], minlength=n)
        s.wait_first_hours += np.bincount(sp_s[first_s], weights=w[first_s], minlength=n)
        s.wait_repeat_hours += np.bincount(sp_s[~first_s], weights=w[~first_s], minlength=n)
        s.busy_hours += np.bincount(sp_s, weights=dur[pos], minlength=n)
        sp_g = pop.service_point[gone].astype(np.int64)
        waited = week * H - self.arrival[gone]
        s.dropped_first += np.bincount(sp_g[was_first], minlength=n)
        s.dropped_repeat += np.bincount(sp_g[~was_first], minlength=n)
        s.drop_wait_first_hours += np.bincount(sp_g[was_first], weights=waited[was_first], minlength=n)
        s.drop_wait_repeat_hours += np.bincount(sp_g[~was_first], weights=waited[~was_first], minlength=n)


def _run_point(
    busy: list[float], c: int, t0: float, t1: float, arr: np.ndarray, klass: np.ndarray, dur: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Serve one point's queue during [t0, t1) with c servers; `busy` (a heap of completion times of
    servers still working) is updated in place. The queue is sorted by (class, arrival). Returns the
    positions in the queue that started and their start times."""
    if c <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    arr_l, dur_l = arr.tolist(), dur.tolist()
    n0 = int(np.count_nonzero(klass == 0))  # class 0 (priority) occupies positions [0, n0)
    i0, i1, n = 0, n0, len(arr_l)
    inf = math.inf
    pos, at = [], []
    heappop, heappush = heapq.heappop, heapq.heappush
    while i0 < n0 or i1 < n:
        # Earliest time a server is free for a new contact: with k busy servers and c allowed, the
        # (k - c + 1)-th earliest completion (the week start if a server is idle).
        need = len(busy) - c + 1
        if need <= 0:
            avail = t0
        elif need == 1:
            avail = busy[0]
        else:
            avail = heapq.nsmallest(need, busy)[-1]
        a0 = arr_l[i0] if i0 < n0 else inf
        a1 = arr_l[i1] if i1 < n else inf
        s = max(avail, min(a0, a1))
        if s >= t1:
            break
        for _ in range(max(need, 0)):
            heappop(busy)
        if a0 <= s:
            k, i0 = i0, i0 + 1
        else:
            k, i1 = i1, i1 + 1
        heappush(busy, s + dur_l[k])
        pos.append(k)
        at.append(s)
    return np.array(pos, dtype=np.int64), np.array(at)


def serve(model, week: int, client_hours: np.ndarray) -> ServersOutcome:
    """Serve week `week` of `model` with the servers engine (kept on the model between weeks)."""
    engine = model.__dict__.get("servers_engine")
    if engine is None:
        engine = model.servers_engine = ServerEngine(model)
    return engine.serve(model.population, week, client_hours)


def record_wait_hours(res, w: int, sp_first: np.ndarray, out: ServiceOutcome) -> None:
    """Add first-contact waits in working hours to `res.wait_hours_hist` (a no-op for the weekly
    engine). Bin 0 is no wait at all; bin k >= 1 holds waits in (k-1, k] hours; the last bin holds
    MAX_WAIT_HOURS or more."""
    if not isinstance(out, ServersOutcome) or len(sp_first) == 0:
        return
    hist = res.wait_hours_hist
    y = min(w // 52, hist.shape[0] - 1)
    bins = np.minimum(np.ceil(out.first_wait_hours), MAX_WAIT_HOURS).astype(np.int64)
    np.add.at(hist[y], (sp_first, bins), 1)
