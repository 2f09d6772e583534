"""Option types shared by several commands, so one flag reads the same in every command's --help.

Help texts differ where the meaning differs (a run's --quiet hides messages, a study's hides a progress
bar); those are separate types rather than one type with a vaguer text.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

Seed = Annotated[Optional[int], typer.Option(help="Study seed (default: the scenario's)")]
# Staffing and budget need a band, hence the floor of 6.
Replications = Annotated[Optional[int], typer.Option(help="Replications (default: the scenario's, at least 6)")]
SetOne = Annotated[list[str], typer.Option("--set", help="Override a parameter: dotted.key=value")]
SetOpt = Annotated[list[str], typer.Option("--set", help="Override a parameter: dotted.key=value (all scenarios)")]
VaryOpt = Annotated[
    list[str],
    typer.Option(
        "--vary", help="Uncertain parameter: NAME=LOW:HIGH; each replication draws its own value (Latin hypercube)"
    ),
]
Workers = Annotated[
    Optional[int],
    typer.Option("--workers", help="Local worker processes (default: all cores; 0 = serial in this process)"),
]
Scheduler = Annotated[
    Optional[str],
    typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (instead of local processes)"),
]
BatchSize = Annotated[Optional[int], typer.Option("--batch-size", help="Runs per task (default: ~4 tasks per worker)")]
Quiet = Annotated[bool, typer.Option("--quiet", help="No progress bar")]
QuietMessages = Annotated[bool, typer.Option("--quiet", help="No progress messages")]
Resume = Annotated[
    bool,
    typer.Option(
        "--resume", help="Continue an interrupted study in --out, or reprint a finished one; recompute nothing stored"
    ),
]
Force = Annotated[bool, typer.Option("--force", help="Replace an earlier study in --out (its runs are deleted)")]
