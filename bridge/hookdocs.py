"""Render the plugin author's hook reference from the hookspec docstrings.

``python -m bridge.hookdocs > docs/hooks.md`` regenerates the page; a test fails when the page
and the docstrings disagree, so the docstring stays the one reference.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import hooks

TITLES = {
    "hooks.server": "Server modules",
    "hooks.registrar": "Registrar modules",
    "hooks.gateway": "Gateway modules",
    "hooks.events": "Events and before-hooks",
    "hooks.web": "Web routes",
    "hooks.automation": "Automation jobs",
}


def hookspecs() -> Iterator[tuple[str, str, Callable[..., Any]]]:
    """(spec module, hook name, function) for every hookspec, in source order."""
    for module_name in hooks.SPEC_MODULES:
        module = importlib.import_module(module_name)
        functions = [obj for _, obj in inspect.getmembers(module, inspect.isfunction)
                     if hasattr(obj, f"{hooks.PROJECT}_spec")]
        functions.sort(key=lambda fn: fn.__code__.co_firstlineno)
        for function in functions:
            yield module_name, function.__name__, function


def render() -> str:
    """The whole hook reference as Markdown."""
    lines = [
        "# Hook reference",
        "",
        "Generated from the hookspec docstrings in `hooks/` by `python -m bridge.hookdocs`;",
        "do not edit by hand. Implement a hook with `@hookimpl` from `hooks`.",
    ]
    current = ""
    for module_name, name, function in hookspecs():
        if module_name != current:
            current = module_name
            lines += ["", f"## {TITLES[module_name]} (`{module_name}`)"]
        signature = str(inspect.signature(function)).replace("'", "")
        doc = inspect.cleandoc(function.__doc__ or "")
        lines += ["", f"### `{name}{signature}`", "", doc]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
