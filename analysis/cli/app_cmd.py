"""`welzijnsim app`: serve the workshop app (Solara) on this machine.

The app itself lives in the `app` package and is imported only when the
command runs, so the rest of the command line does not need Solara.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from analysis.cli.common import fail, load_scenario_or_exit


def app_command(
    host: Annotated[str, typer.Option(help="Address to listen on (default: this machine only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 = a free port)")] = 8765,
    scenario: Annotated[Optional[Path], typer.Option(help="Scenario file to start from (default: baseline)")] = None,
    workers: Annotated[
        Optional[int], typer.Option(help="Worker processes for runs (default: the cores, at most 4)")
    ] = None,
    scale: Annotated[
        Optional[float], typer.Option(help="Sample fraction a new session starts with (default 0.2)")
    ] = None,
    years: Annotated[Optional[int], typer.Option(help="Years a new session starts with (default 10)")] = None,
    replications: Annotated[
        Optional[int], typer.Option(help="Replications a new session starts with (default 3)")
    ] = None,
) -> None:
    """Serve the workshop app: presets, levers, charts, map, comparisons and take-home files, in Dutch or English."""
    try:
        import solara  # noqa: F401
    except ImportError:
        fail("the app needs the 'app' extra: pip install -e \".[app]\"")
    if scenario is not None:
        # A bad file exits 2 with the field named, before the server starts.
        load_scenario_or_exit(scenario, None, None, [])
        os.environ["WELZIJNSIM_APP_SCENARIO"] = str(scenario.resolve())
    if workers is not None:
        if workers < 1:
            fail(f"--workers {workers}: must be at least 1")
        os.environ["WELZIJNSIM_APP_WORKERS"] = str(workers)
    for name, value, low, high in (
        ("scale", scale, 0.05, 1.0),
        ("years", years, 1, 10),
        ("replications", replications, 1, 20),
    ):
        if value is not None:
            if not low <= value <= high:
                fail(f"--{name} {value}: must be between {low} and {high}")
            os.environ[f"WELZIJNSIM_APP_{name.upper()}"] = str(value)
    if not 0 <= port <= 65535:
        fail(f"--port {port}: must be between 0 and 65535")
    # No telemetry or version check from a workshop machine.
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    from solara.__main__ import run as solara_run

    from app import runs

    runs.warm_up()
    args = ["app.page", "--host", host, "--port", str(port), "--production", "--no-open", "--no-check-version"]
    try:
        solara_run.main(args=args, standalone_mode=False)
    finally:
        runs.shutdown()


COMMANDS = {"app": app_command}
