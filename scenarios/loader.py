"""The one loader for scenario files (TOML) and command-line overrides.

A scenario file has a ``[scenario]`` block (name, question, city, seed, replications) and parameter
sections named after the parameter groups of ``sim.parameters`` (``[demand]``, ``[service]``, ...).
Unknown keys are rejected; every error names the file, the field, the value found and what is allowed.

Every loaded scenario knows where each value came from (`Scenario.provenance`): the parameter table's
default, a base scenario (``base = ...``, naming the file that set it), the file itself, or the command line
(``--set``, ``--seed``, ``--replications``, ``--variant NAME``). The resolved scenario (`Scenario.to_toml`)
records it in a ``[provenance]`` table, which the loader accepts and ignores.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from sim.city import CityDataError, load_city
from sim.parameters import AREA_TABLES, PARAMETERS, Resolved, check_area_tables, resolve

SCENARIO_DIR = Path(__file__).parent
GROUPS = sorted({name.split(".")[0] for name in PARAMETERS})
PROVENANCE = "provenance"  # the section of a resolved scenario that records where each value came from
DEFAULT = "default"  # provenance of a value nobody set: the parameter table's (or [scenario]'s) default
NAME_MAX = 100  # characters of a scenario name (file systems allow 255 bytes per path component)


class ScenarioError(ValueError):
    """A scenario file or override is invalid. The message is meant for people."""


class ScenarioMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The name becomes a directory (results/<name>/) and a Hive partition (scenario=<name>): it must not be
    # `.`/`..`, start with `-` or `.`, or be longer than a file name may be.
    name: str = Field(min_length=1, max_length=NAME_MAX, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    question: str = ""
    base: str | None = None  # another scenario (name or path) whose settings this one starts from
    city: str = "den_haag"
    seed: StrictInt = Field(default=20260205, ge=0, lt=2**63)
    replications: StrictInt = Field(default=1, ge=1, le=10_000)


@dataclass
class Scenario:
    path: Path
    meta: ScenarioMeta
    overrides: dict[str, Any] = field(default_factory=dict)  # dotted name -> value, as set in the file
    # dotted name (a parameter, or scenario.<field>) -> where its value came from; missing = DEFAULT
    sources: dict[str, str] = field(default_factory=dict)
    _resolved: Resolved | None = field(default=None, init=False, repr=False, compare=False)
    _resolved_from: dict | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.meta.name

    def params(self) -> Resolved:
        """All parameter values: defaults updated by the file and any overrides (`sim.parameters.resolve`,
        the one place where defaults are merged). Checked once; later calls return copies."""
        if self._resolved is None or self._resolved_from != self.overrides:
            self._resolved = resolve(self.overrides)
            # What it was resolved from, copied: `overrides` is a public dict and may be changed.
            self._resolved_from = {k: dict(v) if isinstance(v, dict) else v for k, v in self.overrides.items()}
        return resolve(self._resolved)

    def city(self):
        try:
            return load_city(self.meta.city)
        except CityDataError as exc:
            raise ScenarioError(f"{self.path}: field 'scenario.city' = {self.meta.city!r}: {exc}") from exc

    def provenance(self) -> dict[str, str]:
        """Where each value came from, for every [scenario] field that has a value and every parameter:
        ``default``, ``base scenario PATH``, ``file PATH``, or the command-line option that set it."""
        meta = [f"scenario.{k}" for k, v in self.meta.model_dump().items() if v is not None]
        return {name: self.sources.get(name, DEFAULT) for name in meta + list(PARAMETERS)}

    def with_overrides(self, assignments: list[str], source: str = "--set") -> Scenario:
        """A copy with ``--set dotted.key=value`` assignments applied (validated the same way). `source` is
        recorded as where those values came from (e.g. ``--seed``, ``--variant NAME``)."""
        meta = self.meta.model_dump()
        overrides = dict(self.overrides)
        sources = dict(self.sources)
        for text in assignments:
            key, value = _parse_assignment(text)
            sources[key] = source
            if key == "scenario.base" and value != meta.get("base"):
                # The base is resolved when the file is loaded (load_scenario applies scenario.base first).
                raise ScenarioError(
                    f"--set {text}: field 'scenario.base' can only be set when a scenario file "
                    "is loaded (welzijnsim run FILE --set scenario.base=NAME)"
                )
            if key.startswith("scenario."):
                meta[key.split(".", 1)[1]] = value
                checked = _validate_meta(meta, f"--set {_cut(text)}")
                if key == "scenario.city":  # fail now, naming the field, not deep in a run
                    try:
                        load_city(checked.city)
                    except CityDataError as exc:
                        raise ScenarioError(
                            f"--set {_cut(text)}: field 'scenario.city' = {_short(value)}: {exc}"
                        ) from None
            else:
                overrides[key] = _check_parameter(key, value, f"--set {_cut(text)}")
        out = Scenario(self.path, ScenarioMeta(**meta), overrides, sources)
        tables = [a for a in assignments if _parse_assignment(a)[0] in AREA_TABLES]
        if tables:  # per-area tables name areas of this city (also for study --variant)
            _check_area_keys(out, f"--set {_cut(tables[-1])}")
        return out

    def to_toml(self) -> str:
        """The resolved scenario (every parameter) as TOML, for the results directory.

        It holds every value, so loading it back gives the same scenario (its `base` is kept as a record
        and found among the shipped scenarios when it is not next to the copy). The last section,
        [provenance], says where each value came from; loading the file ignores it (every value is then
        read from the file itself)."""
        lines = ["[scenario]"]
        for k, v in self.meta.model_dump().items():
            if v is not None:
                lines.append(f"{k} = {toml_value(v)}")
        values = self.params()
        for group in GROUPS:
            lines.append(f"\n[{group}]")
            for name in PARAMETERS:
                if name.split(".")[0] == group:
                    lines.append(f"{name.split('.', 1)[1]} = {toml_value(values[name])}")
        lines += [
            f"\n[{PROVENANCE}]",
            "# Where each value above came from: default = the parameter table (sim/parameters.py); base scenario",
            "# PATH = inherited through `base = ...` from the file PATH that set it; file PATH = the scenario file;",
            "# --set, --seed, --replications, --variant NAME = the command line. A record: loading this file reads",
            "# every value above from it and ignores this table.",
        ]
        lines += [f"{toml_value(name)} = {toml_value(src)}" for name, src in self.provenance().items()]
        return "\n".join(lines) + "\n"


def toml_value(v: Any) -> str:
    """A value as TOML text, as scenario files and --set write it (the app writes its levers with it too)."""
    if isinstance(v, dict):  # a per-area table: { "Laak" = 2.0 }
        return "{ " + ", ".join(f"{toml_value(str(k))} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(v)


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


def _cut(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _short(value: Any, limit: int = 120) -> str:
    """repr of a value found in a file, cut to fit in a message (a value may be thousands of characters)."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):  # deeply nested, or an int too long to print
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


