"""`welzijnsim check-model`: face validation against figures.md, and its building blocks.

The CLI runs are small (scale 0.05, one reported year after the baseline's 52-week warm-up); they
check that every target of analysis/validation/targets.toml is printed with its source and a verdict, that the
command exits 0 whatever the verdicts (it is a report) and 2 on bad input.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA, run_cli

from analysis.validation.validation import (
    TARGETS_FILE,
    Target,
    TargetError,
    check_model,
    contact_concentration,
    format_check,
    load_targets,
)

SMALL = ["--set", "run.scale=0.05", "--set", "run.years=1"]


def test_targets_file_is_valid_and_sourced():
    targets = load_targets()
    assert len(targets) >= 10
    for t in targets:
        assert "figures.md" in t.source or "source 00" in t.source, t.name
        assert t.low < t.high


@pytest.mark.slow
def test_check_model_prints_every_target_and_exits_0():
    out = run_cli("check-model", *SMALL, "--replications", "2", "--quiet")
    assert out.returncode == 0, out.stderr
    for t in load_targets():
        assert t.label in out.stdout, t.name
        assert f"[{t.name}] source: {t.source}" in out.stdout
    # two replications: every simulated value has a band "(min to max)"
    assert out.stdout.count(" to ") >= 2 * len(load_targets())
    assert "targets in range." in out.stdout
    lines = [line for line in out.stdout.splitlines() if line.rstrip().endswith((" ok", " LOW", " HIGH"))]
    assert len(lines) == len(load_targets())


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["--year", "1999"], "--year 1999: outside the simulated years"),
        (["--targets", str(DATA / "calib_bad_targets.toml")], "field 'high'"),
    ],
)
def test_check_model_bad_input_exits_2(args, message):
    out = run_cli("check-model", *SMALL, *args, "--quiet")
    assert out.returncode == 2, out.stdout + out.stderr
    assert message in out.stderr


def test_bad_targets_file_names_target_and_field():
    with pytest.raises(TargetError) as exc:
        load_targets(DATA / "calib_bad_targets.toml")
    text = str(exc.value)
    assert "calib_bad_targets.toml" in text and "target #2 ('too_narrow')" in text and "field 'high'" in text


def test_contact_concentration():
    # 4 clients with 1 contact, 1 client with 6: top 25% (2 clients) make 7 of 10 contacts; the single
    # client with 6 contacts is 20% of clients and makes more than half.
    top, half = contact_concentration(np.array([0, 1, 1, 1, 1, 6, 0]))
    assert top == pytest.approx(0.7)
    assert half == pytest.approx(0.2)
    top, half = contact_concentration(np.full(8, 3))  # everyone equal: no concentration
    assert top == pytest.approx(0.25) and half == pytest.approx(0.5)
    assert np.isnan(contact_concentration(np.zeros(5))[0])


def test_target_distance_and_status():
    t = Target(name="x", label="x", source="figures.md", column="contacts", value=3.0, low=2.0, high=5.0)
    assert t.z(3.0) == 0 and t.z(2.0) == -1 and t.z(5.0) == 1 and t.z(7.0) == 2
    assert [t.status(v) for v in (1.9, 3.0, 5.1)] == ["LOW", "ok", "HIGH"]
    flat = Target(name="y", label="y", source="figures.md", column="contacts", low=0.5, high=1.0)
    assert flat.z(0.7) == 0 and flat.z(0.25) == pytest.approx(-1.0)


def test_check_model_api_markdown(city):
    from scenarios.loader import load_scenario

    sc = load_scenario("baseline", ["run.scale=0.03", "run.years=1"])
    res = check_model(city, sc.params(), 7, 1, targets_path=TARGETS_FILE, scenario="baseline")
    assert res.values.shape == (1, len(load_targets()))
    assert np.isfinite(res.values).all()
    text = format_check(res, markdown=True)
    assert "| Target | Simulated | Range | In range | Source |" in text
    frame = res.frame()
    assert set(frame.status) <= {"ok", "LOW", "HIGH"}
