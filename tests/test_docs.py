"""The documentation stays true to the code and the data.

- docs/model.md carries the parameter table exactly as `sim.parameters.docs_block()` prints it (and where each parameter acts)
  (regenerate: ``python -m sim.parameters --write-docs docs/model.md``).
- docs/data.md carries the city data table and the derived per-stadsdeel table exactly as generated
  from the city data file (regenerate: ``python tests/test_docs.py --write``).
- every number in a city data file has a unit and a source that is a figures.md reference or starts
  with "estimate".

Run as a script, this file rewrites the generated tables of docs/data.md.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sim.city import AGE_BANDS, DATA_DIR, WORK_TYPES, load_city
from sim.parameters import DOCS_END, DOCS_START, PARAMETERS, docs_block

ROOT = Path(__file__).resolve().parents[1]
MODEL_MD = ROOT / "docs" / "model.md"
DATA_MD = ROOT / "docs" / "data.md"
CITY_FILES = sorted(DATA_DIR.glob("*.toml"))

DATA_START, DATA_END = "<!-- city-data:start -->", "<!-- city-data:end -->"
DERIVED_START, DERIVED_END = "<!-- city-derived:start -->", "<!-- city-derived:end -->"


# ---- helpers ------------------------------------------------------------------------------------
def between(text: str, start: str, end: str) -> str:
    """The text between two marker lines (without the newlines that follow/precede the markers)."""
    i, j = text.find(start), text.find(end)
    assert i >= 0 and j > i, f"markers {start} ... {end} missing or out of order"
    return text[i + len(start): j].strip("\n")


def replace_between(text: str, start: str, end: str, body: str) -> str:
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"markers {start} ... {end} missing or out of order")
    return text[: i + len(start)] + "\n" + body + "\n" + text[j:]


def _is_quantity(v) -> bool:
    return isinstance(v, dict) and "value" in v


def _fmt_number(x) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, float)) and float(x).is_integer() and abs(x) >= 10000:
        return f"{x:,.0f}"
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def _fmt_value(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_fmt_value(x) if isinstance(x, list) else _fmt_number(x) for x in v) + "]"
    return _fmt_number(v)


def _cell(s: str) -> str:
    return str(s).replace("|", "\\|")


# ---- generated tables for docs/data.md --------------------------------------------------------
def city_data_table(path: Path) -> str:
    """Every field of a city data file: section, field, value, unit and source."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    rows = ["| Section | Field | Value | Unit | Source |", "|---|---|---|---|---|"]

    def emit(section: str, block: dict) -> None:
        for key, v in block.items():
            if _is_quantity(v):
                rng = f" (range {_fmt_value(v['range'])})" if "range" in v else ""
                rows.append(f"| {section} | `{key}` | {_fmt_value(v['value'])}{rng} | {_cell(v['unit'])} | "
                            f"{_cell(v['source'])} |")
            else:
                rows.append(f"| {section} | `{key}` | {_cell(_fmt_value(v))} | – | (setting) |")

    for section, block in raw.items():
        if section == "stadsdeel":
            for sd in block:
                emit(f"stadsdeel {sd['name']}", {k: v for k, v in sd.items() if k != "name"})
        else:
            emit(section, block)
    return "\n".join(rows)


def city_derived_table(path: Path) -> str:
    """What `sim.city.City` derives per stadsdeel at load time (whole city, before run.scale)."""
    city = load_city(path)
    reg = city.registered_population
    raw = np.array([s.population.value for s in city.data.stadsdeel])
    lo, mid, hi = (city.unregistered_counts(x).sum(axis=1) for x in (0.0, 0.5, 1.0))
    fte = city.current_fte
    head = ("| Stadsdeel | Population in file | Registered (scaled to city total) | Unregistered low / mid / high "
            "| Need weight | Sites | " + " | ".join(f"FTE {w}" for w in WORK_TYPES) + " |")
    rows = [head, "|" + "---|" * (6 + len(WORK_TYPES))]
    for d, name in enumerate(city.stadsdelen):
        rows.append(
            f"| {name} | {raw[d]:,.0f} | {reg[d]:,} | {lo[d]:,} / {mid[d]:,} / {hi[d]:,} | "
            f"{city.need_weight[d]:.2f} | {city.servicepunten_per_stadsdeel[d]} | "
            + " | ".join(f"{fte[d, j]:.1f}" for j in range(len(WORK_TYPES))) + " |")
    rows.append(
        f"| **Total** | {raw.sum():,.0f} | {reg.sum():,} | {lo.sum():,} / {mid.sum():,} / {hi.sum():,} | – | "
        f"{city.servicepunten_per_stadsdeel.sum()} | "
        + " | ".join(f"{fte[:, j].sum():.1f}" for j in range(len(WORK_TYPES))) + " |")
    return "\n".join(rows)


