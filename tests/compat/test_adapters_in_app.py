"""WHMCS-style and Blesta-style modules and subscribers installed from settings (no code):
listed by the host, provisioning an ordered service, receiving events."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from bridge import create_app
from bridge.context import Actor
from bridge.services.modules import add_server
from bridge.services.orders import accept_order, place_order
from bridge.services.provisioning import suspend_account
from bridge.testing import make_client, make_product

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _build(tmp_path, app_config, schema_template, *, whmcs_module=True):
    folder = tmp_path / ("plugins_whmcs" if whmcs_module else "plugins_blesta")
    folder.mkdir()
    for stem, module in (("whmcs_legacy", "compat.whmcs.modules"),
                         ("whmcs_hooks", "compat.whmcs.hooks"),
                         ("blesta_legacy", "compat.blesta.modules"),
                         ("blesta_events", "compat.blesta.events")):
        (folder / f"{stem}.py").write_text(f"from {module} import make_plugin  # noqa: F401\n")
    # both examples are called "demopanel": an install runs one of them under that name
    settings = {
        "whmcs_legacy": {"server_modules": [str(EXAMPLES / "whmcs_style_module.py")]
                         if whmcs_module else []},
        "whmcs_hooks": {"hooks_files": [str(EXAMPLES / "whmcs_style_hooks.py")]},
        "blesta_legacy": {"server_modules": [
            f"{EXAMPLES / 'blesta_style_module.py'}:Demopanel"] if not whmcs_module else []},
        "blesta_events": {"plugins": [f"{EXAMPLES / 'blesta_style_events.py'}:DemoEventsPlugin"]},
    }
    database = tmp_path / f"{folder.name}.db"
    shutil.copyfile(schema_template, database)
    return create_app({**app_config, "database_url": f"sqlite:///{database}",
                       "plugins_dir": str(folder), "plugin_settings": settings})


@pytest.fixture
def legacy_app(tmp_path, app_config, schema_template):
    return _build(tmp_path, app_config, schema_template)


@pytest.fixture
def blesta_app(tmp_path, app_config, schema_template):
    return _build(tmp_path, app_config, schema_template, whmcs_module=False)


def _loaded(prefix: str):
    """The example module object the adapters imported (by file path)."""
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if path.endswith(prefix):
            return module
    raise AssertionError(f"{prefix} was not imported")


def test_legacy_modules_are_listed(legacy_app, blesta_app):
    for app, owner in ((legacy_app, "whmcs_legacy"), (blesta_app, "blesta_legacy")):
        host = app.extensions["bridge"].plugins
        statuses = {r.name: (r.status, r.modules) for r in host.plugins()
                    if r.name.startswith(("whmcs", "blesta"))}
        assert statuses[owner] == ("active", ["server:demopanel"])
        assert statuses["whmcs_hooks"][0] == statuses["blesta_events"][0] == "active"


@pytest.mark.parametrize("example", ["whmcs_style_module.py", "blesta_style_module.py"])
def test_legacy_module_provisions_an_ordered_service(legacy_app, blesta_app, example):
    module = "demopanel"
    app = legacy_app if example.startswith("whmcs") else blesta_app
    state = app.extensions["bridge"]
    with state.transaction(Actor(kind="admin", source="test")) as session:
        add_server(session, {"name": "panel", "module": module, "hostname": "panel.test",
                             "username": "root", "password": "pw"})
        client = make_client(session)
        product = make_product(session, module=module, module_config={"configoption1": "gold",
                                                                      "plan": "gold"})
        result = place_order(session, client.id, {"products": [{
            "product_id": product.id, "domain": "legacy.test"}]})
        _, outcomes = accept_order(session, result.order.id)
        assert outcomes[0].ok, outcomes[0].message
        service = result.services[0]
        assert service.status == "active" and service.username
        assert suspend_account(session, service.id, "overdue").ok
    calls = [name for name, _ in _loaded(example).CALLS]
    assert any("Create" in c or c == "addService" for c in calls)
    assert any("Suspend" in c or c == "suspendService" for c in calls)


def test_legacy_subscribers_receive_events(legacy_app):
    state = legacy_app.extensions["bridge"]
    with state.transaction(Actor(kind="admin", source="test")) as session:
        from bridge.services.clients import add_client
        from bridge.testing import ensure_currency

        ensure_currency(session)
        add_client(session, {"first_name": "Ev", "last_name": "Ent",
                             "email": "events@example.com"})
    blesta = _loaded("blesta_style_events.py").RECEIVED
    assert any(name.startswith("Clients.") for name, _ in blesta)
    hooks_module = _loaded("whmcs_style_hooks.py")
    seen = [getattr(hooks_module, n) for n in dir(hooks_module) if n.isupper()]
    assert any(seen), "the WHMCS hooks file recorded nothing"
