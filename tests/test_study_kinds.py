"""Study kinds register themselves (issue 8, item 5): one registry (analysis/study/kinds.py) that the runner,
compare, query and the report read, so a new kind is one module and runs with no edit anywhere else."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.report import write_report
from analysis.study.compare import compare_studies
from analysis.study.executors import SerialExecutor
from analysis.study.kinds import BUILTIN, StudyKind, all_tables, kind_names, register, study_kind, unregister
from analysis.study.query import run_query
from analysis.study.study import StudyError, StudyScenario, StudySpec, load_table, read_manifest, run_study

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("simulate", "staffing", "sensitivity")
# The code that runs and reads every kind: it must look kinds up, never name one.
KIND_BLIND = [
    "analysis/study/study.py",
    "analysis/study/kinds.py",
    "analysis/study/compare.py",
    "analysis/study/query.py",
    "analysis/study/executors.py",
    "analysis/study/store.py",
    "analysis/report/build.py",
    "analysis/cli/common.py",
]


# ---- a kind of the test's own -------------------------------------------------------------------
def dummy_run(city_name: str, params: dict, seed: int, options: dict) -> dict[str, pd.DataFrame]:
    """One 'run': x plus noise from the seed, so paired scenarios differ by exactly their x."""
    value = float(params["x"]) + np.random.default_rng(seed).normal()
    table = pd.DataFrame(
        {
            "level": ["city", "stadsdeel"],
            "area": [city_name, "Noord"],
            "year": [2026, 2026],
            "score": [value, value / 2],
        }
    )
    return {"dummy": table, "dummy_note": pd.DataFrame({"note": [options.get("note", "")]})}


def dummy_report(doc, manifest: dict):
    s = doc.section("dummy", "Dummy section")
    s.paragraphs.append(f"{len(manifest['scenarios'])} dummy scenarios")
    return "Dummy study report", None


@pytest.fixture
def dummy_kind():
    kind = register(
        StudyKind(
            name="dummy",
            run=dummy_run,
            primary="dummy",
            tables=("dummy_note",),
            report=dummy_report,
            progress_label="dummies",
            compare_metrics=("score",),
        )
    )
    yield kind
    unregister("dummy")


def _spec(kind: str = "dummy") -> StudySpec:
    scenarios = [StudyScenario("a", "den_haag", {"x": 1.0}), StudyScenario("b", "den_haag", {"x": 3.0})]
    return StudySpec(kind=kind, scenarios=scenarios, seed=7, replications=3, options={"note": "hello"})


def test_a_registered_kind_runs_through_the_runner_and_every_reader(tmp_path, dummy_kind):
    out = tmp_path / "study"
    res = run_study(_spec(), out, SerialExecutor(), quiet=True)
    assert (res.computed, res.skipped) == (6, 0)
    assert read_manifest(out)["kind"] == "dummy"
    assert (out / "outcomes" / "dummy" / "scenario=b" / "run-00002.parquet").is_file()
    assert set(load_table(out, "dummy_note").note) == {"hello"}
    df = load_table(out, "dummy")
    assert len(df) == 12 and set(df.scenario) == {"a", "b"}
    # the default summary: bands over replications of the primary table
    summary = pd.read_parquet(out / "summary.parquet")
    city = summary[(summary.metric == "score") & (summary.level == "city")].set_index("scenario")
    assert city.n.tolist() == [3, 3]
    assert city.loc["b", "p50"] - city.loc["a", "p50"] == pytest.approx(2.0)
    # --resume recomputes nothing
    again = run_study(_spec(), out, SerialExecutor(), resume=True, quiet=True)
    assert (again.computed, again.skipped) == (0, 6)
    # compare pairs by seed with the kind's default metric: every paired difference is exactly 2
    diff = compare_studies(out, out, level="city")
    assert diff.metric.tolist() == ["score"] and diff.diff_p10.iloc[0] == pytest.approx(2.0)
    assert diff.diff_p90.iloc[0] == pytest.approx(2.0)
    # query has the kind's tables as views
    assert run_query(out, "SELECT count(*) AS n FROM dummy").n.iloc[0] == 12
    assert run_query(out, "SELECT count(*) AS n FROM dummy_note").n.iloc[0] == 6
    # the report puts the kind's sections first, then the shared ones
    html = write_report(out, lang="en").read_text(encoding="utf-8")
    assert "Dummy study report" in html and "2 dummy scenarios" in html


def test_the_kind_reaches_the_progress_bar(tmp_path, dummy_kind, capsys):
    run_study(_spec(), tmp_path / "study", SerialExecutor())
    assert "6/6 dummies" in capsys.readouterr().err


def test_a_study_of_a_kind_this_process_does_not_know_is_a_clear_error(tmp_path, dummy_kind):
    out = tmp_path / "study"
    run_study(_spec(), out, SerialExecutor(), quiet=True)
    unregister("dummy")
    with pytest.raises(StudyError, match=r"field 'kind' = 'dummy' is not one of simulate, staffing, sensitivity"):
        read_manifest(out)
    with pytest.raises(StudyError, match="unknown study kind 'dummy'"):
        _spec()


def test_a_name_is_registered_once(dummy_kind):
    with pytest.raises(ValueError, match="already registered"):
        register(StudyKind(name="dummy", run=dummy_run, primary="other"))
    assert register(dummy_kind) is dummy_kind  # the same object again (a module imported twice) is fine
    with pytest.raises(ValueError, match="lower-case"):
        StudyKind(name="Not A Name", run=dummy_run, primary="x")


def test_a_kind_without_a_report_or_compare_metrics_says_so(tmp_path):
    from analysis.report import ReportError

    register(StudyKind(name="bare", run=dummy_run, primary="dummy"))
    try:
        out = tmp_path / "bare"
        run_study(_spec("bare"), out, SerialExecutor(), quiet=True)
        with pytest.raises(ReportError, match="a bare study has no report"):
            write_report(out)
        with pytest.raises(StudyError, match="a bare study has no per-area outcomes to compare"):
            compare_studies(out, out)
    finally:
        unregister("bare")


# ---- the shipped kinds --------------------------------------------------------------------------
def _registering_modules() -> set[str]:
    """Modules of analysis/ that call register(StudyKind(...)) at import."""
    found = set()
    for path in (ROOT / "analysis").rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            value = getattr(node, "value", None)
            if (
                isinstance(value, ast.Call)
                and getattr(value.func, "id", None) == "register"
                and value.args
                and getattr(getattr(value.args[0], "func", None), "id", None) == "StudyKind"
            ):
                found.add(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


def test_every_shipped_kind_is_registered_by_a_builtin_module():
    assert kind_names()[: len(SHIPPED)] == SHIPPED
    assert _registering_modules() == set(BUILTIN), "a module that registers a kind belongs in kinds.BUILTIN"
    assert set(all_tables()) >= {"annual", "weekly", "staffing", "outcomes"}


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_kind_is_complete_and_its_run_function_importable_by_name(name):
    kind = study_kind(name)
    assert kind.primary in kind.tables and kind.report is not None
    # spawned processes and Dask workers get the function by reference (module + name)
    assert getattr(importlib.import_module(kind.run.__module__), kind.run.__qualname__) is kind.run


def test_every_kind_a_command_builds_is_registered():
    used = set()
    for path in (ROOT / "analysis").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "StudySpec":
                used |= {k.value.value for k in node.keywords if k.arg == "kind" and isinstance(k.value, ast.Constant)}
    assert used and used <= set(kind_names())


@pytest.mark.parametrize("module", KIND_BLIND)
def test_the_runner_and_the_readers_name_no_kind(module):
    """No `kind == "staffing"` and no table keyed by kind name: they ask the registry."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    names = set(SHIPPED)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            assert not {o.value for o in operands if isinstance(o, ast.Constant)} & names, (module, node.lineno)
        if isinstance(node, ast.Dict):
            assert not {k.value for k in node.keys if isinstance(k, ast.Constant)} & names, (module, node.lineno)


@pytest.mark.slow
def test_a_fresh_process_knows_every_shipped_kind_without_importing_them():
    """A reader (report, compare, query) imports no kind module itself: the first look-up does."""
    code = "from analysis.study.kinds import kind_names; print(' '.join(kind_names()))"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == list(SHIPPED)
