"""The `welzijnsim` command line, called through the installed console script.

Every subprocess is started once, by the module fixture `cli`, two at a time; the tests then read the
outcomes. Extra bad-input cases run in-process through the same Typer app (fast) in the second part.
"""

from __future__ import annotations

import json
import tomllib
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, DATA, ROOT, run_cli, welzijnsim_command
from test_city import STADSDELEN
from test_scenarios import BAD_FILES, BAD_SETS
from typer.testing import CliRunner

from scenarios.loader import load_scenario
from sim.model import run_model
from sim.results import FLOWS
from sim.streams import replication_seeds

SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))
SMALL_SET = ["--set", "run.scale=0.02", "--set", "run.years=2"]

# Each call of the script costs about a second of imports, so the script runs the cases the CLI contract
# names; the remaining bad-input cases run in-process through the same Typer app further down.
SCRIPT_BAD_FILES = [
    "bad_toml.toml",
    "bad_unknown_key.toml",
    "bad_out_of_range.toml",
    "bad_wrong_type.toml",
    "bad_missing_scenario.toml",
]
SCRIPT_BAD_SETS = ["unknown key", "out of range", "no equals sign"]


def cases(out: Path) -> dict[str, list[str]]:
    c: dict[str, list[str]] = {"validate baseline": ["validate", str(BASELINE)]}
    for name in SCRIPT_BAD_FILES:
        c[f"validate {name}"] = ["validate", str(DATA / name)]
    for case in SCRIPT_BAD_SETS:
        c[f"set {case}"] = [
            "run",
            str(BASELINE),
            *SMALL_SET,
            "--set",
            BAD_SETS[case][0],
            "--out",
            str(out / case),
            "--quiet",
        ]
    c["e2e"] = ["run", str(BASELINE), *SMALL_SET, "--out", str(out / "e2e"), "--quiet"]
    return c


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """Run every case through the console script (cwd: a scratch directory), two at a time.
    Returns case name → CompletedProcess, and "_out" → the scratch directory."""
    out = tmp_path_factory.mktemp("cli")
    todo = cases(out)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_cli, *args, cwd=out) for name, args in todo.items()}
        return {name: f.result() for name, f in futures.items()} | {"_out": out}


def assert_bad_input(result, words: list[str]):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    for word in words:
        assert word in result.stderr, f"{word!r} not in: {result.stderr}"


# ---- the console script ---------------------------------------------------------------------------
def test_console_script_is_installed():
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("welzijnsim") == "analysis.cli:app"
    assert Path(welzijnsim_command()[0]).name.startswith("welzijnsim"), "console script next to the interpreter"


