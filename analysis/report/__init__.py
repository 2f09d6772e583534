"""Reports (issue 12): one self-contained HTML file plus PNGs for any study directory."""

from __future__ import annotations


class ReportError(ValueError):
    """A study directory cannot be reported (for people)."""


def write_report(directory, lang: str = "nl", out=None):
    from analysis.report.build import build_report

    return build_report(directory, lang=lang, out=out)
