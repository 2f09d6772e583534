"""Compare two studies: differences B - A per area and year, paired by seed (common random numbers).

Runs of A and B with the same seed saw the same random draws for everything the scenarios share, so
the per-seed difference isolates the levers. Bands are p10/p50/p90 of the paired differences.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.study.kinds import StudyKind, study_kind
from analysis.study.study import StudyError, load_table, read_manifest


def _pick(directory: Path, scenario: str | None, avoid: str | None = None) -> tuple[StudyKind, str]:
    """(kind, scenario) of a study; by default its first scenario, or for B the first that is not A's
    (so `compare S S` compares S's first two scenarios and never a scenario with itself by accident)."""
    manifest = read_manifest(directory)
    kind = study_kind(manifest["kind"])
    if not kind.compare_metrics:
        raise StudyError(f"{directory}: a {kind.name} study has no per-area outcomes to compare")
    names = [s["name"] for s in manifest["scenarios"]]
    if scenario is None:
        scenario = next((n for n in names if n != avoid), names[0])
    elif scenario not in names:
        raise StudyError(f"{directory}: no scenario {scenario!r} (has {', '.join(names)})")
    return kind, scenario


def compare_studies(
    dir_a: Path,
    dir_b: Path,
    metrics: list[str] | None = None,
    years: list[int] | None = None,
    level: str = "stadsdeel",
    scenario_a: str | None = None,
    scenario_b: str | None = None,
) -> pd.DataFrame:
    kind_a, sa = _pick(dir_a, scenario_a)
    kind_b, sb = _pick(dir_b, scenario_b, avoid=sa)
    table_a, table_b = kind_a.primary, kind_b.primary
    if table_a != table_b:
        raise StudyError(f"cannot compare a {table_a} study ({dir_a}) with a {table_b} study ({dir_b})")
    a, b = load_table(dir_a, table_a, [sa]), load_table(dir_b, table_b, [sb])
    if a.empty or b.empty:
        raise StudyError(f"{dir_a if a.empty else dir_b}: no completed runs to compare")
    if level not in set(a.level):
        raise StudyError(f"--level {level}: expected one of {', '.join(sorted(set(a.level)))}")
    if not metrics:
        optional = [m for m in kind_a.optional_compare_metrics if m in a.columns and m in b.columns]
        metrics = list(kind_a.compare_metrics) + optional
    missing = [m for m in metrics if m not in a.columns or m not in b.columns]
    if missing:
        numeric = sorted(c for c in a.columns if pd.api.types.is_numeric_dtype(a[c]))
        raise StudyError(f"unknown metric(s) {', '.join(missing)}; available: {', '.join(numeric)}")
    keys = ["seed", "level", "area", "year"]
    a, b = a[a.level == level], b[b.level == level]
    if years:
        a, b = a[a.year.isin(years)], b[b.year.isin(years)]
    paired = a[keys + metrics].merge(b[keys + metrics], on=keys, suffixes=("_a", "_b"))
    if paired.empty:
        raise StudyError(
            f"{dir_a} and {dir_b} share no seeds (or years/areas): runs cannot be paired. "
            "Use the same study seed (--seed) for both."
        )
    rows = []
    for (area, year), g in paired.groupby(["area", "year"], sort=False):
        for m in metrics:
            d = g[f"{m}_b"] - g[f"{m}_a"]
            rows.append(
                {
                    "area": area,
                    "year": year,
                    "metric": m,
                    "pairs": int(d.notna().sum()),
                    "a_mean": g[f"{m}_a"].mean(),
                    "b_mean": g[f"{m}_b"].mean(),
                    "diff_p10": d.quantile(0.1),
                    "diff_p50": d.quantile(0.5),
                    "diff_p90": d.quantile(0.9),
                    "diff_mean": d.mean(),
                }
            )
    out = pd.DataFrame(rows)
    out.attrs.update(
        a=f"{dir_a} scenario '{sa}'",
        b=f"{dir_b} scenario '{sb}'",
        same=Path(dir_a).resolve() == Path(dir_b).resolve() and sa == sb,
    )
    return out


def format_comparison(diff: pd.DataFrame) -> str:
    blocks = []
    if "a" in diff.attrs:
        head = f"A = {diff.attrs['a']}\nB = {diff.attrs['b']}"
        if diff.attrs.get("same"):
            head += "\nnote: A and B are the same runs, so every difference is 0; choose --scenario-a/--scenario-b"
        blocks.append(head)
    for m, g in diff.groupby("metric", sort=False):
        money = m.endswith("_eur") or m.startswith("escalation_cost") or m.startswith("avoided_cost")
        scale, unit = (1e6, " (EUR M)") if money else (1.0, "")
        fmt = "{:,.3f}" if m.startswith("share") else "{:,.2f}" if scale != 1.0 else "{:,.1f}"
        cells = g.assign(
            cell=[
                f"{fmt.format(r.diff_p50 / scale)} [{fmt.format(r.diff_p10 / scale)}, {fmt.format(r.diff_p90 / scale)}]"
                for r in g.itertuples()
            ]
        )
        wide = cells.pivot(index="area", columns="year", values="cell")
        wide = wide.reindex(list(dict.fromkeys(g.area)))
        blocks.append(f"{m}{unit}: B - A, median [p10, p90] over {int(g.pairs.max())} paired seeds\n{wide.to_string()}")
    return "\n\n".join(blocks)
