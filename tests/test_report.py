"""`welzijnsim report DIR` (issue 12): every section with its figures, self-contained (nothing loaded over a
network), and the numbers shown are the study's stored summary. Small studies: scale 0.1, 2 years."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.report.build import fmt, fmt_band

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--set", "run.scale=0.1", "--set", "run.years=2", "--set", "run.warmup_weeks=13"]
DESIGN = """
[design]
method = "morris"
seed = 11
replications = 2
trajectories = 4
resamples = 200
[[factor]]
name = "demand.episode_rate"
label = "episode rate"
low = 0.07
high = 0.13
source = "estimate"
[[factor]]
name = "service.hours_per_contact"
low = 2.0
high = 3.5
source = "estimate"
"""


def _invoke(args):
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    design = base / "design.toml"
    design.write_text(DESIGN)
    _invoke(["sensitivity", str(ROOT / "scenarios/baseline.toml"), "--design", str(design), *SMALL,
             "--out", str(base / "sens"), "--workers", "0", "--quiet"])
    _invoke(["staffing", str(ROOT / "scenarios/baseline.toml"), "--replications", "1", *SMALL,
             "--out", str(base / "staff"), "--workers", "0", "--quiet"])
    _invoke(["study", str(ROOT / "scenarios/budget-frozen.toml"), "--replications", "2", *SMALL,
             "--out", str(base / "budget"), "--workers", "0", "--quiet"])
    return base


def _report(directory: Path, lang: str = "nl") -> tuple[str, dict, Path]:
    res = _invoke(["report", str(directory), "--lang", lang])
    path = Path(res.output.strip().split()[-1])
    info = json.loads((path.parent / f"report-{lang}.json").read_text())
    return path.read_text(encoding="utf-8"), info, path


def _self_contained(html: str, folder: Path) -> None:
    # Nothing to fetch: no external URL in any src/href, no scripts or stylesheets by reference.
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<script src" not in html.lower() and "<link" not in html.lower()
    assert "http://" not in html and "https://" not in html
    srcs = re.findall(r'<img[^>]*src="([^"]+)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    names = re.findall(r'data-figure="([^"]+)"', html)
    assert len(names) == len(srcs)
    for name, src in zip(names, srcs):
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert (folder / name).read_bytes() == png  # the PNG beside the HTML is the embedded one


def _section_figures(html: str) -> dict[str, int]:
    out = {}
    for sid, body in re.findall(r'<section id="([^"]+)" data-section="[^"]+">(.*?)</section>', html, re.S):
        out[sid] = body.count("<figure")
    return out


def test_sensitivity_report(studies):
    html, info, path = _report(studies / "sens")
    _self_contained(html, path.parent)
    figs = _section_figures(html)
    for sid in ("summary", "indices", "convergence", "discovery", "design", "assumptions", "reproduce"):
        assert sid in figs, sid
    assert figs["indices"] >= 5
    # the numbers are the stored summary's: every mu* of the headline outcome, formatted as shown
    summary = pd.read_parquet(studies / "sens" / "summary.parquet")
    sj = json.loads((studies / "sens" / "sensitivity.json").read_text())
    head = summary[(summary.outcome == "fte_needed") & (summary.year == sj["last_year"])
                   & (summary["index"] == "mu_star")]
    for r in head.itertuples():
        assert f"{fmt(r.value, 4)} ± {fmt(r.conf, 4)}" in html, r.factor
    drivers = head[head.above_noise].sort_values("value", ascending=False).factor.tolist()
    assert info["numbers"]["headline_drivers"] == drivers and drivers
    # the plain-language summary names the top driver of the 2035-style (last year) FTE answer
    first = re.search(r'<section id="summary".*?<p class="summary">(.*?)</p>', html, re.S).group(1)
    top = {"demand.episode_rate": "episode rate"}.get(drivers[0], drivers[0])
    assert top in first and str(sj["last_year"]) in first
    # reproducible: scenario, seeds, code version, every parameter value
    assert "baseline" in html and "Studieseed" in html and "Code van dit rapport" in html
    manifest = json.loads((studies / "sens" / "manifest.json").read_text())
    for name in manifest["scenarios"][0]["params"]:
        assert f"<td>{name}</td>" in html, name


def test_staffing_report_numbers_equal_summary(studies):
    html, info, path = _report(studies / "staff")
    _self_contained(html, path.parent)
    figs = _section_figures(html)
    assert figs["answer-baseline"] >= 1 and figs["fans-baseline"] >= 2  # fan chart and map
    assert "areas-baseline" in figs and "assumptions" in figs and "reproduce" in figs
    s = pd.read_parquet(studies / "staff" / "summary.parquet")
    part = s[(s.level == "stadsdeel") & (s.metric == "fte_total_needed")]
    assert len(part) == 8 * 2
    for r in part.itertuples():
        assert fmt_band(r.p10, r.p50, r.p90, 1) in html, (r.area, r.year)
    sp = s[(s.level == "service_point") & (s.metric == "fte_individual_needed")]
    for r in sp.itertuples():
        assert f"<th>{r.area}</th>" in html
        assert fmt_band(r.p10, r.p50, r.p90, 1) in html
    city = s[(s.level == "city") & (s.metric == "fte_total_needed")]
    last = int(city.year.max())
    assert info["numbers"][f"baseline:city:fte_total_needed:{last}:p50"] == float(city[city.year == last].p50.iloc[0])


def test_budget_study_report_in_english(studies):
    html, info, path = _report(studies / "budget", "en")
    _self_contained(html, path.parent)
    assert path.name == "report-en.html" and 'lang="en"' in html and "Assumptions: every parameter value" in html
    s = pd.read_parquet(studies / "budget" / "summary.parquet")
    r = s[(s.level == "city") & (s.metric == "budget_eur")].sort_values("year").iloc[-1]
    assert fmt_band(r.p10 / 1e6, r.p50 / 1e6, r.p90 / 1e6, 1, "en") in html
    assert _section_figures(html)["fans-budget-frozen"] >= 2


def test_report_bad_input_exits_2(tmp_path, studies):
    res = CliRunner().invoke(app, ["report", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such study" in res.output
    res = CliRunner().invoke(app, ["report", str(studies / "sens"), "--lang", "fr"])
    assert res.exit_code == 2 and "--lang" in res.output
