"""One workshop setting as an immutable value: a preset scenario, the levers moved, and the run size.

Solara keeps reactive values per browser session but starts every session from the same default object,
so settings are frozen dataclasses that are replaced (``.set(new)``), never changed in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from scenarios.loader import SCENARIO_DIR, Scenario, load_scenario, toml_value
from sim.parameters import AREA_TABLES
from sim.streams import replication_seeds

# The default run: a fifth of the residents (the smallest scale at which capacity per Servicepunt XL is not
# lumpy, docs/verification.md), the whole horizon, three replications for the 10-90% bands.
DEFAULT_SCALE = 0.2
DEFAULT_REPLICATIONS = 3
# Run-size limit: replications x scale x years / 10, i.e. "whole-city ten-year runs". One person cannot
# occupy the machine: 4 whole-city runs take ~25 s of CPU on this machine's two workers.
MAX_RUN_SIZE = 4.0
MAX_REPLICATIONS = 20
APP_SOURCE = "workshop app"  # provenance of the levers and run size in a saved scenario ([provenance])


def shipped_presets() -> list[str]:
    """The shipped scenarios, baseline first."""
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    return ["baseline"] + [n for n in names if n != "baseline"]


@lru_cache(maxsize=64)
def _preset(source: str) -> Scenario:
    return load_scenario(source)


@lru_cache(maxsize=64)
def _areas(source: str) -> tuple[str, ...]:
    # Reading the city data takes a moment; the page asks on every redraw.
    return tuple(_preset(source).city().stadsdelen)


@dataclass(frozen=True)
class Settings:
    preset: str  # shipped scenario name or a scenario file path
    levers: tuple[tuple[str, Any], ...] = ()  # (parameter, value) moved in the app, sorted by name
    scale: float = DEFAULT_SCALE
    years: int = 10
    replications: int = DEFAULT_REPLICATIONS

    # ---- changing (returns a new value) ----------------------------------------------------
    def with_lever(self, name: str, value) -> Settings:
        value = freeze(value)
        levers = dict(self.levers)
        if self.preset_value(name) == value:
            levers.pop(name, None)
        else:
            levers[name] = value
        return replace(self, levers=tuple(sorted(levers.items())))

    def with_area_factor(self, name: str, area: str, factor: float) -> Settings:
        """One area's entry of a per-area table (e.g. Laak in staffing.individual_support_by_stadsdeel) set to
        `factor`, the other entries kept. An entry of 1 is dropped: the model reads a missing area as 1, and
        dropping it keeps equal settings equal."""
        table = self.table(name)
        table[area] = float(factor)
        return self.with_lever(name, {k: v for k, v in table.items() if v != 1.0})

    def with_run(self, **kw) -> Settings:
        return replace(self, **kw)

    # ---- reading ---------------------------------------------------------------------------
    def base_scenario(self) -> Scenario:
        return _preset(self.preset)

    def preset_value(self, name: str):
        return freeze(self.base_scenario().params()[name])

    def value(self, name: str):
        return dict(self.levers).get(name, self.preset_value(name))

    def table(self, name: str) -> dict[str, float]:
        """A per-area table's current entries as a (new) dict."""
        return dict(self.value(name))

    def area_names(self) -> list[str]:
        """The stadsdelen of the preset's city, in the city data's order."""
        return list(_areas(self.preset))

    def assignments(self) -> list[str]:
        """The setting as ``--set`` assignments on the preset."""
        out = [f"{k}={toml_value(thaw(k, v))}" for k, v in self.levers]
        out += [
            f"run.scale={self.scale!r}",
            f"run.years={int(self.years)}",
            f"scenario.replications={int(self.replications)}",
        ]
        return out

    def scenario(self) -> Scenario:
        """The preset with the levers and run size applied (validated by the scenario loader)."""
        return self.base_scenario().with_overrides(self.assignments(), source=APP_SOURCE)

    @property
    def run_size(self) -> float:
        return self.replications * self.scale * self.years / 10

    def check_size(self) -> str | None:
        """None if the run may start, else why not (for the message on screen)."""
        if self.replications > MAX_REPLICATIONS or self.run_size > MAX_RUN_SIZE + 1e-9:
            return (
                f"{self.replications} x {self.scale:g} x {self.years}/10 = {self.run_size:.2f} > {MAX_RUN_SIZE:g}"
                f" (max {MAX_REPLICATIONS} replications)"
            )
        return None

    def seeds(self) -> list[int]:
        """Replication seeds from the preset's study seed: the same for every setting of one preset, so a
        comparison shows the levers, not noise (common random numbers)."""
        return replication_seeds(self.base_scenario().meta.seed, self.replications)

    def key(self) -> tuple:
        return (self.preset, self.levers, self.scale, self.years, self.replications)

    def label(self) -> str:
        name = Path(self.preset).stem
        if not self.levers:
            return name
        return name + " + " + ", ".join(f"{k.split('.', 1)[1]}={_short(v)}" for k, v in self.levers)

    def to_toml(self, name: str | None = None, question: str = "") -> str:
        """The setting as a scenario file that `welzijnsim run` and `validate` accept unchanged: every
        parameter resolved (so it stands alone), the moved levers listed in the header."""
        sc = self.scenario()
        name = name or _safe_name(f"workshop-{Path(self.preset).stem}")
        meta = sc.meta.model_copy(update={"name": name, "question": question or f"Workshop: {self.label()}"})
        sc = Scenario(
            sc.path, meta, sc.overrides, {**sc.sources, "scenario.name": APP_SOURCE, "scenario.question": APP_SOURCE}
        )
        header = [
            "# Scenario saved from the welzijnsim workshop app.",
            f"# Preset: {self.preset}; levers moved: "
            + (", ".join(f"{k} = {toml_value(thaw(k, v))}" for k, v in self.levers) or "none"),
            "# Run it with: welzijnsim run THIS_FILE (use run.scale = 1.0 for numbers you report)",
            "",
        ]
        return "\n".join(header) + sc.to_toml()


def freeze(value):
    """A lever value as a hashable, comparable value: a per-area table (dict) becomes sorted (area, factor)
    pairs, because settings are hashed and compared as the session's state (and dict order is no difference)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), float(v)) for k, v in value.items()))
    return value


def thaw(name: str, value):
    """The parameter value from a frozen lever value: per-area tables back to dicts."""
    return dict(value) if name in AREA_TABLES else value


def _short(v) -> str:
    if isinstance(v, tuple):  # a per-area table
        return "{" + ", ".join(f"{k}: {x:g}" for k, x in v) + "}"
    return f"{v:g}" if isinstance(v, float) else str(v).lower() if isinstance(v, bool) else str(v)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "workshop"
