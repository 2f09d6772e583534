"""The world and its weekly step: Den Haag's residents, service points and workers.

`run_model(city, params, seed)` is the pure entry point: same inputs, same numbers. It is a top-level
function so process pools that spawn (as `import mesa` forces) can import it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mesa import Agent, Model

from sim import area_need, demand, servers, service
from sim.agents import AreaWorker, ServicePoint, SupportWorker, Worker, draw_contract_hours
from sim.city import AREA_WORK_TYPES, WORK_TYPES, City
from sim.mechanisms import enabled_mechanisms
from sim.mechanisms.drivers import budget_plan, cost_index
from sim.mechanisms.prevention import apply_push
from sim.parameters import check_area_tables, resolve
from sim.population import SYNTHESIS_PARAMETERS, SYNTHESISED, WAITING_FIRST, DistrictProfile, synthesise
from sim.results import RunResults
from sim.space import build_space, catchment, place_sites
from sim.streams import GroupStreams, GroupUniforms, Streams


class WeeklyEngine:
    """Each service point spends its week's contact capacity on its queue (sim/service.py)."""

    def serve(
        self, model: WelzijnModel, t: int, w: int, capacity: np.ndarray, setback: np.ndarray
    ) -> service.ServiceOutcome:
        pop = model.population
        return service.serve(
            pop,
            service.queue(pop, t),
            capacity,
            t,
            model.params,
            model.service_streams,
            setback,
            model.streams["deployment"],
            model.service_overrun,
            model.leave_streams,
        )


class ServersEngine:
    """Workers as servers with their own hours (sim/servers.py); capacity is their client hours."""

    def serve(
        self, model: WelzijnModel, t: int, w: int, capacity: np.ndarray, setback: np.ndarray
    ) -> service.ServiceOutcome:
        return servers.serve(model, t, model.results.counters["client_hours"][w])


# `service.engine` -> engine; chosen once at set-up.
SERVICE_ENGINES = {"weekly": WeeklyEngine, "servers": ServersEngine}


