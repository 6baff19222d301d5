"""Blesta 5 event names as aliases of core events (compat.blesta.events).

Event names, their params and the ``X.yAfter`` then short-alias order follow
/work/shared/reference/blesta.md §4.4-4.5 (Blesta 5.8 ``core/Util/Events/Observers/*``,
``components/plugins/lib/plugin.php``). The plugin is docs/examples/blesta_style_events.py,
loaded by path.
"""

from __future__ import annotations

import logging
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pluggy
import pytest

import hooks.events
from compat.blesta.events import (
    EVENT_NAMES,
    BlestaEvent,
    BlestaEventRegistry,
    BlestaEventsPlugin,
    make_plugin,
    registry_for,
)
from compat.blesta.modules import load_blesta_class

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "blesta_style_events.py"


@pytest.fixture
def example() -> tuple[Any, list[tuple[str, dict[str, Any]]]]:
    cls = load_blesta_class(f"{EXAMPLE}:DemoEventsPlugin")
    received = sys.modules[cls.__module__].RECEIVED
    received.clear()
    return cls(), received


def test_get_events_registration(example):
    plugin, _ = example
    registry = BlestaEventRegistry()
    assert registry.register_plugin(plugin) == [
        "Clients.create", "Services.add", "Services.editAfter", "Services.suspend",
        "Services.cancel", "Invoices.setClosed", "Transactions.add"]
    assert registry.events() == sorted(["Clients.create", "Services.add", "Services.editAfter",
                                        "Services.suspend", "Services.cancel",
                                        "Invoices.setClosed", "Transactions.add"])
    assert registry.subscribers("Services.add")[0] == plugin.onServiceChange


def test_example_receives_core_events(example):
    plugin, received = example
    events = BlestaEventsPlugin(registry_for([plugin]))
    events.bridge_event("client_added", {"client_id": 7, "owner_user_id": 3})
    events.bridge_event("service_provisioned", {"service_id": 42, "client_id": 7})
    events.bridge_event("service_suspended", {"service_id": 42, "client_id": 7, "reason": "x"})
    events.bridge_event("service_terminated", {"service_id": 42, "client_id": 7})
    events.bridge_event("invoice_paid", {"invoice_id": 12, "client_id": 7})
    events.bridge_event("payment_applied", {"transaction_id": 30, "invoice_id": 12,
                                            "client_id": 7, "amount": Decimal("9.50")})
    assert received == [
        ("Clients.create", {"client": {"id": 7}}),
        ("Services.editAfter", {"service_id": 42, "service_activated": True}),
        ("Services.suspend", {"service_id": 42}),
        ("Services.cancel", {"service_id": 42}),
        ("Invoices.setClosed", {"invoice_id": 12}),
        ("Transactions.add", {"transaction_id": 30}),
    ]


def test_event_object_api(example):
    plugin, _ = example
    event = registry_for([plugin]).trigger("Invoices.setClosed", {"invoice_id": 12})
    assert event.getName() == "Invoices.setClosed"
    assert event.getParams() == {"invoice_id": 12}
    assert event.getReturnValue() == {"seen": 12}
    other = BlestaEvent("Services.add")
    assert other.getParams() == {} and other.getReturnValue() is None
    other.setParams({"service_id": 1})
    other.setReturnValue([1])
    assert (other.getParams(), other.getReturnValue()) == ({"service_id": 1}, [1])


def test_a_failing_subscriber_does_not_stop_the_others(caplog):
    registry = BlestaEventRegistry()
    seen: list[int] = []

    def broken(event: BlestaEvent) -> None:
        raise RuntimeError("boom")

    registry.register("Invoices.add", broken)
    registry.register("Invoices.add", lambda e: seen.append(e.getParams()["invoice_id"]))
    with caplog.at_level(logging.ERROR, logger="compat.blesta.events"):
        BlestaEventsPlugin(registry).bridge_event("invoice_created", {"invoice_id": 5})
    assert seen == [5]
    assert "broken" in caplog.text and "Invoices.add" in caplog.text


