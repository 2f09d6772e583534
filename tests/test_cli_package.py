"""analysis/ by job (issue 8, item 5): the command line as a package with one app and one bad-input handler;
study running, staffing, validation and calibration in their own sub-packages; no import cycle in the
project (a test builds the import graph), the study runner imports no other job, and no private name or
package re-export is imported across modules."""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from conftest import run_cli
from typer.testing import CliRunner

import analysis.cli
from analysis.cli import app
from analysis.cli.errors import BAD_INPUT_ERRORS, EXIT_BAD_INPUT, BadInputGroup

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("analysis", "app", "sim", "scenarios")
CLI_MODULES = sorted(f"analysis.cli.{m.name}" for m in pkgutil.iter_modules(analysis.cli.__path__))
# Modules that must not know the app object: importing it from them is what made the old cycle.
COMMAND_MODULES = [m for m in CLI_MODULES if m.rsplit(".", 1)[1] not in ("application",)]
ENV = dict(os.environ, NO_COLOR="1", TERM="dumb", COLUMNS="200")


def _python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)


# ---- (a) python -m analysis ------------------------------------------------------------------------
def test_python_m_analysis_help_lists_every_command_and_equals_the_console_script():
    r = _python("-m", "analysis", "--help")
    assert r.returncode == 0, r.stderr
    listed = re.findall(r"^  (\S+)\s", r.stdout.split("Commands:", 1)[1], flags=re.M)
    assert listed == list(typer.main.get_command(app).commands)
    assert r.stdout == run_cli("--help").stdout


def test_python_m_analysis_exits_2_on_bad_input(tmp_path):
    r = _python("-m", "analysis", "validate", str(tmp_path / "missing.toml"))
    assert r.returncode == EXIT_BAD_INPUT
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr


# ---- (b) no import cycles ----------------------------------------------------------------------------
def test_the_package_has_the_expected_modules():
    for name in ("application", "errors", "options", "common", "run", "study", "validation", "sensitivity", "app_cmd"):
        assert f"analysis.cli.{name}" in CLI_MODULES


@pytest.mark.slow
@pytest.mark.parametrize("module", CLI_MODULES)
def test_each_cli_module_imports_alone_in_a_fresh_interpreter(module):
    r = _python("-c", f"import {module}")
    assert r.returncode == 0, r.stderr


# ---- (b2) analysis/ by job, and the import graph of the whole project -------------------------------------
JOBS = {
    "study": (
        "study",
        "kinds",
        "simulate",
        "executors",
        "store",
        "outcomes",
        "runner",
        "uncertainty",
        "compare",
        "query",
    ),
    "staffing": ("staffing", "kind", "budget", "area_need", "levers", "scenario_report", "tables"),
    "validation": ("validation", "lever_check", "queueing"),
    "calibration": ("calibration", "band_narrowing"),
    "sensitivity": ("kind", "design", "runs", "outcomes", "analyse", "discovery"),
    "report": ("build", "figures", "i18n"),
}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


PROJECT_MODULES = {
    _module_name(p): p
    for pkg in PROJECT_PACKAGES
    for p in sorted((ROOT / pkg).rglob("*.py"))
    if p.name != "__main__.py"
}
ANALYSIS_MODULES = sorted(m for m in PROJECT_MODULES if m.split(".")[0] == "analysis")


