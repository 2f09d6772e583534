"""The population's indexes equal full scans at all times: open episodes (`Population.open_ids`) and the
week's episode events (`Population.episodes_due`).

The queue, the hidden-episode ends and the weekly record read open episodes from an index, and the demand
step reads the week's events from a calendar, instead of scanning the whole population. They are exact only
if every change goes through `Population.set_state` and `Population.set_next_episode`: property tests drive
them with random changes, a run with every mechanism checks them after each week, and an ast scan makes sure
no code writes either column directly.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
from conftest import uniform_population
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.loader import load_scenario
from sim import load_city
from sim.model import WelzijnModel
from sim.population import HIDDEN, NONE, WAITING_FIRST, WAITING_REPEAT, Population

ROOT = Path(__file__).resolve().parents[1]
STATES = (NONE, HIDDEN, WAITING_FIRST, WAITING_REPEAT)


def _population(n: int) -> Population:
    return uniform_population(n)


def _scan(pop: Population) -> np.ndarray:
    return np.flatnonzero(pop.state != NONE)


changes_st = st.lists(
    st.tuples(
        st.sampled_from(["ids", "mask", "slice", "scalar"]),
        st.lists(st.integers(0, 59), max_size=12),
        st.sampled_from(STATES),
        st.booleans(),  # ask for the ids after this change
    ),
    max_size=40,
)


@given(changes=changes_st)
@settings(max_examples=200)
def test_open_ids_equal_a_full_scan_after_any_sequence_of_state_changes(changes):
    pop = _population(60)
    for how, ids, state, ask in changes:
        if how == "ids":
            pop.set_state(np.array(ids, dtype=np.int64), state)
        elif how == "mask":
            pop.set_state(np.isin(np.arange(60), ids), state)
        elif how == "slice":
            pop.set_state(slice(min(ids, default=0), max(ids, default=0)), state)
        elif ids:
            pop.set_state(ids[0], state)
        if ask:
            np.testing.assert_array_equal(pop.open_ids(), _scan(pop))
    np.testing.assert_array_equal(pop.open_ids(), _scan(pop))


calendar_st = st.lists(
    st.tuples(
        st.lists(st.integers(0, 59), max_size=12),  # residents rescheduled
        st.lists(st.integers(0, 40), min_size=12, max_size=12),  # weeks ahead of the current one
        st.integers(0, 3),  # weeks the clock then moves on (0: ask again in the same week)
    ),
    max_size=40,
)


@given(changes=calendar_st, start=st.integers(-30, 30))
@settings(max_examples=200)
def test_episodes_due_equal_a_full_scan_whatever_the_rescheduling(changes, start):
    pop = _population(60)
    rng = np.random.default_rng(0)
    week = start
    pop.set_next_episode(np.arange(60), (week + rng.integers(0, 30, 60)).astype(np.int32))
    for ids, ahead, step in changes:
        ids = np.array(ids, dtype=np.int64)
        pop.set_next_episode(ids, (week + np.array(ahead[: len(ids)])).astype(np.int32))
        np.testing.assert_array_equal(pop.episodes_due(week), np.flatnonzero(pop.next_episode == week))
        week += step


def test_newcomers_start_closed_and_are_indexed_once_their_episode_opens():
    pop = _population(10)
    pop.set_state(np.array([3, 7]), HIDDEN)
    new = pop.append({name: getattr(pop, name)[:4] for name in ("district", "cell", "age_band", "kind")})
    np.testing.assert_array_equal(pop.open_ids(), [3, 7])
    pop.set_state(new[[1, 3]], WAITING_FIRST)
    np.testing.assert_array_equal(pop.open_ids(), [3, 7, 11, 13])


def test_the_index_matches_a_full_scan_every_week_of_a_run_with_every_mechanism():
    params = load_scenario(ROOT / "scenarios" / "baseline.toml").params()
    params.update({"run.scale": 0.03, "run.years": 2, "run.warmup_weeks": 13})
    for m in ("drivers", "prevention", "informal", "deployment", "escalation"):
        params[f"{m}.enabled"] = True
    model = WelzijnModel(load_city("den_haag"), params, seed=5)
    weeks = opened = fired = 0
    while model.week < model.weeks:
        model.step()
        pop = model.population
        ids = pop.open_ids()
        np.testing.assert_array_equal(ids, _scan(pop), err_msg=f"week {model.week}")
        due = pop.episodes_due(model.week)  # the week about to be stepped (asking early changes nothing)
        np.testing.assert_array_equal(due, np.flatnonzero(pop.next_episode == model.week), err_msg=f"{model.week}")
        weeks, opened, fired = weeks + 1, max(opened, len(ids)), fired + len(due)
    assert weeks > 100 and opened > 0 and fired > 100  # the checks ran through a run with episodes


def test_no_code_writes_the_indexed_columns_except_through_their_setters():
    writers = []
    for folder in ("sim", "analysis", "app", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                targets = node.targets if isinstance(node, ast.Assign) else getattr(node, "target", None)
                for target in targets if isinstance(targets, list) else [targets]:
                    for t in ast.walk(target) if target is not None else ():
                        if (
                            isinstance(t, ast.Subscript)
                            and isinstance(t.value, ast.Attribute)
                            and t.value.attr in ("state", "next_episode")
                        ):
                            writers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    allowed = {p for p in writers if p.startswith("sim/population.py")}
    assert set(writers) - allowed == set(), "write with Population.set_state / set_next_episode"
    assert allowed, "the scan found no write at all: it would not see a direct one either"
