"""Scenario files, `--set` overrides and the parameter table they are checked against."""

from __future__ import annotations

import math
import pickle
import tomllib

import pytest
from conftest import BASELINE, DATA, ROOT

from scenarios.loader import ScenarioError, load_scenario
from sim.parameters import PARAMETERS, Parameter, defaults, resolve

SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))

# Malformed scenario files in tests/data and the field (or words) the error message must name.
BAD_FILES = {
    "bad_toml.toml": ["not valid TOML", "line 2"],
    "bad_unknown_key.toml": ["demand.episode_rat", "episode_rate"],  # names the field and suggests
    "bad_unknown_section.toml": ["demnd", "demand"],
    "bad_out_of_range.toml": ["demand.episode_rate", "0.9", "0.5"],  # found and allowed
    "bad_wrong_type.toml": ["run.years", "ten"],
    "bad_missing_scenario.toml": ["[scenario]"],
    "bad_scenario_field.toml": ["scenario.owner"],
    "bad_scenario_seed.toml": ["scenario.seed", "-5"],
    "bad_choice.toml": ["budget.mode", "maybe", "mandate"],
    "bad_bool.toml": ["service.repeat_priority"],
    "bad_top_level.toml": ["years", "section"],
    "bad_city.toml": ["scenario.city", "atlantis"],
    "bad_nan.toml": ["demand.episode_rate", "nan"],  # valid TOML, not a number in range
    "bad_bool_replications.toml": ["scenario.replications", "True"],  # a bool is not a whole number
}

# Bad --set assignments and the words their message must contain.
BAD_SETS = {
    "no equals sign": ("run.years", ["run.years", "dotted.key=value"]),
    "empty key": ("=3", ["--set =3"]),
    "unknown section": ("nosuch.key=1", ["nosuch.key"]),
    "unknown key": ("demand.episode_rat=0.1", ["demand.episode_rat", "episode_rate"]),
    "out of range": ("run.scale=2", ["run.scale", "2"]),
    "infinite": ("run.scale=inf", ["run.scale", "inf"]),
    "nan": ("run.scale=nan", ["run.scale", "nan"]),
    "not a number": ("demand.episode_rate=lots", ["demand.episode_rate", "lots"]),
    "not whole": ("run.years=2.5", ["run.years", "2.5"]),
    "empty value": ("run.scale=", ["run.scale"]),
    "a list": ("run.scale=[0.1, 0.2]", ["run.scale"]),
    "bad choice": ("budget.mode=maybe", ["budget.mode", "maybe"]),
    "bad scenario field": ("scenario.owner=me", ["scenario.owner"]),
    "bad scenario value": ("scenario.replications=0", ["scenario.replications"]),
}


# ---- the parameter table ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(PARAMETERS))
def test_every_parameter_is_documented_and_its_default_allowed(name):
    p = PARAMETERS[name]
    assert p.name == name and name.count(".") == 1
    assert p.unit and p.source and p.doc
    assert p.check(p.default) == p.default
    if p.kind is dict:  # per-area tables: every entry in range
        assert all(p.low <= v <= p.high for v in p.default.values())
    elif p.low is not None:
        assert p.low <= p.default <= p.high
    if p.kind is str:
        assert p.default in p.choices


def test_resolve_checks_overrides():
    assert resolve() == defaults()
    assert resolve({"run.years": 3.0})["run.years"] == 3 and isinstance(resolve({"run.years": 3.0})["run.years"], int)
    with pytest.raises(KeyError, match="demand.nope"):
        resolve({"demand.nope": 1})
    with pytest.raises(ValueError, match="allowed range"):
        resolve({"run.scale": 0.0})
    with pytest.raises(ValueError):
        resolve({"run.years": True})  # a bool is not a whole number


def _count_checks(monkeypatch) -> list:
    calls = []
    check = Parameter.check

    def counting(self, value):
        calls.append(self.name)
        return check(self, value)

    monkeypatch.setattr(Parameter, "check", counting)
    return calls


