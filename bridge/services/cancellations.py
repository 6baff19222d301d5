"""Withdrawing a cancellation request (filing one is ``lifecycle.request_cancellation``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import Conflict
from bridge.models import CancellationRequest, Service

from .common import get_or_404, log_activity


def withdraw_cancellation(session: Session, service_id: int) -> None:
    """Withdraw the service's open cancellation request: the service simply stays.

    The request row is removed (an open request is only an intention; a processed one is
    history and stays). NotFound for an unknown service; Conflict when it has no open
    request. Emits ``cancellation_withdrawn``.
    """
    service = get_or_404(session, Service, service_id, "Service")
    request = session.scalar(select(CancellationRequest).where(
        CancellationRequest.service_id == service.id,
        CancellationRequest.processed_at.is_(None)))
    if request is None:
        raise Conflict(f"service {service.id} has no open cancellation request")
    request_id, kind = request.id, request.kind
    session.delete(request)
    session.flush()
    log_activity(session, "service.cancellation_withdrawn",
                 f"Cancellation request #{request_id} ({kind}) for service #{service.id} "
                 "withdrawn", client_id=service.client_id, subject=("service", service.id),
                 data={"cancellation_request_id": request_id, "kind": kind})
    emit(session, "cancellation_withdrawn", service_id=service.id, client_id=service.client_id,
         cancellation_request_id=request_id)
