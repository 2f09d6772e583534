"""The command line as a package (issue 8, item 5): one app, one bad-input handler, no import cycles and
no private names imported across modules."""

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