def test_resolved_parameters_are_checked_once(monkeypatch):
    """resolve() merges defaults and checks; a Resolved it made is copied, not checked again (issue 8), so a
    staffing search's ~20 model runs do not re-check the parameters the search resolved."""
    r = resolve({"run.years": 3, "demand.episode_rate": 0.2})
    calls = _count_checks(monkeypatch)
    again = resolve(r)
    assert calls == [] and again == r and again is not r and again.checked
    assert pickle.loads(pickle.dumps(again)).checked  # to worker processes with the mark
    assert resolve(dict(r)) == r and len(calls) == len(PARAMETERS)  # a plain dict is checked
    calls.clear()
    again["run.scale"] = 0.0  # a change drops the mark: checked again, and refused
    assert not again.checked
    with pytest.raises(ValueError, match="allowed range"):
        resolve(again)
    table = resolve({"staffing.individual_support_by_stadsdeel": {"Laak": 2.0}})
    copy = resolve(table)
    copy["staffing.individual_support_by_stadsdeel"]["Laak"] = 3.0  # tables are copied, not shared
    assert table["staffing.individual_support_by_stadsdeel"] == {"Laak": 2.0}


def test_scenario_params_are_checked_once_and_follow_changes(monkeypatch):
    sc = load_scenario(BASELINE)
    sc.params()
    calls = _count_checks(monkeypatch)
    assert sc.params() == sc.params() and calls == []
    sc.overrides["run.years"] = 3  # a public dict: a change is seen (and checked)
    assert sc.params()["run.years"] == 3 and calls


# ---- loading ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenarios_load(path):
    sc = load_scenario(path)
    assert sc.name and sc.path == path
    assert set(sc.params()) == set(PARAMETERS)


def test_baseline_sets_what_the_file_says_and_defaults_elsewhere():
    raw = tomllib.loads(BASELINE.read_text(encoding="utf-8"))
    sc = load_scenario(BASELINE)
    meta = raw.pop("scenario")
    assert sc.name == meta["name"] == "baseline"
    assert sc.meta.seed == meta["seed"]
    params = sc.params()
    from_file = {f"{group}.{key}": value for group, section in raw.items() for key, value in section.items()}
    assert from_file, "baseline sets some parameters"
    for name, value in params.items():
        assert value == from_file.get(name, PARAMETERS[name].default), name


def test_minimal_scenario_is_all_defaults():
    sc = load_scenario(DATA / "scenario_minimal.toml")
    assert sc.overrides == {}
    assert sc.params() == defaults()
    assert sc.meta.city == "den_haag" and sc.meta.replications == 1


def test_scenario_by_name_finds_the_shipped_file():
    assert load_scenario("baseline").path.resolve() == BASELINE.resolve()


def test_overrides_apply_are_coerced_and_win_over_the_file():
    sc = load_scenario(
        BASELINE,
        [
            "run.years=2",
            "run.scale=0.05",
            "demand.episode_rate=0.2",
            "budget.mode=budget",
            "service.repeat_priority=false",
            "scenario.seed=7",
            "run.years=3.0",
        ],
    )
    p = sc.params()
    assert p["run.years"] == 3 and isinstance(p["run.years"], int)  # the last assignment wins
    assert p["run.scale"] == 0.05 and p["demand.episode_rate"] == 0.2
    assert p["budget.mode"] == "budget" and p["service.repeat_priority"] is False
    assert sc.meta.seed == 7
    assert load_scenario(BASELINE).params()["run.scale"] == 1.0  # the file itself is untouched


@pytest.mark.parametrize(
    "path", SHIPPED + [DATA / "scenario_minimal.toml"], ids=[p.stem for p in SHIPPED] + ["minimal"]
)
def test_resolved_scenario_round_trips(tmp_path, path):
    """`to_toml` (written next to the results as scenario.toml) loads back to the same scenario."""
    sc = load_scenario(path, ["run.years=2"])
    copy = tmp_path / "scenario.toml"
    copy.write_text(sc.to_toml(), encoding="utf-8")
    again = load_scenario(copy)
    assert again.params() == sc.params()
    assert again.meta == sc.meta


# ---- errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(BAD_FILES))
def test_malformed_file_raises_naming_file_and_field(name):
    path = DATA / name
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert str(path) in message
    for word in BAD_FILES[name]:
        assert word in message, f"{word!r} not in: {message}"


@pytest.mark.parametrize("case", list(BAD_SETS))
def test_bad_set_raises_naming_the_field(case):
    assignment, words = BAD_SETS[case]
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASELINE, [assignment])
    message = str(err.value)
    assert "--set" in message
    for word in words:
        assert word in message, f"{word!r} not in: {message}"


def test_missing_file_lists_the_shipped_scenarios(tmp_path):
    with pytest.raises(ScenarioError, match="baseline"):
        load_scenario(tmp_path / "nope.toml")


def test_parameter_check_rejects_nan_and_infinity():
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError):
            PARAMETERS["demand.episode_rate"].check(value)
