"""Withdrawing cancellation requests (bridge.services.cancellations) and the reason a
cancelled service keeps (lifecycle.cancel_service)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bridge.context import pending_events
from bridge.errors import Conflict, NotFound
from bridge.models import ActivityLog, CancellationRequest
from bridge.services import lifecycle
from bridge.services.cancellations import withdraw_cancellation


def test_withdrawing_removes_the_open_request_and_the_service_stays(db: Any,
                                                                    factories: Any) -> None:
    service = factories.service()
    request = lifecycle.request_cancellation(db, service.id, reason="moving")
    withdraw_cancellation(db, service.id)
    assert db.scalar(select(CancellationRequest.id)) is None
    assert service.status == "active"
    assert ("cancellation_withdrawn", {"service_id": service.id, "client_id": service.client_id,
                                       "cancellation_request_id": request.id}) in \
        pending_events(db)
    assert db.scalar(select(ActivityLog.action).where(
        ActivityLog.action == "service.cancellation_withdrawn")) is not None
    # a new request can be filed afterwards
    lifecycle.request_cancellation(db, service.id, kind="immediate")


def test_nothing_to_withdraw(db: Any, factories: Any) -> None:
    service = factories.service()
    with pytest.raises(Conflict, match="no open cancellation request"):
        withdraw_cancellation(db, service.id)
    lifecycle.request_cancellation(db, service.id)
    lifecycle.cancel_service(db, service.id)  # processes the request: history, not withdrawn
    with pytest.raises(Conflict):
        withdraw_cancellation(db, service.id)
    assert db.scalar(select(CancellationRequest.processed_at)) is not None
    with pytest.raises(NotFound):
        withdraw_cancellation(db, 999)


def test_a_cancelled_service_keeps_its_reason(db: Any, factories: Any) -> None:
    service = factories.service()
    lifecycle.cancel_service(db, service.id, reason="too pricey")
    assert service.cancellation_reason == "too pricey"
    other = factories.service()
    lifecycle.cancel_service(db, other.id)
    assert other.cancellation_reason == ""
