"""Sensitivity studies (issue 12): the pipeline recovers known indices, the dummy is a noise floor, PRIM
finds a planted box, bad input exits 2. Seeds and tolerances are stated in each test."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.sensitivity import sensitivity_spec
from analysis.sensitivity.design import DesignError, load_design
from analysis.sensitivity.runs import ishigami_indices
from analysis.study.study import StudyScenario, run_study

ROOT = Path(__file__).resolve().parents[1]
PI = math.pi


def _ishigami_design(tmp_path: Path, method: str, seed: int, extra: str = "", resamples: int = 300) -> Path:
    factors = "".join(
        f'[[factor]]\nname = "x{i}"\nlow = {-PI!r}\nhigh = {PI!r}\nsource = "Ishigami & Homma 1990"\n'
        for i in (1, 2, 3)
    )
    path = tmp_path / f"ishigami-{method}.toml"
    path.write_text(f'[design]\nmethod = "{method}"\nseed = {seed}\nresamples = {resamples}\n{extra}\n{factors}')
    return path


def _run_ishigami(tmp_path, method, seed, extra="", noise=0.0, executor=None, name="s", resamples=300):
    design = load_design(_ishigami_design(tmp_path, method, seed, extra, resamples), model=False)
    spec = sensitivity_spec(
        design, StudyScenario(name="ishigami", city="none", params={}), evaluator="ishigami", noise=noise
    )
    out = tmp_path / name
    run_study(spec, out, executor, quiet=True)
    return out, pd.read_parquet(out / "summary.parquet"), json.loads((out / "sensitivity.json").read_text())


def _pivot(idx, index):
    return idx[idx["index"] == index].set_index("factor")


@pytest.mark.slow
def test_sobol_recovers_ishigami_indices(tmp_path):
    """Sobol N=256 (seed 7), 1 replication, through the runner and store. Tolerance: every S1 and ST within
    0.1 of the analytic value, and within 2 x its own bootstrap half-width + 0.02."""
    out, idx, info = _run_ishigami(tmp_path, "sobol", 7, "samples = 256\nreplications = 1")
    truth = ishigami_indices()
    for index in ("S1", "ST"):
        p = _pivot(idx, index)
        for f in ("x1", "x2", "x3"):
            est, conf = p.loc[f, "value"], p.loc[f, "conf"]
            assert abs(est - truth[index][f]) < 0.1, (index, f, est)
            assert abs(est - truth[index][f]) < 2 * conf + 0.02, (index, f, est, conf)
        # A noiseless function: the dummy only moves the seed, which the function ignores -> exactly 0.
        assert p.loc["dummy", "value"] == 0.0
    assert set(_pivot(idx, "ST").query("above_noise").index) == {"x1", "x2", "x3"}
    conv = info["convergence"]["y|0"]
    assert conv["top3_full"][:2] == ["x1", "x2"] and conv["converged"]
    assert len(list((out / "outcomes" / "outcomes").rglob("run-*.parquet"))) == 256 * 6  # N (k + 2), k = 3 + dummy = 4


@pytest.mark.slow
def test_dummy_measures_noise_on_noisy_ishigami(tmp_path):
    """Ishigami + N(0, 2^2) noise from the run seed, 1 replication (Sobol N=256, seed 3). The dummy moves only
    the seed, so its total index is the noise's share of the variance, 4 / (V + 4) = 0.224; tolerance 0.1."""
    _out, idx, info = _run_ishigami(tmp_path, "sobol", 3, "samples = 256\nreplications = 1", noise=2.0)
    t = ishigami_indices()
    v = 0.5 * (1 + 0.1 * PI**4 / 5) ** 2 + 49 / 8 + 0.01 * PI**8 * (1 / 18 - 1 / 50)
    st = _pivot(idx, "ST")
    assert abs(st.loc["dummy", "value"] - 4 / (v + 4)) < 0.1
    assert info["noise_floor"]["y|0"]["value"] == st.loc["dummy", "value"]
    # x3 (true ST 0.24 of the noiseless variance) still clears the floor; x1 and x2 too.
    assert st.loc["x1", "above_noise"] and st.loc["x2", "above_noise"]
    assert t["ST"]["x1"] > t["ST"]["x3"]


@pytest.fixture(scope="module")
def dask_address(tmp_path_factory):
    """A real Dask cluster on 127.0.0.1 (scheduler + 2 worker processes), stopped after the module."""
    import os
    import signal
    import subprocess
    import sys
    import time

    pytest.importorskip("distributed")
    tmp = tmp_path_factory.mktemp("dask")
    sched_file = tmp / "scheduler.json"
    bindir = Path(sys.executable).parent
    dask = str(bindir / "dask") if (bindir / "dask").exists() else "dask"
    common = dict(
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    procs = [
        subprocess.Popen(
            [
                dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            **common,
        )
    ]
    try:
        deadline = time.time() + 60
        while not sched_file.exists() and time.time() < deadline:
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        procs.append(
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                    "--local-directory",
                    str(tmp),
                ],
                **common,
            )
        )
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(5)


