"""Costs and benefits that hold up (issue 10): escalation by route and payer, lever costs, paired B/C.

Every test runs the model at small scale with fixed seeds; identities are exact (floating-point
tolerance 1e-9 relative), comparisons between runs state their direction.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.city import load_city
from sim.mechanisms.escalation import KINDS, PAYERS, ROUTES, STAFFING_ROUTES, case_costs
from sim.model import run_model
from sim.parameters import resolve

SEED = 11
SMALL = {"run.scale": 0.05, "run.years": 2, "run.warmup_weeks": 13}
ALL_ON = {f"{m}.enabled": True for m in ("drivers", "prevention", "informal", "deployment", "escalation")}


@pytest.fixture(scope="module")
def city():
    return load_city("den_haag")


@pytest.fixture(scope="module")
def all_on(city):
    return run_model(city, {**SMALL, **ALL_ON, "informal.earmark": 0.1}, SEED)


def test_escalation_cost_by_route_and_by_payer_sums_to_the_total(all_on):
    c = all_on.counters
    total = c["escalation_cost"]
    assert total.sum() > 0
    np.testing.assert_allclose(sum(c[f"escalation_cost_{r}"] for r in ROUTES), total, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(sum(c[f"escalation_cost_{x}"] for x in PAYERS), total, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(sum(c[f"escalations_{r}"] for r in ROUTES), c["escalations"], rtol=1e-9)
    a = all_on.annual("city")
    np.testing.assert_allclose(
        a.escalation_cost_staffing, sum(a[f"escalation_cost_{r}"] for r in STAFFING_ROUTES), rtol=1e-9
    )
    assert (a.escalation_cost_staffing < a.escalation_cost).all()


def test_informal_help_can_escalate(all_on):
    assert all_on.counters["informal_helped"].sum() > 0
    assert all_on.counters["escalations_informal"].sum() > 0


def test_escalation_books_annual_unit_cost_times_duration():
    p = resolve({"escalation.years_wmo": 3.0})
    costs = case_costs(p)
    assert costs[KINDS.index("wmo")] == pytest.approx(3.0 * p["escalation.cost_wmo"])
    assert costs[KINDS.index("eviction")] == pytest.approx(p["escalation.cost_eviction"])  # one-off per case


@pytest.mark.slow
def test_longer_durations_raise_escalation_cost_in_proportion(city):
    """Same seed: the same escalations happen, only their price changes (CRN), so cost scales exactly."""
    params = {**SMALL, "escalation.enabled": True}
    base = run_model(city, params, SEED)
    longer = run_model(
        city,
        {
            **params,
            **{f"escalation.years_{k}": 2 * resolve()[f"escalation.years_{k}"] for k in KINDS if k != "eviction"},
        },
        SEED,
    )
    np.testing.assert_array_equal(base.counters["escalations"], longer.counters["escalations"])
    assert longer.counters["escalation_cost"].sum() > 1.5 * base.counters["escalation_cost"].sum()


# ---- every lever carries its cost ----------------------------------------------------------------------
from analysis.staffing.levers import LEVERS, NOT_CAPACITY, benefit_cost, reallocated_eur  # noqa: E402
from sim.parameters import PARAMETERS  # noqa: E402

LEVER_RUN = {"run.scale": 0.05, "run.years": 2, "run.warmup_weeks": 0, **ALL_ON, "deployment.pool_share": 0.0}
BUDGET = {"budget.mode": "budget", "budget.index": "frozen", "budget.ravijnjaar_year": 2026}
# lever -> (settings without it, settings with it)
LEVER_CASES = {
    "staffing.individual_support_factor": ({}, {"staffing.individual_support_factor": 1.2}),
    "staffing.area_based_factor": ({}, {"staffing.area_based_factor": 1.2}),
    "staffing.individual_support_by_stadsdeel": ({}, {"staffing.individual_support_by_stadsdeel": {"Laak": 2.0}}),
    "staffing.area_based_by_stadsdeel": ({}, {"staffing.area_based_by_stadsdeel": {"Escamp": 1.5}}),
    "staffing.individual_support_by_servicepunt": (
        {},
        {"staffing.individual_support_by_servicepunt": {"SPXL Laak 1": 2}},
    ),
    "prevention.youth_factor_deprived": ({}, {"prevention.youth_factor_deprived": 3.0}),
    "prevention.push_funding": ({}, {"prevention.youth_factor_deprived": 3.0, "prevention.push_funding": "reallocate"}),
    "informal.earmark": ({}, {"informal.earmark": 0.1}),
    "deployment.pool_share": ({}, {"deployment.pool_share": 0.3}),
    "budget.ravijnjaar_cut": (BUDGET, {**BUDGET, "budget.ravijnjaar_cut": 0.15}),
    "budget.azwa_extra": (BUDGET, {**BUDGET, "budget.azwa_extra": 2e6}),
}


def test_every_scenario_lever_is_priced_or_says_why_not():
    levers = {n for n, p in PARAMETERS.items() if p.source.startswith("scenario lever")}
    missing = levers - set(LEVERS) - set(NOT_CAPACITY)
    assert not missing, f"levers without a price in analysis/staffing/levers.py: {sorted(missing)}"
    assert set(LEVER_CASES) == set(LEVERS), "every priced lever has a paired case below"


def _capacity(res) -> np.ndarray:
    return np.array(
        [
            res.counters["contact_capacity"].sum(),
            res.area_fte_by_year.sum(),
            res.counters["hours_moved_in"].sum() if "hours_moved_in" in res.counters else 0.0,
            res.fte_factor_by_year.sum(),
            *res.fte.to_numpy().sum(axis=0),
        ]
    )


@pytest.mark.slow
@pytest.mark.parametrize("lever", sorted(LEVER_CASES))
def test_a_costless_lever_is_impossible(city, lever):
    """Paired runs (same seed): a lever that changes capacity changes its cost line (never zero)."""
    without, with_ = LEVER_CASES[lever]
    a = run_model(city, {**LEVER_RUN, **without}, SEED)
    b = run_model(city, {**LEVER_RUN, **with_}, SEED)
    assert not np.allclose(_capacity(a), _capacity(b)), "the lever case must change capacity"
    moved = reallocated_eur(a, b) if LEVERS[lever].cost == "reallocated_eur" else None
    row = benefit_cost(a.annual("city"), b.annual("city"), lever, moved_eur=moved)
    assert abs(row["cost_eur"]) > 1.0, row  # EUR over two years, whole city


@pytest.mark.slow
def test_paired_benefit_cost_equals_the_difference_of_the_two_runs_totals(city):
    """B/C from paired runs: net benefit = escalation A - escalation B and cost = spending B - spending A,
    recomputed here from the raw weekly counters (not the annual table the function reads)."""
    a = run_model(city, LEVER_RUN, SEED)
    b = run_model(city, {**LEVER_RUN, "staffing.individual_support_factor": 1.5}, SEED)
    row = benefit_cost(a.annual("city"), b.annual("city"), "staffing.individual_support_factor")

    def escalation(res):
        return res.counters["escalation_cost"].sum() / res.scale

    def spending(res):
        fte = (res.sp_fte_by_year.sum(axis=1) + res.area_fte_by_year.sum(axis=1)) * res.fte_factor_by_year
        earmark = res.counters["earmark_eur"].sum() / res.scale if "earmark_eur" in res.counters else 0.0
        return float((fte * res.cost_per_fte * res.cost_index[: res.years]).sum()) + earmark

    assert row["benefit_net_eur"] == pytest.approx(escalation(a) - escalation(b), rel=1e-9)
    assert row["cost_eur"] == pytest.approx(spending(b) - spending(a), rel=1e-9)
    assert row["bc_net"] == pytest.approx(row["benefit_net_eur"] / row["cost_eur"], rel=1e-12)
    assert row["cost_eur"] > 0 and row["benefit_gross_eur"] > 0


# ---- check-model --levers ------------------------------------------------------------------------------
@pytest.mark.slow
def test_check_model_levers_prints_paired_benefit_cost(tmp_path):
    """The command docs/scenarios.md shows, at a tiny scale, with a one-target file (the face targets kept)."""
    from typer.testing import CliRunner

    from analysis.cli import app

    text = (Path(__file__).parents[1] / "analysis/validation/targets.toml").read_text(encoding="utf-8")
    head = text.split("[[lever_target]]")[0]
    one = head + (
        '[[lever_target]]\nname = "support_bc_gross"\nlabel = "support +50%"\n'
        'lever = "staffing.individual_support_factor"\nset = { "staffing.individual_support_factor" = 1.5 }\n'
        'column = "bc_gross"\nlow = 1.2\nhigh = 2.0\nsource = "SEOR 1.6"\n'
    )
    targets = tmp_path / "targets.toml"
    targets.write_text(one, encoding="utf-8")
    out = CliRunner().invoke(
        app,
        [
            "check-model",
            "scenarios/baseline.toml",
            "--set",
            "run.scale=0.03",
            "--set",
            "run.years=1",
            "--set",
            "run.warmup_weeks=0",
            "--levers",
            "--quiet",
            "--targets",
            str(targets),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "Levers: benefit/cost from paired runs" in out.output and "support +50%: bc_gross" in out.output


def test_bad_lever_target_names_file_and_field(tmp_path):
    from analysis.validation.lever_check import load_lever_targets

    bad = tmp_path / "t.toml"
    bad.write_text(
        '[[lever_target]]\nname = "x"\nlabel = "x"\nlever = "staffing.nonsense"\nset = {}\n'
        'column = "bc_gross"\nlow = 1\nhigh = 2\nsource = "s"\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"t.toml: lever_target\[0\] \(x\): field 'lever'"):
        load_lever_targets(bad)


# ---- per-area levers ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_laak_double_changes_laak_only(city):
    """staffing.individual_support_by_stadsdeel = { Laak = 2 }: Laak's FTE double, every other stadsdeel's posts
    and (service points uncoupled: no pool, no informal) weekly numbers stay identical (common random numbers)."""
    params = {"run.scale": 0.05, "run.years": 2, "escalation.enabled": True}
    base = run_model(city, params, SEED)
    laak = run_model(city, {**params, "staffing.individual_support_by_stadsdeel": {"Laak": 2.0}}, SEED)
    d = list(city.stadsdelen).index("Laak")
    ratio = laak.fte["individual_support"] / base.fte["individual_support"]
    assert ratio.iloc[d] == pytest.approx(2.0, rel=0.05)  # whole workers: contract hours are drawn
    others = np.flatnonzero(base.sp_district != d)
    assert ratio.drop(index="Laak").eq(1.0).all()
    for name in ("contacts", "first_contacts", "dropped_first", "escalation_cost"):
        np.testing.assert_array_equal(base.counters[name][:, others], laak.counters[name][:, others], err_msg=name)
    at_laak = np.flatnonzero(base.sp_district == d)
    assert (
        laak.counters["contact_capacity"][:, at_laak].sum() > 1.8 * base.counters["contact_capacity"][:, at_laak].sum()
    )


@pytest.mark.slow
def test_per_servicepunt_lever_and_scalar_factor_still_work(city):
    params = {"run.scale": 0.05, "run.years": 1}
    one = run_model(city, {**params, "staffing.individual_support_by_servicepunt": {"SPXL Laak 1": 3.0}}, SEED)
    base = run_model(city, params, SEED)
    i = list(base.service_points).index("SPXL Laak 1")
    assert one.sp_fte[i] == pytest.approx(3 * base.sp_fte[i], rel=0.1)
    assert np.delete(one.sp_fte, i).tolist() == np.delete(base.sp_fte, i).tolist()
    scalar = run_model(city, {**params, "staffing.individual_support_factor": 2.0}, SEED)
    assert scalar.sp_fte.sum() == pytest.approx(2 * base.sp_fte.sum(), rel=0.05)


@pytest.mark.parametrize(
    "value, message",
    [
        ("{Lak=2}", r"field 'staffing.individual_support_by_stadsdeel' has stadsdeel 'Lak'.*Allowed: Centrum, .*Laak"),
        ("2", r"expected a table"),
        ("{Laak=-1}", r"entry 'Laak': -1 is outside the allowed range"),
    ],
)
def test_bad_per_area_table_names_field_and_allowed_stadsdelen(value, message):
    from scenarios.loader import ScenarioError, load_scenario

    with pytest.raises(ScenarioError, match=message):
        load_scenario("baseline", [f"staffing.individual_support_by_stadsdeel={value}"])


def test_bad_per_area_key_in_a_file_names_the_file(tmp_path):
    from scenarios.loader import ScenarioError, load_scenario

    f = tmp_path / "bad.toml"
    f.write_text(
        '[scenario]\nname = "bad"\n[staffing]\nindividual_support_by_servicepunt = { "SPXL Laak 9" = 2 }\n',
        encoding="utf-8",
    )
    with pytest.raises(
        ScenarioError,
        match=r"bad.toml: field 'staffing.individual_support_by_servicepunt' has "
        r"Servicepunt XL 'SPXL Laak 9'.*SPXL Laak 2",
    ):
        load_scenario(f)


@pytest.mark.slow
def test_study_variant_with_a_per_stadsdeel_table_runs(tmp_path):
    """The docs' `study --variant 'laak2:staffing.individual_support_by_stadsdeel={Laak=2}'`, tiny and serial."""
    from typer.testing import CliRunner

    from analysis.cli import app

    out = CliRunner().invoke(
        app,
        [
            "study",
            "scenarios/baseline.toml",
            "--variant",
            "laak2:staffing.individual_support_by_stadsdeel={Laak=2}",
            "--out",
            str(tmp_path / "s2"),
            "--set",
            "run.scale=0.03",
            "--set",
            "run.years=1",
            "--set",
            "run.warmup_weeks=0",
            "--replications",
            "1",
            "--workers",
            "0",
            "--quiet",
        ],
    )
    assert out.exit_code == 0, out.output
    # compare shows the escalation split and the lever prices by default; other stadsdelen exactly unchanged
    cmp = CliRunner().invoke(
        app,
        [
            "compare",
            str(tmp_path / "s2"),
            str(tmp_path / "s2"),
            "--scenario-a",
            "baseline",
            "--scenario-b",
            "laak2",
            "--level",
            "stadsdeel",
        ],
    )
    assert cmp.exit_code == 0, cmp.output
    block = cmp.output.split("escalation_cost_staffing (EUR M)")[1].split("\n\n")[0]
    assert re.search(r"Centrum\s+0\.00 \[0\.00, 0\.00\]", block) and "Laak" in block
    bad = CliRunner().invoke(
        app,
        [
            "study",
            "scenarios/baseline.toml",
            "--variant",
            "x:staffing.individual_support_by_stadsdeel={Lak=2}",
            "--out",
            str(tmp_path / "s3"),
        ],
    )
    assert bad.exit_code == 2 and "Did you mean 'Laak'" in bad.output


@pytest.mark.slow
def test_scenario_report_runs_and_pairs_by_seed():
    """`python -m analysis.staffing.scenario_report` (docs/scenarios.md), tiny: tables for the scenarios asked for."""
    from analysis.staffing.scenario_report import report, run_pairs

    d = run_pairs(0.03, 1, years=1, scenarios=["laak-double", "housing-crisis"])
    text = report(d)
    assert "### Baseline" in text and "| laak-double | housing-crisis |" in text.replace("|  | ", "| ")
    assert "### laak-double per stadsdeel" in text


@pytest.mark.slow
def test_scenario_report_command_line(capsys):
    """`python -m analysis.staffing.scenario_report` as docs/scenarios.md shows it, tiny and for one scenario."""
    from analysis.staffing.scenario_report import main

    assert main(["--scale", "0.03", "--replications", "1", "--years", "1", "--scenario", "laak-double"]) == 0
    out = capsys.readouterr().out
    assert "Paired runs at run.scale 0.03, 1 seed(s)" in out and "| laak-double |" in out
