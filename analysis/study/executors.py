"""Where a study's tasks run: in this process, in local worker processes, or on a Dask cluster.

Every executor has the same small interface: `imap_unordered(fn, tasks)` yields `(index, result)`
as tasks finish, in any order. `fn` must be an importable top-level function (``import mesa`` forces
the "spawn" start method, and Dask pickles functions by reference), and each task its argument.
The study layer makes results independent of the executor: every run is a pure function of its
(scenario, seed), so the numbers do not depend on where or in which order runs happen.

Partial progress. A long task (a staffing search is ~20 model runs) calls `report_progress(key, fraction)`
as it goes; `imap_unordered(fn, tasks, on_progress)` passes those reports to `on_progress(key, fraction)` in
this process while the task still runs: directly for the serial executor, through a queue that the worker
processes of the local executor are started with (a thread here drains it). On Dask the reports are dropped
(per-task granularity: the bar moves when a task ends). Reporting reads no random stream and changes no
number. The progress bar on stderr (rich: runs done, elapsed, ETA) is `Progress`.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, TextIO

OnProgress = Callable[[Hashable, float], None]


class ExecutorError(RuntimeError):
    """The executor could not be started (e.g. no Dask scheduler at the given address)."""


SCHEDULER_PROTOCOLS = ("tcp", "tls")


def check_scheduler_address(address: str, timeout: float = 3.0) -> tuple[str, int]:
    """(host, port) of a Dask scheduler address, or ExecutorError at once.

    Dask itself retries a bad or dead address until its connect timeout and then raises a traceback;
    this check parses the address and opens one TCP connection first, so a typo fails in seconds."""
    import re
    import socket

    m = re.fullmatch(
        r"(?:(?P<proto>[a-z]+)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>[0-9]{1,5})", address.strip()
    )
    example = "tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786"
    if not m:
        raise ExecutorError(f"--scheduler {address}: not a scheduler address; expected {example}")
    proto = m.group("proto") or "tcp"
    if proto not in SCHEDULER_PROTOCOLS:
        raise ExecutorError(f"--scheduler {address}: protocol {proto!r} not supported; expected {example}")
    host, port = m.group("host").strip("[]"), int(m.group("port"))
    if not 1 <= port <= 65535:
        raise ExecutorError(f"--scheduler {address}: port {port} is outside 1-65535")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror:
        raise ExecutorError(f"--scheduler {address}: unknown host {host!r}") from None
    except OSError as exc:
        raise ExecutorError(
            f"--scheduler {address}: cannot connect, no Dask scheduler answers there "
            f"({exc.strerror or exc}); start one with `dask scheduler`"
        ) from None
    return host, port


# ---- partial progress from inside a task ------------------------------------------------------------
# Where `report_progress` sends its reports in this process: the parent's callback (serial executor), a
# queue to the parent (a local worker process), or nowhere (Dask workers, direct calls).
_sink: OnProgress | None = None


def report_progress(key: Hashable, fraction: float) -> None:
    """Inside a task: the run `key` is `fraction` (0-1) done. A no-op where nobody listens."""
    sink = _sink
    if sink is not None:
        sink(key, float(fraction))


def _report_to_queue(reports) -> None:
    """Initializer of the local executor's worker processes: send `report_progress` to the parent."""
    global _sink
    # A worker must never wait at exit for reports nobody reads (the pipe is full once the parent stops
    # draining): unsent progress is dropped.
    reports.cancel_join_thread()

    def put(key: Hashable, fraction: float) -> None:
        try:
            reports.put_nowait((key, fraction))
        except (OSError, ValueError):  # the parent closed the queue (shutting down): nothing to show
            pass

    _sink = put


