"""The dependency direction of DESIGN.md, checked on the source with ``ast``.

``compat``, ``importers``, ``plugins`` -> ``bridge`` -> ``hooks``:

- ``hooks/`` imports nothing from bridge, compat, importers or plugins at runtime (imports
  under ``if TYPE_CHECKING:`` are allowed: the contract may name core types in annotations);
- ``bridge/`` never imports compat, importers or plugins (``bridge.plugins`` is core);
- ``bridge/services/`` additionally never imports flask (services do not know about HTTP);
- ``compat``, ``importers`` and ``plugins`` may import bridge and hooks.

Also: every public function of ``bridge/services/*.py`` has a docstring.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".venv", "venv", ".git", "build", "dist", "node_modules", "tests", "__pycache__"}


@dataclass(frozen=True)
class Rule:
    """Top-level packages a layer must not import, and whether TYPE_CHECKING imports are exempt."""

    layer: str
    forbidden: frozenset[str]
    type_checking_exempt: bool = False


RULES: dict[str, Rule] = {
    "hooks": Rule("hooks", frozenset({"bridge", "compat", "importers", "plugins"}),
                  type_checking_exempt=True),
    "bridge": Rule("bridge", frozenset({"compat", "importers", "plugins"})),
    "bridge/services": Rule("bridge/services",
                            frozenset({"compat", "importers", "plugins", "flask"})),
}


def layer_of(relpath: str) -> str | None:
    """The layer a repository-relative path belongs to, or None when no rule applies."""
    parts = Path(relpath).parts
    if len(parts) >= 3 and parts[0] == "bridge" and parts[1] == "services":
        return "bridge/services"
    if parts and parts[0] in ("hooks", "bridge"):
        return parts[0]
    return None


def _module_name(relpath: str) -> str:
    parts = list(Path(relpath).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return False


def _imported_modules(tree: ast.AST, relpath: str) -> Iterator[tuple[int, str, bool]]:
    """(line, absolute module name, under TYPE_CHECKING) for every import in ``tree``."""
    package = _module_name(relpath)
    if not relpath.endswith("__init__.py"):
        package = package.rpartition(".")[0]

    def visit(node: ast.AST, guarded: bool) -> Iterator[tuple[int, str, bool]]:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from visit(child, True)
            for child in node.orelse:
                yield from visit(child, guarded)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, guarded
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target, guarded
        for child in ast.iter_child_nodes(node):
            yield from visit(child, guarded)

    yield from visit(tree, False)


def import_violations(source: str, relpath: str) -> list[str]:
    """``path:line: message`` for every import in ``source`` that breaks its layer's rule."""
    layer = layer_of(relpath)
    if layer is None:
        return []
    rule = RULES[layer]
    tree = ast.parse(source, filename=relpath)
    found = []
    for line, module, guarded in _imported_modules(tree, relpath):
        top = module.split(".")[0]
        if top not in rule.forbidden:
            continue
        if guarded and rule.type_checking_exempt:
            continue
        where = " (under TYPE_CHECKING)" if guarded else ""
        found.append(f"{relpath}:{line}: {rule.layer}/ must not import {module!r}{where}")
    return found


def missing_docstrings(source: str, relpath: str) -> list[str]:
    """``path:line: message`` for every public top-level function without a docstring."""
    tree = ast.parse(source, filename=relpath)
    return [
        f"{relpath}:{node.lineno}: public service function {node.name}() has no docstring"
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not node.name.startswith("_")
        and not ast.get_docstring(node)
    ]


def python_files(root: Path = ROOT) -> Iterator[Path]:
    """Every .py file of the project, skipping virtualenvs, build output and tests."""
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).parts
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel[:-1]):
            continue
        yield path


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --- the project -----------------------------------------------------------------------------


def test_project_has_the_layered_packages():
    files = {_rel(p) for p in python_files()}
    for package in ("bridge/__init__.py", "hooks/__init__.py", "compat/__init__.py",
                    "importers/__init__.py", "plugins/__init__.py"):
        assert package in files
    assert not any(f.startswith(("tests/", ".venv/")) for f in files)


