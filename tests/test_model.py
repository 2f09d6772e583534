"""The weekly simulation: reproducibility, bookkeeping identities, the result tables, tracing, staffing.

Identities (conservation, decomposition) are exact and are checked at every week, per service point and
per stadsdeel. Statistical checks state their seed and tolerance in the docstring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SEED, SMALL, TRACED, build, by_stadsdeel, cumulative, uniform_population

from sim.agents import PART_TIME_BANDS, AreaWorker, draw_contract_hours
from sim.city import AREA_WORK_TYPES
from sim.model import run_model
from sim.population import WAITING_FIRST
from sim.results import FLOWS, STOCKS

# Parameter sets under which the bookkeeping must hold: the foundation, a badly understaffed system
# without repeat priority (long queues, many give-ups), no staff at all, ample staff, a budget cut
# that removes hours mid-run, and a warm-up that starts the reported weeks with queues.
REGIMES = {
    "foundation": {},
    "understaffed": {"staffing.individual_support_factor": 0.3, "service.repeat_priority": False},
    "no staff": {"staffing.individual_support_factor": 0.0},
    "ample staff": {"staffing.individual_support_factor": 10.0},
    "budget cut": {"budget.mode": "budget", "budget.ravijnjaar_year": 2027, "budget.ravijnjaar_cut": 0.5},
    "warm-up": {"run.warmup_weeks": 26},
}


@pytest.fixture(scope="module", params=list(REGIMES))
def regime_run(request, city):
    """(model, results) of a small run in each regime, with the open cases present at week 0."""
    model = build(city, {**SMALL, **REGIMES[request.param]})
    while model.week < 0:  # warm-up weeks are negative; step them by hand to see the state at week 0
        model.step()
    pop = model.population
    open_at_start = np.bincount(pop.service_point[pop.state >= WAITING_FIRST], minlength=len(model.service_points))
    return model, model.run(), open_at_start


# ---- reproducibility ---------------------------------------------------------------------------
def assert_same_results(a, b):
    assert sorted(a.counters) == sorted(b.counters)
    for name in a.counters:
        np.testing.assert_array_equal(a.counters[name], b.counters[name], err_msg=name)
    np.testing.assert_array_equal(a.wait_hist, b.wait_hist)
    np.testing.assert_array_equal(a.drop_wait_hist, b.drop_wait_hist)
    for level in ("city", "stadsdeel", "service_point"):
        pd.testing.assert_frame_equal(a.annual(level), b.annual(level))


@pytest.mark.slow
def test_same_seed_gives_identical_results(city):
    params = {**SMALL, "run.warmup_weeks": 8}
    assert_same_results(run_model(city, params, 11), run_model(city, params, 11))


def test_same_seed_gives_identical_population(city):
    a, b = build(city, SMALL, 11), build(city, SMALL, 11)
    for col in (
        "district",
        "cell",
        "age_band",
        "alone",
        "low_income",
        "migration",
        "kind",
        "network",
        "trust",
        "service_point",
        "next_episode",
    ):
        np.testing.assert_array_equal(getattr(a.population, col), getattr(b.population, col), err_msg=col)


@pytest.mark.slow
def test_different_seed_gives_different_results(city):
    a, b = run_model(city, SMALL, 11), run_model(city, SMALL, 12)
    differs = [
        n for n in ("help_requests", "contacts", "new_episodes") if not np.array_equal(a.counters[n], b.counters[n])
    ]
    assert differs == ["help_requests", "contacts", "new_episodes"]
    assert not np.array_equal(a.wait_hist, b.wait_hist)


def test_staffing_lever_does_not_reshuffle_the_population(city):
    """Common random numbers: changing staff leaves residents, grids and service point sites as they were."""
    a = build(city, SMALL)
    b = build(city, {**SMALL, "staffing.individual_support_factor": 2.0, "staffing.area_based_factor": 0.5})
    for col in ("district", "cell", "age_band", "low_income", "kind", "network", "trust", "service_point"):
        np.testing.assert_array_equal(getattr(a.population, col), getattr(b.population, col), err_msg=col)
    np.testing.assert_array_equal(a.space.overcrowding, b.space.overcrowding)
    assert [sp.cell.coordinate for sp in a.service_points] == [sp.cell.coordinate for sp in b.service_points]


# ---- bookkeeping identities ----------------------------------------------------------------------
def test_first_contact_queue_is_conserved_every_week(regime_run):
    """help requests so far = first contacts so far + waiting for a first contact now + gave up so far
    (plus those already waiting when reporting started, after a warm-up). Per service point and per stadsdeel."""
    _, res, _ = regime_run
    c = res.counters
    arrived = cumulative(c["help_requests"]) + res.initial_waiting_first
    left = cumulative(c["first_contacts"]) + c["waiting_first"] + cumulative(c["dropped_first"])
    np.testing.assert_array_equal(arrived, left)
    np.testing.assert_array_equal(by_stadsdeel(res, arrived), by_stadsdeel(res, left))


def test_first_contact_queue_is_conserved_in_the_weekly_table(regime_run):
    _, res, _ = regime_run
    for level in ("stadsdeel", "city"):
        w = res.weekly(level)
        g = w.groupby("area", sort=False)
        start = res.initial_waiting_first.sum() / res.scale if level == "city" else 0.0
        if level == "stadsdeel":
            start = w["area"].map(
                dict(zip(res.stadsdelen, by_stadsdeel(res, res.initial_waiting_first[None])[0] / res.scale))
            )
        arrived = g["help_requests"].cumsum() + start
        left = g["first_contacts"].cumsum() + w["waiting_first"] + g["dropped_first"].cumsum()
        np.testing.assert_allclose(arrived, left, rtol=1e-9, err_msg=level)


def test_open_cases_are_conserved_every_week(regime_run):
    """requests so far + open at start = resolved + gave up (before or between contacts) so far + open now."""
    _, res, open_at_start = regime_run
    c = res.counters
    arrived = cumulative(c["help_requests"]) + open_at_start
    left = (
        cumulative(c["resolved"]) + cumulative(c["dropped_first"]) + cumulative(c["dropped_repeat"]) + c["open_cases"]
    )
    np.testing.assert_array_equal(arrived, left)


def test_stocks_are_sane(regime_run):
    model, res, open_at_start = regime_run
    c = res.counters
    assert np.all(c["waiting_first"] >= 0)
    assert np.all(c["waiting_first"] <= c["open_cases"])
    assert np.all(res.initial_waiting_first <= open_at_start)
    # Stocks at the end equal the residents' states at the end.
    pop = model.population
    n_sp = len(model.service_points)
    np.testing.assert_array_equal(
        c["open_cases"][-1], np.bincount(pop.service_point[pop.state >= WAITING_FIRST], minlength=n_sp)
    )
    for name in FLOWS + STOCKS:
        assert np.all(c[name] >= 0), name


def test_new_episodes_are_self_solved_hidden_or_brought_to_a_service_point(regime_run):
    _, res, _ = regime_run
    c = res.counters
    np.testing.assert_array_equal(c["new_episodes"], c["self_solved"] + c["hidden_started"] + c["help_requests"])


def test_contacts_stay_within_capacity(regime_run):
    _, res, _ = regime_run
    c = res.counters
    # Capacity is in hours (issue 9): a contact started before the week's hours run out is finished and its
    # overrun comes off the next week, so cumulative hours stay within cumulative capacity plus one contact.
    hours = cumulative(c["contact_hours"])
    cap = cumulative(c["contact_capacity"] * res.hours_per_contact)
    assert np.all(hours <= cap + max(res.hours_per_contact, 4.0) + 1e-9)
    assert np.all(c["first_contacts"] <= c["contacts"])
    assert np.all(c["new_clients"] <= c["contacts"])
    assert np.all(c["resolved"] <= c["contacts"])


def test_first_contact_waits_are_all_in_the_histogram(regime_run):
    _, res, _ = regime_run
    np.testing.assert_array_equal(res.wait_hist.sum(axis=2), res.counters["first_contacts"])


# ---- the annual tables ---------------------------------------------------------------------------
def carried_over(res, annual: pd.DataFrame, level: str, column: str, at_start: np.ndarray) -> pd.Series:
    """`column` at the end of the year before, per row of `annual`; for the first year the stock at week 0
    (`at_start`, per service point, simulated persons) summed to `level` and scaled to the whole city."""
    group, names = res.group_index(level)
    start = dict(zip(names, np.bincount(group, weights=at_start, minlength=len(names)) / res.scale))
    before = annual.groupby("area", sort=False)[column].shift(1)
    first = annual["year"] == annual["year"].min()
    before[first] = annual.loc[first, "area"].map(start)
    return before


@pytest.mark.parametrize("level", ["city", "stadsdeel", "service_point"])
def test_annual_contacts_clients_and_requests_are_ordered(regime_run, level):
    """contacts ≥ unique clients and ≥ first contacts; unique clients ≤ residents who could be clients that
    year (help requests of the year + cases open at the end of the year before); first contacts ≤ help
    requests of the year + those waiting for a first contact at the end of the year before."""
    _, res, open_at_start = regime_run
    a = res.annual(level)
    eps = 1e-6
    assert np.all(a["contacts"] >= a["unique_clients"] - eps)
    assert np.all(a["contacts"] >= a["first_contacts"] - eps)
    open_before = carried_over(res, a, level, "open_cases_end", open_at_start)
    assert np.all(a["unique_clients"] <= a["help_requests"] + open_before + eps)
    waiting_before = carried_over(res, a, level, "waiting_first_end", res.initial_waiting_first)
    assert np.all(a["first_contacts"] <= a["help_requests"] + waiting_before + eps)


@pytest.mark.slow
def test_people_who_had_contacts_had_asked(traced_run):
    model, _ = traced_run
    asked = {e["person"] for e in model.history if e["event"] == "help_request"}
    served = {e["person"] for e in model.history if e["event"] == "contact"}
    assert served and served <= asked
    pop = model.population
    assert np.all(pop.episodes[pop.contacts > 0] > 0)


@pytest.mark.parametrize("level", ["city", "stadsdeel", "service_point"])
def test_annual_flows_are_weekly_counters_summed_and_scaled(traced_run, level):
    _, res = traced_run
    a = res.annual(level)
    group, names = res.group_index(level)
    assert list(a["area"].unique()) == names
    assert sorted(a["year"].unique()) == list(res.start_year + np.arange(res.weeks // 52))
    for name in ("help_requests", "first_contacts", "contacts", "new_clients", "dropped_first", "resolved"):
        weekly = res.counters[name]
        for y in range(res.weeks // 52):
            per_group = np.bincount(group, weights=weekly[52 * y : 52 * (y + 1)].sum(axis=0), minlength=len(names))
            got = a.loc[a["year"] == res.start_year + y, name].to_numpy()
            np.testing.assert_allclose(got, per_group / res.scale, rtol=1e-12, err_msg=f"{name} {y}")


def test_levels_add_up(traced_run):
    """The city is the sum of its stadsdelen, and a stadsdeel the sum of its service points."""
    _, res = traced_run
    city, sd, sp = (res.annual(level) for level in ("city", "stadsdeel", "service_point"))
    flows = [
        "help_requests",
        "first_contacts",
        "contacts",
        "unique_clients",
        "dropped_first",
        "resolved",
        "waiting_first_end",
        "open_cases_end",
        "fte_individual_support",
    ]
    np.testing.assert_allclose(
        sd.groupby("year")[flows].sum().to_numpy(), city.set_index("year")[flows].to_numpy(), rtol=1e-9
    )
    np.testing.assert_allclose(
        sp.groupby("year")[flows].sum().to_numpy(), city.set_index("year")[flows].to_numpy(), rtol=1e-9
    )
    np.testing.assert_allclose(sd.groupby("year")["fte_total"].sum(), city["fte_total"], rtol=1e-9)


def test_annual_table_reports_the_whole_city_population(traced_run, city):
    _, res = traced_run
    a = res.annual("city")
    assert np.all(a["registered_population"] > 0.95 * city.registered_population.sum())
    assert np.all(a["actual_population"] > a["registered_population"])


# ---- following one resident ----------------------------------------------------------------------
def test_traced_histories_are_coherent(traced_run):
    """Every traced resident's events follow the episode life-cycle in non-decreasing weeks:
    idle → (self_solved | hidden → hidden_ended | help_request → contact* → resolved | dropped)."""
    model, _ = traced_run
    by_person: dict[int, list[dict]] = {}
    for e in model.history:
        by_person.setdefault(e["person"], []).append(e)
    assert len(by_person) > 100
    for person, events in by_person.items():
        state, last_week, contacts_left, contact_week = "idle", -(10**9), None, None
        for e in events:
            where = f"resident {person}: {e}"
            assert e["week"] >= last_week, where
            last_week = e["week"]
            kind = e["event"]
            if kind == "self_solved":
                assert state == "idle", where
            elif kind == "hidden":
                assert state == "idle", where
                state = "hidden"
            elif kind == "hidden_ended":
                assert state == "hidden", where
                state = "idle"
            elif kind == "help_request":
                assert state == "idle", where
                assert e["contacts_left"] >= 1, where
                state, contacts_left = "open", e["contacts_left"]
            elif kind == "contact":
                assert state == "open", where
                assert e["contacts_left"] == contacts_left - 1, where  # one contact, one step forward
                contacts_left, contact_week = e["contacts_left"], e["week"]
            elif kind == "resolved":
                assert state == "open" and contacts_left == 0 and contact_week == e["week"], where
                state = "idle"
            elif kind == "dropped":
                assert state == "open", where
                state = "idle"
            elif kind == "left_queue":  # a walk-in who left to come back another day: still open
                assert state == "open", where
            else:
                raise AssertionError(f"unknown event {kind!r}")


def test_traced_events_add_up_to_the_counters(traced_run):
    """Everyone is traced in this run, so the history is a person-level copy of the counters."""
    model, res = traced_run
    counts = pd.Series([e["event"] for e in model.history]).value_counts()
    c = {name: int(v.sum()) for name, v in res.counters.items()}
    assert counts["help_request"] == c["help_requests"]
    assert counts["contact"] == c["contacts"]
    assert counts["resolved"] == c["resolved"]
    assert counts["self_solved"] == c["self_solved"]
    assert counts["hidden"] == c["hidden_started"]
    assert counts["dropped"] == c["dropped_first"] + c["dropped_repeat"]


@pytest.mark.slow
def test_tracing_does_not_change_the_run(traced_run, city):
    _, res = traced_run
    assert_same_results(res, run_model(city, TRACED, SEED))


def test_describe_shows_every_column_of_a_resident(traced_run):
    model, _ = traced_run
    pop = model.population
    person = int(np.flatnonzero(pop.contacts > 0)[0])
    d = pop.describe(person)
    assert d["id"] == person
    for col in (
        "district",
        "cell",
        "age_band",
        "alone",
        "low_income",
        "migration",
        "kind",
        "network",
        "trust",
        "service_point",
        "state",
        "episodes",
        "contacts",
    ):
        assert d[col] == getattr(pop, col)[person].item(), col


# ---- staff and capacity --------------------------------------------------------------------------
def test_hired_fte_matches_the_target(city):
    """Workers are recruited until each post's FTE is filled (the last contract is trimmed), so hired FTE
    equals today's FTE times the levers, per stadsdeel and work type (float rounding only)."""
    params = {**SMALL, "staffing.individual_support_factor": 1.5, "staffing.area_based_factor": 0.8}
    model = build(city, params)
    p = model.params
    target = city.fte_at_cost(p["service.cost_per_fte"])  # today's FTE at the run's cost per FTE
    hours_fte = p["service.hours_per_fte"]
    sp_fte = np.zeros(len(city.stadsdelen))
    for sp in model.service_points:
        sp_fte[sp.district] += sum(w.contract_hours for w in sp.workers) / hours_fte
    np.testing.assert_allclose(sp_fte, target[:, 0] * 1.5, rtol=1e-9)
    area = {wt: np.zeros(len(city.stadsdelen)) for wt in AREA_WORK_TYPES}
    for w in model.agents_by_type[AreaWorker]:
        area[w.work_type][w.district] += w.contract_hours / hours_fte
    for j, wt in enumerate(AREA_WORK_TYPES, start=1):
        np.testing.assert_allclose(area[wt], target[:, j] * 0.8, rtol=1e-9, err_msg=wt)


