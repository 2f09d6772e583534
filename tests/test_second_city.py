"""Another city is a data file: every command runs on the made-up Voorbeeldstad (two stadsdelen).

The numbers are not checked here (they are invented); what is checked is that no command assumes Den
Haag: the city-level rows carry the city's own name and values, and every command exits 0.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from sim.city import load_city

SCENARIO = str(Path(__file__).resolve().parent / "data" / "voorbeeldstad.toml")
FAST = ["--set", "run.years=1", "--set", "run.warmup_weeks=0"]
runner = CliRunner()


def cli(*args) -> str:
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, f"welzijnsim {' '.join(map(str, args))}\n{r.output}"
    return r.output


def test_city_file_loads_with_its_own_names():
    city = load_city("voorbeeldstad")
    assert city.name == "Voorbeeldstad"
    assert city.stadsdelen == ["Noord", "Zuid"]


def test_validate():
    assert "valid scenario 'voorbeeldstad'" in cli("validate", SCENARIO)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("vb") / "run"
    text = cli("run", SCENARIO, "--out", out, "--quiet")
    assert "Noord" in text and "Voorbeeldstad" in text and "Den Haag" not in text.split("\n", 3)[-1]
    return out


@pytest.mark.slow
def test_run_city_rows_are_named_after_the_city(run_dir):
    city = pd.read_parquet(run_dir / "annual_city.parquet")
    assert set(city["area"]) == {"Voorbeeldstad"}
    # Was NaN for any city but Den Haag: the city row was looked up by a hard-coded name.
    sd = pd.read_parquet(run_dir / "annual_stadsdeel.parquet")
    assert set(sd["area"]) == {"Noord", "Zuid"}
    assert city["help_requests"].sum() == pytest.approx(sd["help_requests"].sum())


@pytest.mark.slow
def test_staffing_city_share_is_a_number(tmp_path):
    out = tmp_path / "staffing"
    cli("staffing", SCENARIO, *FAST, "--replications", 2, "--workers", 0, "--quiet", "--out", out)
    staffing = pd.read_parquet(out / "summary.parquet") if (out / "summary.parquet").exists() else None
    assert staffing is not None
    city_rows = staffing[staffing["area"] == "Voorbeeldstad"]
    assert len(city_rows) > 0
    values = city_rows["mean"] if "mean" in city_rows else city_rows.select_dtypes("number").iloc[:, 0]
    assert all(math.isfinite(v) for v in values)


@pytest.mark.slow
def test_budget(tmp_path):
    text = cli("budget", SCENARIO, *FAST, "--replications", 2, "--workers", 0, "--quiet", "--out", tmp_path / "budget")
    assert "Noord" in text


@pytest.mark.slow
def test_study_compare_query_export(tmp_path):
    out = tmp_path / "study"
    cli(
        "study",
        SCENARIO,
        *FAST,
        "--variant",
        "more:staffing.individual_support_factor=2",
        "--replications",
        2,
        "--workers",
        0,
        "--quiet",
        "--out",
        out,
    )
    summary = pd.read_parquet(out / "summary.parquet")
    city = summary[summary["area"] == "Voorbeeldstad"]
    share = city[city["metric"] == "share_within_target"]
    assert len(share) > 0 and share["mean"].notna().all()
    assert "Noord" in cli(
        "compare", out, out, "--scenario-a", "voorbeeldstad", "--scenario-b", "more", "--level", "stadsdeel"
    )
    assert "Voorbeeldstad" in cli("query", out, "SELECT DISTINCT area FROM summary ORDER BY area")
    cli("export", out, "--format", "csv", "--out", tmp_path / "summary.csv")
    assert (tmp_path / "summary.csv").stat().st_size > 0


def test_check_model():
    assert "Face validation of 'voorbeeldstad'" in cli("check-model", SCENARIO, *FAST, "--quiet")


@pytest.mark.slow
def test_calibrate(tmp_path):
    out = tmp_path / "calibrated.toml"
    cli("calibrate", SCENARIO, "--trials", 3, "--scale", 0.25, "--out", out, "--quiet")
    assert "city voorbeeldstad" in cli("validate", out)  # the city comes with the base scenario
