"""The one loader for scenario files (TOML) and command-line overrides.

A scenario file has a ``[scenario]`` block (name, question, city, seed, replications) and parameter
sections named after the parameter groups of ``sim.parameters`` (``[demand]``, ``[service]``, ...).
Unknown keys are rejected; every error names the file, the field, the value found and what is allowed.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from sim.city import CityDataError, load_city
from sim.parameters import AREA_TABLES, PARAMETERS, check_area_tables

SCENARIO_DIR = Path(__file__).parent
GROUPS = sorted({name.split(".")[0] for name in PARAMETERS})


class ScenarioError(ValueError):
    """A scenario file or override is invalid. The message is meant for people."""


class ScenarioMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
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

    @property
    def name(self) -> str:
        return self.meta.name

    def params(self) -> dict[str, Any]:
        """All parameter values: defaults updated by the file and any overrides."""
        values = {n: p.default for n, p in PARAMETERS.items()}
        values.update(self.overrides)
        return values

    def city(self):
        try:
            return load_city(self.meta.city)
        except CityDataError as exc:
            raise ScenarioError(f"{self.path}: field 'scenario.city' = {self.meta.city!r}: {exc}") from exc

    def with_overrides(self, assignments: list[str]) -> Scenario:
        """A copy with ``--set dotted.key=value`` assignments applied (validated the same way)."""
        meta = self.meta.model_dump()
        overrides = dict(self.overrides)
        for text in assignments:
            key, value = _parse_assignment(text)
            if key.startswith("scenario."):
                meta[key.split(".", 1)[1]] = value
                _validate_meta(meta, f"--set {text}")
            else:
                overrides[key] = _check_parameter(key, value, f"--set {text}")
        out = Scenario(self.path, ScenarioMeta(**meta), overrides)
        tables = [a for a in assignments if _parse_assignment(a)[0] in AREA_TABLES]
        if tables:  # per-area tables name areas of this city (also for study --variant)
            _check_area_keys(out, f"--set {tables[-1]}")
        return out

    def to_toml(self) -> str:
        """The resolved scenario (every parameter) as TOML, for the results directory.

        It holds every value, so loading it back gives the same scenario (its `base` is kept as a record
        and found among the shipped scenarios when it is not next to the copy)."""
        lines = ["[scenario]"]
        for k, v in self.meta.model_dump().items():
            if v is not None:
                lines.append(f"{k} = {_toml_value(v)}")
        values = self.params()
        for group in GROUPS:
            lines.append(f"\n[{group}]")
            for name in PARAMETERS:
                if name.split(".")[0] == group:
                    lines.append(f"{name.split('.', 1)[1]} = {_toml_value(values[name])}")
        return "\n".join(lines) + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, dict):  # a per-area table: { "Laak" = 2.0 }
        return "{ " + ", ".join(f"{_toml_value(str(k))} = {_toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(v)


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


def _check_parameter(name: str, value: Any, where: str) -> Any:
    if name not in PARAMETERS:
        group = name.split(".")[0]
        if group not in GROUPS:
            raise ScenarioError(
                f"{where}: unknown section '{group}' (field '{name}'). Allowed sections: scenario, "
                f"{', '.join(GROUPS)}.{_suggest(group, GROUPS + ['scenario'])}")
        keys = [n for n in PARAMETERS if n.startswith(group + ".")]
        raise ScenarioError(
            f"{where}: unknown field '{name}'. Allowed in [{group}]: "
            f"{', '.join(k.split('.', 1)[1] for k in keys)}.{_suggest(name, keys)}")
    try:
        return PARAMETERS[name].check(value)
    except ValueError as exc:
        p = PARAMETERS[name]
        raise ScenarioError(f"{where}: field '{name}' = {value!r}: {exc} (unit: {p.unit})") from exc


def _validate_meta(meta: dict, where: str) -> ScenarioMeta:
    try:
        return ScenarioMeta(**meta)
    except ValidationError as exc:
        msgs = []
        for e in exc.errors():
            fieldname = "scenario." + ".".join(str(x) for x in e["loc"])
            allowed = ", ".join(ScenarioMeta.model_fields) if e["type"] == "extra_forbidden" else None
            msg = f"{where}: field '{fieldname}' = {e.get('input')!r}: {e['msg']}"
            if allowed:
                msg += f". Allowed fields in [scenario]: {allowed}"
            msgs.append(msg)
        raise ScenarioError("\n".join(msgs)) from exc


def _parse_assignment(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise ScenarioError(f"--set {text}: expected dotted.key=value, e.g. demand.episode_rate=0.12")
    key, raw = (s.strip() for s in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # bare words are strings
    return key, value


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario by path, or by name from the shipped `scenarios/` folder."""
    p = Path(name_or_path)
    if p.exists() or p.suffix == ".toml":
        return p
    return SCENARIO_DIR / f"{name_or_path}.toml"