def test_every_service_point_is_staffed_by_its_catchment(city):
    model = build(city, SMALL)
    catch = np.bincount(model.population.service_point, minlength=len(model.service_points))
    assert np.all(catch > 0)
    for sp in model.service_points:
        assert sp.fte > 0, sp.name


def test_contract_hours_follow_the_part_time_bands():
    """Sector contract hours (source 004 §2): 12% ≤ 12 h, 64% 20-35 h, 24% > 35 h a week.
    200,000 hours ≈ 7,000 workers, seed 1: each band share within ±0.02 (binomial s.e. ≤ 0.006)."""
    target = 200_000.0
    hours = np.array(draw_contract_hours(target, np.random.default_rng(1)))
    assert hours.sum() == pytest.approx(target, rel=1e-12)
    body = hours[:-1]  # the last contract is trimmed to fill the target exactly
    in_band = np.array([(body >= lo) & (body <= hi) for _, lo, hi in PART_TIME_BANDS])
    assert np.all(in_band.sum(axis=0) == 1), "every contract lies in exactly one band"
    # The sector's bands, stated independently of PART_TIME_BANDS: up to 12 h, 20-35 h, more than 35 h.
    np.testing.assert_allclose(
        [(body <= 12).mean(), ((body >= 20) & (body <= 35)).mean(), (body > 35).mean()], [0.12, 0.64, 0.24], atol=0.02
    )