def test_pyproject_installs_every_package():
    """setuptools installs only the packages listed (sub-packages are not found by themselves): a package
    missing there works from a checkout and breaks in an installed wheel."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("sim", "scenarios", "analysis", "app")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found == listed


@pytest.mark.slow
def test_validate_baseline(cli):
    r = cli["validate baseline"]
    assert r.returncode == 0, r.stderr
    assert "valid scenario 'baseline'" in r.stdout


@pytest.mark.parametrize("name", SCRIPT_BAD_FILES)
def test_malformed_scenario_file_exits_2_naming_the_field(cli, name):
    assert_bad_input(cli[f"validate {name}"], [name, *BAD_FILES[name]])


@pytest.mark.parametrize("case", SCRIPT_BAD_SETS)
def test_bad_set_exits_2_naming_the_field(cli, case):
    assignment, words = BAD_SETS[case]
    assert_bad_input(cli[f"set {case}"], ["--set", *words])
    assert not (cli["_out"] / case).exists(), "nothing is written on bad input"


# ---- end to end -----------------------------------------------------------------------------------
ANNUAL_COLUMNS = {
    "replication",
    "seed",
    "year",
    "area",
    "registered_population",
    "actual_population",
    *FLOWS,
    "waiting_first_end",
    "open_cases_end",
    "unique_clients",
    "contacts_per_client",
    "mean_wait_weeks",
    "p90_wait_weeks",
    "utilisation",
    "fte_individual_support",
    "fte_area_based",
    "fte_total",
    "cost_eur",
}
WEEKLY_COLUMNS = {
    "replication",
    "seed",
    "week",
    "year",
    "area",
    *FLOWS,
    "waiting_first",
    "open_cases",
    "contact_capacity",
    "client_hours",
    "mean_wait_weeks",
    "p90_wait_weeks",
    "utilisation",
}


def test_run_prints_the_table_for_every_stadsdeel(cli):
    r = cli["e2e"]
    assert r.returncode == 0, r.stderr
    for name in STADSDELEN + ["Den Haag"]:
        assert name in r.stdout, name
    for year in ("2026", "2027"):
        assert year in r.stdout
    assert "FTE" in r.stdout and "cost" in r.stdout


def test_run_is_quiet_when_asked(cli):
    assert "replication" not in cli["e2e"].stderr


def test_run_writes_readable_parquet_with_the_expected_columns(cli):
    out = cli["_out"] / "e2e"
    years = [2026, 2027]
    expected = {
        "annual_city": (ANNUAL_COLUMNS, 1),
        "annual_stadsdeel": (ANNUAL_COLUMNS, len(STADSDELEN)),
        "annual_service_point": (ANNUAL_COLUMNS, None),
        "weekly_stadsdeel": (WEEKLY_COLUMNS, None),
    }
    for name, (columns, areas) in expected.items():
        df = pd.read_parquet(out / f"{name}.parquet")
        missing = columns - set(df.columns)
        assert not missing, f"{name}: missing {sorted(missing)}"
        assert sorted(df["year"].unique()) == years, name
        if areas is not None:
            assert len(df) == areas * len(years), name
    sd = pd.read_parquet(out / "annual_stadsdeel.parquet")
    assert sorted(sd["area"].unique()) == STADSDELEN
    weekly = pd.read_parquet(out / "weekly_stadsdeel.parquet")
    assert len(weekly) == 104 * len(STADSDELEN)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"] == "baseline" and manifest["replications"] == 1
    assert (out / "scenario.toml").is_file()
    assert not list(out.glob(".*.tmp")), "no temporary files left behind"


def test_results_written_by_the_cli_equal_an_in_process_run(cli, city):
    """The CLI derives the replication seed from the study seed and runs the model in another process:
    the numbers must be the same as here (no process-dependent randomness such as hash seeds)."""
    out = cli["_out"] / "e2e"
    written = pd.read_parquet(out / "annual_stadsdeel.parquet")
    sc = load_scenario(BASELINE, ["run.scale=0.02", "run.years=2"])
    seed = replication_seeds(sc.meta.seed, 1)[0]
    assert (written["seed"] == seed).all()
    here = run_model(city, sc.params(), seed).annual("stadsdeel")
    for col in ("help_requests", "contacts", "unique_clients", "dropped_first", "fte_total", "cost_eur"):
        np.testing.assert_allclose(written[col].to_numpy(), here[col].to_numpy(), rtol=1e-12, err_msg=col)


@pytest.mark.slow
def test_replications_have_their_own_seeds(tmp_path):
    """In-process (the script itself is covered above): two replications from study seed 7."""
    r = invoke(
        "run",
        BASELINE,
        "--set",
        "run.scale=0.02",
        "--set",
        "run.years=1",
        "--replications",
        "2",
        "--seed",
        "7",
        "--out",
        tmp_path,
    )
    assert r.exit_code == 0, r.output
    assert "replication 2/2 done" in r.stderr  # progress goes to stderr unless --quiet
    city = pd.read_parquet(tmp_path / "annual_city.parquet")
    assert sorted(city["replication"].unique()) == [0, 1]
    assert list(city.groupby("replication")["seed"].first()) == replication_seeds(7, 2)
    by_rep = city.set_index("replication")
    # Different seeds give different runs (one column alone can tie by chance at this small scale).
    cols = ["help_requests", "contacts", "unique_clients"]
    assert (by_rep.loc[0, cols] != by_rep.loc[1, cols]).any()
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["seed"] == 7


def test_scenario_written_with_the_results_reloads_to_the_same_scenario(cli):
    written = cli["_out"] / "e2e" / "scenario.toml"
    sc = load_scenario(written)
    assert sc.params() == load_scenario(BASELINE, ["run.scale=0.02", "run.years=2"]).params()
    # ... and records where each value came from (issue 8): --set, the scenario file, the defaults
    prov = tomllib.loads(written.read_text(encoding="utf-8"))["provenance"]
    assert prov["run.scale"] == prov["run.years"] == "--set"
    assert prov["run.warmup_weeks"] == prov["scenario.name"] == f"file {BASELINE}"
    assert prov["demand.give_up_per_week"] == "default"


# ---- more bad input, in-process through the same app ---------------------------------------------
runner = CliRunner()


def invoke(*args: str):
    from analysis.cli import app

    return runner.invoke(app, [str(a) for a in args])


def test_help_lists_the_commands():
    r = invoke("--help")
    assert r.exit_code == 0
    for command in ("run", "validate"):
        assert command in r.stdout


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_validate_every_shipped_scenario(path):
    r = invoke("validate", path)
    assert r.exit_code == 0, r.stderr
    assert "valid scenario" in r.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BAD_FILES))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_every_malformed_file_exits_2(tmp_path, command, name):
    extra = ["--out", tmp_path / "out", "--quiet"] if command == "run" else []
    r = invoke(command, DATA / name, *extra)
    assert r.exit_code == 2, r.output
    for word in [name, *BAD_FILES[name]]:
        assert word in r.stderr
    assert not (tmp_path / "out").exists(), "nothing is written on bad input"


@pytest.mark.parametrize("case", list(BAD_SETS))
def test_every_bad_set_exits_2(tmp_path, case):
    r = invoke("run", BASELINE, *SMALL_SET, "--set", BAD_SETS[case][0], "--out", tmp_path / "out", "--quiet")
    assert r.exit_code == 2, r.output
    for word in BAD_SETS[case][1]:
        assert word in r.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [["--seed", "-1"], ["--replications", "0"]], ids=["seed", "replications"])
def test_bad_seed_or_replications_exit_2(tmp_path, args):
    r = invoke("run", BASELINE, *SMALL_SET, *args, "--out", tmp_path / "o", "--quiet")
    assert r.exit_code == 2, r.output
    assert f"{args[0]} {args[1]}" in r.stderr and "--set" not in r.stderr  # named as typed (issue 13)


def test_year_outside_the_run_exits_2(tmp_path):
    r = invoke("run", BASELINE, *SMALL_SET, "--year", "1999", "--out", tmp_path / "o", "--quiet")
    assert r.exit_code == 2, r.output
    assert "--year 1999" in r.stderr and "2026-2027" in r.stderr


def test_missing_scenario_file_exits_2(tmp_path):
    r = invoke("validate", tmp_path / "nope.toml")
    assert r.exit_code == 2 and "not found" in r.stderr
