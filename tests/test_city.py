"""The city data set: loading, derived tables, and errors that name the file and the field."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sim.city import AREA_WORK_TYPES, DATA_DIR, WORK_TYPES, CityDataError, load_city

DEN_HAAG = DATA_DIR / "den_haag.toml"
STADSDELEN = [
    "Centrum",
    "Escamp",
    "Haagse Hout",
    "Laak",
    "Leidschenveen-Ypenburg",
    "Loosduinen",
    "Scheveningen",
    "Segbroek",
]  # the eight stadsdelen of Den Haag (domain README)


def raw_data() -> dict:
    return tomllib.loads(DEN_HAAG.read_text(encoding="utf-8"))


# ---- the data set as shipped --------------------------------------------------------------------
def test_den_haag_has_its_eight_stadsdelen(city):
    assert city.name == "Den Haag"
    assert sorted(city.stadsdelen) == STADSDELEN


def test_load_by_name_and_by_path_agree(city):
    by_path = load_city(DEN_HAAG)
    assert by_path.stadsdelen == city.stadsdelen
    np.testing.assert_array_equal(by_path.registered_population, city.registered_population)


def test_registered_population_sums_to_city_total(city):
    total = raw_data()["city"]["registered_population"]["value"]
    assert total == 565_701
    assert city.registered_population.dtype.kind == "i"
    assert int(city.registered_population.sum()) == 565_701


def test_stadsdelen_are_scaled_proportionally_to_the_city_total(city):
    """The stadsdeel rows come from different years; each is scaled by the same factor (±1 person)."""
    raw = np.array([s["population"]["value"] for s in raw_data()["stadsdeel"]], dtype=float)
    exact = raw * 565_701 / raw.sum()
    assert np.all(np.abs(city.registered_population - exact) < 1.0)


def test_scaling_to_city_total_can_be_switched_off(tmp_path):
    text = DEN_HAAG.read_text(encoding="utf-8")
    assert "scale_stadsdelen_to_city_total = true" in text
    path = tmp_path / "unscaled.toml"
    path.write_text(
        text.replace("scale_stadsdelen_to_city_total = true", "scale_stadsdelen_to_city_total = false"),
        encoding="utf-8",
    )
    raw = np.array([s["population"]["value"] for s in raw_data()["stadsdeel"]])
    np.testing.assert_array_equal(load_city(path).registered_population, np.round(raw))


def test_unregistered_range_follows_uplift_and_kind_shares(city):
    data = raw_data()
    uplift = np.array([s["unregistered_uplift"]["value"] for s in data["stadsdeel"]])
    kinds = np.array(data["unregistered"]["kind_shares"]["value"])
    reg = city.registered_population
    rng_ = city.unregistered_range
    assert rng_.shape == (len(city.stadsdelen), len(city.kind_names), 2)
    np.testing.assert_allclose(rng_.sum(axis=1), reg[:, None] * uplift)
    np.testing.assert_allclose(
        rng_[..., 0] / rng_[..., 0].sum(axis=1, keepdims=True), np.broadcast_to(kinds, rng_[..., 0].shape)
    )


@pytest.mark.parametrize("position", [0.0, 0.25, 0.5, 1.0])
@pytest.mark.parametrize("factor", [0.0, 1.0, 2.0])
def test_unregistered_counts_interpolate_the_range(city, position, factor):
    lo, hi = city.unregistered_range[..., 0], city.unregistered_range[..., 1]
    counts = city.unregistered_counts(position, factor)
    assert counts.dtype.kind == "i" and counts.shape == lo.shape
    # Whole persons: within rounding of the exact interpolated value.
    assert np.all(np.abs(counts - (lo + position * (hi - lo)) * factor) <= 0.5)


def test_unregistered_counts_grow_with_position(city):
    low, mid, high = (city.unregistered_counts(p).sum() for p in (0.0, 0.5, 1.0))
    assert low < mid < high


def test_current_fte_is_derived_from_the_budget(city):
    """Today's FTE (an estimate) spends the budget as the data file says, per work type."""
    b = raw_data()["budget"]
    cost = b["integral_cost_per_fte"]["value"]
    fte = city.current_fte
    assert fte.shape == (len(city.stadsdelen), len(WORK_TYPES))
    assert np.all(fte > 0)
    individual = (b["welfare_subsidies"]["value"] - b["area_based_welfare"]["value"]) / cost
    area = b["area_based_welfare"]["value"] * b["area_based_staff_share"]["value"] / cost
    expected = [individual] + [area * s for s in b["area_based_type_shares"]["value"]]
    np.testing.assert_allclose(fte.sum(axis=0), expected, rtol=1e-12)
    assert len(AREA_WORK_TYPES) == len(b["area_based_type_shares"]["value"])


