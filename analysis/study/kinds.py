"""Study kinds: one registry of what a study of each kind runs, stores, summarises and reports.

A kind is registered by the module that defines it, when that module is imported:

    register(StudyKind(name="staffing", run=staffing_run, primary="staffing", tables=("staffing",), ...))

The runner (study.py), compare, query and the report look the kind up here by the name in the study's
manifest; none of them names a kind. So adding a kind is one module that calls `register`, plus its name
in `BUILTIN` below, which is imported on the first look-up so that a process that only reads a study
(report, compare, query, a --resume) knows every kind without importing them itself; tests/test_study_kinds.py
fails for a registering module missing there. Modules are named in code, never read from a manifest.

Workers never look a kind up: the runner hands them the kind's run function and primary table with each
task, so a run function must be a top-level function (spawned processes and Dask import it by name).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from analysis.study.study import StudySpec

# The modules that register the shipped kinds, in the order `kind_names` lists them.
BUILTIN = ("analysis.study.simulate", "analysis.staffing.kind", "analysis.sensitivity.kind")

RunFunction = Callable[[str, dict, int, dict], "dict[str, pd.DataFrame]"]
SummariseFunction = Callable[[Path, "StudySpec"], "pd.DataFrame"]
# (report.build.Doc, manifest) -> (title, the varied parameters as {name: (low, high)} or None): adds the
# kind's sections to the document; the report adds the assumptions and reproduction sections after them.
ReportFunction = Callable[[Any, dict], "tuple[str, dict[str, tuple] | None]"]


@dataclass(frozen=True)
class StudyKind:
    """What the study code needs to know about a kind."""

    name: str  # stored in the manifest; a --resume or a reader finds the kind by it
    run: RunFunction  # (city name, parameters, seed, options) -> {table: DataFrame} of one run; top level
    primary: str  # the table whose file marks a run complete (written last); the summary reads it
    tables: tuple[str, ...] = ()  # every table a run may write (query's views); the primary is added
    summarise: SummariseFunction | None = None  # None: bands (p10/p50/p90) over replications of the primary
    report: ReportFunction | None = None  # None: `welzijnsim report` refuses the study
    progress_label: str = "runs"  # what the progress bar counts
    # The run function takes `progress=callable(fraction)` and reports how far a run is (a staffing search).
    reports_progress: bool = False
    compare_metrics: tuple[str, ...] = ()  # compare's default metrics; () = the kind cannot be compared
    optional_compare_metrics: tuple[str, ...] = ()  # shown by default too when both studies have them

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", self.name):
            raise ValueError(f"study kind name {self.name!r}: lower-case letters, digits, '_' and '-' only")
        if not callable(self.run):
            raise ValueError(f"study kind {self.name!r}: run must be a function")
        if self.primary not in self.tables:
            object.__setattr__(self, "tables", (self.primary, *self.tables))


_REGISTRY: dict[str, StudyKind] = {}
_builtin_loaded = False


def register(kind: StudyKind) -> StudyKind:
    """Add a kind (called by the module that defines it, at import). A name is registered once."""
    if kind.name in _REGISTRY and _REGISTRY[kind.name] is not kind:
        raise ValueError(f"study kind {kind.name!r} is already registered (by {_REGISTRY[kind.name].run.__module__})")
    _REGISTRY[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (for tests that register one of their own)."""
    _REGISTRY.pop(name, None)


def _load_builtin() -> None:
    global _builtin_loaded
    if not _builtin_loaded:
        _builtin_loaded = True  # first: a kind module that looks a kind up while it loads must not recurse
        for module in BUILTIN:
            importlib.import_module(module)


def kind_names() -> tuple[str, ...]:
    """The names of every registered kind, the shipped ones first."""
    _load_builtin()
    return tuple(_REGISTRY)


def study_kind(name: str) -> StudyKind:
    """The kind called `name`; ValueError naming the known kinds if there is none."""
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown study kind {name!r}; expected one of {', '.join(_REGISTRY)}") from None


def all_tables() -> tuple[str, ...]:
    """Every table some kind writes, each once (query lists those a directory has)."""
    return tuple(dict.fromkeys(t for name in kind_names() for t in _REGISTRY[name].tables))