def _suggest_parameter(name: str) -> str:
    """For a field without its section (`scale`) or in the wrong one: the full dotted names that fit."""
    leaf = name.rsplit(".", 1)[-1]
    exact = [n for n in PARAMETERS if n.split(".", 1)[1] == leaf]
    if exact:
        return f" Did you mean {' or '.join(repr(n) for n in exact)}?"
    leaves = {n.split(".", 1)[1]: n for n in PARAMETERS}
    close = difflib.get_close_matches(leaf, list(leaves), n=1)
    return f" Did you mean '{leaves[close[0]]}'?" if close else ""


def _check_parameter(name: str, value: Any, where: str) -> Any:
    if name not in PARAMETERS:
        group = name.split(".")[0]
        if group not in GROUPS:
            hint = _suggest_parameter(name) or _suggest(group, GROUPS + ["scenario"])
            raise ScenarioError(
                f"{where}: unknown section '{group}' (field '{name}'). Allowed sections: scenario, "
                f"{', '.join(GROUPS)}. Parameters are written section.field, e.g. run.scale.{hint}"
            )
        keys = [n for n in PARAMETERS if n.startswith(group + ".")]
        raise ScenarioError(
            f"{where}: unknown field '{name}'. Allowed in [{group}]: "
            f"{', '.join(k.split('.', 1)[1] for k in keys)}.{_suggest(name, keys)}"
        )
    p = PARAMETERS[name]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63:
        # float(huge int) overflows; no parameter allows such a number
        digits = int(value.bit_length() * 0.30103) + 1
        raise ScenarioError(
            f"{where}: field '{name}' = {_short(value, 40)} ({digits} digits): "
            f"outside the allowed range {p.allowed} (unit: {p.unit})"
        )
    try:
        return p.check(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ScenarioError(
            f"{where}: field '{name}' = {_short(value)}: {_cut(str(exc), 300)} (unit: {p.unit})"
        ) from exc


def _validate_meta(meta: dict, where: str) -> ScenarioMeta:
    try:
        return ScenarioMeta(**meta)
    except ValidationError as exc:
        msgs = []
        for e in exc.errors():
            fieldname = "scenario." + ".".join(str(x) for x in e["loc"])
            allowed = ", ".join(ScenarioMeta.model_fields) if e["type"] == "extra_forbidden" else None
            text = e["msg"]
            if fieldname == "scenario.name" and e["type"] in ("string_pattern_mismatch", "string_too_long"):
                text = (
                    f"allowed: letters, digits and - _ . starting with a letter or digit, at most {NAME_MAX} "
                    "characters (the name becomes a folder name)"
                )
            msg = f"{where}: field '{fieldname}' = {_short(e.get('input'))}: {text}"
            if allowed:
                msg += f". Allowed fields in [scenario]: {allowed}"
            msgs.append(msg)
        raise ScenarioError("\n".join(msgs)) from exc


def _parse_assignment(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise ScenarioError(f"--set {_cut(text)}: expected dotted.key=value, e.g. demand.episode_rate=0.12")
    if any(c in text for c in "\n\r\x00"):
        # TOML would read only the first line and silently drop the rest
        raise ScenarioError(f"--set {_short(text)}: a line break in the value; give one dotted.key=value per --set")
    key, raw = (s.strip() for s in text.split("=", 1))
    if not key:
        raise ScenarioError(f"--set {_cut(text)}: no field name before '='; expected dotted.key=value")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # bare words are strings
    except RecursionError:
        raise ScenarioError(f"--set {_cut(text)}: field '{key}': value nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ScenarioError(f"--set {_cut(text)}: field '{key}': not a usable value ({exc})") from None
    return key, value


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario by path, or by bare name (no folder, no suffix) from the shipped `scenarios/` folder."""
    p = Path(name_or_path)
    if p.exists() or p.suffix or len(p.parts) != 1:
        return p  # a path as given: never mangled (baseline.tml stays baseline.tml)
    return SCENARIO_DIR / f"{name_or_path}.toml"


def _base_path(path: Path, base: str) -> Path:
    """Where `base = "..."` of the scenario file `path` points.

    A name (``baseline``) or a relative path (``other.toml``, ``../x.toml``) is looked up next to the
    scenario file first (the same rule for both, independent of the working directory), then among the
    shipped scenarios (e.g. for a resolved copy in a results directory)."""
    b = Path(base.replace("\x00", ""))
    if b.is_absolute():
        return b
    rel = b if b.suffix else b.with_name(b.name + ".toml")
    here = path.parent / rel
    if here.is_file():
        return here
    shipped = SCENARIO_DIR / rel
    return shipped if shipped.is_file() else here


def _read_toml(path: Path, error=None) -> dict:
    """Parse a TOML file; every failure (not TOML, not UTF-8, too deep, a number too long) → `error`."""
    error = error or ScenarioError
    try:
        # utf-8-sig: accept the byte-order mark some Windows editors write
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not a UTF-8 text file (byte {exc.start}: {exc.reason}); save it as UTF-8") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a TOML file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the file ({exc.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        line = _line_of(text, "nesting")
        raise error(f"{path}: not usable TOML: arrays or inline tables nested too deeply ({line})") from None
    except ValueError:  # an integer with thousands of digits (Python refuses to convert it)
        line = _line_of(text, r"[0-9_]{1000,}")
        raise error(f"{path}: not usable TOML: a number with thousands of digits ({line})") from None


def _line_of(text: str, pattern: str) -> str:
    """Where the first match of `pattern` is: 'line N, field 'section.key'' (tomllib names neither here)."""
    import re

    if pattern == "nesting":  # the line with the most opening brackets and braces
        counts = [line.count("[") + line.count("{") for line in text.splitlines()] or [0]
        line_no = counts.index(max(counts)) + 1
        start = sum(len(x) + 1 for x in text.splitlines()[: line_no - 1])
    else:
        m = re.search(pattern, text)
        if not m:
            return "line ?"
        start = m.start()
        line_no = text.count("\n", 0, start) + 1
    line = text.splitlines()[line_no - 1]
    key = re.match(r"\s*([A-Za-z0-9_.-]+)\s*=", line)
    sections = re.findall(r"^\s*\[([A-Za-z0-9_.-]+)\]", text[:start], flags=re.M)
    if not key:
        return f"line {line_no}"
    name = f"{sections[-1]}.{key.group(1)}" if sections else key.group(1)
    return f"line {line_no}, field '{name}'"


def _not_found(path: Path) -> str:
    shipped = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    hint = ""
    if path.suffix != ".toml" and path.with_suffix(".toml").is_file():
        hint = f" Did you mean {path.with_suffix('.toml')}?"
    elif path.suffix not in ("", ".toml"):
        hint = " Scenario files end in .toml."
    return f"{path}: scenario file not found (shipped scenarios: {', '.join(shipped)}).{hint}"


def load_scenario(name_or_path: str | Path, overrides: list[str] | None = None, _chain: tuple = ()) -> Scenario:
    path = resolve_path(name_or_path)
    if path.is_dir():
        raise ScenarioError(f"{path}: is a directory; give a scenario TOML file, e.g. scenarios/baseline.toml")
    if not path.is_file():
        raise ScenarioError(_not_found(path))
    raw = _read_toml(path)
    meta_raw = raw.pop("scenario", None)
    if not isinstance(meta_raw, dict):
        raise ScenarioError(f'{path}: missing section [scenario] with at least: name = "..."')
    overrides = list(overrides or [])
    here = f"file {path}"
    sources = {f"scenario.{k}": here for k in meta_raw}
    base_where = str(path)
    for text in [t for t in overrides if _parse_assignment(t)[0] == "scenario.base"]:
        # --set scenario.base=NAME chooses the base before it is resolved, like the file's own field
        base_where = f"--set {_cut(text)} (scenario {path})"
        meta_raw = {**meta_raw, "base": _parse_assignment(text)[1]}
        _validate_meta(meta_raw, base_where)
        overrides.remove(text)
        sources["scenario.base"] = "--set"
    meta = _validate_meta(meta_raw, str(path))
    values: dict[str, Any] = {}
    if meta.base:
        base_path = _base_path(path, meta.base)
        if not base_path.is_file():
            raise ScenarioError(
                f"{base_where}: field 'scenario.base' = {meta.base!r}: no scenario file {base_path} "
                f"(a name or path relative to {path.parent}, or a shipped scenario)"
            )
        chain = _chain + (path.resolve(),)
        if base_path.resolve() in chain:
            cycle = " -> ".join(str(p) for p in chain + (base_path.resolve(),))
            raise ScenarioError(
                f"{path}: field 'scenario.base' = {meta.base!r}: scenarios are based on each other in a cycle ({cycle})"
            )
        base = load_scenario(base_path, _chain=chain)
        values.update(base.overrides)
        # The base's own values are named by its file; what it inherited keeps the file that set it.
        inherited_from = f"base scenario {base_path}"
        for name, src in base.sources.items():
            if name not in ("scenario.name", "scenario.base"):
                sources.setdefault(name, inherited_from if src.startswith("file ") else src)
        # The [scenario] fields the file does not set (city, seed, replications, question) come from the
        # base too: a scenario based on another city's scenario runs that city.
        inherited = {k: v for k, v in base.meta.model_dump().items() if k not in ("name", "base")}
        meta = _validate_meta({**inherited, **meta_raw}, str(path))
    for group, section in raw.items():
        if group == PROVENANCE and isinstance(section, dict):
            continue  # a resolved scenario's record of where its values came from (to_toml)
        if not isinstance(section, dict):
            raise ScenarioError(
                f"{path}: field '{group}' = {_short(section)}: top-level values are not allowed; put it in a "
                f"section. Allowed sections: scenario, {', '.join(GROUPS)}"
            )
        for key, value in section.items():
            name = f"{group}.{key}"
            values[name] = _check_parameter(name, value, str(path))
            sources[name] = here
    scenario = Scenario(path, meta, values, sources)
    scenario.city()  # fail early on a bad city reference
    scenario = scenario.with_overrides(overrides)
    _check_consistency(scenario)
    return scenario


def _check_consistency(scenario: Scenario) -> None:
    """Rules that tie parameters together (each alone may be in range)."""
    v = scenario.params()
    _check_area_keys(scenario)
    if v["demand.seek_help_min"] > v["demand.seek_help_max"]:
        raise ScenarioError(
            f"{scenario.path}: field 'demand.seek_help_min' = {v['demand.seek_help_min']!r} is above "
            f"'demand.seek_help_max' = {v['demand.seek_help_max']!r}; allowed: seek_help_min <= seek_help_max"
        )


def _check_area_keys(scenario: Scenario, where: str | None = None) -> None:
    """Per-area tables (e.g. staffing.individual_support_by_stadsdeel) may only name this city's areas."""
    city = scenario.city()
    bad = check_area_tables(scenario.params(), list(city.stadsdelen), list(city.servicepunten_per_stadsdeel))
    for name, key, allowed in bad:
        what = "Servicepunt XL" if name.endswith("servicepunt") else "stadsdeel"
        raise ScenarioError(
            f"{where or scenario.path}: field '{name}' has {what} {key!r}, which {city.name} does "
            "not have. "
            f"Allowed: {allowed}.{_suggest(key, allowed.split(', '))}"
        )
