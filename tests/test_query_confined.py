"""`welzijnsim query` is read-only and confined to the study directory (issue 13).

A secret file next to the study, the machine's files, the environment: none can be read. Nothing can be
written (COPY, EXPORT DATABASE), no database attached, no extension installed or loaded, and the SQL
cannot switch the settings back (lock_configuration). Every attempt exits 2 with a message saying why,
and the study's files are unchanged afterwards. A study folder named with glob characters still works.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import BASELINE
from test_robust_inputs import assert_bad_input, invoke, snapshot


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("query")
    out = root / "s"
    r = invoke(
        "study",
        BASELINE,
        "--set",
        "run.scale=0.02",
        "--set",
        "run.years=1",
        "--workers",
        "0",
        "--quiet",
        "--replications",
        2,
        "--out",
        out,
    )
    assert r.exit_code == 0, r.output
    (root / "secret.csv").write_text("password\nhunter2\n", encoding="utf-8")
    return out


@pytest.mark.slow
def test_views_work(study):
    r = invoke("query", study, "SELECT count(*) AS n FROM annual WHERE level = 'city'", "--csv")
    assert r.exit_code == 0, r.output
    assert r.output.strip().splitlines() == ["n", "2"]


ESCAPES = {
    "read /etc/passwd": "SELECT * FROM read_csv('/etc/passwd')",
    "read environ": "SELECT * FROM read_text('/proc/self/environ')",
    "read a file next to the study": "SELECT * FROM read_csv('{root}/secret.csv')",
    "read by relative path": "SELECT * FROM '../secret.csv'",
    "read the study's own file by path": "SELECT * FROM read_parquet('{study}/summary.parquet')",
    "glob": "SELECT * FROM glob('/etc/*')",
    "copy out": "COPY summary TO '{root}/leak.csv'",
    "overwrite the summary": "COPY (SELECT 1 AS x) TO '{study}/summary.parquet' (FORMAT parquet)",
    "export database": "EXPORT DATABASE '{root}/dump'",
    "attach": "ATTACH '{root}/x.duckdb' AS x",
    "install": "INSTALL httpfs",
    "load": "LOAD httpfs",
    "unlock": "SET enable_external_access = true",
    "unlock lock": "SET lock_configuration = false",
    "url": "SELECT * FROM read_csv('https://example.com/x.csv')",
}


@pytest.mark.parametrize("case", list(ESCAPES))
def test_query_cannot_leave_the_study(study, case):
    root = study.parent
    before = snapshot(root)
    sql = ESCAPES[case].format(root=root, study=study)
    r = invoke("query", study, sql)
    assert_bad_input(r)
    assert "hunter2" not in r.output and "root:" not in r.output
    assert snapshot(root) == before
    assert not (root / "leak.csv").exists() and not (root / "x.duckdb").exists() and not (root / "dump").exists()


def test_empty_query_is_a_clear_error(study):
    for sql in ("", "   ", "\n"):
        r = invoke("query", study, sql)
        assert_bad_input(r, "no SQL given", "summary")
        assert "INTERNAL" not in r.output.upper()


def test_glob_characters_in_the_study_path(study, tmp_path):
    from analysis.study.study import load_table

    rows = str(len(load_table(study, "annual")))
    for name in ("runs[2]", "a*b", "what?", "it's"):
        d = tmp_path / name
        shutil.copytree(study, d)
        r = invoke("query", d, "SELECT count(*) AS n FROM annual", "--csv")
        assert r.exit_code == 0, (name, r.output)
        assert r.output.strip().splitlines()[-1] == rows


def test_statements_without_a_result_do_not_fail(study):
    r = invoke("query", study, "CREATE TABLE t AS SELECT 1 AS x")
    assert r.exit_code == 0, r.output