class SerialExecutor:
    """Run tasks one after the other in this process (debugging, tests, tiny studies)."""

    workers = 1
    description = "serial (this process)"
    shares_files = True  # tasks can write the study directory themselves

    def imap_unordered(
        self, fn: Callable, tasks: list, on_progress: OnProgress | None = None
    ) -> Iterator[tuple[int, Any]]:
        global _sink
        for i, task in enumerate(tasks):
            before, _sink = _sink, on_progress
            try:
                result = fn(task)
            finally:
                _sink = before
            yield i, result

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalExecutor:
    """A pool of `workers` local processes started with "spawn" (safe with mesa, numpy threads)."""

    def __init__(self, workers: int):
        if workers < 1:
            raise ExecutorError(f"--workers must be at least 1, not {workers}")
        self.workers = workers
        self.description = f"{workers} local process(es)"
        # Workers on this machine write their own run files: the parent would otherwise unpickle and
        # write every run's tables, and on a 2-core machine it competes with the workers for CPU.
        self.shares_files = True
        self._pool: ProcessPoolExecutor | None = None
        self._reports = None  # partial progress from the workers (report_progress)

    def _ensure(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            # A queue can reach spawned processes only when they start: hand it over in the initializer.
            self._reports = ctx.Queue()
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=ctx, initializer=_report_to_queue, initargs=(self._reports,)
            )
        return self._pool

    def _drain(self, on_progress: OnProgress, stop: threading.Event) -> None:
        """Pass the workers' partial progress to `on_progress` until `stop` (a thread of this process)."""
        while not stop.is_set():
            try:
                key, fraction = self._reports.get(timeout=0.1)
            except queue.Empty:
                continue
            except (EOFError, OSError, ValueError):  # the queue was closed
                return
            on_progress(key, fraction)

    def imap_unordered(
        self, fn: Callable, tasks: list, on_progress: OnProgress | None = None
    ) -> Iterator[tuple[int, Any]]:
        pool = self._ensure()
        stop = threading.Event()
        drain = None
        if on_progress is not None:
            drain = threading.Thread(target=self._drain, args=(on_progress, stop), name="progress-drain", daemon=True)
            drain.start()
        # Keep a bounded number of tasks in flight so an interrupt loses little and memory stays flat.
        pending: dict = {}
        todo = list(enumerate(tasks))[::-1]
        limit = 2 * self.workers
        try:
            while todo or pending:
                while todo and len(pending) < limit:
                    i, task = todo.pop()
                    pending[pool.submit(fn, task)] = i
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = pending.pop(fut)
                    yield i, fut.result()
        finally:
            for fut in pending:
                fut.cancel()
            stop.set()
            if drain is not None:
                drain.join(timeout=2)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._reports is not None:
            self._reports.close()
            self._reports.join_thread()
            self._reports = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DaskExecutor:
    """Tasks on a Dask distributed cluster (`dask scheduler` + `dask worker`s) at `address`.

    Dask re-runs the tasks of a lost worker elsewhere; if a task fails for good the study stops and
    everything already stored is kept for `--resume`.
    """

    def __init__(self, address: str, timeout: float = 10.0):
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - extra not installed
            raise ExecutorError("--scheduler needs dask[distributed]: pip install 'welzijnsim[distributed]'") from exc
        check_scheduler_address(address)
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - something listens there, but it is not a Dask scheduler
            raise ExecutorError(f"--scheduler {address}: cannot connect to a Dask scheduler ({exc})") from None
        n = (
            len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
            if _accepts_n_workers()
            else len(self.client.scheduler_info().get("workers", {}))
        )
        self.workers = max(n, 1)
        self.description = f"Dask cluster at {address} ({n} worker(s))"

    def imap_unordered(
        self, fn: Callable, tasks: list, on_progress: OnProgress | None = None
    ) -> Iterator[tuple[int, Any]]:
        """`on_progress` is not called: partial progress stays on the workers (the bar moves per task)."""
        from distributed import as_completed

        futures = {}
        for i, task in enumerate(tasks):
            futures[
                self.client.submit(fn, task, pure=False, key=f"{fn.__name__}-{os.getpid()}-{time.time_ns()}-{i}")
            ] = i
        try:
            for fut in as_completed(list(futures), loop=self.client.loop):
                yield futures[fut], fut.result()
                fut.release()
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _accepts_n_workers() -> bool:
    import inspect

    from distributed import Client

    return "n_workers" in inspect.signature(Client.scheduler_info).parameters


def make_executor(workers: int | None = None, scheduler: str | None = None):
    """`--scheduler` wins; else `workers` local processes (0 = serial in this process; None = all cores)."""
    if scheduler:
        return DaskExecutor(scheduler)
    if workers is None:
        workers = os.cpu_count() or 1
    if workers == 0:
        return SerialExecutor()
    return LocalExecutor(workers)


