"""The habits of issue 8: ruff's lint rules and its formatter (configured in pyproject.toml) hold everywhere.

A failure names the file and line; `ruff check --fix . && ruff format .` fixes most of it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if exe is None:
        pytest.fail("ruff is not installed (it is in the [test] extra)")
    return [exe]


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_ruff_is_clean(args):
    r = subprocess.run([*_ruff(), *args], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, f"ruff {' '.join(args)}:\n{r.stdout}{r.stderr}"
