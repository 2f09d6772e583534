"""Area-based need (sim/area_need.py): derived from the target groups of the simulated population."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from scenarios.loader import load_scenario
from sim import area_need
from sim.city import load_city
from sim.model import WelzijnModel
from sim.population import draw_registered

REPO = Path(__file__).resolve().parents[1]
SMALL = ["run.scale=0.05", "run.years=2", "run.warmup_weeks=0"]
SEED = 11


def _params(extra=()):
    return load_scenario(REPO / "scenarios" / "baseline.toml", SMALL + list(extra)).params()


def _run(params, add_youths_in: int | None = None):
    """Run two years; with `add_youths_in`, double that stadsdeel's youths at the end of year 0."""
    model = WelzijnModel(load_city(), params, SEED)
    while model.week < model.weeks:
        if add_youths_in is not None and model.week == 51:
            pop = model.population
            d = add_youths_in
            n = int(np.sum((pop.district == d) & (pop.age_band == area_need.YOUTH_BAND)))
            # Newcomers like the stadsdeel's residents, all aged 12-23 (a drawn stream of their own).
            cols = draw_registered(model.profiles[d], n, model.space, model.params, np.random.default_rng(1))
            cols["age_band"][:] = area_need.YOUTH_BAND
            cols["alone"][:] = False
            model.add_residents(cols, model.week)
        model.step()
    return model.results


def test_need_equals_today_at_todays_groups():
    params = _params()
    res = _run(params)
    np.testing.assert_allclose(res.area_need_by_year[0], res.area_fte_today, rtol=1e-12)
    np.testing.assert_allclose(res.target_reference, res.target_groups_by_year[0], rtol=1e-12)


def test_doubling_youths_in_one_stadsdeel_doubles_its_jongerenwerk_need_only():
    """Tolerance: Laak's jongerenwerk need in year 1 is 2x the control's within 12% (the newcomers' low-income
    share is drawn, so risk youths double only on average); every other stadsdeel's need for any type stays
    within 5% of the control run (same seed; the drivers' draws shift after the extra residents)."""
    params = _params()
    city = load_city()
    laak = city.stadsdelen.index("Laak")
    control = _run(params)
    treated = _run(params, add_youths_in=laak)
    jw = area_need.AREA_TYPES.index("jongerenwerk")
    youths = area_need.GROUPS.index("youths")
    ratio_youths = treated.target_groups_by_year[1, laak, youths] / control.target_groups_by_year[1, laak, youths]
    assert ratio_youths == pytest.approx(2.0, rel=0.05)
    ratio = treated.area_need_by_year[1, laak, jw] / control.area_need_by_year[1, laak, jw]
    assert ratio == pytest.approx(2.0, rel=0.12)
    others = [d for d in range(len(city.stadsdelen)) if d != laak]
    np.testing.assert_allclose(treated.area_need_by_year[1, others], control.area_need_by_year[1, others], rtol=0.05)
    # More residents in Laak: its opbouwwerk need rises too (the general half follows all residents).
    ob = area_need.AREA_TYPES.index("opbouwwerk")
    assert treated.area_need_by_year[1, laak, ob] > control.area_need_by_year[1, laak, ob] * 1.03


def test_need_is_linear_in_the_target_groups():
    p = {"area_need.youth_general_share": 0.5, "area_need.community_general_share": 0.5}
    ref = np.array([[100.0, 50.0, 1000.0, 300.0, 40.0]])
    today = np.array([[2.0, 3.0, 1.0]])
    np.testing.assert_allclose(area_need.need_fte(ref, ref, today, p), today)
    grown = ref * np.array([[2.0, 2.0, 1.0, 1.0, 3.0]])
    np.testing.assert_allclose(area_need.need_fte(grown, ref, today, p), [[4.0, 3.0, 3.0]])
    only_risk = ref * np.array([[1.0, 2.0, 1.0, 1.0, 1.0]])  # outreach half of jongerenwerk doubles
    np.testing.assert_allclose(area_need.need_fte(only_risk, ref, today, p)[0, 0], 3.0)


