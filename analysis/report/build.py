"""`welzijnsim report DIR`: one self-contained HTML file (PNG figures embedded as base64, no links to load)
plus the PNGs, for any study directory.

- staffing studies: FTE and euros needed per stadsdeel and Servicepunt XL for every year, with bands
- simulate / budget studies: FTE paid, cost, budget, service level, need per area and year, with bands
- sensitivity studies: Morris mu*/sigma, Sobol S1/ST or delta with intervals, noise floor, convergence,
  PRIM boxes, feature scores and a plain-language summary of which assumptions drive the answer
Every report states the scenario, the seeds, the code version and every parameter value. Tables are
read from the study's stored summary (summary.parquet, sensitivity.json), never recomputed, so the
report's numbers are the study's. Dutch by default, English with lang="en".
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.report import ReportError
from analysis.report.i18n import TEXT
from analysis.study.store import write_json, write_text


# ---- number formatting --------------------------------------------------------------------------
def fmt(value, decimals: int = 1, lang: str = "nl") -> str:
    """A number for people: thousands separated, Dutch decimal comma by default; '–' for missing."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    s = f"{float(value):,.{decimals}f}"
    if lang == "nl":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s


def fmt_band(p10, p50, p90, decimals: int = 1, lang: str = "nl") -> str:
    return f"{fmt(p50, decimals, lang)} [{fmt(p10, decimals, lang)} – {fmt(p90, decimals, lang)}]"


def pct(value, lang: str = "nl") -> str:
    return "–" if value is None or not np.isfinite(value) else fmt(100 * float(value), 0, lang) + "%"


# ---- the document ------------------------------------------------------------------------------
@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    highlight: bool = False


class Doc:
    def __init__(self, directory: Path, out_dir: Path, lang: str):
        self.directory, self.out_dir, self.lang = directory, out_dir, lang
        self.t = TEXT[lang]
        self.sections: list[Section] = []
        self.numbers: dict[str, object] = {}  # the numbers shown, for checking against the summary

    def section(self, sid: str, title: str, **kw) -> Section:
        s = Section(sid, title, **kw)
        self.sections.append(s)
        return s

    def figure(self, section: Section, name: str, png: bytes, caption: str) -> None:
        (self.out_dir / name).write_bytes(png)
        section.figures.append({"name": name, "caption": caption, "b64": base64.b64encode(png).decode("ascii")})

    def table(self, section: Section, df: pd.DataFrame, caption: str = "", note: str = "", index: bool = True) -> None:
        html = df.to_html(index=index, escape=True, border=0, na_rep="–")
        section.tables.append({"caption": caption, "html": html, "note": note})


def code_version() -> str:
    """git describe of the code that writes the report, else the installed package version."""
    try:
        here = Path(__file__).resolve().parent
        r = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib import metadata

    try:
        return metadata.version("welzijnsim")
    except metadata.PackageNotFoundError:
        return "unknown"


# ---- shared sections ---------------------------------------------------------------------------
def _meta_section(doc: Doc, manifest: dict) -> None:
    t = doc.t
    s = doc.section("reproduce", t["reproduce"])
    rows = []
    for sc in manifest["scenarios"]:
        rows.append((t["scenario"], f"{sc['name']} ({sc.get('source', '')}): {sc.get('question', '')}"))
    rows.append((t["kind"], manifest["kind"]))
    rows.append((t["study_seed"], str(manifest["seed"])))
    seeds = manifest.get("seeds", [])
    if "point_replications" in manifest.get("options", {}):  # a design (sensitivity): seeds per design point
        distinct = len(set(seeds))
        rows.append(
            (
                t["seeds"],
                t["seeds_sensitivity"].format(
                    n=len(seeds), distinct=distinct, reps=manifest["options"].get("point_replications")
                ),
            )
        )
    else:
        rows.append((t["seeds"], ", ".join(str(x) for x in seeds)))
    rows.append(
        (
            t["study_code"],
            f"git {manifest.get('git_commit') or '?'}; welzijnsim "
            f"{manifest.get('versions', {}).get('welzijnsim', '?')}",
        )
    )
    rows.append((t["report_code"], code_version()))
    rows.append((t["created"], manifest.get("created", "")))
    rows.append((t["versions"], ", ".join(f"{k} {v}" for k, v in sorted(manifest.get("versions", {}).items()))))
    doc.table(s, pd.DataFrame(rows, columns=[t["what"], t["value"]]), index=False)
    s.paragraphs.append(t["reproduce_hint"].format(dir=doc.directory))
    doc.numbers["seeds"] = seeds


