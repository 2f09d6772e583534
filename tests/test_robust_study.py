"""Damaged study directories and output paths (issue 13): exit 2 naming the file and field, no traceback,
no existing file changed, nothing computed lost.

One small study (2 replications, 2% of the residents, 1 year, serial) is made once; every case works on
a copy. Hypothesis mutates the manifest (any field to any JSON value, derandomized) for the commands that
only read (`compare`, `query`, `export`): they must exit 0 or 2, never with a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest
from conftest import BASELINE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_robust_inputs import assert_bad_input, invoke, snapshot

SMALL = ["--set", "run.scale=0.02", "--set", "run.years=1", "--workers", "0", "--quiet"]
RUN = Path("outcomes") / "annual" / "scenario=baseline"


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("robust-study") / "s"
    r = invoke("study", BASELINE, *SMALL, "--replications", 2, "--out", out)
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture
def copy(study, tmp_path) -> Path:
    d = tmp_path / "c"
    shutil.copytree(study, d)
    return d


def _manifest(d: Path) -> dict:
    return json.loads((d / "manifest.json").read_text(encoding="utf-8"))


def _write_manifest(d: Path, m) -> None:
    (d / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


# ---- corrupt manifests --------------------------------------------------------------------------
CORRUPT = {
    "kind unknown": (lambda m: m.update(kind="optimise"), "kind"),
    "scenarios empty": (lambda m: m.update(scenarios=[]), "scenarios"),
    "scenarios a string": (lambda m: m.update(scenarios="baseline"), "scenarios"),
    "entry without name": (lambda m: m["scenarios"][0].pop("name"), "scenarios[0].name"),
    "entry a number": (lambda m: m["scenarios"].__setitem__(0, 5), "scenarios[0]"),
    "name unsafe": (lambda m: m["scenarios"][0].update(name="../x"), "scenarios[0].name"),
    "seed text": (lambda m: m.update(seed="abc"), "seed"),
    "seed float": (lambda m: m.update(seed=1.5), "seed"),
    "replications text": (lambda m: m.update(replications="many"), "replications"),
    "replications zero": (lambda m: m.update(replications=0), "replications"),
    "params not a table": (lambda m: m["scenarios"][0].update(params=[1, 2]), "scenarios[0].params"),
    "options not a table": (lambda m: m.update(options="x"), "options"),
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_corrupt_manifest_exits_2_in_every_command(copy, tmp_path, case):
    change, field = CORRUPT[case]
    m = _manifest(copy)
    change(m)
    _write_manifest(copy, m)
    before = snapshot(copy)
    for args in (
        ["compare", copy, copy],
        ["study", "--resume", "--out", copy, "--workers", "0", "--quiet"],
        ["export", copy, "--format", "csv", "--out", tmp_path / "x.csv"],
        ["query", copy, "SELECT 1"],
    ):
        assert_bad_input(invoke(*args), "manifest.json", field)
    assert snapshot(copy) == before
    assert not (tmp_path / "x.csv").exists()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
FIELDS = [
    "kind",
    "scenarios",
    "seed",
    "replications",
    "options",
    "identity",
    "runs",
    "scenarios.0",
    "scenarios.0.name",
    "scenarios.0.city",
    "scenarios.0.params",
]


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.slow
@given(field=st.sampled_from(FIELDS), value=json_values)
def test_generated_manifest_damage_never_tracebacks(study, tmp_path_factory, field, value):
    d = tmp_path_factory.mktemp("m") / "c"
    shutil.copytree(study, d)
    m = _manifest(d)
    node, *path = field.split(".")
    if not path:
        m[node] = value
    elif len(path) == 1:
        m[node][int(path[0])] = value
    else:
        m[node][int(path[0])][path[1]] = value
    _write_manifest(d, m)
    before = snapshot(d)
    for args in (
        ["compare", d, d, "--level", "city"],
        ["query", d, "SELECT count(*) FROM summary"],
        ["export", d, "--format", "csv", "--out", d.parent / "x.csv"],
    ):
        r = invoke(*args)
        assert r.exit_code in (0, 2), f"{args[0]}: exit {r.exit_code} {r.output} {r.exception!r}"
        assert "Traceback" not in r.output
        if r.exit_code == 2:
            assert "error:" in r.output
    assert {k: v for k, v in snapshot(d).items()} == before


# ---- run files on --resume ------------------------------------------------------------------
def test_directory_in_place_of_a_run_file(copy):
    f = copy / RUN / "run-00001.parquet"
    f.unlink()
    f.mkdir()
    assert_bad_input(invoke("study", "--resume", "--out", copy, "--workers", "0", "--quiet"), str(f), "not a file")


@pytest.mark.parametrize("content", ["foreign parquet", "other run", "truncated", "text"])
def test_foreign_or_corrupt_run_file(copy, content):
    f = copy / RUN / "run-00001.parquet"
    if content == "foreign parquet":
        pd.DataFrame({"x": [1, 2]}).to_parquet(f)
    elif content == "other run":
        shutil.copy(copy / RUN / "run-00000.parquet", f)  # another run's numbers under this run's name
    elif content == "truncated":
        f.write_bytes(f.read_bytes()[:200])
    else:
        f.write_text("hello", encoding="utf-8")
    before = snapshot(copy)
    assert_bad_input(invoke("study", "--resume", "--out", copy, "--workers", "0", "--quiet"), str(f))
    assert snapshot(copy) == before


def test_stray_runs_and_folders_are_not_summarised(copy):
    summary_before = pd.read_parquet(copy / "summary.parquet")
    shutil.copy(copy / RUN / "run-00000.parquet", copy / RUN / "run-00042.parquet")
    shutil.copytree(copy / RUN, copy / "outcomes" / "annual" / "scenario=ghost")
    r = invoke("study", "--resume", "--out", copy, "--workers", "0")
    assert r.exit_code == 0, r.output
    assert "not runs of this study" in r.output and "run-00042" in r.output
    after = pd.read_parquet(copy / "summary.parquet")
    assert set(after.scenario) == {"baseline"} and after["n"].max() == 2
    pd.testing.assert_frame_equal(after, summary_before)
    q = invoke(
        "query", copy, "SELECT count(DISTINCT replication) AS n, count(DISTINCT scenario) AS s FROM annual", "--csv"
    )
    assert q.exit_code == 0 and q.output.strip().splitlines()[-1] == "2,1", q.output


def test_temp_files_in_the_study_root_are_removed_on_resume(copy):
    for name in (".manifest.json.abc.tmp", ".wz-x.tmp", ".summary.parquet.1.tmp"):
        (copy / name).write_text("half", encoding="utf-8")
    (copy / RUN / ".run-00001.parquet.x.tmp").write_text("half", encoding="utf-8")
    r = invoke("study", "--resume", "--out", copy, "--workers", "0", "--quiet")
    assert r.exit_code == 0, r.output
    assert not list(copy.rglob("*.tmp"))


@pytest.mark.parametrize("damage", ["truncated", "text", "empty"])
def test_damaged_summary_on_export_and_its_rebuild(copy, tmp_path, damage):
    s = copy / "summary.parquet"
    good = pd.read_parquet(s)
    s.write_bytes({"truncated": s.read_bytes()[:300], "text": b"not parquet", "empty": b""}[damage])
    assert_bad_input(invoke("export", copy, "--format", "csv", "--out", tmp_path / "x.csv"), str(s), "study --resume")
    assert not (tmp_path / "x.csv").exists()
    r = invoke("study", "--resume", "--out", copy, "--workers", "0", "--quiet")  # rebuilds, computes nothing
    assert r.exit_code == 0 and "0 run(s) computed" in r.output, r.output
    pd.testing.assert_frame_equal(pd.read_parquet(s), good)


# ---- output paths: checked before computing, results never lost ------------------------------------
def test_export_and_compare_csv_to_unusable_paths(copy, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    for bad in (tmp_path, blocker / "sub" / "x.csv", tmp_path / ("y" * 300 + ".csv")):
        assert_bad_input(invoke("export", copy, "--format", "csv", "--out", bad), "--out")
        assert_bad_input(invoke("compare", copy, copy, "--csv", bad), "--csv")
    assert blocker.read_text(encoding="utf-8") == "x"


@pytest.mark.slow
def test_existing_study_directory_rule(copy, tmp_path):
    before = snapshot(copy)
    r = invoke("study", BASELINE, *SMALL, "--replications", 2, "--out", copy)
    assert_bad_input(r, "--resume", "--force")
    assert snapshot(copy) == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    assert_bad_input(invoke("study", BASELINE, *SMALL, "--force", "--out", other), "other files")
    assert (other / "notes.txt").read_text(encoding="utf-8") == "mine"
    r = invoke("study", BASELINE, *SMALL, "--replications", 1, "--force", "--out", copy)
    assert r.exit_code == 0, r.output
    assert len(list((copy / RUN).iterdir())) == 1


@pytest.mark.slow
def test_run_directory_rule_and_force(tmp_path):
    out = tmp_path / "r"
    args = ["run", BASELINE, "--set", "run.scale=0.02", "--set", "run.years=1", "--quiet", "--out", out]
    assert invoke(*args).exit_code == 0
    before = snapshot(out)
    assert_bad_input(invoke(*args), "--force")
    assert snapshot(out) == before
    r = invoke(*args, "--force")
    assert r.exit_code == 0, r.output


@pytest.mark.slow
def test_a_finished_run_is_never_lost(tmp_path, monkeypatch):
    import analysis.study.store as store

    out = tmp_path / "r"
    real = store.write_parquet

    def failing(path, df):
        if Path(path).parent == out:
            raise OSError(28, "No space left on device")
        real(path, df)

    monkeypatch.setattr(store, "write_parquet", failing)
    r = invoke("run", BASELINE, "--set", "run.scale=0.02", "--set", "run.years=1", "--quiet", "--out", out)
    assert "saved in" in r.output, r.output
    rescue = Path(r.output.split("saved in ", 1)[1].split()[0].rstrip("/"))
    try:
        assert (rescue / "annual_city.parquet").is_file() and (rescue / "manifest.json").is_file()
    finally:
        shutil.rmtree(rescue, ignore_errors=True)


def test_result_files_follow_the_umask(tmp_path):
    from analysis.study.store import write_parquet

    old = os.umask(0o002)
    try:
        write_parquet(tmp_path / "x.parquet", pd.DataFrame({"a": [1]}))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.parquet").stat().st_mode) == 0o664


def test_study_files_are_readable_by_others(study):
    for f in [study / "manifest.json", study / "summary.parquet", study / RUN / "run-00000.parquet"]:
        assert stat.S_IMODE(f.stat().st_mode) & 0o044 == 0o044 & ~_umask(), f


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m