def batches(items: list, n_workers: int, batch_size: int | None = None, per_worker: int = 4) -> list[list]:
    """Split `items` into batches: about `per_worker` batches per worker (load balance) unless a size is given."""
    if not items:
        return []
    if batch_size is None:
        batch_size = max(1, -(-len(items) // (per_worker * max(n_workers, 1))))
    return [items[i : i + batch_size] for i in range(0, len(items), batch_size)]


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Runs done / total, elapsed time and ETA on stderr, drawn with rich.

    Runs finish with `finish(key)`; a run still going reports how far it is with `partial(key, fraction)`
    (a staffing search after each of its model runs, see `report_progress`), so the bar and the ETA move
    before the first run ends. The ETA is the time so far over the progress made in this session, times
    what is left. On a terminal the bar is live (rich.progress). In a log (stderr not a terminal) it is one
    plain line at the start, one every `interval` seconds (default a minute) and one at the end, so a log
    of a long study is not flooded."""

    def __init__(
        self,
        total: int,
        label: str = "runs",
        stream: TextIO | None = None,
        quiet: bool = False,
        already: int = 0,
        interval: float | None = None,
    ):
        self.total, self.label, self.already = total, label, already
        self.done = already  # whole runs finished
        self._partial: dict[Hashable, float] = {}  # runs under way: fraction done
        self._finished: set[Hashable] = set()
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.start = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._rich = self._beat = None
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._interval = interval or 60.0
        if quiet:
            return
        if self._tty:
            self._start_rich()
        else:
            self._line()
            if total > self.done:
                self._beat = threading.Thread(target=self._heartbeat, name="progress-heartbeat", daemon=True)
                self._beat.start()

    # ---- what is shown ---------------------------------------------------------------------------
    @property
    def completed(self) -> float:
        """Whole runs done plus the fractions of the runs under way."""
        with self._lock:
            return self.done + sum(self._partial.values())

    def eta(self) -> float | None:
        made = self.completed - self.already
        if made <= 0:
            return None
        return (time.monotonic() - self.start) / made * max(self.total - self.completed, 0.0)

    def counts_text(self) -> str:
        return f"{self.done}/{self.total} {self.label}"

    def times_text(self, note: bool = True) -> str:
        eta = self.eta()
        text = f"elapsed {_clock(time.monotonic() - self.start)}  ETA {'?' if eta is None else _clock(eta)}"
        if note and eta is None and self.done < self.total:  # a log line; on a terminal the bar says it
            text += "  (working; the ETA appears with the first progress)"
        return text

    # ---- updates ---------------------------------------------------------------------------------
    def update(self, n: int = 1) -> None:
        """`n` more runs done (runs without a key)."""
        with self._lock:
            self.done += n
        self._refresh()

    def partial(self, key: Hashable, fraction: float) -> None:
        """The run `key` is `fraction` done (0-1; it never goes back, and a finished run stays finished)."""
        with self._lock:
            if key in self._finished:  # a report that arrived after its run's result
                return
            self._partial[key] = max(self._partial.get(key, 0.0), min(max(float(fraction), 0.0), 1.0))
        self._refresh()

    def finish(self, key: Hashable) -> None:
        """The run `key` is done."""
        with self._lock:
            self._finished.add(key)
            self._partial.pop(key, None)
            self.done += 1
        self._refresh()

    def close(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=2)
        if self._rich is not None:
            self._refresh()
            self._rich.stop()
        elif not self.quiet:
            self._line()

    # ---- drawing ---------------------------------------------------------------------------------
    def _start_rich(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, ProgressColumn, TaskProgressColumn
        from rich.progress import Progress as RichProgress
        from rich.text import Text

        class TextOf(ProgressColumn):
            def __init__(self, text: Callable[[], str]):
                super().__init__()
                self.text = text

            def render(self, task) -> Text:
                return Text(self.text())

        self._rich = RichProgress(
            BarColumn(),
            TaskProgressColumn(),
            TextOf(self.counts_text),
            TextOf(lambda: self.times_text(note=False)),
            console=Console(file=self.stream),
            refresh_per_second=4,
        )
        self._task = self._rich.add_task(self.label, total=self.total, completed=self.completed)
        self._rich.start()

    def _refresh(self) -> None:
        if self._rich is not None:
            self._rich.update(self._task, completed=self.completed)

    def _line(self) -> None:
        share = self.completed / self.total if self.total else 1.0
        self.stream.write(f"{share:4.0%} {self.counts_text()}  {self.times_text()}\n")
        self.stream.flush()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self._interval):
            self._line()


def iterate(executor, fn: Callable, tasks: Iterable) -> Iterator[tuple[int, Any]]:
    """Convenience: `executor.imap_unordered(fn, list(tasks))`."""
    return executor.imap_unordered(fn, list(tasks))