@pytest.mark.slow
def test_morris_ishigami_ranks_and_same_numbers_in_every_executor(tmp_path, dask_address):
    """Morris r=20 (seed 5), 2 replications, noise sd 0.5: serial, 2 local processes and a 2-worker Dask cluster
    store bit-identical indices; x1 and x2 are above the dummy's floor; the dummy is far below the top factor."""
    from analysis.study.executors import DaskExecutor, LocalExecutor

    extra = "trajectories = 20\nreplications = 2"
    _o1, serial, _ = _run_ishigami(tmp_path, "morris", 5, extra, noise=0.5, name="serial")
    with LocalExecutor(2) as ex:
        _o2, local, _ = _run_ishigami(tmp_path, "morris", 5, extra, noise=0.5, executor=ex, name="local")
    with DaskExecutor(dask_address) as ex:
        _o3, dask, _ = _run_ishigami(tmp_path, "morris", 5, extra, noise=0.5, executor=ex, name="dask")
    pd.testing.assert_frame_equal(serial, local)
    pd.testing.assert_frame_equal(serial, dask)
    mu = _pivot(serial, "mu_star")
    assert mu.loc["x1", "above_noise"] and mu.loc["x2", "above_noise"]
    assert mu.loc["dummy", "value"] < 0.25 * mu[["value"]].drop("dummy").max().iloc[0]


SMALL = """
[design]
method = "morris"
seed = 11
replications = 3
trajectories = 4
levels = 4
resamples = 300
[[factor]]
name = "demand.episode_rate"
low = 0.07
high = 0.13
source = "estimate"
[[factor]]
name = "service.hours_per_contact"
low = 2.0
high = 3.5
source = "estimate"
"""