def _assumptions_section(doc: Doc, manifest: dict, varied: dict[str, tuple] | None = None) -> None:
    from sim.parameters import PARAMETERS

    t = doc.t
    s = doc.section("assumptions", t["assumptions"])
    s.paragraphs.append(t["assumptions_intro"])
    for sc in manifest["scenarios"]:
        rows = []
        for name, value in sc["params"].items():
            p = PARAMETERS.get(name)
            shown = (
                value
                if not isinstance(value, float)
                else fmt(value, 6 if abs(value) < 1 else 2, doc.lang).rstrip("0").rstrip(",.")
            )
            if varied and name in varied:
                lo, hi = varied[name]
                shown = f"{t['varied']} {fmt(lo, 4, doc.lang)} – {fmt(hi, 4, doc.lang)} ({t['base']} {shown})"
            rows.append(
                {
                    t["parameter"]: name,
                    t["value"]: str(shown),
                    t["unit"]: p.unit if p else "",
                    t["source"]: p.source if p else "",
                    t["estimate"]: t["yes"] if p and "estimate" in p.source else "",
                }
            )
        doc.table(s, pd.DataFrame(rows), caption=f"{t['scenario']} {sc['name']}", index=False)
        doc.numbers.setdefault("parameters", {})[sc["name"]] = sc["params"]


# ---- staffing / simulate ----------------------------------------------------------------------
def _summary(directory: Path) -> pd.DataFrame:
    path = directory / "summary.parquet"
    if not path.is_file():
        raise ReportError(f"{directory}: no summary.parquet (the study has no completed runs yet)")
    return pd.read_parquet(path)


def _bands(summary: pd.DataFrame, scenario: str, level: str, metric: str) -> pd.DataFrame:
    part = summary[(summary.scenario == scenario) & (summary.level == level) & (summary.metric == metric)]
    return part[["area", "year", "p10", "p50", "p90"]].sort_values(["area", "year"])


def _wide_band_table(b: pd.DataFrame, decimals: int, lang: str, scale: float = 1.0) -> pd.DataFrame:
    cells = {
        (r.area, int(r.year)): fmt_band(r.p10 / scale, r.p50 / scale, r.p90 / scale, decimals, lang)
        for r in b.itertuples()
    }
    areas = list(dict.fromkeys(b.area))
    years = sorted(b.year.unique())
    return pd.DataFrame(
        [[cells.get((a, y), "–") for y in years] for a in areas], index=areas, columns=[int(y) for y in years]
    )


def study_report(doc: Doc, manifest: dict, staffing: bool = False) -> tuple[str, dict[str, tuple] | None]:
    """The report of a simulate (or budget) study, or with `staffing` of a staffing study: the answer per
    scenario and bands per area and year. Returns (title, the --vary ranges); the kinds' report hook."""
    _study_sections(doc, manifest, staffing)
    varied = {k: tuple(v) for k, v in manifest.get("options", {}).get("vary", {}).items()} or None
    title = doc.t["title_staffing" if staffing else "title_simulate"].format(
        scenario=", ".join(s["name"] for s in manifest["scenarios"])
    )
    return title, varied


