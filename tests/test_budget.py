"""Budget mode (unchanged budget): the staff a budget path pays for never costs more than the budget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.study.executors import SerialExecutor
from analysis.study.outcomes import BudgetExceeded, check_budget
from analysis.study.study import StudyScenario, StudySpec, load_table, run_study
from scenarios.loader import load_scenario

REPO = Path(__file__).resolve().parents[1]
SMALL = ["run.scale=0.02", "run.years=3"]


@pytest.mark.parametrize(
    "levers",
    [
        [],  # frozen budget
        ["budget.index=sociale_basis", "budget.ravijnjaar_year=2027", "budget.ravijnjaar_cut=0.3"],
        ["budget.azwa_extra=5000000"],
    ],
)
@pytest.mark.slow
def test_budget_runs_stay_within_budget(levers, tmp_path):
    sc = load_scenario(REPO / "scenarios" / "budget-frozen.toml", SMALL + levers)
    assert sc.params()["budget.mode"] == "budget"
    spec = StudySpec(kind="simulate", scenarios=[StudyScenario.from_scenario(sc)], seed=5, replications=2)
    run_study(spec, tmp_path / "b", SerialExecutor(), quiet=True)
    city = load_table(tmp_path / "b", "annual").query("level == 'city'")
    assert len(city) == 2 * 3 and city.budget_eur.notna().all()
    assert (city.cost_eur <= city.budget_eur * (1 + 1e-9)).all()
    stadsdeel = load_table(tmp_path / "b", "annual").query("level == 'stadsdeel'")
    per_year = stadsdeel.groupby(["replication", "year"]).cost_eur.sum().to_numpy()
    assert (per_year <= city.sort_values(["replication", "year"]).budget_eur.to_numpy() * (1 + 1e-9)).all()


def test_check_budget_raises_when_over():
    rows = pd.DataFrame({"year": [2026, 2027], "cost_eur": [10.0e6, 10.5e6]})
    check_budget(rows, np.array([10.0e6, 10.5e6]))
    with pytest.raises(BudgetExceeded, match="2027"):
        check_budget(rows, np.array([10.0e6, 10.4e6]))


@pytest.mark.slow
def test_budget_command_prints_bands(tmp_path):
    r = CliRunner().invoke(
        app,
        [
            "budget",
            str(REPO / "scenarios" / "budget-frozen.toml"),
            "--set",
            SMALL[0],
            "--set",
            "run.years=2",
            "--replications",
            "2",
            "--workers",
            "0",
            "--quiet",
            "--out",
            str(tmp_path / "b"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "budget (EUR M)" in r.output and "within 10d" in r.output and "[" in r.output
