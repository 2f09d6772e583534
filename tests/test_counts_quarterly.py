"""Issue 9: the municipality's counts in the uniform registration's layout (per Servicepunt XL and quarter:
visits, unique clients, new requests, referrals by destination, waits), read by `calibrate --counts`, and
calibration recovers known parameters from synthetic counts in that layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.calibration.calibration import (
    QUARTERLY_COLUMNS,
    CalibrationError,
    Settings,
    calibrate,
    counts_from_measurements,
    example_counts,
    fit_parameter,
    read_counts,
)
from analysis.validation.validation import simulate
from scenarios.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TRUTH = {"demand.episode_rate": 0.055, "demand.contacts_mean": 9.0}
FIT = [fit_parameter("demand.episode_rate", 0.02, 0.10, log=True), fit_parameter("demand.contacts_mean", 5.0, 15.0)]
SETTINGS = Settings(
    scale=0.25, years=1, replications=1, relative_error=0.05, slice_points=5, noise_seeds=2, verify_scale=0
)


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("baseline", ["run.years=1", "run.warmup_weeks=13"])


def test_the_example_file_follows_the_schema_and_is_read(city):
    path = ROOT / "docs" / "counts-example.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == [*QUARTERLY_COLUMNS, "source"]
    counts = read_counts(path, city)
    assert counts.level == "service_point_quarter" and counts.keys == ["year", "quarter", "area"]
    assert len(counts.table) == 17 * 4
    t = counts.table
    by_destination = t[[c for c in t.columns if c.startswith("referred_")]].sum(axis=1)
    assert (by_destination == t.referred).all()  # whole numbers made by the model: exact


def test_example_counts_are_what_the_model_counts(scenario):
    frame = example_counts(scenario, seed=3, scale=0.05)
    assert list(frame.columns) == [*QUARTERLY_COLUMNS, "source"]
    assert (frame.visits >= frame.unique_clients).all() and (frame.new_requests >= frame.referred).all()


@pytest.mark.parametrize(
    "text,message",
    [
        (
            "year,quarter,stadsdeel,visits\n2026,1,Laak,10\n",
            "quarterly counts (column 'quarter') are per Servicepunt XL",
        ),
        ("year,quarter,servicepunt,visits\n2026,5,SPXL Laak 1,10\n", "row 2, column 'quarter': '5' is not a quarter"),
        (
            "year,quarter,servicepunt,visits\n2026,1,SPXL Laak 1,10\n2026,1,SPXL Laak 1,12\n",
            "in 2026 Q1 was already given",
        ),
    ],
)
def test_bad_quarterly_counts_name_row_and_column(city, tmp_path, text, message):
    path = tmp_path / "c.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalibrationError, match=re.escape(message)):
        read_counts(path, city)


@pytest.mark.slow
def test_calibration_recovers_known_parameters_from_quarterly_counts(scenario, tmp_path):
    """Synthetic counts at TRUTH (mean of generator seeds 201-203, scale 0.25), visits, unique clients and new
    requests per Servicepunt XL and quarter; 16 trials from the scenario's own values. Tolerances: episode
    rate within 20%, contacts per trajectory within 2 (the search ranges are 5x and 3x as wide)."""
    params = {**scenario.params(), **TRUTH, "run.scale": SETTINGS.scale}
    runs = [simulate(scenario.city(), params, seed) for seed in (201, 202, 203)]
    frame = counts_from_measurements(runs, "service_point_quarter", ["contacts", "unique_clients", "help_requests"])
    path = tmp_path / "quarterly.csv"
    frame.loc[frame.visits == 0, "visits"] = None  # a tiny point's empty quarter: "not known"
    frame.to_csv(path, index=False)
    counts = read_counts(path, scenario.city())
    assert counts.measures == ["contacts", "unique_clients", "help_requests"]
    res = calibrate(scenario, trials=16, seed=7, counts=counts, fit=FIT, use_face=False, settings=SETTINGS)
    assert res.best["demand.episode_rate"] == pytest.approx(TRUTH["demand.episode_rate"], rel=0.2)
    assert res.best["demand.contacts_mean"] == pytest.approx(TRUTH["demand.contacts_mean"], abs=2.0)
    # 17 points x 4 quarters x 3 measures = 204 small, noisy counts: the loss at the truth is of that order
    # (each term ~ z^2 ~ 1), so the fit must improve on the start and come near that floor.
    assert res.best_eval.loss < res.start_eval.loss and res.best_eval.loss < 2 * 204


def test_example_counts_command_writes_the_layout(tmp_path):
    """The command shown in docs/validation.md, at small scale."""
    from analysis.calibration.calibration import _main

    out = tmp_path / "counts.csv"
    assert _main(["--example-counts", str(out), "--scale", "0.05", "--seed", "4"]) == 0
    assert out.read_text(encoding="utf-8").splitlines()[0].split(",") == [*QUARTERLY_COLUMNS, "source"]


@pytest.mark.slow
def test_band_narrowing_command_runs_at_small_scale():
    """`python -m analysis.calibration.band_narrowing` (docs/validation.md) at a tiny scale: one row per count set, the
    near-best spread inside the spread of all trials."""
    from analysis.calibration.band_narrowing import COUNT_SETS, narrowing

    table = narrowing(trials=3, scale=0.05, generator_seeds=(301,))
    assert list(table.counts) == list(COUNT_SETS)
    assert (table.near_best_low >= table.all_trials_low - 1e-9).all()
    assert (table.near_best_high <= table.all_trials_high + 1e-9).all()