def _study_sections(doc: Doc, manifest: dict, staffing: bool) -> None:
    t, lang = doc.t, doc.lang
    summary = _summary(doc.directory)
    for sc in manifest["scenarios"]:
        name = sc["name"]
        if staffing:
            total, indiv, cost = "fte_total_needed", "fte_individual_needed", "cost_total_eur"
        else:
            total, indiv, cost = "fte_total", "fte_individual_support", "cost_eur"
        city = summary[(summary.scenario == name) & (summary.level == "city")]
        if city.empty:
            continue
        years = sorted(city.year.unique())
        s = doc.section(
            f"answer-{name}", t["answer_staffing" if staffing else "answer_simulate"].format(name=name), highlight=True
        )
        first, last = years[0], years[-1]

        def one(metric, year, city=city):
            r = city[(city.metric == metric) & (city.year == year)]
            return r.iloc[0] if len(r) else None

        a, b = one(total, first), one(total, last)
        ca, cb = one(cost, first), one(cost, last)
        if a is not None and b is not None:
            s.paragraphs.append(
                t["answer_text_staffing" if staffing else "answer_text_simulate"].format(
                    first=first,
                    last=last,
                    a=fmt_band(a.p10, a.p50, a.p90, 1, lang),
                    b=fmt_band(b.p10, b.p50, b.p90, 1, lang),
                    ca=fmt_band(ca.p10 / 1e6, ca.p50 / 1e6, ca.p90 / 1e6, 1, lang) if ca is not None else "–",
                    cb=fmt_band(cb.p10 / 1e6, cb.p50 / 1e6, cb.p90 / 1e6, 1, lang) if cb is not None else "–",
                    n=int(a.n),
                )
            )
            doc.numbers[f"{name}:city:{total}:{last}:p50"] = float(b.p50)
        s.paragraphs.append(t["bands_note"])
        # city by year
        rows = []
        metrics = [(total, 1, 1.0), (indiv, 1, 1.0), (cost, 1, 1e6)]
        metrics += (
            [("fte_individual_today", 1, 1.0), ("fte_area_based", 1, 1.0)]
            if staffing
            else [
                ("need_fte", 1, 1.0),
                ("budget_eur", 1, 1e6),
                ("share_within_target", 2, 1.0),
                ("mean_wait_weeks", 1, 1.0),
                ("dropped_first", 0, 1.0),
            ]
        )
        for y in years:
            row = {t["year"]: int(y)}
            for m, dec, scale in metrics:
                r = one(m, y)
                if r is None or not np.isfinite(r.p50):
                    continue
                row[t["metric"].get(m, m)] = fmt_band(r.p10 / scale, r.p50 / scale, r.p90 / scale, dec, lang)
            rows.append(row)
        doc.table(s, pd.DataFrame(rows), caption=t["city_by_year"], index=False)
        series = {}
        for m in (total, indiv, "fte_individual_today" if staffing else "need_fte"):
            if not _bands(summary, name, "city", m).empty:
                series[t["metric"].get(m, m)] = _bands(summary, name, "city", m)
        from analysis.report import figures

        doc.figure(s, f"city-{name}.png", figures.city_lines(series, t["city_fig"], "FTE"), t["city_fig"])
        # per stadsdeel and per Servicepunt XL, every year
        s2 = doc.section(f"areas-{name}", t["areas"].format(name=name))
        sd = _bands(summary, name, "stadsdeel", total)
        doc.table(s2, _wide_band_table(sd, 1, lang), caption=t["sd_fte"].format(metric=t["metric"].get(total, total)))
        doc.table(s2, _wide_band_table(_bands(summary, name, "stadsdeel", cost), 2, lang, 1e6), caption=t["sd_cost"])
        sp = _bands(summary, name, "service_point", indiv)
        if not sp.empty:
            doc.table(
                s2, _wide_band_table(sp, 1, lang), caption=t["sp_fte"].format(metric=t["metric"].get(indiv, indiv))
            )
        sp_cost = _bands(summary, name, "service_point", "cost_individual_eur" if staffing else cost)
        if not sp_cost.empty and np.isfinite(sp_cost.p50).any() and sp_cost.p50.abs().sum() > 0:
            doc.table(s2, _wide_band_table(sp_cost, 2, lang, 1e6), caption=t["sp_cost"])
        s3 = doc.section(f"fans-{name}", t["fans"].format(name=name))
        today = None
        if staffing:
            tb = _bands(summary, name, "stadsdeel", "fte_individual_today")
            ab = _bands(summary, name, "stadsdeel", "fte_area_based")
            if len(tb) and len(ab):
                today = tb.merge(ab, on=["area", "year"], suffixes=("", "_ab"))
                today = today.assign(value=today.p50 + today.p50_ab)[["area", "year", "value"]]
        doc.figure(
            s3,
            f"fan-{name}.png",
            figures.fan_grid(sd, t["fan_title"].format(metric=t["metric"].get(total, total)), "FTE", today, t["today"]),
            t["fan_caption"],
        )
        _map(doc, s3, sc, summary, name, indiv, last)


