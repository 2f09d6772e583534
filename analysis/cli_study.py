"""Study commands of the `welzijnsim` command line (staffing, budget, compare, query).

Registered on `analysis.cli.app`; kept apart so the study runner grows without touching `cli.py`.
"""

from analysis.cli import app  # noqa: F401
