"""Take-home files: CSV and a workshop XLSX (wide tables, Dutch labels with units), the HTML debrief."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pandas as pd
from jinja2 import Environment, select_autoescape

from app import fmt
from app.i18n import tr
from app.summary import KEY_FIGURES, STAFF_COLUMNS, area_table, format_value, key_table, key_values, wide_table

# Workshop questions: one wide sheet each (areas down, years across). (column, level, sheet name nl, en, unit)
QUESTIONS = (
    ("help_requests", "stadsdeel", "Hulpvragen", "Help requests", "hulpvragen per jaar"),
    ("unique_clients", "stadsdeel", "Unieke cliënten", "Unique clients", "cliënten per jaar"),
    ("mean_wait_weeks", "stadsdeel", "Wachttijd", "Wait", "weken"),
    ("seen_within_10_days", "stadsdeel", "Binnen 10 werkdagen", "Within 10 days", "aandeel 0-1"),
    ("fte_individual_support", "stadsdeel", "FTE individueel", "FTE individual", "FTE"),
    ("need_fte", "stadsdeel", "FTE nodig", "FTE needed", "FTE"),
    ("fte_area_based", "stadsdeel", "FTE gebiedsgericht", "FTE area-based", "FTE"),
    ("cost_eur", "stadsdeel", "Kosten", "Cost", "euro per jaar"),
    ("escalations", "stadsdeel", "Escalaties", "Escalations", "gevallen per jaar"),
    ("fte_individual_support", "service_point", "FTE per Servicepunt XL", "FTE per Servicepunt XL", "FTE"),
    ("mean_wait_weeks", "service_point", "Wachttijd per SPXL", "Wait per SPXL", "weken"),
)


def table_csv(frames: dict, year: int, lang: str) -> bytes:
    """The staffing and cost table per stadsdeel as CSV: numbers unformatted; Dutch CSV (';' and decimal comma)
    in Dutch, so a Dutch spreadsheet opens it right."""
    table = area_table(frames, year, lang, printed=False)
    if lang == "nl":
        return table.to_csv(index=False, sep=";", decimal=",", float_format="%.2f").encode("utf-8-sig")
    return table.to_csv(index=False, float_format="%.2f").encode("utf-8")


def workshop_xlsx(
    frames: dict, baseline: dict | None, settings_rows: list[tuple[str, str]], year: int, lang: str
) -> bytes:
    """One sheet per question (wide: areas x years, label with unit), key figures and the settings."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        key_table(frames, baseline, year, lang).to_excel(xl, sheet_name=tr("tab_key", lang)[:31], index=False)
        pd.DataFrame(
            settings_rows, columns=["Instelling" if lang == "nl" else "Setting", "Waarde" if lang == "nl" else "Value"]
        ).to_excel(xl, sheet_name="Instellingen" if lang == "nl" else "Settings", index=False)
        for column, level, nl, en, unit in QUESTIONS:
            wide = wide_table(frames, column, level)
            if wide.empty:
                continue
            name = (nl if lang == "nl" else en)[:31]
            area = tr("col_area" if level == "stadsdeel" else "col_sp", lang)
            wide.index.name = f"{area} \\ {'jaar' if lang == 'nl' else 'year'} ({unit})"
            wide.round(2).to_excel(xl, sheet_name=name)
    return buf.getvalue()


DEBRIEF = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:1em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}img{max-width:100%}.small{color:#666;font-size:90%}</style></head>
<body><h1>{{ title }}</h1>
<p class="small">{{ made }}</p>
<p>{{ intro }}</p>
<h2>{{ h_tried }}</h2>
<table><tr><th>#</th><th>{{ h_setting }}</th>{% for h in heads %}<th>{{ h }}</th>{% endfor %}</tr>
{% for r in tried %}<tr><td>{{ r.n }}</td><td>{{ r.label }}</td>{% for v in r.cells %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</table>
<h2>{{ h_current }}</h2>
{{ settings_html | safe }}
{{ key_html | safe }}
{% if chart %}<img alt="chart" src="data:image/png;base64,{{ chart }}">{% endif %}
<p class="small">{{ note }}</p>
</body></html>"""


def debrief_html(history, current, baseline: dict | None, year: int, lang: str, chart_png: bytes | None) -> bytes:
    """One page: every setting tried this session with its key figures, the current one against the baseline."""
    shown = [
        k
        for k in KEY_FIGURES
        if k[0]
        in (
            "help_requests",
            "seen_within_10_days",
            "mean_wait_weeks",
            "fte_individual_support",
            "need_fte",
            "cost_eur",
            "escalation_cost",
        )
    ]
    tried = []
    for run in history:
        vals = key_values(run.frames, year) if year in set(run.frames["annual_city"]["year"]) else {}
        tried.append(
            {
                "n": run.number,
                "label": run.settings.label(),
                "cells": [format_value(vals.get(c, float("nan")), kind, lang) for c, _, kind in shown],
            }
        )
    key_html = key_table(current.frames, baseline, year, lang).to_html(index=False) if current else ""
    settings_html = (
        pd.DataFrame(
            settings_rows(current.settings, lang),
            columns=["Instelling" if lang == "nl" else "Setting", "Waarde" if lang == "nl" else "Value"],
        ).to_html(index=False)
        if current
        else ""
    )
    nl = lang == "nl"
    html = (
        Environment(autoescape=select_autoescape())
        .from_string(DEBRIEF)
        .render(
            lang=lang,
            title=("Verslag werkplaats welzijnsim" if nl else "welzijnsim workshop debrief"),
            made=(f"Gemaakt {dt.datetime.now():%d-%m-%Y %H:%M}" if nl else f"Made {dt.datetime.now():%Y-%m-%d %H:%M}"),
            intro=tr("intro", lang),
            h_tried=("Geprobeerde instellingen, " if nl else "Settings tried, ") + str(year),
            h_setting=("Instelling" if nl else "Setting"),
            heads=[tr(label, lang) for _, label, _ in shown],
            tried=tried,
            h_current=(
                ("Huidige instelling: " if nl else "Current setting: ") + (current.settings.label() if current else "–")
            ),
            key_html=key_html,
            settings_html=settings_html,
            chart=base64.b64encode(chart_png).decode() if chart_png else None,
            note=tr("scale_tip", lang),
        )
    )
    return html.encode("utf-8")


def settings_rows(settings, lang: str) -> list[tuple[str, str]]:
    """The setting as (label, value) rows, Dutch numbers in Dutch."""
    from app.levers import BY_NAME

    rows = [
        (tr("preset", lang), settings.preset),
        (tr("scale", lang), fmt.number(settings.scale, lang, 2)),
        (tr("years", lang), str(settings.years)),
        (tr("replications", lang), str(settings.replications)),
    ]
    for name, value in settings.levers:
        lever = BY_NAME.get(name)
        if lever is not None and lever.kind == "area":
            # A per-stadsdeel table: one row per stadsdeel named, so the sheet reads like the sliders.
            for area, factor in value or (("elk stadsdeel" if lang == "nl" else "every stadsdeel", 1.0),):
                rows.append((lever.label(lang).format(area=area), fmt.number(factor, lang, 2)))
            continue
        label = lever.label(lang) if lever is not None else name
        rows.append((label, fmt.number(value, lang, 2) if isinstance(value, float) else str(value)))
    return rows


__all__ = ["table_csv", "workshop_xlsx", "debrief_html", "settings_rows", "STAFF_COLUMNS"]