def test_dependency_direction():
    problems = []
    for path in python_files():
        problems.extend(import_violations(path.read_text(encoding="utf-8"), _rel(path)))
    assert not problems, "imports against DESIGN.md's dependency direction:\n" + "\n".join(problems)


def test_every_public_service_function_has_a_docstring():
    files = [p for p in sorted((ROOT / "bridge" / "services").glob("*.py"))
             if not p.name.startswith("_")]
    assert files, "bridge/services has no modules"
    problems = []
    for path in files:
        problems.extend(missing_docstrings(path.read_text(encoding="utf-8"), _rel(path)))
    assert not problems, "\n".join(problems)


# --- the checker itself, on synthetic sources ---------------------------------------------------


@pytest.mark.parametrize(("relpath", "source", "bad_line"), [
    ("hooks/server.py", "import os\nfrom bridge.models import Client\n", 2),
    ("hooks/server.py", "def f():\n    import bridge\n", 2),
    ("hooks/events.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\n"
                        "else:\n    import compat.whmcs\n", 5),
    ("hooks/gateway.py", "import plugins.stripe as s\n", 1),
    ("bridge/app.py", "from compat.whmcs import door\n", 1),
    ("bridge/jobs/run.py", "import importers.whmcs.reader\n", 1),
    ("bridge/plugins.py", "x = 1\nfrom plugins import stripe\n", 2),
    ("bridge/services/clients.py", "from flask import request\n", 1),
    ("bridge/services/clients.py", "import flask\n", 1),
    ("bridge/services/clients.py", "from typing import TYPE_CHECKING\n"
                                   "if TYPE_CHECKING:\n    from compat.whmcs import x\n", 3),
    ("bridge/services/billing/tax.py", "from compat import blesta\n", 1),
])
def test_checker_reports_violations(relpath, source, bad_line):
    problems = import_violations(source, relpath)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{relpath}:{bad_line}: ")


@pytest.mark.parametrize(("relpath", "source"), [
    ("hooks/server.py", "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
                        "if TYPE_CHECKING:\n    from bridge.models import Service\n"),
    ("hooks/server.py", "import typing\nif typing.TYPE_CHECKING:\n    import bridge.db\n"),
    ("hooks/server.py", "from . import events\nfrom hooks.events import hookspec\n"),
    ("bridge/app.py", "from flask import Flask\nfrom bridge.plugins import build_manager\n"
                      "from . import plugins\nimport hooks.server\n"),
    ("bridge/services/clients.py", "from ..plugins import x\nfrom bridge.errors import NotFound\n"),
    ("compat/whmcs/door.py", "from flask import request\nfrom bridge.services import clients\n"
                             "import hooks.events\nfrom importers import base\n"),
    ("importers/whmcs/importer.py", "from bridge.services.clients import add_client\n"),
    ("plugins/stripe.py", "from hooks.gateway import Gateway\nimport bridge\n"),
    ("tests/test_x.py", "import compat, plugins, importers\n"),
])
def test_checker_accepts_allowed_imports(relpath, source):
    assert import_violations(source, relpath) == []


def test_relative_import_escaping_bridge_is_resolved():
    # from bridge/services/x.py, ``from ...compat import y`` is the top-level compat package
    problems = import_violations("from ...compat import y\n", "bridge/services/x.py")
    assert problems == ["bridge/services/x.py:1: bridge/services/ must not import 'compat'"]


def test_docstring_checker():
    source = (
        'def documented(session):\n    """Does a thing."""\n\n'
        "def undocumented(session):\n    return 1\n\n"
        "def _private(session):\n    return 2\n\n"
        "class Helper:\n    def method(self):\n        return 3\n"
    )
    assert missing_docstrings(source, "bridge/services/x.py") == [
        "bridge/services/x.py:4: public service function undocumented() has no docstring"
    ]