class WelzijnModel(Model):
    """One city, one parameter set, one seed."""

    def __init__(
        self,
        city: City,
        params: dict | None = None,
        seed: int = 0,
        trace: list[int] | None = None,
        sp_fte: np.ndarray | None = None,
        fte_factor_by_year: np.ndarray | None = None,
    ):
        """`sp_fte` replaces the individual-support FTE per service point (in service point order);
        `fte_factor_by_year` scales every worker's available hours per simulated year (budget paths)."""
        super().__init__(seed=seed)
        self.city = city
        self.params = p = resolve(params)
        self.streams = Streams(seed)
        self.seed_value = int(seed)
        self.warmup = p["run.warmup_weeks"]
        self.week = -self.warmup  # warm-up weeks are negative; reported weeks start at 0
        self.weeks = 52 * p["run.years"]
        scale = p["run.scale"]

        # Geography (grid fields, Servicepunt XL sites) belongs to the city, not to a replication: it has its
        # own seed, so "SPXL Laak 1" is the same place in every replication and bands per point make sense.
        layout = Streams(p["space.layout_seed"])["space"]
        self.space = build_space(
            city.wijken,
            p["space.cells_per_wijk"],
            p["space.deprivation_contrast"],
            p["space.overcrowding_contrast"],
            layout,
        )
        unregistered = city.unregistered_counts(p["unregistered.position"], p["unregistered.factor"])
        registered = city.registered_population
        self.profiles = [
            DistrictProfile(
                d,
                city.age_shares[d],
                city.share("living_alone")[d],
                city.share("low_income")[d],
                city.share("migration_background")[d],
            )
            for d in range(len(city.stadsdelen))
        ]
        drawn_by = tuple(sorted((k, repr(v)) for k, v in p.items() if k.startswith(SYNTHESIS_PARAMETERS)))
        self.population = pop = SYNTHESISED.population(
            (id(city), self.seed_value, scale, drawn_by),
            city,
            lambda: synthesise(
                registered=np.round(registered * scale).astype(np.int64),
                unregistered=np.round(unregistered * scale).astype(np.int64),
                profiles=self.profiles,
                space=self.space,
                params=p,
                rng=self.streams["population"],
                kind_names=city.kind_names,
            ),
        )

        self.base_unregistered = unregistered  # whole-city persons per (stadsdeel, kind) at the start
        # Triage (issue 9): who cannot use which referral destination, and a stream for requests raised
        # outside the demand step (prevention's signalling), so those get triaged too.
        pop.meta.update(
            blocked=demand.access_matrix(city.kind_names), triage_rng=self.streams["triage/other"], params=p
        )
        site_cells = place_sites(self.space, city.servicepunten_per_stadsdeel, layout)
        self.cell_service_point = catchment(self.space, site_cells)
        pop.service_point = self.cell_service_point[pop.cell]
        self.service_points = self._open_service_points(site_cells)
        self.fte = self._staffing()
        self._hire(sp_fte)
        self.fte["individual_support"] = np.bincount(
            [sp.district for sp in self.service_points],
            weights=[sp.fte for sp in self.service_points],
            minlength=len(city.stadsdelen),
        )
        # What the budget pays for, per year, tier, stadsdeel and Servicepunt XL (all 1 in mandate mode).
        self.budget = budget_plan(
            city,
            p,
            self.fte[list(AREA_WORK_TYPES)].to_numpy(dtype=float),
            np.array([sp.fte for sp in self.service_points]),
            np.array([sp.district for sp in self.service_points]),
        )
        self.fte_factor_by_year = (
            self.budget.individual_factor.copy()
            if fte_factor_by_year is None
            else np.asarray(fte_factor_by_year, dtype=float)
        )
        if self.fte_factor_by_year.shape != (p["run.years"],):
            raise ValueError(f"fte_factor_by_year needs one factor per year ({p['run.years']})")

        # Area-based need (sim/area_need.py): today's FTE per type before levers, deprived cells, target groups.
        cost = p["service.cost_per_fte"]
        self.area_fte_today = city.fte_at_cost(cost)[:, 1:]
        self.deprived_cells = area_need.deprived_cells(
            self.space, city.share("low_income"), p["area_need.deprived_low_income"]
        )
        years, k = p["run.years"], len(city.stadsdelen)
        area_meta = dict(
            area_fte_today=self.area_fte_today,
            area_fte_today_range=city.area_fte_today_range(cost),
            target_groups_by_year=np.zeros((years, k, len(area_need.GROUPS))),
            target_reference=np.zeros((k, len(area_need.GROUPS))),
            area_need_by_year=np.zeros((years, k, len(AREA_WORK_TYPES))),
            area_target_by_year=np.zeros((years, k, len(AREA_WORK_TYPES))),
            area_fte_type_by_year=np.zeros((years, k, len(AREA_WORK_TYPES))),
            area_factor_by_year=self.budget.area_factor,
            budget_mode=p["budget.mode"] == "budget",
            budget_total_by_year=self.budget.total,
            budget_stadsdeel_by_year=self.budget.budget_stadsdeel,
            budget_sp_by_year=self.budget.budget_sp,
            non_staff_by_year=self.budget.non_staff,
            non_staff_sp_by_year=self.budget.non_staff_sp,
            unspent_no_posts_by_year=self.budget.unspent_no_posts,
            tier_factor_by_year=self.budget.factor,
        )

        self.network_reference = float(pop.network.mean())
        pop.weekly_hazard = demand.weekly_hazard(pop, p)
        demand.schedule_next(pop, np.arange(len(pop)), self.week - 1, self.streams["episodes"])

        meta = dict(
            start_year=p["run.start_year"],
            scale=scale,
            seed=self.seed_value,
            city_name=city.name,
            stadsdelen=city.stadsdelen,
            service_points=[sp.name for sp in self.service_points],
            sp_district=np.array([sp.district for sp in self.service_points]),
            registered_population=registered,
            actual_population=registered + unregistered.sum(axis=1),
            years=p["run.years"],
            unregistered_by_kind=unregistered,
            kind_names=city.kind_names,
            fte=self.fte,
            sp_fte=np.array([sp.fte for sp in self.service_points]),
            fte_factor_by_year=self.fte_factor_by_year,
            cost_per_fte=p["service.cost_per_fte"],
            cost_index=cost_index(p),
            hours_per_contact=p["service.hours_per_contact"],
            client_hours_per_fte_year=(
                p["service.hours_per_fte"]
                * p["service.client_time_share"]
                * p["service.working_weeks"]
                * (1.0 - p["service.sickness_absence"])
            ),
            **area_meta,
        )
        self.results = RunResults.empty(self.weeks, len(self.service_points), **meta)
        # Warm-up weeks run the same rules into a scratch record of their own, thrown away at the end.
        self._warmup_results = RunResults.empty(max(self.warmup, 1), len(self.service_points), **meta)
        self.trace_ids = np.array(sorted(trace or []), dtype=np.int64)
        self.history: list[dict] = []
        self._final_results = self.results
        # Give-up and repeat gaps: one stream per service point (common random numbers across levers).
        self.service_streams = GroupStreams(self.streams, "service", len(self.service_points))
        # Walk-in leaving and the fate of those who give up: their own streams per service point (issue 9).
        self.leave_streams = GroupUniforms(self.streams, "leaving", len(self.service_points))
        self.service_overrun = np.zeros(len(self.service_points))  # hours last week's contacts ran over
        self.mechanisms = enabled_mechanisms(self)
        self.engine = SERVICE_ENGINES[p["service.engine"]]()
        # Support workers' weekly absence draws for the whole run, drawn at once from each worker's own stream
        # (a draw per worker per week was a tenth of a run's time); row = worker, column = week + warm-up.
        self.support_workers = list(self.agents_by_type.get(SupportWorker, []))
        total_weeks = self.warmup + self.weeks
        self._absent = (
            np.stack([w.absence_draws(total_weeks) for w in self.support_workers]) < p["service.sickness_absence"]
            if self.support_workers
            else np.zeros((0, total_weeks), dtype=bool)
        )
        # Their contract hours, service points and vacancy windows as columns, so a week's available hours
        # per point are one bincount (summed in worker order, as the points' own sums were).
        self._worker_sp = np.array([w.service_point for w in self.support_workers], dtype=np.intp)
        self._worker_hours = np.array([w.contract_hours for w in self.support_workers], dtype=float)
        self._read_vacancies()
        self._capacity_carry = np.zeros(len(self.service_points))  # a contact's fraction, to next week

    # ---- set-up --------------------------------------------------------------------------
    def _open_service_points(self, site_cells: np.ndarray) -> list[ServicePoint]:
        points, count = [], {}
        for i, cell_id in enumerate(site_cells):
            d = int(self.space.cell_district[cell_id])
            count[d] = count.get(d, 0) + 1
            name = f"SPXL {self.city.stadsdelen[d]} {count[d]}"
            points.append(ServicePoint(self, i, name, d, self.space.cell_object(int(cell_id))))
        return points

    def _staffing(self) -> pd.DataFrame:
        """FTE per stadsdeel and work type: today's (estimated) staffing times the scenario's levers."""
        # Today's FTE are the budget divided by the cost per FTE, so both move with that parameter.
        fte = self.city.fte_at_cost(self.params["service.cost_per_fte"]).copy()
        fte[:, 0] *= self.params["staffing.individual_support_factor"]
        fte[:, 1:] *= self.params["staffing.area_based_factor"]
        self._check_area_tables()
        # Per-stadsdeel levers (tables keyed by stadsdeel name) on top of the city-wide factors.
        for d, name in enumerate(self.city.stadsdelen):
            fte[d, 0] *= self.params["staffing.individual_support_by_stadsdeel"].get(name, 1.0)
            fte[d, 1:] *= self.params["staffing.area_based_by_stadsdeel"].get(name, 1.0)
        fte = apply_push(fte, self.city, self.params)  # the prevention push adds (or moves) jongerenwerk posts
        return pd.DataFrame(fte, index=self.city.stadsdelen, columns=list(WORK_TYPES))

    def _check_area_tables(self) -> None:
        bad = check_area_tables(self.params, list(self.city.stadsdelen), list(self.city.servicepunten_per_stadsdeel))
        if bad:
            name, key, allowed = bad[0]
            raise ValueError(f"parameter '{name}': no area {key!r} in {self.city.name}; allowed: {allowed}")

    def _hire(self, sp_fte: np.ndarray | None) -> None:
        """Recruit workers with sector-typical contract hours until each post's FTE is filled."""
        hours_fte = self.params["service.hours_per_fte"]
        pop = self.population
        # Individual-support FTE of a stadsdeel is split over its service points by catchment size.
        catch = np.bincount(pop.service_point, minlength=len(self.service_points)).astype(float)
        for d, name in enumerate(self.city.stadsdelen):
            sps = [sp for sp in self.service_points if sp.district == d]
            total = catch[[sp.index for sp in sps]].sum()
            for sp in sps:
                share = catch[sp.index] / total if total > 0 else 1.0 / len(sps)
                target = self.fte.loc[name, "individual_support"] * share if sp_fte is None else sp_fte[sp.index]
                if sp_fte is None:  # per-Servicepunt XL lever (the staffing search sets sp_fte itself)
                    target *= self.params["staffing.individual_support_by_servicepunt"].get(sp.name, 1.0)
                # Own streams per post, so one service point's staffing leaves the others' draws alone.
                hours = draw_contract_hours(target * hours_fte, self.streams[f"workers/sp{sp.index}"])
                for k, h in enumerate(hours):
                    sp.workers.append(SupportWorker(self, d, sp.index, h, key=f"sp{sp.index}/{k}"))
            for work_type in AREA_WORK_TYPES:
                rng = self.streams[f"workers/{name}/{work_type}"]
                for k, h in enumerate(draw_contract_hours(self.fte.loc[name, work_type] * hours_fte, rng)):
                    AreaWorker(self, work_type, d, h, key=f"{name}/{work_type}/{k}")

    def _read_vacancies(self) -> None:
        """Support workers' vacancy windows [start, end) as an (n, 2) array ([0, 0): none)."""
        windows = [w.vacancy if w.vacancy is not None and not w.earmarked else (0, 0) for w in self.support_workers]
        self._vacancy = np.array(windows, dtype=np.int64).reshape(-1, 2)

    def workers(self, kind: str | None = None) -> list[Worker]:
        """The posts (Worker agents) in creation order: all, or only `"support"` (individual support at a
        Servicepunt XL) or `"area"` (area-based work). Mechanisms reach staff through this, not `agents`."""
        cls = {None: Worker, "support": SupportWorker, "area": AreaWorker}[kind]
        return [a for a in self.agents if isinstance(a, cls)]

    # ---- following one resident -----------------------------------------------------------
    def _trace(self, event: str, who: np.ndarray) -> None:
        if len(self.trace_ids) == 0 or len(who) == 0:
            return
        for person in np.intersect1d(who, self.trace_ids):
            self.history.append(
                {
                    "week": self.week,
                    "person": int(person),
                    "event": event,
                    "state": int(self.population.state[person]),
                    "domain": int(self.population.domain[person]),
                    "contacts_left": int(self.population.contacts_left[person]),
                }
            )

    # ---- the weekly step ----------------------------------------------------------------
    def refresh_hazard(self, idx: np.ndarray, week: int) -> None:
        """Residents `idx` changed (attributes or prevention): recompute their hazard and redraw their
        next episode from `week` on (exact, as episode times are memoryless)."""
        pop = self.population
        pop.weekly_hazard[idx] = demand.weekly_hazard(pop, self.params, idx)
        # Its own stream, so residents whose hazard changed do not shift everyone else's episode draws.
        demand.schedule_next(pop, idx, week - 1, self.streams["episodes/refresh"])
        for m in getattr(self, "mechanisms", ()):  # (none yet while the model is being set up)
            m.residents_changed(idx)

    def add_residents(self, columns: dict[str, np.ndarray], week: int, refresh: bool = True) -> np.ndarray:
        """New residents (growth, arrivals): placed in their cell's catchment; with `refresh`, their
        episodes are scheduled now (else the caller refreshes them with others)."""
        pop = self.population
        ids = pop.append(columns)
        pop.service_point[ids] = self.cell_service_point[pop.cell[ids]]
        if refresh:
            self.refresh_hazard(ids, week)
        return ids

    def _record_year(self, y: int) -> None:
        pop, res = self.population, self.results
        k = len(self.city.stadsdelen)
        expand = 1.0 / self.params["run.scale"]
        res.population_by_year[y, :, 0] = np.bincount(pop.district[pop.kind == 0], minlength=k) * expand
        res.population_by_year[y, :, 1] = np.bincount(pop.district, minlength=k) * expand
        res.sp_fte_by_year[y] = [sp.fte for sp in self.service_points]
        res.area_fte_by_year[y] = self.area_fte()
        filled = self.area_fte_by_type(funded=False)
        res.area_fte_type_by_year[y] = np.stack([filled[wt] for wt in AREA_WORK_TYPES], axis=1)
        self._record_area_need(y, expand)

    def _record_area_need(self, y: int, expand: float) -> None:
        """Target groups of area-based work now (whole city) and the FTE they need (sim/area_need.py)."""
        pop, res, p = self.population, self.results, self.params
        k = len(self.city.stadsdelen)
        codes = area_need.count_codes(pop, self.deprived_cells, k)
        groups = area_need.groups_of(codes) * expand
        res.target_groups_by_year[y] = groups
        if y == 0:
            # Today's groups: the unregistered part at the data's central amount (a scenario's
            # unregistered.factor multiplies residents that are not there today).
            unreg = area_need.count_groups(pop, self.deprived_cells, k, pop.kind > 0) * expand
            ratio = np.full(k, 1.0 / p["unregistered.factor"]) if p["unregistered.factor"] > 0 else np.ones(k)
            res.target_reference[:] = area_need.reference_groups(groups - unreg, unreg, ratio)
        need = area_need.need_fte(groups, res.target_reference, self.area_fte_today, p)
        res.area_need_by_year[y] = need
        youth_deprived = area_need.youths_deprived_of(codes) * expand
        res.area_target_by_year[y] = area_need.target_fte(groups, youth_deprived, need, p)

    def area_fte_by_type(self, funded: bool = True) -> dict[str, np.ndarray]:
        """Area-based FTE per work type and stadsdeel now: filled, or (`funded`) filled × the budget's funded
        share of the type relative to `fte_factor_by_year` (the individual-support share), because callers
        (prevention, validation) multiply by that factor. Under the priority rule individual support is
        funded before any area-based work, so the ratio is well defined; in mandate mode it is 1."""
        hours = {wt: np.zeros(len(self.city.stadsdelen)) for wt in AREA_WORK_TYPES}
        for w in self.agents_by_type.get(AreaWorker, []):
            hours[w.work_type][w.district] += w.filled_hours
        out = {wt: h / self.params["service.hours_per_fte"] for wt, h in hours.items()}
        if funded:
            # After the last week (callers that measure a finished year) the last year's shares apply.
            y = min(max(self.week, 0) // 52, len(self.fte_factor_by_year) - 1)
            f_ind = self.fte_factor_by_year[y]
            for j, wt in enumerate(AREA_WORK_TYPES):
                rel = self.budget.area_factor[y, :, j] / f_ind if f_ind > 0 else np.zeros(len(out[wt]))
                out[wt] = out[wt] * rel
        return out

    def area_fte(self) -> np.ndarray:
        """Filled area-based FTE per stadsdeel now."""
        return sum(self.area_fte_by_type().values())

    def step(self) -> None:
        """One week. Warm-up weeks (negative) run the same rules into a scratch record, so the first
        reported year starts with queues, open cases and mechanisms already going, not an empty system.
        The phases run in a fixed order: the random draws of a run depend on it."""
        t = self.week
        warm = t < 0
        self.results = self._warmup_results if warm else self._final_results
        w = self.results.row = t + self.warmup if warm else t
        self._phase_year(t, w)
        capacity, setback = self._phase_capacity(t, w)
        hidden_ended = self._phase_demand(t, w)
        out = self._phase_service(t, w, capacity, setback, hidden_ended)
        self._phase_record(t, w, out)
        self.week += 1

    def _phase_year(self, t: int, w: int) -> None:
        """First week of a year (and of the warm-up): mechanisms' yearly changes, then the yearly record."""
        pop, res = self.population, self.results
        warm = t < 0
        if t == 0:
            res.initial_waiting_first = np.bincount(
                pop.service_point[pop.state == WAITING_FIRST], minlength=len(self.service_points)
            )
        if t == -self.warmup or (not warm and t % 52 == 0):
            for m in self.mechanisms:
                m.start_year(max(t, 0) // 52, t)
            self._read_vacancies()  # posts' vacancy windows change only here (drivers' turnover)
        if not warm and t % 52 == 0:
            self._record_year(t // 52)

    def _phase_capacity(self, t: int, w: int) -> tuple[np.ndarray, np.ndarray]:
        """This week's contact capacity per service point and the chance a contact is a setback."""
        res = self.results
        # Each support worker is sick (own stream, drawn at set-up), on leave (spread over the year as a factor)
        # or in an empty post (its vacancy window).
        leave_factor = self.params["service.working_weeks"] / 52.0
        vacant = (self._vacancy[:, 0] <= t) & (t < self._vacancy[:, 1])
        available = np.where(self._absent[:, t + self.warmup] | vacant, 0.0, self._worker_hours * leave_factor)
        hours = np.bincount(self._worker_sp, weights=available, minlength=len(self.service_points))
        # Whole contacts this week per point (scaled to the simulated population) and the client hours behind
        # them; `factor` scales the staff's hours (a budget path that funds more or fewer hours this year). The
        # fraction of a contact is carried to next week, so capacity is not lost to rounding.
        p = self.params
        client_hours = hours * self.fte_factor_by_year[max(t, 0) // 52] * p["service.client_time_share"]
        exact = client_hours / p["service.hours_per_contact"] * p["run.scale"] + self._capacity_carry
        capacity = exact.astype(np.int64)  # exact >= 0: truncation is the floor
        self._capacity_carry = exact - capacity
        res.counters["client_hours"][w] = client_hours
        setback = np.zeros(len(self.service_points))
        for m in self.mechanisms:
            m.adjust_capacity(t, capacity, setback)
        res.counters["contact_capacity"][w] = capacity
        return capacity, setback

    def _phase_demand(self, t: int, w: int) -> np.ndarray:
        """New episodes (mechanisms see them first), then the hidden episodes that ended (returned)."""
        p, pop, res = self.params, self.population, self.results
        started = demand.start_episodes(pop, t, p, self.streams, self.network_reference)
        for m in self.mechanisms:
            m.after_demand(t, started)
        sp_of = pop.service_point  # after the mechanisms: they may have added residents
        res.add("contacts_needed", w, sp_of[started["asked"]], weights=pop.contacts_left[started["asked"]])
        res.add("new_episodes", w, sp_of[started["new"]])
        res.add("self_solved", w, sp_of[started["self_solved"]])
        res.add("hidden_started", w, sp_of[started["hidden"]])
        res.add("help_requests", w, sp_of[started["asked"]])
        res.add(
            "hours_needed",
            w,
            sp_of[started["asked"]],
            weights=demand.request_hours(pop.contacts_left[started["asked"]], p),
        )
        self._trace("self_solved", started["self_solved"])
        self._trace("hidden", started["hidden"])
        self._trace("help_request", started["asked"])
        hidden_ended = demand.end_hidden(pop, t)
        self._trace("hidden_ended", hidden_ended)
        return hidden_ended

    def _phase_service(
        self, t: int, w: int, capacity: np.ndarray, setback: np.ndarray, hidden_ended: np.ndarray
    ) -> service.ServiceOutcome:
        """Serve the queues with the engine chosen at set-up; mechanisms then see the outcome."""
        out = self.engine.serve(self, t, w, capacity, setback)
        if out.overrun is not None:
            self.service_overrun = out.overrun
        for m in self.mechanisms:
            m.after_service(t, out, hidden_ended)
        return out

    def _phase_record(self, t: int, w: int, out: service.ServiceOutcome) -> None:
        """Count the week's service outcome and the stocks at its end."""
        pop, res = self.population, self.results
        sp_of = pop.service_point
        first = out.served[out.first]
        res.add_waits(w, sp_of[first], out.first_wait)
        res.add_waits(w, sp_of[out.dropped_first], out.dropped_first_wait, dropped=True)
        servers.record_wait_hours(res, w, sp_of[first], out)
        year = t // 52
        new_client = out.served[pop.last_client_year[out.served] != year]
        pop.last_client_year[new_client] = year
        quarter = t // 13  # unique clients a quarter, as the uniform registration counts them (issue 9)
        new_in_quarter = out.served[pop.last_client_quarter[out.served] != quarter]
        pop.last_client_quarter[new_in_quarter] = quarter
        flows = {
            "contacts": sp_of[out.served],
            "first_contacts": sp_of[first],
            "new_clients": sp_of[new_client],
            "new_clients_quarter": sp_of[new_in_quarter],
            "dropped_first": sp_of[out.dropped_first],
            "dropped_repeat": sp_of[out.dropped_repeat],
            "resolved": sp_of[out.resolved],
        }
        self._record_triage(w, first, out, flows)
        res.add_counts(w, flows)
        self._trace("contact", out.served)
        self._trace("dropped", np.concatenate([out.dropped_first, out.dropped_repeat]))
        self._trace("resolved", out.resolved)

        # Both stocks from the index of open episodes (a few thousand residents, not the whole city).
        open_ids = pop.open_ids()
        open_cases = open_ids[pop.state[open_ids] >= WAITING_FIRST]
        sp_open = sp_of[open_cases]
        n = len(self.service_points)
        res.counters["waiting_first"][w] = np.bincount(sp_open[pop.state[open_cases] == WAITING_FIRST], minlength=n)
        res.counters["open_cases"][w] = np.bincount(sp_open, minlength=n)

    def _record_triage(self, w: int, first: np.ndarray, out, flows: dict[str, np.ndarray]) -> None:
        """Issue 9 counters: what the first contacts decided, referrals by destination, walk-ins who left,
        what became of those who gave up, and the hours of the contacts (unweighted counts into `flows`)."""
        pop, res = self.population, self.results
        sp_of = pop.service_point
        route = pop.route[first]
        flows["solved_first_contact"] = sp_of[first[route == demand.SOLVED]]
        flows["trajectories_started"] = sp_of[first[demand.is_trajectory(route)]]
        flows["referral_blocked"] = sp_of[first[route == demand.TRAJECTORY_BLOCKED]]
        referred = first[route == demand.REFERRED]
        flows["referred"] = sp_of[referred]
        destination = pop.destination[referred]
        for d, name in enumerate(demand.DESTINATIONS):
            flows[f"referred_{name}"] = sp_of[referred[destination == d]]
        flows["left_queue"] = sp_of[out.left]
        alone = out.dropped_solved_alone
        flows["gave_up_solved_alone"] = sp_of[out.dropped_first[alone]]
        flows["gave_up_unresolved"] = sp_of[out.dropped_first[~alone]]
        res.add("contact_hours", w, sp_of[out.served], weights=out.contact_hours)
        self._trace("left_queue", out.left)

    def run(self) -> RunResults:
        while self.week < self.weeks:
            self.step()
        return self._final_results


def run_model(
    city: City,
    params: dict | None = None,
    seed: int = 0,
    *,
    sp_fte: np.ndarray | None = None,
    fte_factor_by_year: np.ndarray | None = None,
) -> RunResults:
    """Run one replication to the end and return its results."""
    model = WelzijnModel(city, params, seed, sp_fte=sp_fte, fte_factor_by_year=fte_factor_by_year)
    results = model.run()
    # Mesa 3.3 keeps every model alive in the class attribute Agent._ids (a dict keyed by model), and
    # agents and model refer to each other: without this a search that runs many models keeps them all
    # (~40-200 MB each).
    Agent._ids.pop(model, None)
    # The resident columns and the grid are most of a model's memory: dropped here they go at once by reference
    # count; the small cycles (agents <-> model) go with the next automatic collection. A full gc.collect() per
    # run cost about 0.1 s, 3 % of a run.
    model.population = model.space = model._warmup_results = None
    del model
    return results
