"""The mechanism contract (sim/mechanisms/base.py): every registered mechanism declares its name,
columns and counters, and a new mechanism needs one module and one registry line."""

from __future__ import annotations

import numpy as np
import pytest

import sim.mechanisms as mechanisms
from sim.mechanisms import REGISTRY, Mechanism
from sim.model import WelzijnModel
from sim.parameters import PARAMETERS

SEED = 7
SMALL = {"run.scale": 0.02, "run.years": 1, "run.warmup_weeks": 4}
ALL_ON = {f"{cls.name}.enabled": True for cls in REGISTRY}


@pytest.mark.parametrize("cls", REGISTRY, ids=lambda c: c.name)
def test_declares_name_columns_counters_and_enabled_parameter(cls):
    assert cls.name != Mechanism.name
    assert isinstance(cls.columns, dict) and isinstance(cls.counters, tuple)
    for dtype, _ in cls.columns.values():
        np.dtype(dtype)
    assert f"{cls.name}.enabled" in PARAMETERS


def test_registry_order_and_unique_names():
    assert [c.name for c in REGISTRY] == ["drivers", "prevention", "informal", "deployment", "escalation"]
    columns = [c for cls in REGISTRY for c in cls.columns]
    assert len(columns) == len(set(columns))


def test_columns_exist_and_grow_with_newcomers(city):
    model = WelzijnModel(city, {**SMALL, **ALL_ON}, SEED)
    pop = model.population
    declared = {name: start for cls in REGISTRY for name, (_, start) in cls.columns.items()}
    for name in declared:
        assert len(getattr(pop, name)) == len(pop)
    n = len(pop)
    take = np.arange(5)
    newcomers = {
        k: getattr(pop, k)[take].copy()
        for k in ("district", "cell", "age_band", "alone", "low_income", "migration", "kind", "network", "trust")
    }
    ids = model.add_residents(newcomers, model.week)
    assert len(ids) == 5 and len(pop) == n + 5
    for name, start in declared.items():
        col = getattr(pop, name)
        assert len(col) == n + 5
        assert np.all(col[ids] == start)


def test_written_counters_are_declared(city):
    model = WelzijnModel(city, {**SMALL, **ALL_ON}, SEED)
    model.run()
    declared = {c for cls in REGISTRY for c in cls.counters}
    written = set(model.results.extra_flows) | set(model._warmup_results.extra_flows)
    assert written <= declared, written - declared
    assert written, "a year with every mechanism on writes mechanism counters"


def test_one_mechanism_leaves_another_stream_alone(city):
    """Switching informal welfare on does not move the draws of the escalation stream's first weeks."""
    esc = {"escalation.enabled": True}
    a = WelzijnModel(city, {**SMALL, **esc}, SEED)
    b = WelzijnModel(city, {**SMALL, **esc, "informal.enabled": True}, SEED)
    assert np.array_equal(a.streams["escalation"].random(20), b.streams["escalation"].random(20))


def test_a_new_mechanism_is_one_class_and_one_registry_line(city, monkeypatch):
    calls: list[tuple[str, int]] = []

    class Dummy(Mechanism):
        name = "dummy"
        columns = {"dummy_flag": ("bool", False)}
        counters = ("dummy_count",)

        @classmethod
        def enabled(cls, params):  # a real mechanism has a `dummy.enabled` parameter
            return True

        def start_year(self, year_index, week):
            calls.append(("start_year", week))

        def adjust_capacity(self, week, capacity, setback):
            calls.append(("adjust_capacity", week))

        def after_demand(self, week, started):
            calls.append(("after_demand", week))

        def after_service(self, week, out, hidden_ended):
            calls.append(("after_service", week))
            self.model.results.add("dummy_count", week, self.model.population.service_point[out.served])

    monkeypatch.setattr(mechanisms, "REGISTRY", [*REGISTRY, Dummy])
    model = WelzijnModel(city, {"run.scale": 0.02, "run.years": 1, "run.warmup_weeks": 0}, SEED)
    assert isinstance(model.mechanisms[-1], Dummy)
    assert len(model.population.dummy_flag) == len(model.population)
    model.step()
    model.step()
    assert calls == [
        ("start_year", 0),
        ("adjust_capacity", 0),
        ("after_demand", 0),
        ("after_service", 0),
        ("adjust_capacity", 1),
        ("after_demand", 1),
        ("after_service", 1),
    ]
    assert model.results.counters["dummy_count"][:2].sum() == model.results.counters["contacts"][:2].sum()


def _model_attributes(path) -> set[str]:
    """Attributes a mechanism module reads off the model: `self.model.X`, `model.X` and `m.X` (the local
    name the modules give the model)."""
    import ast

    used = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Attribute):
            continue
        v = node.value
        if (isinstance(v, ast.Name) and v.id in ("m", "model")) or (
            isinstance(v, ast.Attribute)
            and v.attr == "model"
            and isinstance(v.value, ast.Name)
            and v.value.id == "self"
        ):
            used.add(node.attr)
    return used


def test_mechanisms_use_only_the_model_interface():
    from pathlib import Path

    import sim.mechanisms as pkg
    from sim.mechanisms.base import MODEL_INTERFACE

    modules = [p for p in Path(pkg.__file__).parent.glob("*.py") if p.name not in ("__init__.py", "base.py")]
    assert len(modules) >= len(REGISTRY)
    beyond = {p.name: sorted(_model_attributes(p) - MODEL_INTERFACE) for p in modules}
    assert not any(beyond.values()), f"mechanisms reach past MODEL_INTERFACE (sim/mechanisms/base.py): {beyond}"
    # The scan sees what it should: prevention reads population and area_fte_by_type off the model.
    assert {"population", "area_fte_by_type"} <= _model_attributes(Path(pkg.__file__).parent / "prevention.py")
