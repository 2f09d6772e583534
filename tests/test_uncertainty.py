"""Parameter uncertainty in studies (--vary): each replication gets its own drawn parameter set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.study.study import load_table
from analysis.study.uncertainty import UncertaintyError, draws, parse_ranges

REPO = Path(__file__).resolve().parents[1]
BASELINE = str(REPO / "scenarios" / "baseline.toml")
SMALL = ["--set", "run.scale=0.02", "--set", "run.years=1", "--set", "run.warmup_weeks=0"]
runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_draws_are_a_reproducible_latin_hypercube_within_bounds():
    ranges = parse_ranges(["demand.episode_rate=0.08:0.12", "demand.contacts_mean=3:5"])
    a, b = draws(ranges, 10, 42), draws(ranges, 10, 42)
    assert a == b
    assert draws(ranges, 10, 43) != a
    rates = np.array([d["demand.episode_rate"] for d in a])
    assert ((rates >= 0.08) & (rates <= 0.12)).all()
    # Latin hypercube: exactly one draw in each of the 10 equal strata.
    strata = np.floor((rates - 0.08) / 0.004).astype(int).clip(0, 9)
    assert sorted(strata) == list(range(10))


@pytest.mark.parametrize(
    "text, match",
    [
        ("demand.episode_rat=0.1:0.2", "unknown parameter"),
        ("demand.episode_rate=0.1", "NAME=LOW:HIGH"),
        ("demand.episode_rate=0.2:0.1", "above"),
        ("demand.episode_rate=0.1:9", "outside the allowed range"),
        ("budget.mode=1:2", "not numeric"),
    ],
)
def test_bad_ranges_are_errors_naming_the_field(text, match):
    with pytest.raises(UncertaintyError, match=match):
        parse_ranges([text])


def test_bad_vary_exits_2():
    r = cli("study", BASELINE, *SMALL, "--vary", "demand.episode_rate=0.2:0.1", "--quiet", "--out", "/nonexistent/x")
    assert r.exit_code == 2
    assert "demand.episode_rate" in r.output


@pytest.mark.slow
def test_study_runs_use_and_record_their_draws(tmp_path):
    args = [
        "study",
        BASELINE,
        *SMALL,
        "--replications",
        3,
        "--workers",
        0,
        "--quiet",
        "--vary",
        "demand.episode_rate=0.05:0.2",
    ]
    r1 = cli(*args, "--out", tmp_path / "a")
    assert r1.exit_code == 0, r1.output
    runs = pd.read_parquet(tmp_path / "a" / "runs.parquet")
    expected = [d["demand.episode_rate"] for d in draws({"demand.episode_rate": (0.05, 0.2)}, 3, 20260205)]
    np.testing.assert_allclose(runs.sort_values("replication")["demand.episode_rate"], expected)
    annual = load_table(tmp_path / "a", "annual")
    city = annual[(annual.level == "city")].sort_values("replication")
    # Demand follows each replication's own episode rate (a 4x range dwarfs the noise at this scale).
    order = np.argsort(expected)
    assert (np.diff(city.help_requests.to_numpy()[order]) > 0).all()
    # Same study again: identical numbers.
    r2 = cli(*args, "--out", tmp_path / "b")
    assert r2.exit_code == 0, r2.output
    pd.testing.assert_frame_equal(
        annual.sort_values(["replication", "level", "area", "year"]).reset_index(drop=True),
        load_table(tmp_path / "b", "annual")
        .sort_values(["replication", "level", "area", "year"])
        .reset_index(drop=True),
    )