def test_more_unregistered_today_means_more_need_at_the_start():
    """unregistered.factor = 2 puts residents in the city who are not in today's coverage: need > today."""
    res = _run(_params(["unregistered.factor=2"]))
    laak = res.stadsdelen.index("Laak")
    assert (res.area_need_by_year[0, laak] > res.area_fte_today[laak] * 1.01).all()


def test_annual_columns_and_city_sums():
    res = _run(_params())
    sd, city = res.annual("stadsdeel"), res.annual("city")
    for col in (
        "youths",
        "risk_youths",
        "elderly_alone",
        "fte_need_jongerenwerk",
        "fte_area_need",
        "cost_area_need_eur",
        "fte_today_jongerenwerk_low",
        "fte_target_jongerenwerk",
    ):
        assert col in sd and col in city
    for y in sd.year.unique():
        assert sd[sd.year == y].fte_area_need.sum() == pytest.approx(float(city[city.year == y].fte_area_need.iloc[0]))
    assert (sd.fte_today_jongerenwerk_low <= sd.fte_today_jongerenwerk).all()
    assert (sd.fte_today_jongerenwerk <= sd.fte_today_jongerenwerk_high).all()
    assert res.annual("service_point").fte_area_need.isna().all()


@pytest.mark.slow
def test_staffing_and_run_commands_print_area_based_need(tmp_path):
    r = CliRunner().invoke(
        app,
        [
            "staffing",
            str(REPO / "scenarios" / "baseline.toml"),
            "--set",
            "run.scale=0.02",
            "--set",
            "run.years=1",
            "--set",
            "run.warmup_weeks=0",
            "--replications",
            "2",
            "--workers",
            "0",
            "--quiet",
            "--no-service-points",
            "--out",
            str(tmp_path / "s"),
        ],
    )
    assert r.exit_code == 0, r.output
    for text in (
        "Area-based work",
        "jongerenwerk need",
        "today jongerenwerk",
        "Both halves",
        "2026 both",
        "2026 incl. non-staff",
        "Laak",
    ):
        assert text in r.output, text
    # The area-based need comes from the searches' pilot runs: exactly the runs of a simulate study of the
    # same scenario under the mandate, with each replication's seed and parameter draw.
    from analysis.study.study import load_table, read_manifest, run_params, simulate_run

    manifest = read_manifest(tmp_path / "s")
    stored = load_table(tmp_path / "s", "annual").drop(columns="scenario")
    params = load_scenario(
        REPO / "scenarios" / "baseline.toml", ["run.scale=0.02", "run.years=1", "run.warmup_weeks=0"]
    ).params()
    options = manifest["identity"]["options"]
    assert len(options["parameter_draws"]) == 2  # priors drawn: the pilots differ in more than the seed
    for rep, seed in enumerate(manifest["seeds"]):
        run = run_params({**params, "budget.mode": "mandate"}, options, rep)
        expected = simulate_run("den_haag", run, seed)["annual"].reset_index(drop=True)
        got = stored[stored.replication == rep].drop(columns="replication").reset_index(drop=True)
        pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False)
    assert not (tmp_path / "s" / "area-need").exists()  # no second study of the same runs
    # A staffing study without the pilots' tables (written before they were stored) is refused clearly.
    import shutil

    shutil.rmtree(tmp_path / "s" / "outcomes" / "annual")
    small = ["--set", "run.scale=0.02", "--set", "run.years=1", "--set", "run.warmup_weeks=0", "--replications", "2"]
    r = CliRunner().invoke(
        app, ["staffing", str(REPO / "scenarios" / "baseline.toml"), *small, "--resume", "--out", str(tmp_path / "s")]
    )
    assert r.exit_code == 2 and "--force" in r.output, r.output
    r = CliRunner().invoke(
        app,
        [
            "run",
            str(REPO / "scenarios" / "baseline.toml"),
            "--set",
            "run.scale=0.02",
            "--set",
            "run.years=1",
            "--quiet",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "Area-based work, 2026" in r.output and "2026 EUR M" in r.output
