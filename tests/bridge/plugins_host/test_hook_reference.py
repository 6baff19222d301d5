"""Every hookspec is documented (docs/hooks.md is generated from the docstrings) and exercised."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import hooks
from bridge.hookdocs import hookspecs, render
from bridge.plugins import PluginHost
from hooks import Abort, hookimpl

ROOT = Path(__file__).resolve().parents[3]
SPECS = list(hookspecs())


def test_every_hookspec_has_a_docstring():
    missing = [name for _, name, fn in SPECS if not (fn.__doc__ or "").strip()]
    assert missing == []
    assert len(SPECS) >= 30


def test_docs_page_matches_the_docstrings():
    page = (ROOT / "docs" / "hooks.md").read_text()
    stale = "docs/hooks.md is stale: run `python -m bridge.hookdocs > docs/hooks.md`"
    assert page == render(), stale


def test_every_hookspec_is_exercised():
    # typed events and before-hooks are driven one by one by the tests below; the module
    # registration hooks and the catch-all must have real implementations in tests or plugins
    driven = set(hooks.TYPED_EVENTS) | set(hooks.BEFORE_HOOKS)
    assert driven <= {name for _, name, _ in SPECS}
    sources = "\n".join(p.read_text() for folder in ("tests", "plugins", "compat")
                        for p in (ROOT / folder).rglob("*.py"))
    unused = [name for _, name, _ in SPECS
              if name not in driven and not re.search(rf"def {name}\(", sources)]
    assert unused == []


def _record_all(calls):
    """A plugin object implementing every event hook, recording what it received."""

    class Everything:
        pass

    for name in hooks.TYPED_EVENTS:
        spec = getattr(hooks.events, name)
        params = list(inspect.signature(spec).parameters)

        def impl(self, __name=name, **kwargs):
            calls.append((__name, kwargs))

        impl.__signature__ = inspect.Signature(
            [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
            + [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY) for p in params])
        setattr(Everything, name, hookimpl(impl))
    return Everything()


def test_every_typed_event_reaches_its_subscribers():
    calls = []
    host = PluginHost(bundled=(), entry_points=False)
    host.register(_record_all(calls), "everything")
    for name in hooks.TYPED_EVENTS:
        spec = getattr(hooks.events, name)
        payload = {p: 1 for p in inspect.signature(spec).parameters}
        payload["extra_key"] = "ignored"
        host.dispatch(name, payload)
    assert [name for name, _ in calls] == list(hooks.TYPED_EVENTS)
    assert all("extra_key" not in kwargs for _, kwargs in calls)


@pytest.mark.parametrize("hook_name", hooks.BEFORE_HOOKS)
def test_every_before_hook_can_veto(hook_name):
    spec = getattr(hooks.events, hook_name)
    params = list(inspect.signature(spec).parameters)

    class Vetoer:
        pass

    def impl(self, **kwargs):
        raise Abort(f"no {hook_name}")

    impl.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY) for p in params])
    setattr(Vetoer, hook_name, hookimpl(impl))
    host = PluginHost(bundled=(), entry_points=False)
    assert host.veto(hook_name, **{p: 1 for p in params}) is None
    host.register(Vetoer(), "vetoer")
    assert host.veto(hook_name, **{p: 1 for p in params}) == f"no {hook_name}"


def test_a_failing_subscriber_does_not_stop_the_others():
    seen = []

    class Broken:
        @hookimpl
        def invoice_paid(self, invoice_id):
            raise RuntimeError("subscriber bug")

    class Fine:
        @hookimpl
        def invoice_paid(self, invoice_id):
            seen.append(invoice_id)

        @hookimpl
        def bridge_event(self, name, payload):
            seen.append(name)

    host = PluginHost(bundled=(), entry_points=False)
    host.register(Broken(), "broken")
    host.register(Fine(), "fine")
    host.dispatch("invoice_paid", {"invoice_id": 7, "client_id": 1})
    assert seen == ["invoice_paid", 7]


def test_module_registration_is_checked():
    from bridge.errors import ConfigError

    class NotAModule:
        name = "x"

    class Bad:
        @hookimpl
        def register_server_modules(self):
            return [NotAModule]

    host = PluginHost(bundled=(), entry_points=False)
    host.register(Bad(), "bad")
    with pytest.raises(ConfigError, match="not a named ServerModule subclass"):
        host.refresh_modules()
