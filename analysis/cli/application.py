"""The one Typer app of `welzijnsim`, and the one place its commands are registered.

The command modules define plain functions and a COMMANDS table; they never import this module, so
importing any of them alone cannot start a cycle. The order below is the order of `welzijnsim --help`.
"""

from __future__ import annotations

import typer

from analysis.cli import app_cmd, run, sensitivity, study, validation
from analysis.cli.errors import BadInputGroup

# Plain help (rich_markup_mode=None): typer's rich help printed flags as `--quiet <bool>`, which suggested
# `--quiet true` (rejected). No pretty tracebacks: bad input must end in a message, never a traceback.
app = typer.Typer(
    cls=BadInputGroup,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="welzijnsim: agent-based simulation of welfare demand and staffing in Den Haag.",
)

for _module in (run, study, validation, sensitivity, app_cmd):
    for _name, _function in _module.COMMANDS.items():
        app.command(_name)(_function)


def main() -> None:
    # Named welzijnsim also under `python -m analysis`, so both print the same help and usage lines.
    app(prog_name="welzijnsim")
