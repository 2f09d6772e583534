"""Study store: resume after a hard kill, clean errors for foreign or corrupt directories, DuckDB queries,
workshop exports and paired comparisons."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.study.study import load_table

REPO = Path(__file__).resolve().parents[1]
BASELINE = str(REPO / "scenarios" / "baseline.toml")
SMALL = ["--set", "run.scale=0.02", "--set", "run.years=1"]
runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def _annual(directory: Path) -> pd.DataFrame:
    return (
        load_table(directory, "annual")
        .sort_values(["scenario", "replication", "level", "area", "year"])
        .reset_index(drop=True)
    )


@pytest.fixture(scope="module")
def small_study(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("study") / "s"
    r = cli(
        "study",
        BASELINE,
        *SMALL,
        "--variant",
        "more:staffing.individual_support_factor=2",
        "--replications",
        3,
        "--workers",
        0,
        "--quiet",
        "--out",
        out,
    )
    assert r.exit_code == 0, r.output
    return out


@pytest.mark.slow
def test_store_layout(small_study):
    manifest = json.loads((small_study / "manifest.json").read_text())
    assert manifest["format"] == "welzijnsim-study" and manifest["kind"] == "simulate"
    assert [s["name"] for s in manifest["scenarios"]] == ["baseline", "more"]
    assert manifest["versions"]["mesa"] and len(manifest["seeds"]) == 3
    assert manifest["scenarios"][1]["params"]["staffing.individual_support_factor"] == 2.0
    # where each value came from (issue 8): the variant's own lever, the scenario file, the defaults
    provenance = manifest["scenarios"][1]["provenance"]
    assert provenance["staffing.individual_support_factor"] == "--variant more"
    assert provenance["run.scale"] == "--set" and provenance["demand.give_up_per_week"] == "default"
    assert 'individual_support_factor" = "--variant more"' in manifest["scenarios"][1]["toml"]
    runs = pd.read_parquet(small_study / "runs.parquet")
    assert len(runs) == 6 and runs.done.all() and "demand.episode_rate" in runs.columns
    for name in ("baseline", "more"):
        assert len(list((small_study / "outcomes" / "annual" / f"scenario={name}").glob("run-*.parquet"))) == 3
    summary = pd.read_parquet(small_study / "summary.parquet")
    assert {"scenario", "level", "area", "year", "metric", "n", "mean", "p10", "p50", "p90"} <= set(summary.columns)
    assert (small_study / "summary.csv").is_file()
    # The workshop XLSX is written on demand by `export` (test_export_xlsx_and_csv), not by every study.
    assert not (small_study / "summary.xlsx").exists()


def test_duckdb_query_in_place(small_study):
    r = cli(
        "query",
        small_study,
        "SELECT scenario, count(*) AS n FROM annual WHERE level = 'city' GROUP BY scenario ORDER BY scenario",
        "--csv",
    )
    assert r.exit_code == 0, r.output
    assert r.output.strip().splitlines() == ["scenario,n", "baseline,3", "more,3"]
    r = cli("query", small_study, "SELECT count(*) FROM summary WHERE metric = 'share_within_target'")
    assert r.exit_code == 0, r.output
    r = cli("query", small_study, "SELECT no_such_column FROM annual")
    assert r.exit_code == 2 and "query failed" in r.output and "Traceback" not in r.output


@pytest.mark.slow
def test_export_xlsx_and_csv(small_study, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    r = cli("export", small_study, "--format", "xlsx", "--out", tmp_path / "w.xlsx")
    assert r.exit_code == 0, r.output
    assert set(openpyxl.load_workbook(tmp_path / "w.xlsx").sheetnames) == {"city", "stadsdeel", "service_point"}
    r = cli("export", small_study, "--format", "csv", "--out", tmp_path / "w.csv")
    assert r.exit_code == 0 and len(pd.read_csv(tmp_path / "w.csv")) > 0


def test_compare_is_paired_by_seed(small_study):
    from analysis.study.compare import compare_studies

    diff = compare_studies(
        small_study,
        small_study,
        level="city",
        scenario_a="baseline",
        scenario_b="more",
        metrics=["fte_individual_support"],
    )
    assert (diff.pairs == 3).all() and (diff.diff_p10 > 0).all()
    same = compare_studies(
        small_study, small_study, level="stadsdeel", metrics=["help_requests"], scenario_b="baseline"
    )  # default B is the first scenario that is not A's
    assert (same.diff_p10 == 0).all() and (same.diff_p90 == 0).all()
    r = cli("compare", small_study, small_study, "--scenario-b", "more", "--level", "city")
    assert r.exit_code == 0 and "paired seeds" in r.output, r.output


@pytest.mark.slow
def test_killed_study_resumes_to_the_same_result(tmp_path):
    reps = 24
    args = ["study", BASELINE, *SMALL, "--replications", str(reps), "--workers", "0", "--batch-size", "1", "--quiet"]
    killed = tmp_path / "killed"
    exe = [sys.executable, "-c", "from analysis.cli import app; app()"]
    proc = subprocess.Popen(
        exe + args + ["--out", str(killed)],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    part = killed / "outcomes" / "annual" / "scenario=baseline"
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(list(part.glob("run-*.parquet"))) < 3:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    stored = len(list(part.glob("run-*.parquet")))
    assert proc.returncode == -signal.SIGKILL
    assert 3 <= stored < reps, f"the study was not interrupted mid-way ({stored} runs stored)"
    # A crash mid-write leaves at most a temporary file, never a half-written run file.
    (part / ".run-00099.parquet.abc.tmp").write_bytes(b"half a file")
    before = {p.name: p.stat().st_mtime_ns for p in part.glob("run-*.parquet")}

    r = cli(*args[:-1], "--quiet", "--resume", "--out", killed)
    assert r.exit_code == 0, r.output
    assert f"{reps - stored} run(s) computed, {stored} already stored" in r.output
    assert not list(part.glob("*.tmp"))
    assert all(part.joinpath(n).stat().st_mtime_ns == t for n, t in before.items())  # nothing recomputed

    fresh = tmp_path / "fresh"
    r = cli(*args, "--out", fresh)
    assert r.exit_code == 0, r.output
    pd.testing.assert_frame_equal(_annual(killed), _annual(fresh), check_exact=True)
    assert pd.read_parquet(killed / "runs.parquet").done.all()
    pd.testing.assert_frame_equal(
        pd.read_parquet(killed / "summary.parquet"), pd.read_parquet(fresh / "summary.parquet")
    )


def test_resume_without_scenarios_reads_the_manifest(small_study):
    r = cli("study", "--resume", "--out", small_study, "--workers", 0, "--quiet")
    assert r.exit_code == 0, r.output
    assert "0 run(s) computed, 6 already stored" in r.output


@pytest.mark.parametrize(
    "case", ["missing", "foreign", "bad-json", "other-format", "corrupt-run", "not-empty", "different-study"]
)
def test_bad_directories_are_clear_errors(case, small_study, tmp_path):
    import shutil

    d = tmp_path / "d"
    resume = ["--resume"]
    if case == "foreign":
        d.mkdir()
        (d / "data.txt").write_text("not a study")
    elif case == "bad-json":
        shutil.copytree(small_study, d)
        (d / "manifest.json").write_text('{"format": "welzijnsim-study", ')
    elif case == "other-format":
        d.mkdir()
        (d / "manifest.json").write_text(json.dumps({"format": "something-else"}))
    elif case == "corrupt-run":
        shutil.copytree(small_study, d)
        (d / "outcomes" / "annual" / "scenario=baseline" / "run-00001.parquet").write_bytes(b"PAR1 garbage")
    elif case == "not-empty":
        d.mkdir()
        (d / "x").write_text("x")
        resume = []
    elif case == "different-study":
        shutil.copytree(small_study, d)
    extra = ["--set", "demand.episode_rate=0.2"] if case == "different-study" else []
    r = cli(
        "study",
        BASELINE,
        *SMALL,
        *extra,
        "--variant",
        "more:staffing.individual_support_factor=2",
        "--replications",
        3,
        "--workers",
        0,
        "--quiet",
        "--out",
        d,
        *resume,
    )
    assert r.exit_code == 2, r.output
    assert "error:" in r.output and "Traceback" not in r.output
    if case == "different-study":
        assert "demand.episode_rate" in r.output
    if case in ("not-empty", "different-study"):
        return  # valid studies for `query`
    q = cli("query", d, "SELECT * FROM annual")
    assert q.exit_code == 2 and "error:" in q.output and "Traceback" not in q.output, q.output
