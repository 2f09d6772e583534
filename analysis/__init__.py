"""Turning runs into answers, one sub-package per job: cli (the command line), study (running and reading
studies), staffing (staff and money), validation, calibration, sensitivity and report."""
