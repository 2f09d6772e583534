"""The one place where bad input becomes `error: ...` on stderr and exit code 2.

Every command runs inside `BadInputGroup.invoke`, so a command lets a project error propagate instead of
catching it: the message is the error's text, unchanged. Errors that are not about the user's input
(bugs, `BudgetExceeded`) still end in a traceback, so they get reported rather than mistaken for a typo.
"""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

EXIT_BAD_INPUT = 2

# (module, class) rather than the classes: importing analysis.study or analysis.report at start-up would
# load pandas, duckdb and matplotlib for `--help`. An error can only be raised by a module already
# imported, so looking the class up in sys.modules at handling time misses none.
BAD_INPUT_ERRORS: tuple[tuple[str, str], ...] = (
    ("scenarios.loader", "ScenarioError"),
    ("sim.city", "CityDataError"),
    ("analysis.study.store", "OutputError"),
    ("analysis.study.study", "StudyError"),
    ("analysis.study.uncertainty", "UncertaintyError"),
    ("analysis.study.executors", "ExecutorError"),
    ("analysis.study.query", "QueryError"),
    ("analysis.validation.validation", "TargetError"),
    ("analysis.calibration.calibration", "CalibrationError"),
    ("analysis.sensitivity.design", "DesignError"),
    ("analysis.report", "ReportError"),
)


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def bad_input_classes() -> tuple[type[BaseException], ...]:
    """The bad-input error classes of the modules imported so far."""
    found = []
    for module, name in BAD_INPUT_ERRORS:
        loaded = sys.modules.get(module)
        if loaded is not None:
            found.append(getattr(loaded, name))
    return tuple(found)


class BadInputGroup(TyperGroup):
    """The command group of `welzijnsim`: runs a command and turns a bad-input error into exit 2.

    Handling it here (not in `main`) covers every way in: the console script, `python -m analysis` and
    the tests' CliRunner all invoke this group."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if not isinstance(exc, bad_input_classes()):
                raise
            fail(str(exc))