def test_small_targets_are_filled_exactly():
    rng = np.random.default_rng(2)
    for target in (0.0, 0.5, 7.3, 36.0, 100.0):
        hours = draw_contract_hours(target, rng)
        assert sum(hours) == pytest.approx(target, abs=1e-9)
        assert all(h > 0 for h in hours)


def test_contact_capacity_matches_staff_hours(city):
    """Closed form: contacts a year = FTE × hours/FTE × working weeks × (1 − sickness) × client time share
    / hours per contact × scale. Seed fixed; tolerance 2% (sickness is Bernoulli per worker-week, s.e. ≈ 0.4%
    of the city total; rounding to whole contacts costs < 1 contact per service point a year)."""
    model = build(city, {**SMALL, "run.years": 1})
    res = model.run()
    p = model.params
    fte = sum(sp.fte for sp in model.service_points)
    expected = (
        fte
        * p["service.hours_per_fte"]
        * p["service.working_weeks"]
        * (1 - p["service.sickness_absence"])
        * p["service.client_time_share"]
        / p["service.hours_per_contact"]
        * p["run.scale"]
    )
    assert res.counters["contact_capacity"].sum() == pytest.approx(expected, rel=0.02)
    # client hours are recorded in real hours, before scaling
    hours = res.counters["client_hours"].sum()
    assert hours / p["service.hours_per_contact"] * p["run.scale"] == pytest.approx(
        res.counters["contact_capacity"].sum(), abs=len(model.service_points)
    )


