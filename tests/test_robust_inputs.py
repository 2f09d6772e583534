"""Generated bad input for scenario files, `--set` and command options (issue 13).

Every case asserts the same contract: exit code 2, no traceback, a message naming the field (or option),
and no existing file changed. Hypothesis generates the documents and values; `derandomize=True` keeps
each run of the suite on the same examples (the seed is fixed by the test's name), so a failure repeats.
Everything runs in-process through the Typer app (`validate`, and `run` with a bad input fails before
computing), so the whole file takes seconds.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import pytest
from conftest import BASELINE
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from analysis.cli import app
from sim.parameters import PARAMETERS

runner = CliRunner()
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NUMERIC = [n for n, p in PARAMETERS.items() if p.kind in (int, float)]
ANY_PARAM = list(PARAMETERS)


def invoke(*args) -> object:
    return runner.invoke(app, [str(a) for a in args])


def snapshot(root: Path) -> dict[str, str]:
    """Path → content hash of every file under `root` (to show nothing existing changed)."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def assert_bad_input(result, *words: str) -> None:
    text = result.output
    assert result.exit_code == 2, f"exit {result.exit_code}: {text}\n{result.exception!r}"
    assert "Traceback" not in text, text
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "error:" in text or "Error:" in text, text
    for w in words:
        assert w in text, f"{w!r} not in message: {text}"


