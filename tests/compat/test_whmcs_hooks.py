"""WHMCS hook points as aliases of core events (compat.whmcs.hooks).

Hook point names and their ``vars`` follow /work/shared/reference/whmcs.md §5 (WHMCS developer
docs, hooks-reference/*). The hooks file is docs/examples/whmcs_style_hooks.py, loaded by path.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pluggy
import pytest

import hooks.events
from compat.whmcs.hooks import (
    HOOK_POINTS,
    WhmcsHookRegistry,
    WhmcsHooksPlugin,
    add_hook,
    load_whmcs_hooks,
    make_plugin,
)
from hooks import Abort

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "whmcs_style_hooks.py"


@pytest.fixture
def example() -> WhmcsHookRegistry:
    return load_whmcs_hooks(EXAMPLE)


def received(registry: WhmcsHookRegistry) -> list[tuple[str, Any]]:
    return registry.loaded[str(EXAMPLE)]["RECEIVED"]  # type: ignore[no-any-return]


# --- registration, order, isolation -----------------------------------------------------------

def test_example_registers_its_hooks(example):
    assert example.points() == sorted(["AfterModuleCreate", "ClientAdd", "DailyCronJob",
                                       "InvoicePaid", "PreModuleCreate", "TicketOpen"])
    assert [e.priority for e in example.hooks("InvoicePaid")] == [1, 5, 10]
    assert len(example) == 8


def test_priority_order_and_a_failing_hook_does_not_stop_the_others(example, caplog):
    with caplog.at_level(logging.ERROR, logger="compat.whmcs.hooks"):
        WhmcsHooksPlugin(example).bridge_event("invoice_paid", {"invoice_id": 9, "client_id": 7})
    assert received(example) == [("audit InvoicePaid", 9), ("thank InvoicePaid", 9)]
    assert "InvoicePaid" in caplog.text and "broken_hook" in caplog.text


def test_equal_priorities_run_in_registration_order():
    registry = WhmcsHookRegistry()
    order: list[str] = []
    registry.add_hook("ClientAdd", 2, lambda v: order.append("b"))
    registry.add_hook("ClientAdd", 1, lambda v: order.append("a"))
    registry.add_hook("ClientAdd", 2, lambda v: order.append("c"))
    registry.run("ClientAdd", {})
    assert order == ["a", "b", "c"]


def test_each_hook_gets_its_own_copy_of_vars():
    registry = WhmcsHookRegistry()
    seen: list[Any] = []

    def mutate(hook_vars: dict[str, Any]) -> None:
        hook_vars["params"]["serviceid"] = 0

    registry.add_hook("AfterModuleCreate", 1, mutate)
    registry.add_hook("AfterModuleCreate", 2, lambda v: seen.append(v["params"]["serviceid"]))
    original = {"params": {"serviceid": 42}}
    registry.run("AfterModuleCreate", original)
    assert seen == [42] and original == {"params": {"serviceid": 42}}


def test_run_returns_the_hook_results():
    registry = WhmcsHookRegistry()
    registry.add_hook("PreModuleCreate", 1, lambda v: {"abortcmd": True})
    registry.add_hook("PreModuleCreate", 2, lambda v: None)
    assert registry.run("PreModuleCreate", {}) == [{"abortcmd": True}, None]
    assert registry.run("NoSuchPoint", {}) == []


@pytest.mark.parametrize(("point", "priority", "fn"), [
    ("", 1, print), ("InvoicePaid", "1", print), ("InvoicePaid", True, print),
    ("InvoicePaid", 1, "not callable"),
])
def test_add_hook_validates_its_arguments(point, priority, fn):
    with pytest.raises(TypeError):
        WhmcsHookRegistry().add_hook(point, priority, fn)


def test_module_level_add_hook_only_while_loading():
    with pytest.raises(RuntimeError, match="load_whmcs_hooks"):
        add_hook("InvoicePaid", 1, print)


def test_loading_a_folder_skips_underscore_files_and_accepts_injected_add_hook(tmp_path):
    (tmp_path / "a_first.py").write_text(
        "add_hook('InvoicePaid', 1, lambda v: None)\n", encoding="utf-8")  # injected global
    (tmp_path / "b_second.py").write_text(
        "from compat.whmcs.hooks import add_hook\nadd_hook('ClientAdd', 1, print)\n",
        encoding="utf-8")
    (tmp_path / "_disabled.py").write_text("raise SystemExit('must not run')\n",
                                           encoding="utf-8")
    registry = load_whmcs_hooks(tmp_path)
    assert registry.points() == ["ClientAdd", "InvoicePaid"]
    assert sorted(Path(p).name for p in registry.loaded) == ["a_first.py", "b_second.py"]
    with pytest.raises(FileNotFoundError):
        load_whmcs_hooks(tmp_path / "nope.py")


# --- core event -> hook point and vars --------------------------------------------------------

MAPPING = [
    ("client_added", {"client_id": 7, "owner_user_id": 3},
     [("ClientAdd", {"client_id": 7, "userid": 7, "user_id": 3})]),
    ("client_updated", {"client_id": 7, "changed": ["email"]}, [("ClientEdit", {"userid": 7})]),
    ("client_closed", {"client_id": 7}, [("ClientClose", {"userid": 7})]),
    ("client_deleted", {"client_id": 7}, [("ClientDelete", {"userid": 7})]),
    ("contact_added", {"contact_id": 4, "client_id": 7},
     [("ContactAdd", {"userid": 7, "contactid": 4})]),
    ("contact_updated", {"contact_id": 4, "client_id": 7},
     [("ContactEdit", {"userid": 7, "contactid": 4})]),
    ("contact_deleted", {"contact_id": 4, "client_id": 7},
     [("ContactDelete", {"userid": 7, "contactid": 4})]),
    ("user_added", {"user_id": 3}, [("UserAdd", {"user_id": 3})]),
    ("user_password_changed", {"user_id": 3}, [("UserChangePassword", {"userid": 3})]),
    ("admin_logged_in", {"admin_id": 1}, [("AdminLogin", {"adminid": 1})]),
    ("order_placed", {"order_id": 5, "client_id": 7, "invoice_id": 12},
     [("AfterShoppingCartCheckout", {"OrderID": 5, "InvoiceID": 12})]),
    ("order_accepted", {"order_id": 5, "client_id": 7}, [("AcceptOrder", {"orderid": 5})]),
    ("order_cancelled", {"order_id": 5, "client_id": 7}, [("CancelOrder", {"orderid": 5})]),
    ("order_fraud", {"order_id": 5, "client_id": 7}, [("FraudOrder", {"orderid": 5})]),
    ("invoice_created", {"invoice_id": 12, "client_id": 7},
     [("InvoiceCreation", {"invoiceid": 12}), ("InvoiceCreationPreEmail", {"invoiceid": 12}),
      ("InvoiceCreated", {"invoiceid": 12})]),
    ("invoice_paid", {"invoice_id": 12, "client_id": 7},
     [("InvoicePaidPreEmail", {"invoiceid": 12}), ("InvoicePaid", {"invoiceid": 12})]),
    ("invoice_cancelled", {"invoice_id": 12, "client_id": 7},
     [("InvoiceCancelled", {"invoiceid": 12})]),
    ("invoice_refunded", {"invoice_id": 12, "client_id": 7},
     [("InvoiceRefunded", {"invoiceid": 12})]),
    ("payment_applied", {"transaction_id": 30, "invoice_id": 12, "client_id": 7,
                         "amount": Decimal("15.95"), "paid": True},
     [("AddInvoicePayment", {"invoiceid": 12}),
      ("AddTransaction", {"id": 30, "userid": 7, "invoiceid": 12, "amountin": "15.95"})]),
    ("transaction_added", {"transaction_id": 31, "client_id": 7,
                           "amount_in": Decimal("20.00"), "amount_out": Decimal("0")},
     [("AddTransaction", {"id": 31, "userid": 7, "amountin": "20.00", "amountout": "0"})]),
    ("payment_refunded", {"transaction_id": 32, "refund_of_id": 30, "invoice_id": 12,
                          "client_id": 7, "amount": Decimal("5.00")},
     [("AddTransaction", {"id": 32, "userid": 7, "invoiceid": 12, "amountout": "5.00",
                          "refundid": 30})]),
    ("service_provisioned", {"service_id": 42, "client_id": 7, "server_id": 3},
     [("AfterModuleCreate", {"params": {"serviceid": 42, "accountid": 42, "userid": 7,
                                        "serverid": 3}})]),
    ("service_suspended", {"service_id": 42, "client_id": 7, "reason": "Overdue"},
     [("AfterModuleSuspend", {"params": {"serviceid": 42, "accountid": 42, "userid": 7,
                                         "suspendreason": "Overdue"}})]),
    ("service_unsuspended", {"service_id": 42, "client_id": 7},
     [("AfterModuleUnsuspend", {"params": {"serviceid": 42, "accountid": 42, "userid": 7}})]),
    ("service_terminated", {"service_id": 42, "client_id": 7},
     [("AfterModuleTerminate", {"params": {"serviceid": 42, "accountid": 42, "userid": 7}})]),
    ("service_package_changed", {"service_id": 42, "client_id": 7, "new_product_id": 6},
     [("AfterModuleChangePackage", {"params": {"serviceid": 42, "accountid": 42, "userid": 7,
                                               "pid": 6}})]),
    ("service_updated", {"service_id": 42, "client_id": 7},
     [("ServiceEdit", {"userid": 7, "serviceid": 42})]),
    ("cancellation_requested", {"service_id": 42, "client_id": 7, "kind": "end_of_period"},
     [("CancellationRequest", {"userid": 7, "relid": 42, "type": "End of Billing Period"})]),
    ("addon_added", {"service_addon_id": 8, "service_id": 42, "client_id": 7, "addon_id": 2},
     [("AddonAdd", {"id": 8, "userid": 7, "serviceid": 42, "addonid": 2})]),
    ("addon_activated", {"service_addon_id": 8, "service_id": 42, "client_id": 7},
     [("AddonActivated", {"id": 8, "userid": 7, "serviceid": 42})]),
    ("addon_suspended", {"service_addon_id": 8, "service_id": 42, "client_id": 7},
     [("AddonSuspended", {"id": 8, "userid": 7, "serviceid": 42})]),
    ("addon_unsuspended", {"service_addon_id": 8, "service_id": 42, "client_id": 7},
     [("AddonUnsuspended", {"id": 8, "userid": 7, "serviceid": 42})]),
    ("addon_terminated", {"service_addon_id": 8, "service_id": 42, "client_id": 7},
     [("AddonTerminated", {"id": 8, "userid": 7, "serviceid": 42})]),
    ("addon_cancelled", {"service_addon_id": 8, "service_id": 42, "client_id": 7},
     [("AddonCancelled", {"id": 8, "userid": 7, "serviceid": 42})]),
    ("domain_registered", {"domain_id": 11, "client_id": 7, "domain": "example.co.uk"},
     [("AfterRegistrarRegistration", {"params": {"domainid": 11, "userid": 7,
                                                 "domain": "example.co.uk", "sld": "example",
                                                 "tld": "co.uk"}})]),
    ("domain_renewed", {"domain_id": 11, "client_id": 7, "domain": "example.com", "years": 1},
     [("AfterRegistrarRenewal", {"params": {"domainid": 11, "userid": 7,
                                            "domain": "example.com", "sld": "example",
                                            "tld": "com"}})]),
    ("domain_transferred", {"domain_id": 11, "client_id": 7, "domain": "example.com",
                            "expiry_date": "2030-01-02"},
     [("DomainTransferCompleted", {"domainId": 11, "domain": "example.com",
                                   "expiryDate": "2030-01-02"})]),
    ("domain_updated", {"domain_id": 11, "client_id": 7, "domain": "example.com"},
     [("DomainEdit", {"userid": 7, "domainid": 11})]),
    ("ticket_opened", {"ticket_id": 50, "client_id": 7, "number": "ABC-123456",
                       "department_id": 2, "message_id": 70, "author_type": "client"},
     [("TicketOpen", {"ticketid": 50, "ticketmask": "ABC-123456", "deptid": 2, "userid": 7})]),
    ("ticket_opened", {"ticket_id": 51, "client_id": None, "number": "ABC-654321",
                       "department_id": 2, "author_type": "admin"},
     [("TicketOpenAdmin", {"ticketid": 51, "ticketmask": "ABC-654321", "deptid": 2,
                           "userid": 0})]),
    ("ticket_replied", {"ticket_id": 50, "client_id": 7, "number": "ABC-123456",
                        "message_id": 71, "author_type": "client", "status": "customer_reply"},
     [("TicketUserReply", {"ticketid": 50, "replyid": 71, "status": "Customer-Reply",
                           "userid": 7})]),
    ("ticket_replied", {"ticket_id": 50, "client_id": 7, "number": "ABC-123456",
                        "message_id": 72, "author_type": "admin", "status": "answered"},
     [("TicketAdminReply", {"ticketid": 50, "replyid": 72, "status": "Answered"})]),
    ("ticket_closed", {"ticket_id": 50, "client_id": 7, "number": "ABC-123456"},
     [("TicketClose", {"ticketid": 50})]),
    ("ticket_note_added", {"ticket_id": 50, "number": "ABC-123456", "note_id": 3},
     [("TicketAddNote", {"ticketid": 50})]),
    ("ticket_merged", {"ticket_id": 50, "number": "ABC-123456", "source_ids": [51, 52]},
     [("TicketMerge", {"masterTicketId": 50, "mergedTicketIds": [51, 52]})]),
    ("ticket_deleted", {"ticket_id": 50, "number": "ABC-123456"},
     [("TicketDelete", {"ticketId": 50})]),
    ("daily_automation_finished", {"summary": {"invoices": 3}}, [("DailyCronJob", {})]),
]


def recording_registry() -> tuple[WhmcsHookRegistry, list[tuple[str, dict[str, Any]]]]:
    registry = WhmcsHookRegistry()
    got: list[tuple[str, dict[str, Any]]] = []
    for point in {p for points in HOOK_POINTS.values() for p in points}:
        registry.add_hook(point, 1, lambda v, point=point: got.append((point, v)))
    return registry, got


@pytest.mark.parametrize(("event", "payload", "expected"), MAPPING,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MAPPING)])
def test_core_event_fires_whmcs_hook_points(event, payload, expected):
    registry, got = recording_registry()
    WhmcsHooksPlugin(registry).bridge_event(event, payload)
    assert got == expected


def test_every_mapped_event_is_covered_by_the_table():
    assert {event for event, _, _ in MAPPING} == set(HOOK_POINTS)
    assert {p for _, _, expected in MAPPING for p, _ in expected} == {
        p for points in HOOK_POINTS.values() for p in points}


def test_the_docs_table_lists_every_mapping():
    page = (EXAMPLE.parents[1] / "legacy-modules.md").read_text(encoding="utf-8")
    for event, points in HOOK_POINTS.items():
        assert f"`{event}`" in page, event
        assert all(f"`{point}`" in page for point in points), event


def test_typed_core_events_all_have_a_whmcs_hook_point():
    assert set(hooks.events.TYPED_EVENTS) <= set(HOOK_POINTS)


def test_unknown_events_and_unhooked_points_do_nothing():
    registry, got = recording_registry()
    plugin = WhmcsHooksPlugin(registry)
    plugin.bridge_event("prices_updated", {"owner_id": 1})
    plugin.bridge_event("ticket_replied", {"ticket_id": 1, "author_type": "system"})
    WhmcsHooksPlugin(WhmcsHookRegistry()).bridge_event("invoice_paid", {"invoice_id": 1})
    assert got == []


def test_extra_vars_add_fields_but_mapped_ids_win():
    registry, got = recording_registry()
    asked: list[tuple[str, str]] = []

    def loader(point: str, event: str, payload: Any) -> dict[str, Any]:
        asked.append((point, event))
        return {"userid": 999, "firstname": "Ada",
                "params": {"userid": 999, "domain": "example.com"}}

    plugin = WhmcsHooksPlugin(registry, extra_vars=loader)
    plugin.bridge_event("client_added", {"client_id": 7})
    plugin.bridge_event("service_provisioned", {"service_id": 42, "client_id": 7})
    assert got[0] == ("ClientAdd", {"client_id": 7, "userid": 7, "firstname": "Ada",
                                    "params": {"userid": 999, "domain": "example.com"}})
    assert got[1][1]["params"] == {"serviceid": 42, "accountid": 42, "userid": 7,
                                   "domain": "example.com"}
    assert asked == [("ClientAdd", "client_added"), ("AfterModuleCreate", "service_provisioned")]


def test_a_failing_extra_vars_loader_falls_back_to_the_ids(caplog):
    registry, got = recording_registry()

    def loader(point: str, event: str, payload: Any) -> dict[str, Any]:
        raise LookupError("database gone")

    WhmcsHooksPlugin(registry, extra_vars=loader).bridge_event("invoice_paid",
                                                               {"invoice_id": 3})
    assert got == [("InvoicePaidPreEmail", {"invoiceid": 3}), ("InvoicePaid", {"invoiceid": 3})]
    assert "extra_vars failed" in caplog.text


# --- through pluggy, with the before hooks --------------------------------------------------------

def plugin_manager(plugin: object) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("bridge")
    pm.add_hookspecs(hooks.events)
    pm.register(plugin, name="whmcs_hooks")
    return pm


def test_pluggy_delivers_events_to_the_example(example):
    pm = plugin_manager(WhmcsHooksPlugin(example))
    pm.hook.bridge_event(name="client_added", payload={"client_id": 7})
    pm.hook.bridge_event(name="service_provisioned", payload={"service_id": 42, "client_id": 7})
    pm.hook.bridge_event(name="ticket_opened",
                         payload={"ticket_id": 5, "number": "XYZ-1", "client_id": 7})
    pm.hook.bridge_event(name="daily_automation_finished", payload={"summary": {}})
    assert received(example) == [("ClientAdd", 7), ("AfterModuleCreate", (42, 7)),
                                 ("TicketOpen", (5, "XYZ-1")), ("DailyCronJob", {})]


def test_pre_module_create_abortcmd_vetoes(example):
    pm = plugin_manager(WhmcsHooksPlugin(example))
    pm.hook.before_create_account(service_id=42, client_id=7, module="demopanel")
    with pytest.raises(Abort, match="PreModuleCreate"):
        pm.hook.before_create_account(service_id=666, client_id=7, module="demopanel")
    assert received(example) == [("PreModuleCreate refused", 666)]


def test_pre_suspend_and_terminate_hooks():
    registry = WhmcsHookRegistry()
    seen: list[dict[str, Any]] = []
    registry.add_hook("PreModuleSuspend", 1, lambda v: seen.append(v) or {"abortcmd": True})
    registry.add_hook("PreModuleTerminate", 1, lambda v: seen.append(v))
    pm = plugin_manager(WhmcsHooksPlugin(registry))
    with pytest.raises(Abort):
        pm.hook.before_suspend_account(service_id=42, client_id=7, reason="Overdue")
    pm.hook.before_terminate_account(service_id=42, client_id=7)
    assert seen == [
        {"params": {"serviceid": 42, "accountid": 42, "userid": 7, "suspendreason": "Overdue"}},
        {"params": {"serviceid": 42, "accountid": 42, "userid": 7}}]


def test_make_plugin_loads_hooks_files_from_settings():
    plugin = make_plugin({"hooks_files": [str(EXAMPLE)]})
    assert isinstance(plugin, WhmcsHooksPlugin)
    plugin.fire("invoice_paid", {"invoice_id": 4})
    assert received(plugin.registry) == [("audit InvoicePaid", 4), ("thank InvoicePaid", 4)]
