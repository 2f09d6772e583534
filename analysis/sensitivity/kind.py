"""The sensitivity study kind (issue 12): every run is one (design point, replication), stored as the
`outcomes` table; the summary is the design's indices (analyse.py), not bands over replications.
`welzijnsim sensitivity` runs it; a sensitivity study has no per-area table to compare."""

from __future__ import annotations

from analysis.sensitivity.analyse import summarise_sensitivity
from analysis.sensitivity.runs import sensitivity_run
from analysis.study.kinds import StudyKind, register


def report(doc, manifest: dict):
    """Indices with intervals, noise floor, convergence, PRIM boxes and the drivers in words (report/build.py)."""
    from analysis.report.build import sensitivity_report

    return sensitivity_report(doc, manifest)


SENSITIVITY = register(
    StudyKind(
        name="sensitivity",
        run=sensitivity_run,
        primary="outcomes",
        summarise=summarise_sensitivity,
        report=report,
    )
)