@pytest.mark.slow
def test_nobody_gives_up_when_nobody_may(city):
    res = run_model(city, {**SMALL, "demand.give_up_per_week": 0.0, "demand.leave_pressure": 0.0}, SEED)
    assert res.counters["dropped_first"].sum() == 0
    assert res.counters["dropped_repeat"].sum() == 0
    assert res.counters["help_requests"].sum() > 0


@pytest.mark.slow
def test_without_staff_there_are_no_contacts_and_requests_wait_or_give_up(city):
    res = run_model(city, {**SMALL, "staffing.individual_support_factor": 0.0}, SEED)
    c = res.counters
    assert c["contact_capacity"].sum() == 0
    assert c["contacts"].sum() == 0
    assert c["help_requests"].sum() == c["waiting_first"][-1].sum() + c["dropped_first"].sum() > 0


@pytest.mark.slow
def test_with_ample_staff_almost_nobody_waits(city):
    """Ten times today's individual-support staff (seed fixed, scale 0.05): at least 95% of first contacts
    happen in the week of the request and under 2% of requests give up. Not all 100%: at reduced scale a
    small service point's weekly capacity is a few contacts, so bursts of requests still queue."""
    res = run_model(city, {**SMALL, "run.scale": 0.05, "staffing.individual_support_factor": 10.0}, SEED)
    c = res.counters
    assert res.wait_hist[..., 0].sum() >= 0.95 * c["first_contacts"].sum()
    assert c["dropped_first"].sum() <= 0.02 * c["help_requests"].sum()


