"""The `welzijnsim` command line.

Bad input (scenario files, --set, city data, study directories) exits with code 2 and a message naming
the file, the field and what is allowed (analysis/cli/errors.py); results are written atomically to the
output directory. Modules: application (the app, command order), errors (the bad-input handler), options
(shared option types), common (shared helpers), and one module per command group: run, study, validation,
sensitivity, app_cmd.
"""

from analysis.cli.application import app, main
from analysis.cli.errors import EXIT_BAD_INPUT

__all__ = ["EXIT_BAD_INPUT", "app", "main"]