def _map(doc: Doc, section: Section, sc: dict, summary: pd.DataFrame, name: str, metric: str, year: int) -> None:
    """Synthetic grid per stadsdeel coloured by deprivation; Servicepunt XL sites sized by `metric`."""
    from analysis.report import figures
    from sim.city import load_city
    from sim.parameters import resolve
    from sim.space import build_space, place_sites
    from sim.streams import Streams

    try:
        city = load_city(sc["city"])
        p = resolve(sc["params"])
    except Exception:  # noqa: BLE001 - a report without a map is still a report
        return
    layout = Streams(p["space.layout_seed"])["space"]  # the model's own geography (sim/model.py)
    space = build_space(
        city.wijken,
        p["space.cells_per_wijk"],
        p["space.deprivation_contrast"],
        p["space.overcrowding_contrast"],
        layout,
    )
    sites = place_sites(space, city.servicepunten_per_stadsdeel, layout)
    count, names = {}, []
    for cell in sites:
        d = int(space.cell_district[cell])
        count[d] = count.get(d, 0) + 1
        names.append(f"SPXL {city.stadsdelen[d]} {count[d]}")
    b = _bands(summary, name, "service_point", metric)
    b = b[b.year == year].set_index("area")["p50"]
    values = np.array([float(b.get(n, np.nan)) for n in names])
    t = doc.t
    doc.figure(
        section,
        f"map-{name}.png",
        figures.district_maps(
            space,
            sites,
            np.nan_to_num(values),
            list(city.stadsdelen),
            "deprivation",
            t["map_title"].format(year=year),
            t["map_value"].format(metric=t["metric"].get(metric, metric)),
        ),
        t["map_caption"],
    )


# ---- sensitivity ------------------------------------------------------------------------------
def sensitivity_report(doc: Doc, manifest: dict) -> tuple[str, dict[str, tuple] | None]:
    """The report of a sensitivity study. Returns (title, the design's factor ranges); the kind's report hook."""
    _sensitivity_sections(doc, manifest)
    design = manifest["options"]["design"]
    varied = {f["name"]: (f["low"], f["high"]) for f in design["factors"]}
    return doc.t["title_sensitivity"].format(scenario=manifest["scenarios"][0]["name"]), varied


