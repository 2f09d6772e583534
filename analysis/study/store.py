"""Writing results so that nothing half-written is ever left behind, and nothing computed is lost.

Every file is written to a temporary name in the same directory and then renamed into place
(`os.replace` is atomic on one file system), so a crash leaves either the old file or the new one.
Files get the permissions of the user's umask (like any file they create), not the 0600 of a temp file.

Output paths are checked *before* anything is computed (`check_output_dir`, `check_output_file`), so a
bad `--out` fails in a second, not after an hour of runs.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


class OutputError(ValueError):
    """An output path cannot be used (a file where a directory is needed, not writable, ...). For people."""


def _umask() -> int:
    # Linux shows the umask in /proc without changing it (os.umask must set one to read it, which is a
    # race with other threads, e.g. the progress heartbeat or Dask's).
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets from open(): 0666 minus the umask (read at call time)."""
    return 0o666 & ~_umask()


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write `path` through `write(temp_path)` and rename into place; for files the helpers below do not cover."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A short temp name: a long target name plus prefix/suffix could exceed the 255-byte name limit.
    fd, tmp = tempfile.mkstemp(prefix=".wz-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, file_mode())  # mkstemp creates 0600; colleagues on a shared drive must read results
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    write_atomic(path, lambda p: df.to_parquet(p, index=False))


def write_csv(path: Path, df: pd.DataFrame) -> None:
    write_atomic(path, lambda p: df.to_csv(p, index=False))


def write_text(path: Path, text: str) -> None:
    write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def _probe(directory: Path, label: str) -> None:
    """Create `directory` (and parents) and a scratch file in it, or raise OutputError saying why not."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".wz-", suffix=".tmp", dir=directory)
        os.close(fd)
        os.unlink(tmp)
    except FileExistsError:
        raise OutputError(f"{label} {directory}: a file is in the way (a directory is needed there)") from None
    except NotADirectoryError:
        raise OutputError(f"{label} {directory}: a file is in the way of this directory path") from None
    except OSError as exc:
        raise OutputError(f"{label} {directory}: cannot write there ({exc.strerror})") from None


def is_run_dir(directory: Path) -> bool:
    """A results directory written by `welzijnsim run` (its manifest names a scenario)."""
    try:
        m = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(m, dict) and "scenario" in m and "format" not in m


def is_study_dir(directory: Path) -> bool:
    try:
        m = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(m, dict) and m.get("format") == "welzijnsim-study"


def check_output_dir(
    directory: Path, *, force: bool = False, label: str = "--out", kind: str = "run", resume_hint: bool = False
) -> None:
    """The one rule for output directories (run and study commands), checked before computing.

    A missing or empty directory is used. An existing non-empty one is never overwritten silently:
    `--force` replaces a previous result of the same kind (a `run` results directory or a study), and
    anything else is refused. The directory is created and a scratch file written, so an unwritable path
    or a name too long for the file system fails now."""
    directory = Path(directory)
    try:
        _check_output_dir(directory, force, label, kind, resume_hint)
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise OutputError(f"{label} {directory}: cannot be used ({exc.strerror})") from None


def _check_output_dir(directory: Path, force: bool, label: str, kind: str, resume_hint: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{label} {directory}: is a file; give a directory (it will be created)")
    if directory.is_dir() and any(directory.iterdir()):
        mine = is_run_dir(directory) if kind == "run" else is_study_dir(directory)
        if not force:
            what = "earlier results" if mine else "files that are not welzijnsim results (it is not empty)"
            how = (
                "continue or reprint it with --resume, replace it with --force"
                if resume_hint and mine
                else "replace them with --force"
                if mine
                else "choose an empty or new directory"
            )
            raise OutputError(f"{label} {directory}: exists and holds {what}; {how}, or choose another --out")
        if not mine:
            raise OutputError(
                f"{label} {directory}: --force only replaces earlier welzijnsim {kind} results, "
                "and this directory holds other files; choose another --out"
            )
    _probe(directory, label)


def check_output_file(path: Path, label: str = "--out") -> None:
    """A file that will be written later (export, compare --csv): not a directory, and its folder writable."""
    path = Path(path)
    try:
        is_dir = path.is_dir()
    except OSError as exc:
        raise OutputError(f"{label} {path}: cannot be used ({exc.strerror})") from None
    if is_dir:
        raise OutputError(f"{label} {path}: is a directory; give a file name")
    if len(path.name.encode()) > 255:
        raise OutputError(f"{label} {path}: file name longer than 255 bytes")
    _probe(path.parent if str(path.parent) else Path("."), label)


def replace_dir_contents(directory: Path) -> None:
    """Remove the files of an earlier result (`--force`), after `check_output_dir` said it is one."""
    import shutil

    for child in Path(directory).iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