def test_more_deprived_stadsdelen_get_more_individual_support_per_resident(city):
    per_resident = city.current_fte[:, 0] / city.registered_population
    low_income = city.share("low_income")
    # The allocation weight is increasing in the low-income share, so the orders agree.
    assert list(np.argsort(per_resident)) == list(np.argsort(low_income))


# ---- broken copies of the data file ---------------------------------------------------------------
def broken_copy(tmp_path: Path, pattern: str, replacement: str) -> Path:
    """den_haag.toml with the first match of `pattern` replaced; fails loudly if nothing matched."""
    text, n = re.subn(pattern, replacement, DEN_HAAG.read_text(encoding="utf-8"), count=1, flags=re.M)
    assert n == 1, f"pattern {pattern!r} not found in {DEN_HAAG}: update this test to the data file"
    path = tmp_path / "broken_city.toml"
    path.write_text(text, encoding="utf-8")
    return path


BROKEN = {
    # case: (pattern, replacement, words the message must contain)
    "kind shares do not sum to 1": (
        r"^(kind_shares = \{ value = )\[[^\]]*\]",
        r"\1[0.5, 0.5, 0.5, 0.5]",
        ["unregistered", "kind_shares", "sum to 1"],
    ),
    "age shares do not sum to 1": (
        r"^(age_shares = \{ value = )\[[^\]]*\]",
        r"\1[0.5, 0.5, 0.5, 0.5, 0.5]",
        ["stadsdeel.0.age_shares", "sum to 1"],
    ),
    "area type shares do not sum to 1": (
        r"^(area_based_type_shares = \{ value = )\[[^\]]*\]",
        r"\1[0.4, 0.4, 0.4]",
        ["budget.area_based_type_shares"],
    ),
    "unknown key in [city]": (r"^\[city\]$", '[city]\nmayor = "Jan van Zanen"', ["city.mayor"]),
    "unknown key in a stadsdeel": (
        r"^(wijken = .*)$",
        r"\1\nbuurten = { value = 20, unit = 'buurten', source = 'estimate' }",
        ["stadsdeel.0.buurten"],
    ),
    "share above 1": (r"^(low_income = \{ value = )[0-9.]+", r"\g<1>1.4", ["stadsdeel.0.low_income"]),
    "uplift range reversed": (
        r"^(unregistered_uplift = \{ value = )\[[^\]]*\]",
        r"\1[0.09, 0.06]",
        ["stadsdeel.0.unregistered_uplift"],
    ),
    "number without a source": (
        r"^(population = \{ value = [0-9]+, unit = \"persons\"), source = \"[^\"]*\"",
        r"\1",
        ["stadsdeel.0.population.source"],
    ),
    "wrong type": (r"^(population = \{ value = )[0-9]+", r"\1'many'", ["stadsdeel.0.population.value"]),
    "servicepunten do not add up": (r"^(total = \{ value = )[0-9]+", r"\g<1>99", ["servicepunten", "99"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_city_file_raises_city_data_error_naming_the_field(tmp_path, case):
    pattern, replacement, words = BROKEN[case]
    path = broken_copy(tmp_path, pattern, replacement)
    with pytest.raises(CityDataError) as err:
        load_city(path)
    message = str(err.value)
    assert str(path) in message
    for word in words:
        assert word in message, f"{case}: {word!r} not in message:\n{message}"


def test_city_file_that_is_not_toml(tmp_path):
    path = tmp_path / "city.toml"
    path.write_text("[city\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(CityDataError, match="not valid TOML"):
        load_city(path)


def test_unknown_city_lists_the_known_ones():
    with pytest.raises(CityDataError, match="den_haag"):
        load_city("atlantis")


def test_whole_file_check_gives_a_short_message_naming_the_field(tmp_path):
    path = broken_copy(tmp_path, r"^(total = \{ value = )[0-9]+", r"\g<1>99")
    with pytest.raises(CityDataError) as err:
        load_city(path)
    message = str(err.value)
    assert "servicepunten.total" in message
    assert "field ''" not in message
    assert len(message) < 1000


def test_the_city_file_is_parsed_once_per_process(tmp_path):
    """load_city caches the parsed City by file and content (issue 8): loading a scenario with a base and
    checking its per-area tables, and every run afterwards, share one parse; a changed file is read anew."""
    from scenarios.loader import load_scenario
    from sim.city import _parse_city

    _parse_city.cache_clear()
    sc = load_scenario("scenarios/prevention-push.toml", ["staffing.individual_support_by_stadsdeel={Laak=2}"])
    assert sc.city() is load_city("den_haag")
    assert _parse_city.cache_info().misses == 1
    path = tmp_path / "city.toml"
    text = (DATA_DIR / "voorbeeldstad.toml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = load_city(path)
    assert load_city(path) is first
    path.write_text(text.replace('name = "Voorbeeldstad"', 'name = "Anderstad"', 1), encoding="utf-8")
    assert load_city(path).name == "Anderstad"  # rewritten at once (same clock tick): still read anew
