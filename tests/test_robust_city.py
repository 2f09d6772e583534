"""Generated broken city data files (issue 13): every field's type, range, finiteness and cross-field rules.

Hypothesis picks any `value = ...` of the shipped Den Haag file and puts a value there that no field
allows (NaN, infinity, negative, a list or a nested list, text, 1e300, ...), or a fraction where a count
is needed. Loading must raise CityDataError naming the file and the field; through the command line
(`validate` of a scenario whose `city` is that file) it must exit 2 with no traceback, and change no file.
`derandomize=True` keeps the examples the same on every run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_robust_inputs import assert_bad_input, invoke, snapshot

from sim.city import DATA_DIR, CityDataError, load_city

SOURCE = (DATA_DIR / "den_haag.toml").read_text(encoding="utf-8")
VALUE = re.compile(r"^(?P<key>\w+) = \{ value = (?P<value>\[[^\]]*\]|[^,]+),", flags=re.M)
SITES = list(VALUE.finditer(SOURCE))
COUNTS = {"wijken", "servicepunten", "total", "registered_population"}
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

never_allowed = st.sampled_from(
    [
        "nan",
        "inf",
        "-inf",
        "-1",
        "-0.5",
        "1e300",
        "-1e300",
        '"many"',
        "[[1.0]]",
        "[nan, 0.5]",
        "[-1.0, 2.0]",
        "[]",
        "true",
        "{ x = 1 }",
        "[1, [2]]",
    ]
)


def _with(site: re.Match, literal: str) -> str:
    return SOURCE[: site.start("value")] + literal + SOURCE[site.end("value") :]


def _expected_field(site: re.Match) -> str:
    return f"{site['key']}.value"


@SETTINGS
@given(i=st.integers(min_value=0, max_value=len(SITES) - 1), literal=never_allowed)
def test_generated_bad_city_values_name_file_and_field(tmp_path_factory, i, literal):
    site = SITES[i]
    path = tmp_path_factory.mktemp("city") / "broken.toml"
    path.write_text(_with(site, literal), encoding="utf-8")
    with pytest.raises(CityDataError) as err:
        load_city(path)
    message = str(err.value)
    assert str(path) in message
    assert _expected_field(site) in message or site["key"] in message, message


@SETTINGS
@given(
    i=st.sampled_from([k for k, s in enumerate(SITES) if s["key"] in COUNTS]),
    literal=st.sampled_from(["0.5", "2.25", "0", "-3"]),
)
def test_fractional_or_nonpositive_counts(tmp_path_factory, i, literal):
    site = SITES[i]
    path = tmp_path_factory.mktemp("count") / "broken.toml"
    path.write_text(_with(site, literal), encoding="utf-8")
    with pytest.raises(CityDataError, match=re.escape(site["key"])):
        load_city(path)


@pytest.mark.parametrize(
    "pattern,replacement,words",
    [
        (
            "integral_cost_per_fte = { value = 95000.0",
            "integral_cost_per_fte = { value = 0.0",
            ["integral_cost_per_fte"],
        ),
        (
            "integral_cost_per_fte = { value = 95000.0",
            "integral_cost_per_fte = { value = -95000.0",
            ["integral_cost_per_fte"],
        ),
        # The individual-support budget is welfare_subsidies - area_based_welfare: it must stay positive.
        (
            "welfare_subsidies = { value = 35.0e6",
            "welfare_subsidies = { value = 20.0e6",
            ["welfare_subsidies", "area_based_welfare", "individual support"],
        ),
        ('name = "Den Haag"', 'name = ""', ["city.name"]),
    ],
)
def test_cross_field_and_money_rules(tmp_path, pattern, replacement, words):
    assert pattern in SOURCE
    path = tmp_path / "broken.toml"
    path.write_text(SOURCE.replace(pattern, replacement, 1), encoding="utf-8")
    with pytest.raises(CityDataError) as err:
        load_city(path)
    for w in words:
        assert w in str(err.value), str(err.value)


def _scenario_for(tmp_path: Path, city: Path) -> Path:
    f = tmp_path / "sc.toml"
    f.write_text(f'[scenario]\nname = "sc"\ncity = "{city}"\n', encoding="utf-8")
    return f


@pytest.mark.slow
@SETTINGS
@given(i=st.integers(min_value=0, max_value=len(SITES) - 1), literal=never_allowed)
def test_cli_exits_2_on_any_broken_city(tmp_path_factory, i, literal):
    site = SITES[i]
    d = tmp_path_factory.mktemp("clicity")
    city = d / "broken.toml"
    city.write_text(_with(site, literal), encoding="utf-8")
    sc = _scenario_for(d, city)
    before = snapshot(d)
    assert_bad_input(invoke("run", sc, "--out", d / "out", "--quiet"), "scenario.city", site["key"])
    assert snapshot(d) == before


@pytest.mark.parametrize(
    "data,words",
    [
        (SOURCE.replace("Den Haag", "D\u00e9n Haag", 1).encode("latin-1", errors="replace"), ["UTF-8"]),
        (SOURCE.encode("utf-16"), ["UTF-8"]),
        (b"[city\n", ["not valid TOML"]),
        (("[city]\nx = " + "[" * 3000 + "]" * 3000 + "\n").encode(), ["nested"]),
    ],
)
def test_unreadable_city_files(tmp_path, data, words):
    path = tmp_path / "c.toml"
    path.write_bytes(data)
    with pytest.raises(CityDataError) as err:
        load_city(path)
    for w in words:
        assert w in str(err.value)
    assert_bad_input(invoke("validate", _scenario_for(tmp_path, path)), "scenario.city", *words)


def test_city_file_with_bom_loads(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeff".encode() + SOURCE.encode())
    assert load_city(path).registered_population.sum() == load_city("den_haag").registered_population.sum()
