"""Tables for the views and exports, from a run's result frames (no model logic: sums, means, quantiles).

Columns that a model version does not report are skipped, so the app keeps working while the model grows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app import fmt
from app.i18n import tr

# Key figures: (column, label key, kind) where kind says how to aggregate over areas and how to print.
KEY_FIGURES = (
    ("help_requests", "k_help_requests", "count"),
    ("unique_clients", "k_unique_clients", "count"),
    ("seen_within_10_days", "k_seen_10", "share"),
    ("mean_wait_weeks", "k_mean_wait", "weeks"),
    ("dropped_first", "k_dropped", "count"),
    ("fte_individual_support", "k_fte_ind", "fte"),
    ("need_fte", "k_need_fte", "fte"),
    ("fte_area_based", "k_fte_area", "fte"),
    ("fte_area_need", "k_fte_area_need", "fte"),
    ("cost_eur", "k_cost", "money"),
    ("escalations", "k_escalations", "count"),
    ("escalation_cost", "k_escalation_cost", "money"),
)

SERIES = (
    ("help_requests", "s_help_requests"),
    ("unique_clients", "s_unique_clients"),
    ("seen_within_10_days", "s_seen_10"),
    ("fte", "s_fte"),
    ("cost_eur", "s_cost"),
)

STAFF_COLUMNS = (
    ("fte_individual_support", "c_fte_ind", "fte"),
    ("need_fte", "c_need_fte", "fte"),
    ("fte_area_based", "c_fte_area", "fte"),
    ("fte_area_need", "c_fte_area_need", "fte"),
    ("cost_eur", "c_cost", "money"),
    ("help_requests", "c_help_requests", "count"),
    ("unique_clients", "c_unique_clients", "count"),
    ("mean_wait_weeks", "c_mean_wait", "weeks"),
    ("seen_within_10_days", "c_seen_10", "share"),
)

OBSERVED_COLUMNS = (
    ("registered_population", "c_registered", "count"),
    ("actual_population", "c_actual", "count"),
    ("observed_contacts", "c_observed_contacts", "count"),
    ("contacts_needed", "c_contacts_needed", "count"),
    ("naive_norm_fte", "c_norm_fte", "fte"),
    ("need_fte", "c_need_fte", "fte"),
)


def years(frames: dict) -> list[int]:
    city = frames.get("annual_city")
    return sorted(int(y) for y in city["year"].unique()) if city is not None and len(city) else []


def mean_by(frame: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """Mean over replications per `keys`, for the `columns` present."""
    cols = [c for c in columns if c in frame.columns]
    return frame.groupby(keys, sort=False)[cols].mean().reset_index()


def format_value(x, kind: str, lang: str) -> str:
    if kind == "money":
        return fmt.money(x, lang)
    if kind == "share":
        return fmt.percent(x, lang, 0)
    if kind in ("fte", "weeks"):
        return fmt.number(x, lang, 1)
    return fmt.number(x, lang, 0)


def key_values(frames: dict, year: int) -> dict[str, float]:
    """City key figures in `year`, mean over replications."""
    city = frames["annual_city"]
    row = city[city["year"] == year]
    return {col: float(row[col].mean()) for col, _, _ in KEY_FIGURES if col in row.columns}


def key_table(
    frames: dict, baseline: dict | None, year: int, lang: str, other_label: str | None = None
) -> pd.DataFrame:
    """Key figures of this setting against the baseline (or another setting) in `year`, printed."""
    mine = key_values(frames, year)
    base = key_values(baseline, year) if baseline else {}
    rows = []
    for col, label, kind in KEY_FIGURES:
        if col not in mine:
            continue
        row = {tr("col_figure", lang): tr(label, lang), tr("col_this", lang): format_value(mine[col], kind, lang)}
        if baseline is not None:
            b = base.get(col, np.nan)
            row[other_label or tr("col_baseline", lang)] = format_value(b, kind, lang)
            diff = mine[col] - b
            if kind == "share":
                row[tr("col_diff", lang)] = fmt.signed(100 * diff, lang, 0) + " %-pt"
            elif kind == "money":
                row[tr("col_diff", lang)] = ("+" if diff > 0 else "−" if diff < 0 else "±") + fmt.money(abs(diff), lang)
            else:
                row[tr("col_diff", lang)] = fmt.signed(diff, lang, 1 if kind in ("fte", "weeks") else 0)
        rows.append(row)
    return pd.DataFrame(rows)


def bands(frames: dict, column: str) -> pd.DataFrame:
    """Per year: mean, 10% and 90% quantile over replications of a city column (empty if absent)."""
    city = frames["annual_city"]
    if column not in city.columns:
        return pd.DataFrame(columns=["year", "mean", "p10", "p90"])
    g = city.groupby("year")[column]
    return pd.DataFrame({"mean": g.mean(), "p10": g.quantile(0.1), "p90": g.quantile(0.9)}).reset_index()


def area_table(
    frames: dict, year: int, lang: str, level: str = "stadsdeel", columns=STAFF_COLUMNS, printed: bool = True
) -> pd.DataFrame:
    """Per stadsdeel (plus the city) or per Servicepunt XL in `year`, mean over replications."""
    frame = frames[f"annual_{level}"]
    frame = frame[frame["year"] == year]
    means = mean_by(frame, ["area"], [c for c, _, _ in columns])
    if level == "stadsdeel":
        city = frames["annual_city"]
        means = pd.concat(
            [means, mean_by(city[city["year"] == year], ["area"], [c for c, _, _ in columns])], ignore_index=True
        )
    out = pd.DataFrame({tr("col_area" if level == "stadsdeel" else "col_sp", lang): means["area"]})
    for col, label, kind in columns:
        if col not in means.columns or (level == "service_point" and col.startswith("fte_area")):
            continue
        out[tr(label, lang)] = [format_value(v, kind, lang) for v in means[col]] if printed else means[col].to_numpy()
    return out


def wide_table(frames: dict, column: str, level: str) -> pd.DataFrame:
    """One question as a wide table: areas down, years across (mean over replications)."""
    frame = frames[f"annual_{level}"]
    if column not in frame.columns:
        return pd.DataFrame()
    return frame.pivot_table(index="area", columns="year", values=column, aggfunc="mean", sort=False)