def load_scenario(name_or_path: str | Path, overrides: list[str] | None = None, _chain: tuple = ()) -> Scenario:
    path = resolve_path(name_or_path)
    if not path.is_file():
        shipped = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))
        raise ScenarioError(f"{path}: scenario file not found (shipped scenarios: {shipped})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not a UTF-8 text file: {exc}") from exc
    meta_raw = raw.pop("scenario", None)
    if not isinstance(meta_raw, dict):
        raise ScenarioError(f"{path}: missing section [scenario] with at least: name = \"...\"")
    meta = _validate_meta(meta_raw, str(path))
    values: dict[str, Any] = {}
    if meta.base:
        base_path = resolve_path(meta.base) if Path(meta.base).suffix else path.parent / f"{meta.base}.toml"
        if not base_path.is_file() and not Path(meta.base).suffix:
            base_path = SCENARIO_DIR / f"{meta.base}.toml"  # e.g. a resolved copy in a results directory
        if not base_path.is_file():
            raise ScenarioError(f"{path}: field 'scenario.base' = {meta.base!r}: no scenario file {base_path}")
        chain = _chain + (path.resolve(),)
        if base_path.resolve() in chain:
            cycle = " -> ".join(str(p) for p in chain + (base_path.resolve(),))
            raise ScenarioError(f"{path}: field 'scenario.base' = {meta.base!r}: scenarios are based on each "
                                f"other in a cycle ({cycle})")
        base = load_scenario(base_path, _chain=chain)
        values.update(base.overrides)
        # The [scenario] fields the file does not set (city, seed, replications, question) come from the
        # base too: a scenario based on another city's scenario runs that city.
        inherited = {k: v for k, v in base.meta.model_dump().items() if k not in ("name", "base")}
        meta = _validate_meta({**inherited, **meta_raw}, str(path))
    for group, section in raw.items():
        if not isinstance(section, dict):
            raise ScenarioError(
                f"{path}: field '{group}' = {section!r}: top-level values are not allowed; put it in a "
                f"section. Allowed sections: scenario, {', '.join(GROUPS)}")
        for key, value in section.items():
            name = f"{group}.{key}"
            values[name] = _check_parameter(name, value, str(path))
    scenario = Scenario(path, meta, values)
    scenario.city()  # fail early on a bad city reference
    scenario = scenario.with_overrides(overrides or [])
    _check_consistency(scenario)
    return scenario


def _check_consistency(scenario: Scenario) -> None:
    """Rules that tie parameters together (each alone may be in range)."""
    v = scenario.params()
    _check_area_keys(scenario)
    if v["demand.seek_help_min"] > v["demand.seek_help_max"]:
        raise ScenarioError(
            f"{scenario.path}: field 'demand.seek_help_min' = {v['demand.seek_help_min']!r} is above "
            f"'demand.seek_help_max' = {v['demand.seek_help_max']!r}; allowed: seek_help_min <= seek_help_max")


def _check_area_keys(scenario: Scenario, where: str | None = None) -> None:
    """Per-area tables (e.g. staffing.individual_support_by_stadsdeel) may only name this city's areas."""
    city = scenario.city()
    bad = check_area_tables(scenario.params(), list(city.stadsdelen), list(city.servicepunten_per_stadsdeel))
    for name, key, allowed in bad:
        what = "Servicepunt XL" if name.endswith("servicepunt") else "stadsdeel"
        raise ScenarioError(f"{where or scenario.path}: field '{name}' has {what} {key!r}, which {city.name} does "
                            "not have. "
                            f"Allowed: {allowed}.{_suggest(key, allowed.split(', '))}")