@pytest.mark.slow
def test_more_staff_means_shorter_waits_and_fewer_give_ups(city):
    """Same seed, 0.5× vs 2× today's individual support: waits and give-ups fall, contacts rise."""
    low = run_model(city, {**SMALL, "staffing.individual_support_factor": 0.5}, SEED).annual("city")
    high = run_model(city, {**SMALL, "staffing.individual_support_factor": 2.0}, SEED).annual("city")
    assert (high["mean_wait_weeks"] < low["mean_wait_weeks"]).all()
    assert (high["dropped_first"] < low["dropped_first"]).all()
    assert (high["contacts"] > low["contacts"]).all()


# ---- space -----------------------------------------------------------------------------------------
def test_grids_carry_the_same_layers_as_the_flat_arrays(city):
    model = build(city, SMALL)
    space = model.space
    assert len(space.grids) == len(city.stadsdelen)
    for d, grid in enumerate(space.grids):
        cells = space.cells_of(d)
        xy = space.cell_xy[cells]
        for name in ("density", "deprivation", "overcrowding"):
            layer = getattr(grid, name).data
            np.testing.assert_allclose(layer[xy[:, 0], xy[:, 1]], getattr(space, name)[cells], err_msg=name)
        # density has mean 1 within a stadsdeel; the other layers have density-weighted mean 1
        assert space.density[cells].mean() == pytest.approx(1.0)
        for name in ("deprivation", "overcrowding"):
            v = getattr(space, name)[cells]
            assert np.average(v, weights=space.density[cells]) == pytest.approx(1.0), name