def _sensitivity_sections(doc: Doc, manifest: dict) -> None:
    from analysis.report import figures
    from analysis.sensitivity.analyse import MAIN_INDEX
    from analysis.sensitivity.outcomes import describe

    t, lang = doc.t, doc.lang
    path = doc.directory / "sensitivity.json"
    if not path.is_file():
        raise ReportError(
            f"{doc.directory}: no sensitivity.json (not every design point is stored; continue the "
            "study with welzijnsim sensitivity --resume --out DIR)"
        )
    info = json.loads(path.read_text(encoding="utf-8"))
    idx = _summary(doc.directory)
    method, main = info["method"], info["main_index"]
    design = info["design"]
    labels = {f["name"]: (f.get("label") or f["name"]) for f in design["factors"]}
    labels["dummy"] = t["dummy"]
    last = info["last_year"]

    def sub(outcome, year):
        return idx[(idx.outcome == outcome) & (idx.year == year)]

    def drivers_sentence(outcome, year):
        g = sub(outcome, year)
        g = g[(g["index"] == main) & (g.factor != "dummy")].sort_values("value", ascending=False)
        if g.empty:
            return None
        label, unit = describe(outcome, lang)
        above = g[g.above_noise]
        names = [
            f"{labels.get(r.factor, r.factor)} ({main} {fmt(r.value, 3 if r.value < 10 else 0, lang)})"
            for r in above.head(3).itertuples()
        ]
        below = [labels.get(f, f) for f in g[~g.above_noise].factor]
        text = t["drivers"].format(
            outcome=label, year=f" {year}" if year else "", drivers=", ".join(names) if names else t["none"]
        )
        if below:
            text += " " + t["below_floor"].format(factors=", ".join(below))
        return text

    s = doc.section("summary", t["sens_summary"], highlight=True)
    headline = drivers_sentence(info["headline"]["outcome"], last)
    s.paragraphs.append(headline or t["no_headline"])
    doc.numbers["headline_drivers"] = [d["factor"] for d in info["headline"]["drivers"] if d["above_noise"]]
    for outcome, year in (
        ("fte_needed_individual", last),  # without area-based work (today's budget / cost per FTE)
        ("cost_needed_eur", last),
        ("total_cost_eur", 0),
        ("share_within_target", last),
        ("unmet_demand", 0),
        ("escalation_cost_eur", 0),
    ):
        sentence = drivers_sentence(outcome, year)
        if sentence:
            s.bullets.append(sentence)
    s.paragraphs.append(
        t["method_note"].format(
            method=method, points=info["points"], reps=info["replications"], runs=info["runs"], main=main
        )
    )
    d = info.get("discovery", {})
    if d:
        s.paragraphs.append(_discovery_sentence(d, t, labels, lang))
    # indices per key outcome
    s2 = doc.section("indices", t["indices"])
    s2.paragraphs.append(t["floor_note"])
    keys = [
        (info["headline"]["outcome"], info["first_year"]),
        (info["headline"]["outcome"], last),
        ("cost_needed_eur", last),
        ("total_cost_eur", 0),
        ("share_within_target", last),
        ("unmet_demand", 0),
        ("escalation_cost_eur", 0),
    ]
    if not any(len(sub(o, y)) for o, y in keys):  # not welzijnsim's outcomes (e.g. a test function): show them all
        keys = [(o, int(y)) for (o, y), _ in idx.groupby(["outcome", "year"])][:8]
    for i, (outcome, year) in enumerate(keys):
        g = sub(outcome, year)
        if g.empty:
            continue
        label, unit = describe(outcome, lang)
        title = f"{label}{f' {year}' if year else ''} ({unit})"
        if method == "morris":
            png = figures.morris_plot(g, title, labels, t["floor"])
        else:
            png = figures.index_bars(g, [main, "S1"], title, labels, t["floor"])
        doc.figure(s2, f"indices-{i}-{outcome}-{year}.png", png, title)
        tab = g[g["index"].isin([main, "sigma", "S1", "mu"])].pivot(
            index="factor", columns="index", values=["value", "conf"]
        )
        rows = []
        for f in tab.index:
            row = {t["factor"]: labels.get(f, f)}
            for ix in [c for c in (main, "S1", "sigma", "mu") if ("value", c) in tab.columns]:
                v, c = tab.loc[f, ("value", ix)], tab.loc[f, ("conf", ix)]
                row[ix] = fmt(v, 4, lang) + ("" if not np.isfinite(float(c)) else f" ± {fmt(c, 4, lang)}")
            above = g[(g.factor == f) & (g["index"] == main)].above_noise
            row[t["above_floor"]] = t["yes"] if len(above) and bool(above.iloc[0]) else ""
            rows.append(row)
        table = pd.DataFrame(rows)
        table = table.iloc[np.argsort([-float(tab.loc[f, ("value", main)]) for f in tab.index])]
        doc.table(s2, table, caption=title, index=False)
    # convergence
    s3 = doc.section("convergence", t["convergence"])
    s3.paragraphs.append(t["convergence_note"].format(rel=pct(info["converged_rel"], lang)))
    rows = []
    for key, c in info["convergence"].items():
        outcome, year = key.split("|")
        if "@" in outcome:
            continue
        label, _ = describe(outcome, lang)
        rows.append(
            {
                t["outcome"]: f"{label}{'' if year == '0' else ' ' + year}",
                t["max_change"]: fmt(c["max_change"], 4, lang),
                t["max_index"]: fmt(c["max_index"], 4, lang),
                t["converged"]: t["yes"] if c["converged"] else t["no"],
                "top 3": ", ".join(labels.get(f, f) for f in c["top3_full"]),
            }
        )
    doc.table(s3, pd.DataFrame(rows), index=False)
    # discovery
    s4 = doc.section("discovery", t["discovery"])
    if d:
        s4.paragraphs.append(_discovery_sentence(d, t, labels, lang))
        boxes = d.get("boxes", [])
        if boxes:
            rows = []
            for i, b in enumerate(boxes, 1):
                lims = "; ".join(
                    f"{labels.get(k, k)}: {fmt(lo, 4, lang)} – {fmt(hi, 4, lang)}"
                    for k, (lo, hi) in b["limits"].items()
                )
                rows.append(
                    {
                        "box": i,
                        t["limits"]: lims,
                        "coverage": pct(b["coverage"], lang),
                        "density": pct(b["density"], lang),
                        "mass": pct(b["mass"], lang),
                    }
                )
            doc.table(s4, pd.DataFrame(rows), index=False, note=t["prim_note"])
            points = pd.read_parquet(doc.directory / "points.parquet")
            rule = d["rule"]
            part = points[(points.outcome == rule["outcome"]) & (points.year == d["year"])].sort_values("point")
            factors = [f["name"] for f in design["factors"]]
            x = part[factors].reset_index(drop=True)
            y = part["mean"].to_numpy()
            fails = (y < rule["threshold"]) if rule["fails_when"] == "below" else (y > rule["threshold"])
            doc.figure(
                s4,
                "prim-box-1.png",
                figures.prim_scatter(x, fails, boxes[0], labels, t["prim_fig"], t["fails"], t["ok"]),
                t["prim_fig"],
            )
        if d.get("feature_scores"):
            doc.figure(
                s4, "feature-scores.png", figures.score_bars(d["feature_scores"], t["scores"], labels), t["scores"]
            )
    else:
        s4.paragraphs.append(t["no_discovery"])
    # design
    s5 = doc.section("design", t["design"])
    rows = [
        {
            t["factor"]: f["name"],
            t["label"]: f.get("label", ""),
            t["low"]: fmt(f["low"], 4, lang),
            t["high"]: fmt(f["high"], 4, lang),
            t["source"]: f["source"],
        }
        for f in design["factors"]
    ]
    rows.append(
        {t["factor"]: "dummy", t["label"]: t["dummy"], t["low"]: "0", t["high"]: "1", t["source"]: t["dummy_source"]}
    )
    doc.table(s5, pd.DataFrame(rows), index=False)
    settings = {
        k: design[k]
        for k in ("method", "seed", "replications", "trajectories", "levels", "samples", "conf_level", "resamples")
        if k in design
    }
    doc.table(
        s5, pd.DataFrame(list(settings.items()), columns=[t["what"], t["value"]]), caption=t["settings"], index=False
    )
    doc.numbers["main_index"] = MAIN_INDEX[method]


