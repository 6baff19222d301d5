"""Tests for bridge.services.lifecycle: service/addon transitions, edits, package changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from bridge.context import Actor, pending_events, set_actor
from bridge.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bridge.models import ActivityLog, Addon, CancellationRequest, Server, Service, ServiceAddon
from bridge.services import lifecycle as lc
from bridge.services.common import secret_box

STATUSES = ["pending", "active", "suspended", "terminated", "cancelled", "fraud", "completed"]

# Written out from the brief, independently of the module's table:
# (function, resulting status, statuses it may start from)
SERVICE_MOVES: list[tuple[str, Callable[..., Any], str, set[str]]] = [
    ("activate", lc.activate_service, "active", {"pending"}),
    ("suspend", lc.suspend_service, "suspended", {"active"}),
    ("unsuspend", lc.unsuspend_service, "active", {"suspended"}),
    ("terminate", lc.terminate_service, "terminated", {"pending", "active", "suspended", "fraud"}),
    ("cancel", lc.cancel_service, "cancelled", {"pending", "active", "suspended", "fraud"}),
    ("fraud", lc.mark_service_fraud, "fraud", {"pending"}),
    ("complete", lc.complete_service, "completed", {"active"}),
]
SERVICE_EVENTS = {
    "activate": "service_provisioned", "suspend": "service_suspended",
    "unsuspend": "service_unsuspended", "terminate": "service_terminated",
    "cancel": "service_cancelled", "fraud": "service_marked_fraud",
    "complete": "service_completed",
}
ADDON_MOVES: list[tuple[str, Callable[..., Any], str, set[str]]] = [
    ("addon_activated", lc.activate_addon, "active", {"pending"}),
    ("addon_suspended", lc.suspend_addon, "suspended", {"active"}),
    ("addon_unsuspended", lc.unsuspend_addon, "active", {"suspended"}),
    ("addon_terminated", lc.terminate_addon, "terminated",
     {"pending", "active", "suspended", "fraud"}),
    ("addon_cancelled", lc.cancel_addon, "cancelled", {"pending", "active", "suspended", "fraud"}),
]


def _events(db: Any, name: str) -> list[dict[str, Any]]:
    return [payload for event, payload in pending_events(db) if event == name]


def _logs(db: Any, action: str) -> list[ActivityLog]:
    return list(db.scalars(select(ActivityLog).where(ActivityLog.action == action)))


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize(("name", "func", "result", "legal_from"), SERVICE_MOVES,
                         ids=[m[0] for m in SERVICE_MOVES])
def test_service_transitions(db: Any, factories: Any, name: str, func: Callable[..., Any],
                             result: str, legal_from: set[str], start: str) -> None:
    service = factories.service(status=start)
    if start in legal_from:
        returned = func(db, service.id)
        assert returned is service
        assert service.status == result
        [payload] = _events(db, SERVICE_EVENTS[name])
        assert payload["service_id"] == service.id
        assert payload["client_id"] == service.client_id
        assert any(log.client_id == service.client_id and log.subject_id == service.id
                   for log in db.scalars(select(ActivityLog)))
    else:
        with pytest.raises(Conflict) as err:
            func(db, service.id)
        message = str(err.value)
        assert str(service.id) in message and start in message and result in message
        assert service.status == start
        assert pending_events(db) == []


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize(("event", "func", "result", "legal_from"), ADDON_MOVES,
                         ids=[m[0] for m in ADDON_MOVES])
def test_addon_transitions(db: Any, factories: Any, event: str, func: Callable[..., Any],
                           result: str, legal_from: set[str], start: str) -> None:
    service = factories.service()
    addon = lc.add_service_addon(db, service.id, {"name": "Backups", "status": start})
    db.info.pop("bridge.events", None)
    if start in legal_from:
        assert func(db, addon.id) is addon
        assert addon.status == result
        [payload] = _events(db, event)
        assert payload == {"service_addon_id": addon.id, "service_id": service.id,
                           "client_id": service.client_id, **{k: v for k, v in payload.items()
                                                             if k in ("reason", "old_status")}}
    else:
        with pytest.raises(Conflict, match=rf"service addon {addon.id} is {start}.*{result}"):
            func(db, addon.id)
        assert addon.status == start


def test_transition_table_matches_brief() -> None:
    assert lc.TRANSITIONS["pending"] == {"active", "cancelled", "fraud", "terminated"}
    assert lc.TRANSITIONS["active"] == {"suspended", "terminated", "cancelled", "completed"}
    assert lc.TRANSITIONS["suspended"] == {"active", "terminated", "cancelled"}
    assert lc.TRANSITIONS["fraud"] == {"cancelled", "terminated"}
    for closed in ("terminated", "cancelled", "completed"):
        assert lc.TRANSITIONS[closed] == set()
        assert not any(lc.can_transition(closed, s) for s in STATUSES)


def test_unknown_service_is_not_found(db: Any) -> None:
    with pytest.raises(NotFound):
        lc.suspend_service(db, 999)


def test_illegal_hints(db: Any, factories: Any) -> None:
    suspended = factories.service(status="suspended")
    with pytest.raises(Conflict, match="unsuspend it instead"):
        lc.activate_service(db, suspended.id)
    terminated = factories.service(status="terminated")
    with pytest.raises(Conflict, match="reactivate it first"):
        lc.suspend_service(db, terminated.id)


def test_activate_sets_registration_date_and_encrypts_password(db: Any, factories: Any) -> None:
    server = Server(name="web1")
    db.add(server)
    service = factories.service(status="pending", registration_date=None)
    lc.activate_service(db, service.id, username="bob", password="s3cr3t-Pässword",
                        server_id=server.id)
    db.commit()
    assert service.registration_date == datetime.now(UTC).date()
    assert service.username == "bob" and service.server_id == server.id
    raw = db.execute(text("SELECT password_enc FROM services WHERE id = :i"),
                     {"i": service.id}).scalar_one()
    assert "s3cr3t" not in raw and raw != ""
    assert secret_box(db).decrypt(raw) == "s3cr3t-Pässword"
    assert lc.service_password(db, service) == "s3cr3t-Pässword"


def test_activate_keeps_existing_registration_date(db: Any, factories: Any) -> None:
    service = factories.service(status="pending", registration_date=date(2025, 3, 4))
    lc.activate_service(db, service.id)
    assert service.registration_date == date(2025, 3, 4)
    assert service.password_enc == ""
    assert lc.service_password(db, service) == ""


def test_activate_unknown_server(db: Any, factories: Any) -> None:
    service = factories.service(status="pending")
    with pytest.raises(ValidationFailed) as err:
        lc.activate_service(db, service.id, server_id=4242)
    assert "server_id" in err.value.errors
    assert service.status == "pending"


def test_service_password_undecryptable(db: Any, factories: Any) -> None:
    service = factories.service(password_enc="v1:not-a-token")
    with pytest.raises(Conflict, match=f"service {service.id}"):
        lc.service_password(db, service)


def test_suspend_and_unsuspend(db: Any, factories: Any) -> None:
    service = factories.service()
    lc.suspend_service(db, service.id, reason="Overdue on payment")
    assert service.suspend_reason == "Overdue on payment"
    assert service.suspended_at is not None
    assert _events(db, "service_suspended")[0]["reason"] == "Overdue on payment"
    [log] = _logs(db, "service.suspended")
    assert log.client_id == service.client_id and "Overdue" in log.description
    lc.unsuspend_service(db, service.id)
    assert service.status == "active"
    assert service.suspend_reason == "" and service.suspended_at is None


def test_terminate_stamps_dates_and_processes_request(db: Any, factories: Any) -> None:
    service = factories.service()
    request = lc.request_cancellation(db, service.id, kind="immediate", reason="moving")
    lc.terminate_service(db, service.id)
    assert service.terminated_at is not None
    assert service.termination_date == datetime.now(UTC).date()
    assert request.processed_at is not None


def test_cancel_keeps_termination_date_and_processes_request(db: Any, factories: Any) -> None:
    service = factories.service(termination_date=date(2026, 5, 1))
    request = lc.request_cancellation(db, service.id)
    lc.cancel_service(db, service.id, reason="too pricey")
    assert service.termination_date == date(2026, 5, 1)
    assert request.processed_at is not None
    assert _events(db, "service_cancelled")[0]["reason"] == "too pricey"


@pytest.mark.parametrize(("start", "expected"), [("terminated", "pending"),
                                                 ("cancelled", "pending"),
                                                 ("completed", "active")])
def test_reactivate(db: Any, factories: Any, start: str, expected: str) -> None:
    service = factories.service(status=start, termination_date=date(2026, 1, 5),
                                terminated_at=datetime(2026, 1, 5, tzinfo=UTC))
    lc.reactivate_service(db, service.id)
    assert service.status == expected
    assert service.termination_date is None and service.terminated_at is None
    assert _events(db, "service_reactivated")[0]["old_status"] == start


def test_reactivate_to_chosen_status(db: Any, factories: Any) -> None:
    service = factories.service(status="cancelled")
    lc.reactivate_service(db, service.id, status="active")
    assert service.status == "active"
    other = factories.service(status="cancelled")
    with pytest.raises(ValidationFailed):
        lc.reactivate_service(db, other.id, status="suspended")


@pytest.mark.parametrize("start", ["pending", "active", "suspended", "fraud"])
def test_reactivate_refuses_live_services(db: Any, factories: Any, start: str) -> None:
    service = factories.service(status=start)
    with pytest.raises(Conflict, match=f"service {service.id} is {start}"):
        lc.reactivate_service(db, service.id)


def test_reactivate_is_for_admins_only(db: Any, factories: Any) -> None:
    service = factories.service(status="terminated")
    set_actor(db, Actor(kind="client", id=service.client_id))
    with pytest.raises(PermissionDenied):
        lc.reactivate_service(db, service.id)
    assert service.status == "terminated"


def test_request_cancellation(db: Any, factories: Any) -> None:
    service = factories.service()
    request = lc.request_cancellation(db, service.id, kind="end_of_period", reason="bye")
    assert isinstance(request, CancellationRequest) and request.id is not None
    assert request.kind == "end_of_period" and request.reason == "bye"
    [payload] = _events(db, "cancellation_requested")
    assert payload["cancellation_request_id"] == request.id
    with pytest.raises(Conflict, match="open cancellation request"):
        lc.request_cancellation(db, service.id, kind="immediate")
    with pytest.raises(ValidationFailed) as err:
        lc.request_cancellation(db, factories.service().id, kind="someday")
    assert "kind" in err.value.errors


def test_request_cancellation_of_ended_service(db: Any, factories: Any) -> None:
    service = factories.service(status="terminated")
    with pytest.raises(Conflict):
        lc.request_cancellation(db, service.id)


def test_new_request_allowed_after_processing(db: Any, factories: Any) -> None:
    service = factories.service()
    first = lc.request_cancellation(db, service.id)
    first.processed_at = datetime.now(UTC)
    second = lc.request_cancellation(db, service.id)
    assert second.id != first.id


def test_update_service(db: Any, factories: Any) -> None:
    service = factories.service()
    lc.update_service(db, service.id, {
        "domain": "example.org", "billing_cycle": "1y", "recurring_amount": "99.95",
        "next_due_date": "2026-03-15", "password": "hunter2", "override_auto_suspend": True,
        "assigned_ips": [" 10.0.0.2 ", ""], "quantity": 3,
    })
    assert service.billing_cycle == "1Y"
    assert service.recurring_amount == Decimal("99.95")
    assert service.next_due_date == date(2026, 3, 15) and service.anchor_day == 15
    assert service.assigned_ips == ["10.0.0.2"]
    assert "hunter2" not in service.password_enc
    assert lc.service_password(db, service) == "hunter2"
    [payload] = _events(db, "service_updated")
    assert set(payload["changed"]) == {"domain", "billing_cycle", "recurring_amount",
                                       "next_due_date", "password", "override_auto_suspend",
                                       "assigned_ips", "quantity"}
    assert "hunter2" not in repr(pending_events(db))


def test_update_service_same_password_is_no_change(db: Any, factories: Any) -> None:
    service = factories.service()
    lc.update_service(db, service.id, {"password": "pw"})
    db.info.pop("bridge.events", None)
    lc.update_service(db, service.id, {"password": "pw", "domain": service.domain})
    assert pending_events(db) == []


@pytest.mark.parametrize(("data", "field"), [
    ({"billing_cycle": "fortnightly"}, "billing_cycle"),
    ({"recurring_amount": "-1"}, "recurring_amount"),
    ({"recurring_amount": 1.1}, "recurring_amount"),
    ({"quantity": 0}, "quantity"),
    ({"server_id": 777}, "server_id"),
    ({"status": "active"}, "status"),
])
def test_update_service_rejects(db: Any, factories: Any, data: dict[str, Any],
                                field: str) -> None:
    service = factories.service()
    with pytest.raises(ValidationFailed) as err:
        lc.update_service(db, service.id, data)
    assert field in err.value.errors
    assert service.billing_cycle == "1M" and service.recurring_amount == Decimal("10.00")


def test_change_package(db: Any, factories: Any) -> None:
    service = factories.service()
    old = service.product_id
    bigger = factories.product(prices={"1Y": "120.00"})
    lc.change_package(db, service.id, bigger.id, billing_cycle="1y",
                      recurring_amount=Decimal("120.00"))
    assert (service.product_id, service.billing_cycle) == (bigger.id, "1Y")
    assert service.recurring_amount == Decimal("120.00")
    [payload] = _events(db, "service_package_changed")
    assert (payload["old_product_id"], payload["new_product_id"]) == (old, bigger.id)
    with pytest.raises(NotFound):
        lc.change_package(db, service.id, 9999)
    with pytest.raises(ValidationFailed):
        lc.change_package(db, service.id, old, billing_cycle="weird")


def test_change_package_of_terminated_service(db: Any, factories: Any) -> None:
    service = factories.service(status="terminated")
    with pytest.raises(Conflict):
        lc.change_package(db, service.id, factories.product().id)


def test_set_usage(db: Any, factories: Any) -> None:
    service = factories.service(disk_limit_mb=1000)
    lc.set_usage(db, service.id, disk_usage_mb=250, bandwidth_usage_mb=4096)
    assert (service.disk_usage_mb, service.disk_limit_mb) == (250, 1000)
    assert service.bandwidth_usage_mb == 4096 and service.usage_updated_at is not None
    with pytest.raises(ValidationFailed):
        lc.set_usage(db, service.id, disk_usage_mb=-1)


def test_add_service_addon_from_catalogue(db: Any, factories: Any) -> None:
    factories.currency("EUR")
    client = factories.client(currency="EUR")
    service = factories.service(client=client, billing_cycle="3M", payment_method="stripe")
    catalogue = Addon(name="Daily Backups", taxable=False)
    db.add(catalogue)
    db.flush()
    addon = lc.add_service_addon(db, service.id, {
        "addon_id": catalogue.id, "recurring_amount": "5.00", "next_due_date": "2026-02-01"})
    assert isinstance(addon, ServiceAddon)
    assert (addon.client_id, addon.currency) == (client.id, "EUR")
    assert addon.name == "Daily Backups" and addon.taxable is False
    assert addon.billing_cycle == "3M" and addon.payment_method == "stripe"
    assert addon.next_invoice_date == date(2026, 2, 1) and addon.status == "pending"
    assert _events(db, "addon_added")[0]["service_addon_id"] == addon.id


def test_add_service_addon_rejects(db: Any, factories: Any) -> None:
    service = factories.service()
    with pytest.raises(ValidationFailed) as err:
        lc.add_service_addon(db, service.id, {})
    assert "name" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        lc.add_service_addon(db, service.id, {"addon_id": 31337})
    assert "addon_id" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        lc.add_service_addon(db, service.id, {"name": "X", "billing_cycle": "2Q"})
    assert "billing_cycle" in err.value.errors
    ended = factories.service(status="cancelled")
    with pytest.raises(Conflict):
        lc.add_service_addon(db, ended.id, {"name": "X"})


def test_addon_activation_and_suspension_details(db: Any, factories: Any) -> None:
    service = factories.service()
    addon = lc.add_service_addon(db, service.id, {"name": "IP"})
    lc.activate_addon(db, addon.id)
    assert addon.registration_date == datetime.now(UTC).date()
    lc.suspend_addon(db, addon.id, reason="abuse")
    assert _events(db, "addon_suspended")[0]["reason"] == "abuse"
    lc.terminate_addon(db, addon.id)
    assert addon.termination_date == datetime.now(UTC).date()
    logs = [log for log in db.scalars(select(ActivityLog)) if log.subject_type == "service_addon"]
    assert {log.action for log in logs} >= {"addon.activated", "addon.suspended",
                                            "addon.terminated"}
    assert all(log.client_id == service.client_id for log in logs)
    assert db.get(Service, service.id).status == "active"  # the parent is not touched


def test_status_changes_are_stamped_on_the_business_date(db: Any) -> None:
    from bridge.services.common import BUSINESS_DATE_KEY
    from bridge.testing import make_service

    replayed, today = make_service(db), make_service(db)
    db.add(CancellationRequest(service_id=replayed.id, kind="immediate", reason="bye"))
    db.flush()
    # an automation run replaying 2028-03-01 (bridge cron run --date 2028-03-01)
    db.info[BUSINESS_DATE_KEY] = date(2028, 3, 1)
    lc.suspend_service(db, replayed.id)
    assert replayed.suspended_at is not None and replayed.suspended_at.date() == date(2028, 3, 1)
    lc.terminate_service(db, replayed.id)
    assert replayed.terminated_at is not None
    assert replayed.terminated_at.date() == replayed.termination_date == date(2028, 3, 1)
    request = db.scalars(select(CancellationRequest)).one()
    assert request.processed_at is not None and request.processed_at.date() == date(2028, 3, 1)
    # outside a replay (no date stated) it is today, in UTC
    del db.info[BUSINESS_DATE_KEY]
    lc.terminate_service(db, today.id)
    assert today.termination_date == datetime.now(UTC).date()