def render_data_md(text: str, path: Path = DATA_DIR / "den_haag.toml") -> str:
    text = replace_between(text, DATA_START, DATA_END, city_data_table(path))
    return replace_between(text, DERIVED_START, DERIVED_END, city_derived_table(path))


# ---- tests: the parameter table -----------------------------------------------------------------
def test_parameter_table_matches_code():
    table = between(MODEL_MD.read_text(encoding="utf-8"), DOCS_START, DOCS_END)
    assert table == docs_block(), (
        "docs/model.md parameter table is out of date; run: python -m sim.parameters --write-docs docs/model.md")


def test_every_parameter_in_table():
    table = between(MODEL_MD.read_text(encoding="utf-8"), DOCS_START, DOCS_END)
    documented = set(re.findall(r"^\| `([^`]+)` \|", table, flags=re.M))
    missing = sorted(set(PARAMETERS) - documented)
    assert not missing, f"parameters missing from docs/model.md: {missing}"


def test_parameter_table_regenerates_idempotently():
    from sim.parameters import replace_docs_table

    text = MODEL_MD.read_text(encoding="utf-8")
    once = replace_docs_table(text)
    assert replace_docs_table(once) == once


# ---- tests: the city data ---------------------------------------------------------------------
def _sourced_ok(q: dict) -> list[str]:
    problems = []
    unit, source = str(q.get("unit", "")).strip(), str(q.get("source", "")).strip()
    if not unit:
        problems.append("no unit")
    if not source:
        problems.append("no source")
    elif not (source.lower().startswith("estimate") or "figures.md" in source):
        problems.append(f"source is neither a figures.md reference nor an estimate: {source!r}")
    return problems


@pytest.mark.parametrize("path", CITY_FILES, ids=lambda p: p.stem)
def test_every_stadsdeel_field_has_unit_and_source(path):
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    bad = []
    for sd in raw["stadsdeel"]:
        for key, v in sd.items():
            if key == "name":
                continue
            if not _is_quantity(v):
                bad.append(f"{sd['name']}.{key}: not a {{value, unit, source}} table")
                continue
            bad += [f"{sd['name']}.{key}: {p}" for p in _sourced_ok(v)]
    assert not bad, f"{path.name}:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", CITY_FILES, ids=lambda p: p.stem)
def test_every_city_level_number_has_unit_and_source(path):
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    bad = []
    for section, block in raw.items():
        if section == "stadsdeel":
            continue
        for key, v in block.items():
            if _is_quantity(v):
                bad += [f"{section}.{key}: {p}" for p in _sourced_ok(v)]
    assert not bad, f"{path.name}:\n" + "\n".join(bad)


def test_data_md_matches_city_file():
    text = DATA_MD.read_text(encoding="utf-8")
    assert render_data_md(text) == text, "docs/data.md is out of date; run: python tests/test_docs.py --write"


def test_age_band_labels_documented():
    # the age bands used in the code are the ones named in the docs
    text = MODEL_MD.read_text(encoding="utf-8")
    for band in AGE_BANDS:
        assert band in text, f"age band {band} not mentioned in docs/model.md"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_docs.py --write   (rewrites the generated tables in docs/data.md)")
    old = DATA_MD.read_text(encoding="utf-8")
    new = render_data_md(old)
    if new != old:
        DATA_MD.write_text(new, encoding="utf-8")
    print(f"{DATA_MD}: {'updated' if new != old else 'already up to date'}")


def test_every_parameter_is_read_by_the_model():
    """A parameter that no module of sim/ reads is a setting that silently does nothing."""
    from sim.parameter_uses import parameter_uses

    unread = [n for n, modules in parameter_uses(PARAMETERS).items() if not modules]
    assert not unread, f"parameters no module of sim/ reads: {unread}"


def test_parameter_uses_finds_f_string_names(tmp_path):
    (tmp_path / "m.py").write_text('p["a.b"]\nq = f"c.years_{kind}"\nr = f"{name}.enabled"\n')
    uses = parameter_uses_of(tmp_path, ["a.b", "c.years_youth", "x.enabled", "d.e"])
    assert uses == {"a.b": ["m"], "c.years_youth": ["m"], "x.enabled": ["m"], "d.e": []}


def parameter_uses_of(directory, names):
    from sim.parameter_uses import parameter_uses

    return parameter_uses(names, directory)
