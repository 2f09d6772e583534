"""Same seeds, same numbers, whatever runs them: serial, local processes (1 and 2), Dask (2 workers).

The Dask cluster is real: a `dask scheduler` and a `dask worker` (2 worker processes) on 127.0.0.1,
started as subprocesses by a fixture and torn down after the module.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.study.executors import DaskExecutor, LocalExecutor, SerialExecutor, batches
from analysis.study.study import StudyScenario, StudySpec, load_table, run_study
from sim.parameters import defaults

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SMALL = {"run.scale": 0.01, "run.years": 1}


def small_spec(replications: int = 3) -> StudySpec:
    base = {**defaults(), **SMALL}
    return StudySpec(
        kind="simulate",
        replications=replications,
        seed=4242,
        scenarios=[
            StudyScenario("base", "den_haag", base),
            StudyScenario("more-staff", "den_haag", {**base, "staffing.individual_support_factor": 1.5}),
        ],
    )


def _outcomes(directory: Path) -> pd.DataFrame:
    df = load_table(directory, "annual")
    return df.sort_values(["scenario", "replication", "level", "area", "year"]).reset_index(drop=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    pytest.importorskip("distributed")
    tmp = tmp_path_factory.mktemp("dask")
    sched_file = tmp / "scheduler.json"
    dask = str(BIN / "dask") if (BIN / "dask").exists() else "dask"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    common = dict(cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    scheduler = subprocess.Popen(
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
    procs = [scheduler]
    try:
        deadline = time.time() + 60
        while not sched_file.exists() and time.time() < deadline:
            time.sleep(0.2)
        assert sched_file.exists(), "dask scheduler did not start"
        import json

        address = json.loads(sched_file.read_text())["address"]
        worker = subprocess.Popen(
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
        procs.append(worker)
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            _stop(p)


def test_batches_cover_every_item_once():
    items = list(range(23))
    for workers, size in [(1, None), (2, None), (4, 3), (2, 100)]:
        got = batches(items, workers, size)
        assert [x for b in got for x in b] == items
    assert len(batches(items, 2)) == 8  # ~4 batches per worker


@pytest.mark.slow
def test_same_numbers_whatever_the_executor(tmp_path, dask_cluster):
    spec = small_spec()
    results = {}
    executors = {
        "serial": lambda: SerialExecutor(),
        "local1": lambda: LocalExecutor(1),
        "local2": lambda: LocalExecutor(2),
        "dask2": lambda: DaskExecutor(dask_cluster),
    }
    for name, make in executors.items():
        with make() as ex:
            run_study(spec, tmp_path / name, ex, quiet=True, batch_size=None if name != "local2" else 1)
        results[name] = _outcomes(tmp_path / name)
    ref = results["serial"]
    assert len(ref) > 0 and set(ref.scenario) == {"base", "more-staff"}
    for name, df in results.items():
        pd.testing.assert_frame_equal(df, ref, check_exact=True, obj=name)
    # Common random numbers: both scenarios used the same seeds.
    seeds = ref.groupby("scenario").seed.apply(lambda s: sorted(set(s)))
    assert seeds["base"] == seeds["more-staff"]


def test_dask_executor_bad_address_is_a_clear_error():
    from analysis.study.executors import ExecutorError

    with pytest.raises(ExecutorError, match="cannot connect"):
        DaskExecutor("tcp://127.0.0.1:1", timeout=1)
