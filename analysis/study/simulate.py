"""The plain study kind, "simulate": every run is one model run, stored as the `annual` table (all levels,
service levels) and, with --weekly, the `weekly` table. `welzijnsim study` and `welzijnsim budget` run it,
and so does the staffing command for the area-based need."""

from __future__ import annotations

from analysis.study.kinds import StudyKind, register
from analysis.study.study import simulate_run


def report(doc, manifest: dict):
    """FTE paid, cost, budget, service level and need per area and year (report/build.py)."""
    from analysis.report.build import study_report

    return study_report(doc, manifest, staffing=False)


SIMULATE = register(
    StudyKind(
        name="simulate",
        run=simulate_run,
        primary="annual",
        tables=("annual", "weekly"),
        report=report,
        compare_metrics=(
            "fte_total",
            "cost_eur",
            "help_requests",
            "share_within_target",
            "mean_wait_weeks",
            "dropped_first",
        ),
        # With mechanisms on: escalation split by route, lever prices.
        optional_compare_metrics=(
            "escalation_cost",
            "escalation_cost_staffing",
            "escalation_cost_never_reached",
            "earmark_eur",
            "travel_cost_eur",
        ),
    )
)
