"""Printed tables: the staffing and cost table per stadsdeel, and the city by year."""

from __future__ import annotations

import pandas as pd

STADSDEEL_COLUMNS = {
    "registered_population": "registered",
    "actual_population": "est. actual",
    "help_requests": "help requests",
    "unique_clients": "unique clients",
    "contacts_per_client": "contacts/client",
    "mean_wait_weeks": "mean wait (wk)",
    "p90_wait_weeks": "p90 wait (wk)",
    "dropped_first": "gave up",
    # a walk-in service's level, and passing residents on (issue 9)
    "share_first_within_2_weeks": "seen <=2 wk",
    "referred": "referred",
    "utilisation": "staff time used",
    "fte_total": "FTE",
    "cost_eur": "cost (EUR M)",
}
CITY_YEAR_COLUMNS = {
    "actual_population": "est. actual pop.",
    "help_requests": "help requests",
    "unique_clients": "unique clients",
    "contacts": "contacts",
    "mean_wait_weeks": "mean wait (wk)",
    "p90_wait_weeks": "p90 wait (wk)",
    "dropped_first": "gave up",
    "share_first_within_2_weeks": "seen <=2 wk",
    "utilisation": "staff time used",
    "fte_total": "FTE",
    "cost_eur": "cost (EUR M)",
    "spend_eur": "welfare spend (EUR M)",
    "fte_area_need": "area need FTE",
}


def _mean_over_replications(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    numeric = df.select_dtypes("number").columns.difference(keys + ["replication", "seed"])
    return df.groupby(keys, sort=False)[list(numeric)].mean().reset_index()


def _format(df: pd.DataFrame, columns: dict[str, str], index: str) -> str:
    out = df.set_index(index)[[c for c in columns if c in df]].rename(columns=columns)
    for col in out.columns:
        if "EUR M" in col:
            out[col] = out[col] / 1e6
    formats = {c: "{:,.0f}" for c in out.columns}
    formats.update(
        {
            "contacts/client": "{:.2f}",
            "mean wait (wk)": "{:.1f}",
            "p90 wait (wk)": "{:.0f}",
            "FTE": "{:.1f}",
            "cost (EUR M)": "{:.2f}",
            "welfare spend (EUR M)": "{:.2f}",
            "area need FTE": "{:.1f}",
            "seen <=2 wk": "{:.0%}",
            "staff time used": "{:.0%}",
        }
    )
    for col, fmt in formats.items():
        if col in out:
            out[col] = out[col].map(lambda v, f=fmt: "-" if pd.isna(v) else f.format(v))
    return out.to_string()


def stadsdeel_table(annual_stadsdeel: pd.DataFrame, annual_city: pd.DataFrame, year: int) -> str:
    """Per stadsdeel for one year, with the city total as the last row (means over replications)."""
    parts = [annual_stadsdeel[annual_stadsdeel.year == year], annual_city[annual_city.year == year]]
    df = _mean_over_replications(pd.concat(parts, ignore_index=True), ["year", "area"])
    return _format(df.rename(columns={"area": "stadsdeel"}), STADSDEEL_COLUMNS, "stadsdeel")


MECHANISM_COLUMNS = {
    "need_fte": "need FTE (true)",
    "naive_norm_fte": "norm FTE (register)",
    "informal_helped": "informal helped",
    "signalled": "signalled",
    "hours_moved_in": "hours moved in",
    "escalations": "escalations",
    "escalation_cost": "escalation (EUR M)",
    "avoided_cost": "avoided gross (EUR M)",
    "benefit_cost_ratio_gross": "B/C gross",
}


def mechanism_table(annual_stadsdeel: pd.DataFrame, annual_city: pd.DataFrame, year: int) -> str:
    """Observed versus true and the mechanisms' outputs per stadsdeel (columns of mechanisms that ran)."""
    parts = [annual_stadsdeel[annual_stadsdeel.year == year], annual_city[annual_city.year == year]]
    df = _mean_over_replications(pd.concat(parts, ignore_index=True), ["year", "area"])
    cols = {k: v for k, v in MECHANISM_COLUMNS.items() if k in df}
    out = df.rename(columns={"area": "stadsdeel"}).set_index("stadsdeel")[list(cols)].rename(columns=cols)
    for col in out.columns:
        if "EUR M" in col:
            out[col] = (out[col] / 1e6).map("{:.2f}".format)
        elif col in ("need FTE (true)", "norm FTE (register)", "B/C gross"):
            out[col] = out[col].map(lambda v: "-" if pd.isna(v) else f"{v:.1f}")
        else:
            out[col] = out[col].map("{:,.0f}".format)
    return out.to_string()


def city_by_year_table(annual_city: pd.DataFrame) -> str:
    df = _mean_over_replications(annual_city, ["year", "area"])
    return _format(df, CITY_YEAR_COLUMNS, "year")


def area_need_run_table(annual_stadsdeel: pd.DataFrame, annual_city: pd.DataFrame, year: int) -> str:
    """Area-based need per stadsdeel and type for one year (the `run` command), with bands if there are
    several replications (analysis.staffing.area_need)."""
    from analysis.staffing.area_need import need_table

    parts = [annual_stadsdeel.assign(level="stadsdeel"), annual_city.assign(level="city")]
    return need_table(pd.concat(parts, ignore_index=True), [year])
