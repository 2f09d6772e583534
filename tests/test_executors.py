"""Same seeds, same numbers, whatever runs them: serial, local processes (1 and 2), Dask (2 workers).

The Dask cluster is real: a `dask scheduler` and a `dask worker` (2 worker processes) on 127.0.0.1,
started as subprocesses by a fixture and torn down after the module.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.study.executors import DaskExecutor, LocalExecutor, Progress, SerialExecutor, batches
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


# ---- partial progress from inside tasks (issue 8) ----------------------------------------------------
def reporting_task(task: int) -> int:
    """A task that reports half-way, then works a little: the report must reach the parent before the
    result does (top level, so spawned workers import it)."""
    from analysis.study.executors import report_progress

    report_progress(("t", task), 0.5)
    time.sleep(0.5)
    return task


@pytest.mark.parametrize("make", [SerialExecutor, lambda: LocalExecutor(1)], ids=["serial", "local1"])
def test_partial_progress_reaches_the_parent_while_the_task_runs(make):
    events = []
    with make() as ex:
        for _i, result in ex.imap_unordered(reporting_task, [1, 2], lambda k, f: events.append(("partial", k, f))):
            events.append(("result", result))
    # Each task's report comes before its result (the next task may report before this result is handed on).
    assert sorted(events) == [("partial", ("t", 1), 0.5), ("partial", ("t", 2), 0.5), ("result", 1), ("result", 2)]
    for k in (1, 2):
        assert events.index(("partial", ("t", k), 0.5)) < events.index(("result", k)), events


def test_without_a_listener_reports_go_nowhere():
    from analysis.study.executors import report_progress

    report_progress(("t", 0), 0.5)  # no executor listens: nothing happens
    with SerialExecutor() as ex:
        assert list(ex.imap_unordered(reporting_task, [3])) == [(0, 3)]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counts_partial_runs_and_ignores_late_reports():
    bar = Progress(4, "replications", stream=io.StringIO(), already=1, interval=60)
    assert bar.eta() is None and "ETA ?" in bar.times_text()
    bar.partial("a", 0.25)
    bar.partial("a", 0.1)  # never backwards
    bar.partial("b", 0.5)
    assert bar.completed == pytest.approx(1.75) and bar.eta() is not None and "ETA ?" not in bar.times_text()
    bar.finish("a")
    bar.partial("a", 0.9)  # a report that arrives after its run's result
    assert bar.completed == pytest.approx(2.5) and bar.counts_text() == "2/4 replications"
    bar.close()


def test_progress_in_a_log_is_a_line_at_start_and_end_not_one_per_update():
    stream = io.StringIO()
    bar = Progress(50, "runs", stream=stream, interval=60)
    for k in range(50):
        bar.partial(k, 0.5)
        bar.finish(k)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue(), lines
    assert lines[0].startswith("  0% 0/50 runs") and lines[1].startswith("100% 50/50 runs")


def test_progress_on_a_terminal_is_a_rich_bar():
    stream = Tty()
    bar = Progress(3, "replications", stream=stream)
    bar.partial("a", 0.5)
    for k in "abc":
        bar.finish(k)
    bar.close()
    out = stream.getvalue()
    assert "3/3 replications" in out and "100%" in out and "━" in out


@pytest.mark.slow
def test_staffing_search_progress_moves_before_the_first_replication_ends_and_changes_no_number(tmp_path, monkeypatch):
    """A staffing study's bar moves with the model runs of each search (local processes report through a
    queue), and the stored answers equal those of a quiet serial study (progress reads no random stream)."""
    import analysis.study.study as study
    from analysis.staffing.staffing import Target

    events = []

    class Recording(Progress):
        def partial(self, key, fraction):
            events.append(("partial", fraction))
            super().partial(key, fraction)

        def finish(self, key):
            events.append(("finish", key))
            super().finish(key)

    monkeypatch.setattr(study, "Progress", Recording)
    base = {**defaults(), "run.scale": 0.01, "run.years": 1}
    spec = StudySpec(
        kind="staffing",
        replications=2,
        seed=4242,
        scenarios=[StudyScenario("base", "den_haag", base)],
        options={"target": Target().options()},
    )
    with LocalExecutor(1) as ex:
        run_study(spec, tmp_path / "local", ex, batch_size=1)
    first_finish = next(i for i, e in enumerate(events) if e[0] == "finish")
    before = [f for kind, f in events[:first_finish] if kind == "partial"]
    assert len(before) >= 3 and 0 < before[0] < 0.5 and max(before) <= 1.0, events
    run_study(spec, tmp_path / "serial", SerialExecutor(), quiet=True)
    pd.testing.assert_frame_equal(
        load_table(tmp_path / "local", "staffing"), load_table(tmp_path / "serial", "staffing"), check_exact=True
    )
