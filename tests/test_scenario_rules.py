"""Scenario inheritance (`base`) and rules that tie parameters together."""

from __future__ import annotations

import tomllib

import pytest

from scenarios.loader import ScenarioError, load_scenario
from sim.parameters import PARAMETERS


def _write(path, name, base=None, body=""):
    text = f'[scenario]\nname = "{name}"\n' + (f'base = "{base}"\n' if base else "") + body
    path.write_text(text, encoding="utf-8")
    return path


def test_base_values_are_inherited_and_overridden(tmp_path):
    _write(tmp_path / "parent.toml", "parent", body="[demand]\nepisode_rate = 0.2\ncontacts_mean = 4.0\n")
    child = _write(tmp_path / "child.toml", "child", "parent", "[demand]\nepisode_rate = 0.3\n")
    params = load_scenario(child).params()
    assert params["demand.episode_rate"] == 0.3
    assert params["demand.contacts_mean"] == 4.0


def test_a_cycle_of_bases_is_an_error_naming_the_field(tmp_path):
    _write(tmp_path / "a.toml", "a", "b")
    _write(tmp_path / "b.toml", "b", "a")
    with pytest.raises(ScenarioError, match=r"scenario\.base.*cycle") as err:
        load_scenario(tmp_path / "a.toml")
    assert len(str(err.value)) < 600


def test_a_missing_base_names_the_field(tmp_path):
    child = _write(tmp_path / "child.toml", "child", "nowhere")
    with pytest.raises(ScenarioError, match=r"scenario\.base.*nowhere"):
        load_scenario(child)


def test_seek_help_min_above_max_is_rejected(tmp_path):
    path = _write(tmp_path / "s.toml", "s", body="[demand]\nseek_help_min = 0.8\nseek_help_max = 0.5\n")
    with pytest.raises(ScenarioError, match="seek_help_min"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="seek_help_min"):
        load_scenario("scenarios/baseline.toml", ["demand.seek_help_min=0.9"])


def test_shipped_scenarios_inherit_the_baseline():
    base = load_scenario("scenarios/baseline.toml").params()
    frozen = load_scenario("scenarios/budget-frozen.toml").params()
    differ = {k for k in base if base[k] != frozen[k]}
    assert differ == {"budget.mode", "budget.index"}


# ---- provenance: where each value of a resolved scenario came from -----------------------------------
def test_provenance_names_default_base_file_and_command_line(tmp_path):
    _write(tmp_path / "grand.toml", "grand", body="seed = 11\n[demand]\nepisode_rate = 0.2\n")  # seed: [scenario]
    _write(tmp_path / "parent.toml", "parent", "grand", "[demand]\ncontacts_mean = 4.0\n")
    child = _write(tmp_path / "child.toml", "child", "parent", "[demand]\nself_solve_share = 0.5\n")
    sc = load_scenario(child, ["run.years=2"]).with_overrides(["scenario.replications=3"], source="--replications")
    prov = sc.provenance()
    assert prov["demand.episode_rate"] == f"base scenario {tmp_path / 'grand.toml'}"  # the file that set it
    assert prov["demand.contacts_mean"] == f"base scenario {tmp_path / 'parent.toml'}"
    assert prov["demand.self_solve_share"] == f"file {child}"
    assert prov["run.years"] == "--set"
    assert prov["scenario.seed"] == f"base scenario {tmp_path / 'grand.toml'}"
    assert prov["scenario.replications"] == "--replications"
    assert prov["scenario.name"] == prov["scenario.base"] == f"file {child}"
    assert prov["scenario.city"] == prov["demand.give_up_per_week"] == "default"
    assert set(prov) >= set(PARAMETERS)


def test_resolved_scenario_records_provenance_and_round_trips(tmp_path):
    sc = load_scenario("scenarios/prevention-push.toml", ["run.scale=0.1"])
    sc = sc.with_overrides(["scenario.seed=7"], source="--seed")
    text = sc.to_toml()
    table = tomllib.loads(text)["provenance"]  # TOML-readable: one string per value
    assert table == sc.provenance()
    assert table["run.scale"] == "--set" and table["scenario.seed"] == "--seed"
    assert table["prevention.youth_factor_deprived"] == "file scenarios/prevention-push.toml"
    assert table["run.warmup_weeks"] == "base scenario scenarios/baseline.toml"
    copy = tmp_path / "scenario.toml"
    copy.write_text(text, encoding="utf-8")
    again = load_scenario(copy)  # [provenance] is accepted and ignored: the same scenario
    assert again.params() == sc.params() and again.meta == sc.meta
    # Loaded back, every value is the copy's own (it sets them all); its record says where they came from.
    assert set(again.provenance().values()) == {f"file {copy}"}


def test_a_provenance_that_is_not_a_table_is_an_error(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('provenance = "x"\n[scenario]\nname = "s"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="provenance"):
        load_scenario(path)
