"""`python -m analysis`: the `welzijnsim` command line without the console script (e.g. from a checkout)."""

from analysis.cli import main

main()
