"""Scenario inheritance (`base`) and rules that tie parameters together."""

from __future__ import annotations

import pytest

from scenarios.loader import ScenarioError, load_scenario


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