@pytest.mark.slow
def test_dummy_stays_below_noise_floor_on_the_model(tmp_path):
    """The real model, small: 2 factors + dummy, Morris r=4 (seed 11), 3 replications, scale 0.1, 2 years.
    The dummy's elementary effect is the difference of two replication means with different seeds, so
    E[mu*_dummy] = 2 sd / sqrt(pi R) / Delta (Delta = 2/3 at 4 levels), with sd the replication spread
    at a point. Tolerance: the dummy's mu* is at most 3x that prediction for the FTE and service-level
    outcomes, and the episode rate (which drives demand) is above the dummy's floor."""
    design = tmp_path / "small.toml"
    design.write_text(SMALL)
    out = tmp_path / "m"
    res = CliRunner().invoke(
        app,
        [
            "sensitivity",
            str(ROOT / "scenarios/baseline.toml"),
            "--design",
            str(design),
            "--set",
            "run.scale=0.1",
            "--set",
            "run.years=2",
            "--set",
            "run.warmup_weeks=13",
            "--out",
            str(out),
            "--workers",
            "0",
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "noise floor" in res.output
    idx = pd.read_parquet(out / "summary.parquet")
    points = pd.read_parquet(out / "points.parquet")
    info = json.loads((out / "sensitivity.json").read_text())
    last = info["last_year"]
    for outcome in ("fte_needed", "share_within_target"):
        sd = points[(points.outcome == outcome) & (points.year == last)]["sd"].mean()
        predicted = 2 * sd / math.sqrt(math.pi * 3) / (2 / 3)
        mu = idx[(idx.outcome == outcome) & (idx.year == last) & (idx["index"] == "mu_star")].set_index("factor")
        assert 0 < mu.loc["dummy", "value"] <= 3 * predicted, (outcome, mu.loc["dummy", "value"], predicted)
        assert mu.loc["demand.episode_rate", "above_noise"], outcome
    # every analysed outcome in the registry has an index; the headline names its drivers
    assert info["headline"]["drivers"][0]["factor"] in ("demand.episode_rate", "service.hours_per_contact")
    assert {"fte_needed", "share_within_target", "unmet_demand", "escalation_cost_eur", "total_cost_eur"} <= set(
        idx.outcome
    )
    assert any(o.startswith("fte_needed_sd@") for o in idx.outcome)


@pytest.mark.slow
def test_prim_finds_a_planted_box():
    """1,000 uniform points in 3 factors (seed 42); failures inside 0 <= a <= 0.3, 0.6 <= b <= 1 (c free),
    plus 3% label noise. Tolerance: box limits within 0.07 of the planted ones, c unrestricted,
    coverage and density >= 0.8."""
    from analysis.sensitivity.discovery import feature_scores, prim_boxes

    rng = np.random.default_rng(42)
    x = pd.DataFrame(rng.random((1000, 3)), columns=["a", "b", "c"])
    fails = ((x.a <= 0.3) & (x.b >= 0.6)).to_numpy()
    flip = rng.random(1000) < 0.03
    fails = fails ^ flip
    box = prim_boxes(x, fails)[0]
    assert set(box["limits"]) == {"a", "b"}
    assert abs(box["limits"]["a"][1] - 0.3) < 0.07 and abs(box["limits"]["b"][0] - 0.6) < 0.07
    assert box["coverage"] >= 0.8 and box["density"] >= 0.8
    scores = feature_scores(x, fails, seed=1)
    assert min(scores["a"], scores["b"]) > scores["c"]


def test_bad_design_is_rejected_with_the_field_named(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[factor]]\nname = "demand.no_such_thing"\nlow = 0\nhigh = 1\nsource = "x"\n')
    with pytest.raises(DesignError, match="demand.no_such_thing"):
        load_design(bad)
    bad.write_text('[[factor]]\nname = "demand.episode_rate"\nlow = 0.05\nhigh = 0.9\nsource = "x"\n')
    with pytest.raises(DesignError, match="'high'.*outside the allowed range"):
        load_design(bad)
    bad.write_text('[[factor]]\nname = "demand.episode_rate"\nlow = 0.05\nhigh = 0.1\n')
    with pytest.raises(DesignError, match="source"):
        load_design(bad)
    res = CliRunner().invoke(
        app, ["sensitivity", str(ROOT / "scenarios/baseline.toml"), "--design", str(bad), "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 2 and "source" in res.output
    assert not (tmp_path / "o").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    res = CliRunner().invoke(
        app,
        [
            "sensitivity",
            str(ROOT / "scenarios/baseline.toml"),
            "--design",
            str(ROOT / "scenarios/designs/baseline-morris.toml"),
            "--out",
            str(tmp_path / "full"),
        ],
    )
    assert res.exit_code == 2 and "holds files that are not welzijnsim results" in res.output
    assert (tmp_path / "full" / "x").read_text() == "keep me"


def test_shipped_design_is_valid_and_has_the_benchmark_size():
    d = load_design(ROOT / "scenarios/designs/baseline-morris.toml")
    assert len(d.names) == 10 and d.names[-1] == "dummy"
    assert all(f.source for f in d.factors)
    from analysis.sensitivity.design import sample

    assert len(sample(d)) * d.replications == 1100


@pytest.mark.slow
def test_documented_commands_at_small_scale(tmp_path):
    """README/docs/sensitivity.md: the shipped design through the CLI (r=2, 1 replication, scale 0.1, 2 years),
    then its report, then --resume of the finished study (nothing recomputed)."""
    out = tmp_path / "sens"
    args = [
        "sensitivity",
        str(ROOT / "scenarios/baseline.toml"),
        "--design",
        str(ROOT / "scenarios/designs/baseline-morris.toml"),
        "--trajectories",
        "2",
        "--replications",
        "1",
        "--set",
        "run.scale=0.1",
        "--set",
        "run.years=2",
        "--set",
        "run.warmup_weeks=13",
        "--out",
        str(out),
        "--workers",
        "0",
        "--quiet",
    ]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert len(list((out / "outcomes").rglob("run-*.parquet"))) == 2 * (10 + 1) * 1  # r (k + 1), k = 9 + dummy
    before = {p: p.stat().st_mtime_ns for p in (out / "outcomes").rglob("run-*.parquet")}
    res = CliRunner().invoke(app, ["sensitivity", "--resume", "--out", str(out), "--workers", "0", "--quiet"])
    assert res.exit_code == 0, res.output
    assert {p: p.stat().st_mtime_ns for p in (out / "outcomes").rglob("run-*.parquet")} == before
    res = CliRunner().invoke(app, ["report", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert (out / "report" / "report-en.html").is_file()


@pytest.mark.slow
def test_delta_and_sobol_report_on_ishigami(tmp_path):
    """Delta (N=256 Latin hypercube, seed 9, 10 bootstrap resamples: delta's kernel estimates are slow):
    x1 and x2 are above the dummy's floor. Then a report of a Sobol study (N=64) shows the S1/ST bars of the
    function's own outcome."""
    _out, idx, info = _run_ishigami(tmp_path, "delta", 9, "samples = 256\nreplications = 1", name="delta", resamples=10)
    d = _pivot(idx, "delta")
    assert d.loc["x1", "above_noise"] and d.loc["x2", "above_noise"]
    assert d.loc["dummy", "value"] < min(d.loc["x1", "value"], d.loc["x2", "value"])
    out, _idx, _ = _run_ishigami(tmp_path, "sobol", 7, "samples = 64\nreplications = 1", name="sobol")
    res = CliRunner().invoke(app, ["report", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    html = (out / "report" / "report-en.html").read_text()
    assert 'data-figure="indices-0-y-0.png"' in html and "ST" in html and "S1" in html