def test_service_points_are_where_the_data_says(city):
    model = build(city, SMALL)
    per_sd = np.bincount([sp.district for sp in model.service_points], minlength=len(city.stadsdelen))
    np.testing.assert_array_equal(per_sd, city.servicepunten_per_stadsdeel)
    for sp in model.service_points:
        assert sp in sp.cell.agents
        assert city.stadsdelen[sp.district] in sp.name
    pop = model.population
    sp_district = np.array([sp.district for sp in model.service_points])
    np.testing.assert_array_equal(sp_district[pop.service_point], pop.district)
    np.testing.assert_array_equal(model.space.cell_district[pop.cell], pop.district)


# ---- the service rule on a hand-made queue -------------------------------------------------------
def tiny_population(n: int, service_point: list[int]):
    """`n` identical residents attached to the given service points, all idle."""
    return uniform_population(n, service_point)


def wait_for_first(pop, person: int, since: int, contacts: int = 2):
    pop.set_state(person, WAITING_FIRST)
    pop.since[person], pop.request_week[person] = since, since
    pop.contacts_left[person] = contacts


def wait_for_repeat(pop, person: int, due: int, contacts: int = 2):
    from sim.population import WAITING_REPEAT

    pop.set_state(person, WAITING_REPEAT)
    pop.since[person], pop.contacts_left[person] = due, contacts


def serve_week(pop, capacity: list[int], week: int, **params):
    from sim import service
    from sim.parameters import resolve

    # Capacity in these tests is in contacts: first and trajectory contacts take the same hours, no triage.
    p = resolve(
        {
            "demand.give_up_per_week": 0.0,
            **service.FOUNDATION_RULES,
            "service.hours_first_contact": 2.0,
            "service.hours_per_contact": 2.0,
            **params,
        }
    )
    return service.serve(pop, service.queue(pop, week), np.array(capacity), week, p, np.random.default_rng(0))


@pytest.mark.parametrize("repeat_priority", [True, False])
def test_ongoing_clients_are_seen_before_new_requests_when_configured(repeat_priority):
    week = 10
    pop = tiny_population(2, [0, 0])
    wait_for_first(pop, 0, since=3)  # waited 7 weeks for a first contact
    wait_for_repeat(pop, 1, due=9)  # an ongoing client, due since last week
    out = serve_week(pop, [1], week, **{"service.repeat_priority": repeat_priority})
    assert list(out.served) == ([1] if repeat_priority else [0])


def test_first_requests_are_served_longest_waiting_first_within_capacity():
    week = 20
    pop = tiny_population(5, [0, 0, 0, 1, 1])
    for person, since in [(0, 18), (1, 12), (2, 15), (3, 19), (4, 20)]:
        wait_for_first(pop, person, since)
    out = serve_week(pop, [2, 5], week)
    assert sorted(out.served) == [1, 2, 3, 4]  # service point 0: the two longest waiting; 1: both
    assert sorted(week - pop.request_week[[1, 2, 3, 4]]) == sorted(out.first_wait)
    assert pop.state[0] == WAITING_FIRST and pop.contacts[0] == 0


def test_a_contact_moves_the_episode_forward_and_the_last_one_resolves_it():
    from sim.population import NONE, WAITING_REPEAT

    week = 5
    pop = tiny_population(2, [0, 0])
    wait_for_first(pop, 0, since=5, contacts=1)
    wait_for_first(pop, 1, since=5, contacts=3)
    out = serve_week(pop, [10], week)
    assert list(out.resolved) == [0] and pop.state[0] == NONE
    assert pop.state[1] == WAITING_REPEAT and pop.contacts_left[1] == 2 and pop.since[1] > week
    assert list(pop.contacts) == [1, 1]


def test_clients_give_up_only_after_waiting_a_full_week():
    week = 8
    pop = tiny_population(3, [0, 0, 0])
    wait_for_first(pop, 0, since=8)  # asked this week
    wait_for_first(pop, 1, since=7)  # asked last week
    wait_for_repeat(pop, 2, due=8)  # due this week
    out = serve_week(pop, [0], week, **{"demand.give_up_per_week": 1.0})
    assert list(out.dropped_first) == [1]
    assert len(out.dropped_repeat) == 0 and len(out.served) == 0