def _imports(path: Path, module: str, lazy: bool) -> list[tuple[str, str, int]]:
    """(imported module, imported name or '', line) of a module's imports of project modules: at import time
    only (module and class bodies, not function bodies nor `if TYPE_CHECKING:`), or with `lazy` every one."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []

    def resolve(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = package.split(".")
        base = base[: len(base) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def visit(nodes):
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not lazy:
                continue
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test) and not lazy:
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                found.extend((a.name, "", node.lineno) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                found.extend((resolve(node), a.name, node.lineno) for a in node.names)
            visit(ast.iter_child_nodes(node))

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return [f for f in found if f[0].split(".")[0] in PROJECT_PACKAGES]


def _import_graph(lazy: bool = False) -> dict[str, set[str]]:
    """Module -> the project modules importing it runs: the imported module, `from P import m` of a sub-module
    m, and the parent packages Python initialises first (not the importer's own, already initialising)."""
    graph = {}
    for module, path in PROJECT_MODULES.items():
        own = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        edges = set()
        for target, name, _ in _imports(path, module, lazy):
            for t in (target, f"{target}.{name}"):
                parts = t.split(".")
                edges |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        graph[module] = {e for e in edges if e in PROJECT_MODULES and e != module and e not in own}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_analysis_is_organised_by_job():
    for job, modules in JOBS.items():
        for name in modules:
            assert f"analysis.{job}.{name}" in PROJECT_MODULES, f"analysis/{job}/{name}.py"
    loose = [m for m in ANALYSIS_MODULES if m.count(".") == 1 and m not in {f"analysis.{j}" for j in [*JOBS, "cli"]}]
    assert not loose, f"modules outside a job's sub-package: {loose}"


def test_no_import_cycle_in_the_project():
    graph = _import_graph()
    assert graph["analysis.study.study"] >= {"analysis.study.kinds", "analysis.study.store"}  # the graph sees them
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_study_runner_imports_no_other_job():
    """The runner and the study readers know kinds only through the registry: nothing of staffing,
    sensitivity, report or the command line, not even inside a function. Only a kind module (simulate.py)
    reaches out, for its report."""
    graph = _import_graph(lazy=True)
    for module in (m for m in ANALYSIS_MODULES if m.startswith("analysis.study.") and m != "analysis.study.simulate"):
        other = {m for m in graph[module] if m.startswith("analysis.") and not m.startswith("analysis.study")}
        assert not other, f"{module} imports {sorted(other)}"


def test_modules_import_a_name_from_the_module_that_defines_it():
    """A package's __init__ may re-export names for scripts; modules of the project import the defining
    module, so no sub-module needs its package half-initialised."""
    violations = []
    for module, path in PROJECT_MODULES.items():
        for target, name, line in _imports(path, module, lazy=True):
            init = PROJECT_MODULES.get(target)
            if not name or init is None or init.name != "__init__.py" or target == module:
                continue
            body = ast.parse(init.read_text(encoding="utf-8")).body
            reexported = {a.asname or a.name for n in body if isinstance(n, ast.ImportFrom) for a in n.names}
            if name in reexported and f"{target}.{name}" not in PROJECT_MODULES:
                violations.append(f"{path.relative_to(ROOT)}:{line}: from {target} import {name}")
    assert not violations, "\n".join(violations)


@pytest.mark.slow
@pytest.mark.parametrize("module", [m for m in ANALYSIS_MODULES if not m.startswith("analysis.cli")])
def test_each_analysis_module_imports_alone_in_a_fresh_interpreter(module):
    r = _python("-c", f"import {module}")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_command_modules_do_not_import_the_app(module):
    """Commands are registered in one place (application.py); a command module that imported the app
    would need the package half-built, which is the cycle this package removed."""
    tree = ast.parse(Path(importlib.import_module(module).__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.module != "analysis.cli.application", f"{module} imports analysis.cli.application"
            if node.module == "analysis.cli":
                assert not {a.name for a in node.names} & {"app", "main", "application"}, module
        elif isinstance(node, ast.Import):
            assert "analysis.cli.application" not in {a.name for a in node.names}, module


# ---- (c) no private names across modules ---------------------------------------------------------------
def _private_imports(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        project = node.level > 0 or (node.module or "").split(".")[0] in PROJECT_PACKAGES
        for alias in node.names:
            private = alias.name.startswith("_") and not (alias.name.startswith("__") and alias.name.endswith("__"))
            if project and private:
                source = f"{'.' * node.level}{node.module or ''}"
                found.append(f"{path.relative_to(root).as_posix()}:{node.lineno}: from {source} import {alias.name}")
    return found


def test_no_module_imports_a_private_name_from_another_project_module():
    files = [p for pkg in PROJECT_PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    assert len(files) > 20
    violations = [v for p in files for v in _private_imports(p)]
    assert not violations, "make the helper public instead:\n" + "\n".join(violations)


def test_the_private_import_scan_finds_one(tmp_path):
    probe = tmp_path / "analysis" / "probe.py"
    probe.parent.mkdir()
    probe.write_text(
        "from analysis.study import _hidden\nfrom .store import __all__\nfrom os import _exit\nfrom . import _sibling\n"
    )
    assert _private_imports(probe, tmp_path) == [
        "analysis/probe.py:1: from analysis.study import _hidden",
        "analysis/probe.py:4: from . import _sibling",
    ]


# ---- (d) one handler for every known error ---------------------------------------------------------------
runner = CliRunner()


def _error_class(module: str, name: str) -> type[BaseException]:
    return getattr(importlib.import_module(module), name)


def test_the_app_runs_its_commands_through_the_handler():
    assert isinstance(typer.main.get_command(app), BadInputGroup)


@pytest.mark.parametrize("module,name", BAD_INPUT_ERRORS, ids=[n for _, n in BAD_INPUT_ERRORS])
def test_every_known_error_exits_2_with_its_message(monkeypatch, tmp_path, module, name):
    cls = _error_class(module, name)

    def broken(*args, **kwargs):
        raise cls(f"{tmp_path}/x.toml: field 'a.b' is wrong ({name})")

    monkeypatch.setattr("analysis.cli.common.load_scenario", broken)
    r = runner.invoke(app, ["validate", str(tmp_path / "x.toml")])
    assert r.exit_code == EXIT_BAD_INPUT, r.output
    assert r.stderr == f"error: {tmp_path}/x.toml: field 'a.b' is wrong ({name})\n"
    assert r.stdout == ""


def test_other_errors_are_not_mistaken_for_bad_input(monkeypatch, tmp_path):
    """A bug must surface as a bug (exit 1 and the exception), not as a message blaming the input."""

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("analysis.cli.common.load_scenario", broken)
    r = runner.invoke(app, ["validate", str(tmp_path / "x.toml")])
    assert r.exit_code == 1
    assert isinstance(r.exception, ValueError) and "error:" not in r.stderr


def test_every_project_error_class_is_classified():
    """A new error class must be added to BAD_INPUT_ERRORS (or here, with the reason it is not bad input)."""
    not_bad_input: set[str] = set()
    declared = set()
    for pkg in PROJECT_PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
                    module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                    declared.add((module, node.name))
    assert declared - {e for e in declared if e[1] in not_bad_input} == set(BAD_INPUT_ERRORS)
