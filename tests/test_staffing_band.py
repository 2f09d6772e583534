"""Issue 9: an honest staffing band. The parameters today's counts cannot identify have prior ranges in the
parameter table, `welzijnsim staffing` draws them by default, says which widen the band most, and prints need
and today's staff (posts and filled FTE, labelled) for the same year."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.study.uncertainty import band_drivers, prior_ranges
from sim.parameters import PARAMETERS, PRIORS, markdown_table

REPO = Path(__file__).resolve().parents[1]


def test_every_prior_is_in_the_parameter_table_with_unit_range_and_source():
    table = markdown_table()
    assert {"demand.episode_rate", "demand.seek_help_max", "demand.contacts_mean", "service.hours_per_contact"} <= set(
        PRIORS
    )
    for name, (low, high) in PRIORS.items():
        p = PARAMETERS[name]
        assert p.low <= low < high <= p.high, name
        assert low <= p.default <= high, name
        assert p.unit and p.source, name
        row = next(r for r in table.splitlines() if r.startswith(f"| `{name}` |"))
        assert f"prior {low} – {high}" in row


def test_explicit_ranges_win_over_priors():
    ranges = prior_ranges({"demand.episode_rate": (0.04, 0.041)})
    assert ranges["demand.episode_rate"] == (0.04, 0.041)
    assert set(ranges) == set(PRIORS)


def test_band_drivers_rank_the_parameter_that_moves_the_answer_first():
    rng = np.random.default_rng(3)
    draws = [{"a": float(x), "b": float(y)} for x, y in rng.random((12, 2))]
    need = pd.DataFrame({"replication": range(12), "need": [50 + 40 * d["a"] + rng.normal(0, 1) for d in draws]})
    out = band_drivers(need, draws)
    assert list(out.parameter)[0] == "a"
    assert out.spearman.iloc[0] > 0.9 and abs(out.spearman.iloc[1]) < 0.9
    assert (out.n == 12).all()


def _staffing(tmp_path, *extra):
    from typer.testing import CliRunner

    from analysis.cli import app

    out = tmp_path / "st"
    args = [
        "staffing",
        str(REPO / "scenarios" / "baseline.toml"),
        "--set",
        "run.scale=0.02",
        "--set",
        "run.years=1",
        "--set",
        "run.warmup_weeks=13",
        "--replications",
        "3",
        "--workers",
        "0",
        "--quiet",
        "--out",
        str(out),
        "--no-service-points",
        *extra,
    ]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    return r.output, json.loads((out / "manifest.json").read_text())


@pytest.mark.slow
def test_staffing_draws_the_priors_by_default_and_names_what_widens_the_band(tmp_path):
    output, manifest = _staffing(tmp_path)
    options = manifest["identity"]["options"] if "identity" in manifest else manifest["options"]
    assert set(options["vary"]) == set(PRIORS)
    draws = options["parameter_draws"]
    assert len(draws) == 3 and len({d["demand.episode_rate"] for d in draws}) == 3
    assert "What widens the band" in output and "demand.episode_rate" in output
    assert "posts today (funded FTE)" in output and "filled (FTE, same year)" in output


@pytest.mark.slow
def test_staffing_without_priors_and_with_a_set_parameter(tmp_path):
    output, manifest = _staffing(tmp_path, "--no-priors")
    options = manifest["identity"]["options"] if "identity" in manifest else manifest["options"]
    assert "parameter_draws" not in options and "What widens the band" not in output
    # A parameter the scenario sets itself (here with --set) is kept, not drawn.
    output, manifest = _staffing(tmp_path / "b", "--set", "demand.episode_rate=0.04")
    options = manifest["identity"]["options"] if "identity" in manifest else manifest["options"]
    assert "demand.episode_rate" not in options["vary"] and "demand.contacts_mean" in options["vary"]