def test_callback_forms_and_bad_entries():
    class Other:
        def __init__(self) -> None:
            self.got: list[str] = []

        def handle(self, event: BlestaEvent) -> None:
            self.got.append(event.getName())

    other = Other()
    calls: list[str] = []

    class Plugin:
        def getEvents(self) -> list[dict[str, Any]]:  # noqa: N802
            return [{"event": "Users.login", "callback": [other, "handle"]},
                    {"event": "Users.login", "callback": lambda e: calls.append("fn")}]

    registry = registry_for([Plugin()])
    registry.trigger("Users.login", {"user_id": 1})
    assert other.got == ["Users.login"] and calls == ["fn"]

    class Broken:
        def getEvents(self) -> list[dict[str, Any]]:  # noqa: N802
            return [{"event": "Clients.create", "callback": ["this", "missing"]}]

    with pytest.raises(ValueError, match="missing"):
        BlestaEventRegistry().register_plugin(Broken())

    class ByName:
        def getEvents(self) -> list[dict[str, Any]]:  # noqa: N802
            return [{"event": "Clients.create", "callback": ["SomeClass", "upper"]}]

    with pytest.raises(ValueError):
        BlestaEventRegistry().register_plugin(ByName())
    with pytest.raises(TypeError):
        BlestaEventRegistry().register("", print)
    with pytest.raises(TypeError):
        BlestaEventRegistry().register("Clients.create", "not callable")  # type: ignore[arg-type]


# --- every core event -> Blesta names and params -------------------------------------------------

