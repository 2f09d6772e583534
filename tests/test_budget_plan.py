"""The whole welfare budget and the priority rule of an unchanged budget (sim.mechanisms.drivers.budget_plan)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.study.executors import SerialExecutor
from analysis.study.study import StudyScenario, StudySpec, load_table, run_study
from scenarios.loader import load_scenario
from sim.city import NON_STAFF_ITEMS, load_city
from sim.mechanisms.drivers import TIERS, budget_plan, cost_index, price_index, welfare_budget
from sim.parameters import resolve

REPO = Path(__file__).resolve().parents[1]
SMALL = ["run.scale=0.02", "run.years=3", "run.warmup_weeks=0"]


@pytest.fixture(scope="module")
def city():
    return load_city()


def _plan(city, **overrides):
    p = resolve({"budget.mode": "budget", "budget.index": "frozen", "run.years": 10, **overrides})
    fte = city.fte_at_cost(p["service.cost_per_fte"])
    n_sp = int(city.servicepunten_per_stadsdeel.sum())
    district = np.repeat(np.arange(len(city.stadsdelen)), city.servicepunten_per_stadsdeel)
    sp_posts = fte[district, 0] / city.servicepunten_per_stadsdeel[district]
    assert len(sp_posts) == n_sp
    return p, budget_plan(city, p, fte[:, 1:], sp_posts, district)


@pytest.mark.parametrize("name", ["den_haag", "voorbeeldstad"])  # voorbeeldstad has no non-staff split
@pytest.mark.parametrize("cost", [85000.0, 95000.0, 105000.0])
def test_budget_at_start_is_the_whole_welfare_budget(name, cost):
    city = load_city(name)
    parts = city.budget_at_start(cost)
    total = parts["staff"].sum() + parts["non_staff"].sum() + parts["non_staff_individual"].sum()
    assert total == pytest.approx(city.data.budget.welfare_subsidies.value)
    assert parts["non_staff"].shape == (len(city.stadsdelen), len(NON_STAFF_ITEMS))


CASES = [
    dict(),
    {"budget.index": "sociale_basis"},
    {"budget.ravijnjaar_cut": 0.3, "budget.ravijnjaar_year": 2027},
    {"budget.ravijnjaar_cut": 0.6, "budget.ravijnjaar_year": 2027},
    {"budget.azwa_extra": 5e6},
    {"budget.indexation": "real"},
    {"staffing.individual_support_factor": 3.0},
]


@pytest.mark.parametrize("overrides", CASES)
def test_priority_order_is_respected(city, overrides):
    """A tier is only funded (share > 0) when every tier before it is fully funded (share = 1)."""
    _, plan = _plan(city, **overrides)
    f = plan.factor
    for t in range(1, len(TIERS)):
        funded_later = f[:, t] > 1e-12
        assert (f[funded_later, :t] > 1 - 1e-12).all(), (TIERS[t], f)
    assert ((f >= 0) & (f <= 1 + 1e-12)).all()


@pytest.mark.parametrize("overrides", CASES)
def test_plan_never_allocates_more_than_the_budget(city, overrides):
    _, plan = _plan(city, **overrides)
    allocated = plan.budget_stadsdeel.sum(axis=1)
    assert (allocated <= plan.total * (1 + 1e-12)).all()
    np.testing.assert_allclose(allocated + plan.unspent_no_posts, np.maximum(plan.total, allocated))
    np.testing.assert_allclose(plan.budget_sp.sum(axis=1) <= allocated + 1e-6, True)


def test_a_deep_cut_hits_the_rest_first_and_keeps_the_legal_core(city):
    """Frozen nominal budget, 30% cut from 2027: in 2027-2030 (before wage growth eats into tier 2 too)."""
    _, plan = _plan(city, **{"budget.ravijnjaar_cut": 0.3, "budget.ravijnjaar_year": 2027})
    cut = plan.factor[1:5]
    assert (cut[:, TIERS.index("individual_support")] == 1).all()
    assert (cut[:, TIERS.index("jongerenwerk_deprived")] == 1).all()
    assert (cut[:, TIERS.index("rest")] < 0.6).all()
    # Protected jongerenwerk: the three stadsdelen with the highest low-income share keep their youth work.
    top3 = np.argsort(-city.share("low_income"))[:3]
    others = np.setdiff1d(np.arange(len(city.stadsdelen)), top3)
    assert (plan.area_factor[1:5, top3, 0] == 1).all() and (plan.area_factor[1:5, others, 0] < 1).all()
    # Later the money no longer covers tier 2 in full, and the rest is gone first.
    assert plan.factor[-1, TIERS.index("rest")] == 0 or plan.factor[-1, TIERS.index("jongerenwerk_deprived")] == 1


def test_pro_rata_shrinks_everything_alike(city):
    _, plan = _plan(city, **{"budget.priority": "pro_rata", "budget.index": "sociale_basis"})
    assert np.allclose(plan.factor, plan.factor[:, :1])
    assert (plan.factor[-1] < 1).all()


def test_nominal_freeze_loses_posts_real_freeze_keeps_them(city):
    p, nominal = _plan(city)
    _, real = _plan(city, **{"budget.indexation": "real"})
    rest = TIERS.index("rest")
    assert np.all(np.diff(nominal.factor[:, rest]) < 0)  # wages +3%/yr against the same euros
    np.testing.assert_allclose(real.factor, 1.0)  # compensated: today's posts stay paid
    staff = city.budget_at_start(p["service.cost_per_fte"])["staff"].sum() / 35e6
    expected = 35e6 * (staff * cost_index(p) + (1 - staff) * price_index(p))
    np.testing.assert_allclose(welfare_budget(city, {**p, "budget.indexation": "real"}), expected)
    assert real.unspent_no_posts.max() < 1.0  # exactly paid, nothing left


def test_money_beyond_todays_posts_is_shown_unspent(city):
    _, plan = _plan(city, **{"budget.azwa_extra": 5e6})
    np.testing.assert_allclose(plan.factor[0], 1.0)  # later years: wage growth eats the extra money
    assert plan.unspent_no_posts[0] == pytest.approx(5e6)


def test_mandate_mode_plan_is_the_mandate_cost(city):
    _, plan = _plan(city, **{"budget.mode": "mandate"})
    np.testing.assert_allclose(plan.factor, 1.0)
    assert plan.total[0] == pytest.approx(35e6)


@pytest.mark.parametrize(
    "levers",
    [
        [],
        ["budget.index=sociale_basis", "budget.ravijnjaar_year=2027", "budget.ravijnjaar_cut=0.3"],
        ["budget.priority=pro_rata", "budget.ravijnjaar_year=2027", "budget.ravijnjaar_cut=0.3"],
        ["budget.azwa_extra=5000000"],
        ["budget.indexation=real"],
    ],
)
@pytest.mark.slow
def test_runs_never_spend_more_than_the_budget_in_any_year_and_area(levers, tmp_path):
    """Every row of every level (city, stadsdeel, Servicepunt XL), every year, 2 replications."""
    sc = load_scenario(REPO / "scenarios" / "budget-frozen.toml", SMALL + levers)
    spec = StudySpec(kind="simulate", scenarios=[StudyScenario.from_scenario(sc)], seed=5, replications=2)
    run_study(spec, tmp_path / "b", SerialExecutor(), quiet=True)
    annual = load_table(tmp_path / "b", "annual")
    assert annual.budget_eur.notna().all()
    assert (annual.spend_eur <= annual.budget_eur * (1 + 1e-9) + 1e-6).all()
    city = annual[annual.level == "city"].sort_values(["replication", "year"])
    per_sd = annual[annual.level == "stadsdeel"].groupby(["replication", "year"]).budget_eur.sum().to_numpy()
    # Stadsdelen's allocations + the unallocated remainder = the whole budget.
    np.testing.assert_allclose(per_sd + city.unspent_no_posts_eur.to_numpy(), city.budget_eur.to_numpy())
    np.testing.assert_allclose(city.unspent_eur, city.unspent_vacancies_eur + city.unspent_no_posts_eur)


@pytest.mark.parametrize(
    "scenario,extra,words",
    [
        ("budget-frozen", [], ("Priority rule (budget.priority = core_first)", "nominal")),
        ("budget-frozen-real", [], ("real (compensated",)),
        ("budget-frozen", ["--set", "budget.priority=pro_rata"], ("pro_rata",)),
    ],
)
@pytest.mark.slow
def test_budget_command_prints_what_the_money_makes_realistic(scenario, extra, words, tmp_path):
    """The commands shown in docs/study.md, at small scale."""
    r = CliRunner().invoke(
        app,
        [
            "budget",
            str(REPO / "scenarios" / f"{scenario}.toml"),
            "--set",
            "run.scale=0.02",
            "--set",
            "run.years=2",
            "--replications",
            "2",
            "--workers",
            "0",
            "--quiet",
            "--out",
            str(tmp_path / "b"),
        ]
        + extra,
    )
    assert r.exit_code == 0, r.output
    for text in words + (
        "unspent: vacancies",
        "h/wk ind/jw/ob/ou",
        "area need covered",
        "unmet goes to",
        "Per Servicepunt XL",
        "SPXL Laak 1",
    ):
        assert text in r.output, text


@pytest.mark.slow
def test_a_cut_in_a_run_leaves_individual_support_alone_and_shrinks_area_work_first(city):
    """Same seed (common random numbers), scale 0.05, 3 years, 30% cut from 2027: under core_first the
    Servicepunten XL keep every funded hour (their weekly capacity is identical to the uncut run) and the
    protected jongerenwerk keeps its FTE, while the other area-based FTE fall; pro_rata cuts the
    Servicepunten XL too."""
    from sim.model import run_model

    base = {
        "run.scale": 0.05,
        "run.years": 3,
        "budget.mode": "budget",
        "budget.index": "frozen",
        "budget.ravijnjaar_year": 2027,
    }
    frozen = run_model(city, base, 3)
    cut = run_model(city, {**base, "budget.ravijnjaar_cut": 0.3}, 3)
    pro_rata = run_model(city, {**base, "budget.ravijnjaar_cut": 0.3, "budget.priority": "pro_rata"}, 3)
    np.testing.assert_array_equal(cut.counters["contact_capacity"], frozen.counters["contact_capacity"])
    late = slice(52, None)
    assert pro_rata.counters["contact_capacity"][late].sum() < 0.95 * frozen.counters["contact_capacity"][late].sum()
    a_cut, a_frozen = cut.annual("stadsdeel"), frozen.annual("stadsdeel")
    top3 = [city.stadsdelen[d] for d in np.argsort(-city.share("low_income"))[:3]]
    later = a_cut.year >= 2027
    protected = later & a_cut.area.isin(top3)
    np.testing.assert_allclose(a_cut.fte_jongerenwerk[protected], a_frozen.fte_jongerenwerk[protected])
    assert (
        a_cut.fte_jongerenwerk[later & ~a_cut.area.isin(top3)]
        < a_frozen.fte_jongerenwerk[later & ~a_cut.area.isin(top3)]
    ).all()
    assert (a_cut.fte_opbouwwerk[later] < a_frozen.fte_opbouwwerk[later]).all()