# ---- strategies --------------------------------------------------------------------------------
def _toml(v) -> str:
    """A TOML literal for the generated values (tomllib has no writer)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def _deep(depth: int, inline_table: bool) -> str:
    if inline_table:
        return "{a = " * depth + "1" + "}" * depth
    return "[" * depth + "1" + "]" * depth


huge_ints = st.integers(min_value=20, max_value=6000).map(lambda n: "9" * n)
deep_values = st.tuples(st.integers(min_value=2, max_value=3000), st.booleans()).map(lambda t: _deep(*t))
bad_literals = st.one_of(
    huge_ints,
    huge_ints.map(lambda s: "-" + s),
    deep_values,
    st.sampled_from(["nan", "inf", "-inf", "+nan", "[]", "{}", "[1, 2]", '"ten"', "1979-05-27", "{x = 1}"]),
)


def bad_for(name: str, literal: str) -> bool:
    """Is `literal` certainly invalid for the parameter `name`? (a few generated literals might fit)."""
    p = PARAMETERS[name]
    if p.kind is str:
        return literal.strip('"') not in p.choices
    return True


# ---- scenario files ----------------------------------------------------------------------------
@pytest.mark.slow
@SETTINGS
@given(name=st.sampled_from(ANY_PARAM), literal=bad_literals, bom=st.booleans())
def test_generated_bad_scenario_values_exit_2_naming_the_field(tmp_path_factory, name, literal, bom):
    assume(bad_for(name, literal))
    d = tmp_path_factory.mktemp("sc")
    group, key = name.split(".", 1)
    f = d / "bad.toml"
    text = f'[scenario]\nname = "x"\n\n[{group}]\n{key} = {literal}\n'
    f.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    before = snapshot(d)
    assert_bad_input(invoke("validate", f), str(f), name)
    assert snapshot(d) == before


unsafe_names = st.one_of(
    st.sampled_from(["..", ".", "-x", ".hidden", "a/b", "a\\b", "", " ", "a b", "x=y", "../up", "é"]),
    st.integers(min_value=101, max_value=2000).map(lambda n: "a" * n),
    st.text(alphabet='./\\:*?"<>| \t', min_size=1, max_size=8),
)


@pytest.mark.slow
@SETTINGS
@given(name=unsafe_names)
def test_path_unsafe_scenario_names_exit_2(tmp_path_factory, name):
    d = tmp_path_factory.mktemp("nm")
    f = d / "n.toml"
    f.write_text(f"[scenario]\nname = {_toml(name)}\n", encoding="utf-8")
    assert_bad_input(invoke("validate", f), "scenario.name")
    assert_bad_input(
        invoke("run", BASELINE, "--set", f"scenario.name={_toml(name)}", "--out", d / "o"), "scenario.name"
    )
    assert not (d / "o").exists()


def test_scenario_named_dotdot_never_writes_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text('[scenario]\nname = ".."\n', encoding="utf-8")
    assert_bad_input(invoke("run", "s.toml"), "scenario.name", "..")
    assert sorted(os.listdir(tmp_path)) == ["s.toml"]


@pytest.mark.parametrize(
    "data,words",
    [
        (b"\xff\xfe[\x00s\x00]\x00", ["UTF-8"]),  # UTF-16 file
        (b'[scenario]\nname = "caf\xe9"\n', ["UTF-8", "byte"]),  # Latin-1
        (b"[scenario\nname = 1", ["not valid TOML"]),
    ],
)
def test_unreadable_scenario_files_exit_2(tmp_path, data, words):
    f = tmp_path / "x.toml"
    f.write_bytes(data)
    assert_bad_input(invoke("validate", f), str(f), *words)


def test_utf8_bom_is_accepted(tmp_path):
    f = tmp_path / "bom.toml"
    f.write_bytes("\ufeff".encode() + b'[scenario]\nname = "bom"\nbase = "baseline"\n')
    r = invoke("validate", f)
    assert r.exit_code == 0, r.output


def test_directory_as_scenario_exits_2(tmp_path):
    assert_bad_input(invoke("validate", tmp_path), str(tmp_path), "directory")


def test_missing_scenario_path_is_shown_as_typed(tmp_path):
    typo = BASELINE.with_suffix(".tml")
    assert_bad_input(invoke("validate", typo), f"{typo}: scenario file not found", str(BASELINE))
    assert ".tml.toml" not in invoke("validate", typo).output


# ---- base resolution -----------------------------------------------------------------------------
@pytest.mark.parametrize("base", ["other", "other.toml", "./other.toml"])
def test_base_resolves_next_to_the_scenario_file_whatever_the_working_directory(tmp_path, monkeypatch, base):
    d = tmp_path / "scen"
    d.mkdir()
    (d / "other.toml").write_text('[scenario]\nname = "other"\n[run]\nyears = 3\n', encoding="utf-8")
    (d / "main.toml").write_text(f'[scenario]\nname = "main"\nbase = "{base}"\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "other.toml").write_text('[scenario]\nname = "decoy"\n[run]\nyears = 7\n', encoding="utf-8")
    monkeypatch.chdir(elsewhere)  # a file of the same name in the working directory must not be used
    from scenarios.loader import load_scenario

    assert load_scenario(d / "main.toml").params()["run.years"] == 3


def test_shipped_base_still_found_from_a_copy(tmp_path):
    f = tmp_path / "copy.toml"
    f.write_text('[scenario]\nname = "copy"\nbase = "baseline"\n', encoding="utf-8")
    from scenarios.loader import load_scenario

    assert load_scenario(f).params()["run.warmup_weeks"] == 52


# ---- --set ------------------------------------------------------------------------------------
@pytest.mark.slow
@SETTINGS
@given(name=st.sampled_from(ANY_PARAM), literal=bad_literals)
def test_generated_bad_set_values_exit_2_naming_the_field(tmp_path_factory, name, literal):
    assume(bad_for(name, literal))
    d = tmp_path_factory.mktemp("set")
    assert_bad_input(invoke("run", BASELINE, "--set", f"{name}={literal}", "--out", d / "o", "--quiet"), name)
    assert not (d / "o").exists()


@pytest.mark.slow
@SETTINGS
@given(first=st.sampled_from(NUMERIC), second=st.sampled_from(NUMERIC), sep=st.sampled_from(["\n", "\r\n", "\r"]))
def test_set_value_with_a_line_break_is_refused(tmp_path_factory, first, second, sep):
    d = tmp_path_factory.mktemp("nl")
    default = PARAMETERS[first].default
    assert_bad_input(
        invoke("run", BASELINE, "--set", f"{first}={default}{sep}{second}=1", "--out", d / "o"), first, "line break"
    )


@pytest.mark.parametrize(
    "assignment,words",
    [
        ("scenario.city=atlantis", ["--set scenario.city=atlantis", "scenario.city", "atlantis"]),
        ("scenario.city=../../etc/passwd", ["scenario.city"]),
        ("scenario.base=does-not-exist", ["--set scenario.base=does-not-exist", "scenario.base", "does-not-exist"]),
        ("scenario.base=5", ["scenario.base"]),
        ("scale=0.2", ["'run.scale'"]),
        ("years=2", ["'run.years'"]),
        ("demand.scale=0.2", ["demand.scale"]),
        ("=3", ["--set =3"]),
    ],
)
def test_set_scenario_fields_are_validated(tmp_path, assignment, words):
    assert_bad_input(invoke("run", BASELINE, "--set", assignment, "--out", tmp_path / "o"), *words)
    assert not (tmp_path / "o").exists()


def test_set_scenario_base_is_applied(tmp_path):
    from scenarios.loader import load_scenario

    f = tmp_path / "plain.toml"
    f.write_text('[scenario]\nname = "plain"\n', encoding="utf-8")
    assert load_scenario(f).params()["run.warmup_weeks"] == 0
    assert load_scenario(f, ["scenario.base=baseline"]).params()["run.warmup_weeks"] == 52


# ---- options ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args,words",
    [
        (["--replications", "0"], ["--replications 0"]),
        (["--replications", "-3"], ["--replications -3"]),
        (["--replications", "100001"], ["--replications 100001"]),
        (["--seed", "-1"], ["--seed -1"]),
        (["--seed", str(2**70)], ["--seed"]),
    ],
)
@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "check-model", "staffing", "budget"])
def test_bad_seed_and_replications_name_the_option(tmp_path, command, args, words):
    r = invoke(
        command,
        BASELINE,
        *args,
        "--out" if command != "check-model" else "--quiet",
        *([tmp_path / "o"] if command != "check-model" else []),
    )
    assert_bad_input(r, *words)
    assert "--set" not in r.output  # the user never typed a --set


def test_study_batch_size_and_replications(tmp_path):
    for args, word in (
        (["--batch-size", "0"], "--batch-size 0"),
        (["--batch-size", "-2"], "--batch-size -2"),
        (["--replications", "0"], "--replications 0"),
        (["--workers", "-1"], "--workers -1"),
    ):
        assert_bad_input(invoke("study", BASELINE, *args, "--out", tmp_path / "s"), word)
        assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    "address",
    [
        "tcp://",
        "tcp://nohost:notaport",
        "udp://1.2.3.4:1",
        "tcp://[::1",
        "nonsense",
        "tcp://127.0.0.1:99999",
        "tcp://127.0.0.1:1",
    ],
)
def test_malformed_or_dead_scheduler_fails_fast(tmp_path, address):
    import time

    t0 = time.monotonic()
    assert_bad_input(
        invoke("study", BASELINE, "--scheduler", address, "--out", tmp_path / "s", "--quiet"), "--scheduler"
    )
    assert time.monotonic() - t0 < 15
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())


def test_out_an_existing_file_exits_2_before_computing(tmp_path):
    f = tmp_path / "results.txt"
    f.write_text("keep me", encoding="utf-8")
    for command in ("run", "study", "staffing", "budget"):
        assert_bad_input(invoke(command, BASELINE, "--out", f), "--out", str(f))
    assert f.read_text(encoding="utf-8") == "keep me"


def test_out_a_name_too_long_exits_2(tmp_path):
    assert_bad_input(invoke("run", BASELINE, "--out", tmp_path / ("x" * 300)), "--out")


def test_targets_a_directory_exits_2(tmp_path):
    assert_bad_input(invoke("check-model", BASELINE, "--targets", tmp_path), "--targets", str(tmp_path))


def test_quiet_is_a_flag_in_help():
    r = invoke("run", "--help")
    assert r.exit_code == 0 and "--quiet" in r.output and "<bool>" not in r.output


# ---- generated options ----------------------------------------------------------------------------
bad_counts = st.one_of(st.integers(max_value=0), st.integers(min_value=10_001, max_value=10**30))


@pytest.mark.slow
@SETTINGS
@given(value=bad_counts, command=st.sampled_from(["run", "staffing", "budget", "study", "check-model"]))
def test_generated_bad_replications(tmp_path_factory, value, command):
    d = tmp_path_factory.mktemp("reps")
    out = [] if command == "check-model" else ["--out", d / "o"]
    r = invoke(command, BASELINE, "--replications", str(value), *out)
    assert_bad_input(r, f"--replications {value}")
    assert "--set" not in r.output
    assert not (d / "o").exists()


@pytest.mark.slow
@SETTINGS
@given(value=st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63, max_value=2**200)))
def test_generated_bad_seeds(tmp_path_factory, value):
    d = tmp_path_factory.mktemp("seed")
    assert_bad_input(invoke("run", BASELINE, "--seed", str(value), "--out", d / "o"), f"--seed {value}")
    assert not (d / "o").exists()


@pytest.mark.slow
@SETTINGS
@given(option=st.sampled_from(["--batch-size", "--workers"]), value=st.integers(max_value=-1) | st.just(0))
def test_generated_bad_study_options(tmp_path_factory, option, value):
    assume(not (option == "--workers" and value == 0))  # 0 workers = serial, allowed
    d = tmp_path_factory.mktemp("opt")
    assert_bad_input(invoke("study", BASELINE, option, str(value), "--out", d / "s"), f"{option} {value}")
    assert not (d / "s").exists()


def test_progress_moves_before_the_first_run_ends():
    import io
    import time

    from analysis.study.executors import Progress

    stream = io.StringIO()  # a log, not a terminal: plain lines every `interval`
    bar = Progress(3, "replications", stream=stream, interval=0.05)
    time.sleep(0.4)
    drawn = stream.getvalue().splitlines()
    assert len(drawn) >= 3, drawn  # redrawn while nothing finished
    assert all("0/3" in line and "working" in line for line in drawn)
    # A run under way reports how far it is (a staffing search: its model runs): the share and the ETA move
    # before any run has finished.
    bar.partial("replication 0", 0.3)
    time.sleep(0.2)
    later = stream.getvalue().splitlines()[len(drawn) :]
    bar.close()
    assert later and all("0/3" in line and "ETA ?" not in line and "10%" in line for line in later), later