def both(name: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{name}After", params), (name, params)]


MAPPING = [
    ("client_added", {"client_id": 7, "owner_user_id": 3},
     both("Clients.add", {"client_id": 7}) + both("Clients.create", {"client": {"id": 7}})),
    ("client_updated", {"client_id": 7, "changed": ["email"]},
     both("Clients.edit", {"client_id": 7})),
    ("client_closed", {"client_id": 7}, both("Clients.edit", {"client_id": 7})),
    ("client_deleted", {"client_id": 7}, both("Clients.delete", {"client_id": 7})),
    ("client_note_added", {"client_id": 7, "note_id": 2},
     both("Clients.addNote", {"note_id": 2})),
    ("contact_added", {"contact_id": 4, "client_id": 7},
     both("Contacts.add", {"contact_id": 4})),
    ("contact_updated", {"contact_id": 4, "client_id": 7},
     both("Contacts.edit", {"contact_id": 4})),
    ("contact_deleted", {"contact_id": 4, "client_id": 7},
     both("Contacts.delete", {"contact_id": 4})),
    ("invoice_created", {"invoice_id": 12, "client_id": 7},
     both("Invoices.add", {"invoice_id": 12})),
    ("invoice_updated", {"invoice_id": 12, "client_id": 7},
     both("Invoices.edit", {"invoice_id": 12})),
    ("invoice_cancelled", {"invoice_id": 12, "client_id": 7},
     both("Invoices.edit", {"invoice_id": 12})),
    ("invoice_paid", {"invoice_id": 12, "client_id": 7},
     both("Invoices.setClosed", {"invoice_id": 12})),
    ("transaction_added", {"transaction_id": 31, "client_id": 7},
     both("Transactions.add", {"transaction_id": 31})),
    ("payment_applied", {"transaction_id": 30, "invoice_id": 12, "client_id": 7,
                         "amount": Decimal("15.95")},
     both("Transactions.add", {"transaction_id": 30}) + [
         ("Transactions.applyAfter", {"vars": {"transaction_id": 30, "amounts": [
             {"invoice_id": 12, "amount": "15.95"}]}})]),
    ("payment_refunded", {"transaction_id": 32, "refund_of_id": 30, "client_id": 7},
     both("Transactions.edit", {"transaction_id": 30})),
    ("service_added", {"service_id": 42, "client_id": 7},
     both("Services.add", {"service_id": 42})),
    ("service_provisioned", {"service_id": 42, "client_id": 7},
     both("Services.edit", {"service_id": 42, "service_activated": True})),
    ("service_updated", {"service_id": 42, "client_id": 7},
     both("Services.edit", {"service_id": 42, "service_activated": False})),
    ("service_package_changed", {"service_id": 42, "client_id": 7, "new_product_id": 6},
     both("Services.edit", {"service_id": 42, "service_activated": False})),
    ("service_suspended", {"service_id": 42, "client_id": 7, "reason": "Overdue"},
     both("Services.suspend", {"service_id": 42})),
    ("service_unsuspended", {"service_id": 42, "client_id": 7},
     both("Services.unsuspend", {"service_id": 42})),
    ("service_cancelled", {"service_id": 42, "client_id": 7},
     both("Services.cancel", {"service_id": 42})),
    ("service_terminated", {"service_id": 42, "client_id": 7},
     both("Services.cancel", {"service_id": 42})),
    ("product_added", {"product_id": 5}, both("Packages.add", {"package_id": 5})),
    ("product_updated", {"product_id": 5}, both("Packages.edit", {"package_id": 5})),
    ("user_logged_in", {"user_id": 3}, [("Users.login", {"user_id": 3})]),
]


def recording_registry() -> tuple[BlestaEventRegistry, list[tuple[str, dict[str, Any]]]]:
    registry = BlestaEventRegistry()
    got: list[tuple[str, dict[str, Any]]] = []
    for name in {n for names in EVENT_NAMES.values() for n in names}:
        registry.register(name, lambda e: got.append((e.getName(), e.getParams())))
    return registry, got


@pytest.mark.parametrize(("event", "payload", "expected"), MAPPING, ids=[m[0] for m in MAPPING])
def test_core_event_fires_blesta_events(event, payload, expected):
    registry, got = recording_registry()
    BlestaEventsPlugin(registry).bridge_event(event, payload)
    assert got == expected


def test_every_mapped_event_is_covered_by_the_table():
    assert [event for event, _, _ in MAPPING] == list(EVENT_NAMES)


def test_the_docs_table_lists_every_mapping():
    page = (EXAMPLE.parents[1] / "legacy-modules.md").read_text(encoding="utf-8")
    for event, names in EVENT_NAMES.items():
        assert f"`{event}`" in page, event
        assert all(f"`{name}`" in page for name in names), event


def test_unknown_events_do_nothing():
    registry, got = recording_registry()
    BlestaEventsPlugin(registry).bridge_event("ticket_opened", {"ticket_id": 1})
    assert got == []


def test_extra_params_add_fields_but_mapped_ids_win():
    registry, got = recording_registry()

    def loader(name: str, event: str, payload: Any) -> dict[str, Any]:
        return {"client_id": 999, "vars": {"email": "ada@example.com"}, "event": event}

    BlestaEventsPlugin(registry, extra_params=loader).bridge_event("client_updated",
                                                                   {"client_id": 7})
    assert got[1] == ("Clients.edit", {"client_id": 7, "vars": {"email": "ada@example.com"},
                                       "event": "client_updated"})


def test_pluggy_and_make_plugin():
    pm = pluggy.PluginManager("bridge")
    pm.add_hookspecs(hooks.events)
    plugin = make_plugin({"plugins": [f"{EXAMPLE}:DemoEventsPlugin"]})
    pm.register(plugin, name="blesta_events")
    pm.hook.bridge_event(name="invoice_paid", payload={"invoice_id": 3, "client_id": 7})
    module_received = sys.modules[
        type(plugin.registry.subscribers("Invoices.setClosed")[0].__self__).__module__].RECEIVED
    assert module_received == [("Invoices.setClosed", {"invoice_id": 3})]
