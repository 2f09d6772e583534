"""The documentation stays true to the code and the data.

- docs/model.md carries the parameter table exactly as `sim.parameters.docs_block()` prints it (and where each
  parameter acts)
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
    return text[i + len(start) : j].strip("\n")


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
                rows.append(
                    f"| {section} | `{key}` | {_fmt_value(v['value'])}{rng} | {_cell(v['unit'])} | "
                    f"{_cell(v['source'])} |"
                )
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
    head = (
        "| Stadsdeel | Population in file | Registered (scaled to city total) | Unregistered low / mid / high "
        "| Need weight | Sites | " + " | ".join(f"FTE {w}" for w in WORK_TYPES) + " |"
    )
    rows = [head, "|" + "---|" * (6 + len(WORK_TYPES))]
    for d, name in enumerate(city.stadsdelen):
        rows.append(
            f"| {name} | {raw[d]:,.0f} | {reg[d]:,} | {lo[d]:,} / {mid[d]:,} / {hi[d]:,} | "
            f"{city.need_weight[d]:.2f} | {city.servicepunten_per_stadsdeel[d]} | "
            + " | ".join(f"{fte[d, j]:.1f}" for j in range(len(WORK_TYPES)))
            + " |"
        )
    rows.append(
        f"| **Total** | {raw.sum():,.0f} | {reg.sum():,} | {lo.sum():,} / {mid.sum():,} / {hi.sum():,} | – | "
        f"{city.servicepunten_per_stadsdeel.sum()} | "
        + " | ".join(f"{fte[:, j].sum():.1f}" for j in range(len(WORK_TYPES)))
        + " |"
    )
    return "\n".join(rows)


def render_data_md(text: str, path: Path = DATA_DIR / "den_haag.toml") -> str:
    text = replace_between(text, DATA_START, DATA_END, city_data_table(path))
    return replace_between(text, DERIVED_START, DERIVED_END, city_derived_table(path))


# ---- tests: the parameter table -----------------------------------------------------------------
def test_parameter_table_matches_code():
    table = between(MODEL_MD.read_text(encoding="utf-8"), DOCS_START, DOCS_END)
    assert table == docs_block(), (
        "docs/model.md parameter table is out of date; run: python -m sim.parameters --write-docs docs/model.md"
    )


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


# ---- tests: every command shown in README.md and docs/*.md runs (issue 13) ---------------------------
# Each `welzijnsim ...` line in a fenced block, and each `welzijnsim ...` code span in the text, is one of:
# - a *synopsis* (placeholders such as SCENARIO, DIR, N, [--x], ...): its command and every --option it
#   names must exist (checked against the program's own parameters);
# - a *mention* (a command name without its required arguments, e.g. `welzijnsim export --format xlsx`):
#   the command and options must exist;
# - a *command*: it is run, at small scale (see `small`), in document order, in a scratch copy of the
#   repository's scenarios, and must exit 0 (or 2 where the doc shows an `error:` line after it);
# - listed in TOO_LONG with why and the small command (or test) that stands in for it.
import shlex  # noqa: E402

DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PLACEHOLDER = re.compile(
    r"\.\.\.|\[|\]|\||\b(SCENARIO|DIR(_A|_B)?|N|FILE|Y|YEAR|SQL|HOST|PORT|S|CSV|NAME|LOW|HIGH)\b"
    r"|dotted\.key|key=value|FILE\.csv"
)
SMALL_SCALE, START = "0.02", 2026
TOO_LONG = {
    # command as written in the doc -> (why it is not run as written, what runs instead: a command or a test)
    "welzijnsim calibrate scenarios/baseline.toml --trials 150 --scale 0.2 --out scenarios/calibrated.toml": (
        "150 trials at scale 0.2 take about an hour",
        "calibrate scenarios/baseline.toml --trials 2 --scale 0.01 --replications 1 --verify-scale 0 --years 1 "
        "--param demand.episode_rate=0.05:0.2 --out results/calibrated-small.toml --quiet",
    ),
}


# Commands that serve until stopped: run as written they would never return. Their options are checked like a
# mention's; tests/test_app_browser.py starts the server on a free port and drives it in chromium.
SERVERS = {"app": "tests/test_app_browser.py::test_workshop_in_browser"}


def _app_command(name: str):
    import typer.main

    from analysis.cli import app

    group = typer.main.get_command(app)
    return group.commands.get(name) if hasattr(group, "commands") else None


def _command_names() -> list[str]:
    import typer.main

    from analysis.cli import app

    return sorted(typer.main.get_command(app).commands)


def doc_commands(path: Path) -> list[tuple[int, str, bool]]:
    """(line, command, shows an error) for every `welzijnsim ...` in fenced blocks and code spans."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out, fenced = [], False
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            m = re.match(r"^\s*(?:\$ )?(?:\.venv/bin/)?(welzijnsim\s.*)$", line)
            if m:
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                out.append((i + 1, m.group(1), nxt.startswith("error:")))
            elif "&& .venv/bin/welzijnsim " in line:  # the quick start's install-and-run line
                out.append((i + 1, "welzijnsim " + line.split("&& .venv/bin/welzijnsim ", 1)[1], False))
    # code spans in the text (outside fences), which may wrap over a line break
    prose = re.sub(r"```.*?```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    for m in re.finditer(r"`(welzijnsim\s[^`]*)`", prose):
        out.append((prose.count("\n", 0, m.start()) + 1, " ".join(m.group(1).split()), False))
    return sorted(out)


def _strip_comment(command: str) -> str:
    return re.split(r"\s{2,}#\s|\s#\s", command, maxsplit=1)[0].strip()


def classify(command: str) -> str:
    command = _strip_comment(command)
    if command in TOO_LONG:
        return "too long"
    if PLACEHOLDER.search(command.replace("welzijnsim", "")):
        return "synopsis"
    args = shlex.split(command)[1:]
    if args and args[0] in ("--help", "-h"):
        return "command"
    if args and args[0] in SERVERS and "--help" not in args:
        return "server"
    cmd = _app_command(args[0]) if args else None
    if cmd is None:
        return "synopsis"  # checked (and failed) there
    if len(args) == 1 and any(p.param_type_name == "argument" for p in cmd.params):
        return "mention"  # `welzijnsim study` named in prose: its arguments are optional only with --resume
    try:
        cmd.make_context(args[0], list(args[1:]), resilient_parsing=False)
    except Exception as exc:  # noqa: BLE001 - typer vendors click; its exception classes move between versions
        if type(exc).__name__ in ("MissingParameter", "Exit"):
            return "mention"
        return f"invalid ({exc})"
    return "command"


def _options_exist(command: str) -> list[str]:
    """Problems: unknown subcommands or options in a synopsis or mention."""
    problems = []
    text = _strip_comment(command)
    # `compare A B | query DIR "SQL" | export ...`: several commands on one line
    names = "|".join(re.escape(n) for n in _command_names())
    parts = re.split(rf"\|\s*(?=(?:{names})\s)", text.removeprefix("welzijnsim").strip())
    for part in parts:
        words = part.split()
        if not words:
            continue
        cmd = _app_command(words[0])
        if cmd is None:
            problems.append(f"no command {words[0]!r}")
            continue
        known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
        for opt in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", part):
            if opt not in known:
                problems.append(f"{words[0]}: no option {opt}")
    return problems


def small(command: str, years: int) -> list[str]:
    """The command at small scale: 2% of the residents, few years and replications, serial, quiet."""
    args = shlex.split(_strip_comment(command))[1:]
    sub = args[0]
    # Years after START + years - 1 are moved into the short run (the command keeps its shape).
    for i, a in enumerate(args):
        if a == "--year" and i + 1 < len(args) and int(args[i + 1]) >= START + years:
            args[i + 1] = str(START + years - 1)
    loads = sub in ("run", "staffing", "budget", "check-model") or (
        sub in ("study", "sensitivity") and any(a.endswith(".toml") for a in args)
    )
    if sub == "sensitivity" and loads:  # a design point per trajectory or sample: the fewest that still work
        method = args[args.index("--method") + 1] if "--method" in args else "morris"
        size = {"morris": ("--trajectories", "2"), "sobol": ("--samples", "4"), "delta": ("--samples", "24")}[method]
        args += ["--set", "run.warmup_weeks=8"]  # dozens of runs: a short warm-up keeps the docs test in minutes
        for opt, value in (size, ("--replications", "1")):
            if opt in args:
                args[args.index(opt) + 1] = value
            else:
                args += [opt, value]
    if loads:
        args += ["--set", f"run.scale={SMALL_SCALE}", "--set", f"run.years={years}"]
    reps = {"run": "2", "staffing": "1", "budget": "2", "study": "2", "check-model": "1"}
    if loads and sub in reps:
        args += ["--replications", reps[sub]]
    if sub in ("study", "staffing", "budget", "sensitivity") and "--scheduler" not in args:
        args += ["--workers", "0"]
    if sub in ("run", "study", "staffing", "budget", "check-model", "calibrate", "sensitivity") and (
        "--quiet" not in args
    ):
        args += ["--quiet"]
    return args


def _all_doc_commands():
    for path in DOC_FILES:
        for line, command, shows_error in doc_commands(path):
            yield path, line, command, shows_error


@pytest.mark.slow
def test_every_documented_command_is_classified_and_its_options_exist():
    seen = 0
    for path, line, command, _err in _all_doc_commands():
        kind = classify(command)
        seen += 1
        assert not kind.startswith("invalid"), f"{path.name}:{line}: {command}: {kind}"
        if kind in ("synopsis", "mention", "server"):
            assert not _options_exist(command), f"{path.name}:{line}: {command}: {_options_exist(command)}"
        elif kind == "too long":
            why, substitute = TOO_LONG[_strip_comment(command)]
            assert why and substitute
    assert seen > 20  # the extraction finds the docs' commands


def test_too_long_entries_are_still_in_the_docs():
    shown = {_strip_comment(c) for _p, _l, c, _e in _all_doc_commands()}
    stale = sorted(set(TOO_LONG) - shown)
    assert not stale, f"TOO_LONG lists commands no doc shows any more: {stale}"


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [p for p in DOC_FILES if any(classify(c) in ("command", "too long") for _l, c, _e in doc_commands(p))],
    ids=lambda p: p.name,
)
def test_documented_commands_run_at_small_scale(path, tmp_path, monkeypatch):
    import shutil

    from typer.testing import CliRunner

    from analysis.cli import app

    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    commands = doc_commands(path)
    years = max([2] + [int(y) - START + 1 for _l, c, _e in commands for y in re.findall(r"--year (\d{4})", c)])
    years = min(years, 2)  # later years are moved into the short run by `small`
    ran, seen = 0, set()
    for line, command, shows_error in commands:
        kind = classify(command)
        if kind not in ("command", "too long") or (command, shows_error) in seen:
            continue  # a command shown twice writes to the same --out; once is enough
        seen.add((command, shows_error))
        args = shlex.split(TOO_LONG[_strip_comment(command)][1]) if kind == "too long" else small(command, years)
        r = runner.invoke(app, args)
        where = f"{path.name}:{line}: {command}\n  ran: welzijnsim {shlex.join(args)}\n{r.output}"
        assert "Traceback" not in r.output, where
        if shows_error:
            assert r.exit_code == 2 and "error:" in r.output, where
        else:
            assert r.exit_code == 0, where + f"\n{r.exception!r}"
        ran += 1
    assert ran
    if path.name == "README.md":  # its Python examples, after its commands (they read results/baseline)
        for code in _python_blocks(path):
            code = code.replace('"run.scale=0.1"', f'"run.scale={SMALL_SCALE}"').replace(
                '"run.scale": 0.1', f'"run.scale": {SMALL_SCALE}'
            )
            exec(compile(code, f"{path.name} python block", "exec"), {})


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


def test_parameter_uses_skips_dict_literal_keys(tmp_path):
    """A name that is only a dict literal's key (sim.service.FOUNDATION_VALUES) is not a read."""
    (tmp_path / "m.py").write_text('RULES = {"a.b": 0.0}\nx = p["c.d"]\ny = {"k": p["e.f"]}\n')
    assert parameter_uses_of(tmp_path, ["a.b", "c.d", "e.f"]) == {"a.b": [], "c.d": ["m"], "e.f": ["m"]}


def test_unregistered_factor_moves_staff_between_service_points_as_documented():
    """docs/model.md ('Where each parameter acts'): unregistered.factor also moves individual-support staff
    between the Servicepunten XL of a stadsdeel (the catchment split counts unregistered residents), while
    each stadsdeel's total stays today's."""
    import numpy as np

    from sim.city import load_city
    from sim.model import WelzijnModel
    from sim.parameter_uses import CROSS_EFFECTS

    assert "Servicepunten XL" in CROSS_EFFECTS["unregistered.factor"]
    assert "drivers.unregistered_factor_end" in CROSS_EFFECTS["unregistered.factor"]
    city = load_city()
    one, two = (WelzijnModel(city, {"run.years": 1, "run.scale": 0.2, "unregistered.factor": f}, 1) for f in (1.0, 2.0))
    fte_one = np.array([sp.fte for sp in one.service_points])
    fte_two = np.array([sp.fte for sp in two.service_points])
    assert not np.allclose(fte_one, fte_two)  # staff moved between points ...
    np.testing.assert_allclose(one.fte["individual_support"], two.fte["individual_support"])  # ... per stadsdeel


def test_every_cross_effect_names_a_parameter():
    from sim.parameter_uses import CROSS_EFFECTS

    assert set(CROSS_EFFECTS) <= set(PARAMETERS)


def test_readme_provenance_example_is_what_the_loader_records():
    """The README's [provenance] excerpt is what `welzijnsim run` records for the command it names."""
    import re

    from analysis.cli.common import load_scenario_or_exit

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(\[provenance\]\n.*?)```", text, flags=re.S).group(1)
    shown = tomllib.loads(block)["provenance"]
    assert "`welzijnsim run scenarios/prevention-push.toml --seed 7 --set run.scale=0.1`" in text
    sc = load_scenario_or_exit(ROOT / "scenarios" / "prevention-push.toml", 7, None, ["run.scale=0.1"])
    recorded = sc.provenance()
    for name, source in shown.items():  # paths as the README's command gives them (relative to the repo)
        assert recorded[name].replace(f"{ROOT}/", "") == source, name
