"""The staffing study kind: every run is one replication's FTE search (staffing.py), stored as the `staffing`
table (FTE needed per Servicepunt XL, stadsdeel and city and year) and the `annual` table of the search's
pilot run. `welzijnsim staffing` runs it."""

from __future__ import annotations

from analysis.staffing.staffing import staffing_run
from analysis.study.kinds import StudyKind, register


def report(doc, manifest: dict):
    """FTE and euros needed per stadsdeel and Servicepunt XL for every year (report/build.py)."""
    from analysis.report.build import study_report

    return study_report(doc, manifest, staffing=True)


STAFFING = register(
    StudyKind(
        name="staffing",
        run=staffing_run,
        primary="staffing",
        tables=("annual",),  # each search's pilot run: the area-based need (analysis/cli/study.py)
        report=report,
        # A search is many model runs, so the bar counts searches, not model runs.
        progress_label="replications (a staffing search each)",
        reports_progress=True,
        compare_metrics=("fte_individual_needed", "fte_total_needed", "cost_total_eur"),
    )
)
