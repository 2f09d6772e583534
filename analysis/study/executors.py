"""Where a study's tasks run: in this process, in local worker processes, or on a Dask cluster.

Every executor has the same small interface: `imap_unordered(fn, tasks)` yields `(index, result)`
as tasks finish, in any order. `fn` must be an importable top-level function (``import mesa`` forces
the "spawn" start method, and Dask pickles functions by reference), and each task its argument.
The study layer makes results independent of the executor: every run is a pure function of its
(scenario, seed), so the numbers do not depend on where or in which order runs happen.

A progress bar on stderr (runs done, elapsed, ETA) is in `Progress`.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, TextIO


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


class SerialExecutor:
    """Run tasks one after the other in this process (debugging, tests, tiny studies)."""

    workers = 1
    description = "serial (this process)"
    shares_files = True  # tasks can write the study directory themselves

    def imap_unordered(self, fn: Callable, tasks: list) -> Iterator[tuple[int, Any]]:
        for i, task in enumerate(tasks):
            yield i, fn(task)

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

    def _ensure(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def imap_unordered(self, fn: Callable, tasks: list) -> Iterator[tuple[int, Any]]:
        pool = self._ensure()
        # Keep a bounded number of tasks in flight so an interrupt loses little and memory stays flat.
        pending: dict = {}
        queue = list(enumerate(tasks))[::-1]
        limit = 2 * self.workers
        try:
            while queue or pending:
                while queue and len(pending) < limit:
                    i, task = queue.pop()
                    pending[pool.submit(fn, task)] = i
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = pending.pop(fut)
                    yield i, fut.result()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

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

    def imap_unordered(self, fn: Callable, tasks: list) -> Iterator[tuple[int, Any]]:
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


class Progress:
    """A one-line progress bar on stderr: runs done / total, elapsed time, ETA.

    A heartbeat thread redraws it (every second on a terminal, every minute in a log) so the elapsed time
    moves before the first run ends: a staffing replication is a whole search and can take minutes."""

    def __init__(
        self,
        total: int,
        label: str = "runs",
        stream: TextIO | None = None,
        quiet: bool = False,
        already: int = 0,
        heartbeat: bool = True,
        interval: float | None = None,
    ):
        self.total, self.done, self.label = total, already, label
        self.already = already
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.start = time.monotonic()
        self._last = 0.0
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._interval = interval or (1.0 if self._tty else 60.0)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._draw(force=True)
        self._beat = None
        if heartbeat and not quiet and total > self.done:
            self._beat = threading.Thread(target=self._heartbeat, name="progress-heartbeat", daemon=True)
            self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                self._draw(force=True)

    @staticmethod
    def _fmt(seconds: float) -> str:
        seconds = int(round(seconds))
        return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    def _draw(self, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if not force and now - self._last < (0.2 if self._tty else 5.0) and self.done < self.total:
            return
        self._last = now
        self._drawn = self.done
        elapsed = now - self.start
        new = self.done - self.already
        eta = elapsed / new * (self.total - self.done) if new > 0 else float("nan")
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        eta_s = self._fmt(eta) if eta == eta else "?"
        line = f"[{bar}] {self.done}/{self.total} {self.label}  elapsed {self._fmt(elapsed)}  ETA {eta_s}"
        if new == 0 and self.done < self.total:
            line += "  (working; the ETA appears when the first one is done)"
        self.stream.write(("\r" + line) if self._tty else line + "\n")
        self.stream.flush()

    def update(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=2)
        if not self.quiet:
            if getattr(self, "_drawn", None) != self.done:
                self._draw(force=True)
            if self._tty:
                self.stream.write("\n")
                self.stream.flush()


def iterate(executor, fn: Callable, tasks: Iterable) -> Iterator[tuple[int, Any]]:
    """Convenience: `executor.imap_unordered(fn, list(tasks))`."""
    return executor.imap_unordered(fn, list(tasks))