def _discovery_sentence(d: dict, t: dict, labels: dict, lang: str) -> str:
    rule = d.get("rule", {})
    base = t["discovery_rule"].format(
        outcome=rule.get("outcome"),
        when=t[rule.get("fails_when", "below")],
        threshold=fmt(rule.get("threshold"), 2, lang),
        year=d.get("year"),
        failing=d.get("failing", "?"),
        points=d.get("points", "?"),
    )
    if d.get("range"):
        base += " " + t["discovery_range"].format(low=fmt(d["range"][0], 3, lang), high=fmt(d["range"][1], 3, lang))
    status = d.get("status")
    if status == "ok" and d.get("boxes"):
        b = d["boxes"][0]
        lims = "; ".join(
            f"{labels.get(k, k)} {fmt(lo, 4, lang)} – {fmt(hi, 4, lang)}" for k, (lo, hi) in b["limits"].items()
        )
        return (
            base
            + " "
            + t["box_sentence"].format(
                limits=lims or "–", coverage=pct(b["coverage"], lang), density=pct(b["density"], lang)
            )
        )
    return base + " " + t.get(f"status_{status}", str(status))


# ---- entry point ------------------------------------------------------------------------------
def build_report(directory, lang: str = "nl", out=None) -> Path:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from analysis.study.kinds import study_kind
    from analysis.study.study import read_manifest

    directory = Path(directory)
    manifest = read_manifest(directory)
    kind = study_kind(manifest["kind"])
    if kind.report is None:
        raise ReportError(f"{directory}: a {kind.name} study has no report")
    if lang not in TEXT:
        raise ReportError(f"--lang {lang}: expected one of {', '.join(TEXT)}")
    html_path = Path(out) if out else directory / "report" / ("report.html" if lang == "nl" else f"report-{lang}.html")
    if html_path.exists() and html_path.is_dir():
        raise ReportError(f"{html_path}: is a directory; give a file name for --out")
    out_dir = html_path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = Doc(directory, out_dir, lang)
    t = doc.t
    title, varied = kind.report(doc, manifest)  # the kind's own sections first
    _assumptions_section(doc, manifest, varied)
    _meta_section(doc, manifest)
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
    )
    subtitle = t["subtitle"].format(date=dt.date.today().isoformat(), version=code_version(), dir=directory)
    html = env.get_template("report.html").render(
        lang=lang, title=title, subtitle=subtitle, t=t, sections=doc.sections, version=code_version()
    )
    write_text(html_path, html)
    html_path.chmod(0o644)  # a report is for sharing (the atomic writer's temp file is private)
    write_json(
        out_dir / f"report-{lang}.json",
        {
            "sections": [s.id for s in doc.sections],
            "figures": [f["name"] for s in doc.sections for f in s.figures],
            "numbers": doc.numbers,
        },
    )
    return html_path
