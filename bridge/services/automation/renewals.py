"""Renewal invoicing: services, addons and domains whose next invoice date falls within the
lead days get invoiced, one invoice per client and due date (WHMCS "Invoice Generation",
Blesta "Create Invoices" cron task).

Each billed period moves the item's next invoice and next due dates one cycle on, in the same
transaction as the invoice, so the dates advance exactly once: a rerun sees the moved dates
and bills nothing twice. Items far behind (an import, a stopped cron) get one invoice per
missed period. Work goes in batches of clients with a fixed number of queries per batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bridge.cycles import add_months, parse_cycle
from bridge.errors import BridgeError, ValidationFailed
from bridge.models import (
    CancellationRequest,
    Client,
    ClientGroup,
    Domain,
    Product,
    Promotion,
    Service,
    ServiceAddon,
)
from bridge.models.enums import InvoiceItemType

from ..common import log_activity
from ..invoices import create_invoice
from ..pricing import price_for
from .common import Checkpoint, Counts, bump, flag_setting, int_setting, no_checkpoint

BILLABLE = ("active", "suspended")
DOMAIN_BILLABLE = ("active", "grace")
# cap on periods billed for one item in one run (a service years behind is an operator issue)
MAX_PERIODS = 60


@dataclass
class _Line:
    due: date
    item: dict[str, Any]
    separate: bool = False


@dataclass
class _Batch:
    clients: dict[int, Client]
    products: dict[int, Product]
    promotions: dict[int, Promotion]
    groups: dict[int, ClientGroup]
    services: list[Service] = field(default_factory=list)
    addons: list[ServiceAddon] = field(default_factory=list)
    domains: list[Domain] = field(default_factory=list)
    _index: dict[int, dict[int, list[Any]]] = field(default_factory=dict)

    def by_client(self, rows: list[Any], client_id: int) -> list[Any]:
        """The rows of ``rows`` (services, addons or domains) that belong to ``client_id``."""
        index = self._index.get(id(rows))
        if index is None:
            index = defaultdict(list)
            for row in rows:
                index[row.client_id].append(row)
            self._index[id(rows)] = index
        return index.get(client_id, [])


def _no_open_cancellation() -> Any:
    return ~exists().where(CancellationRequest.service_id == Service.id,
                           CancellationRequest.processed_at.is_(None))


def _due_client_ids(session: Session, horizon: date, after: int, limit: int) -> list[int]:
    """The next ``limit`` client ids above ``after`` with anything to invoice by ``horizon``."""
    queries = [
        select(Service.client_id).where(
            Service.status.in_(BILLABLE), Service.next_invoice_date <= horizon,
            Service.client_id > after, _no_open_cancellation()),
        select(ServiceAddon.client_id).where(
            ServiceAddon.status.in_(BILLABLE), ServiceAddon.next_invoice_date <= horizon,
            ServiceAddon.client_id > after),
        select(Domain.client_id).where(
            Domain.status.in_(DOMAIN_BILLABLE), Domain.do_not_renew.is_(False),
            Domain.next_due_date <= horizon, Domain.client_id > after),
    ]
    ids: set[int] = set()
    for query in queries:
        ids.update(session.scalars(query.distinct().order_by(query.selected_columns[0])
                                   .limit(limit)))
    return sorted(ids)[:limit]


def _load_batch(session: Session, client_ids: list[int], horizon: date) -> _Batch:
    services = list(session.scalars(select(Service).where(
        Service.client_id.in_(client_ids), Service.status.in_(BILLABLE),
        Service.next_invoice_date <= horizon, _no_open_cancellation()).order_by(Service.id)))
    addons = list(session.scalars(select(ServiceAddon).where(
        ServiceAddon.client_id.in_(client_ids), ServiceAddon.status.in_(BILLABLE),
        ServiceAddon.next_invoice_date <= horizon).order_by(ServiceAddon.id)))
    domains = list(session.scalars(select(Domain).where(
        Domain.client_id.in_(client_ids), Domain.status.in_(DOMAIN_BILLABLE),
        Domain.do_not_renew.is_(False), Domain.next_due_date <= horizon).order_by(Domain.id)))
    clients = {c.id: c for c in session.scalars(select(Client).where(Client.id.in_(client_ids)))}
    product_ids = {s.product_id for s in services}
    products = ({p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_(product_ids)))} if product_ids else {})
    promo_ids = {s.promotion_id for s in services if s.promotion_id is not None}
    promotions = ({p.id: p for p in session.scalars(select(Promotion).where(
        Promotion.id.in_(promo_ids)))} if promo_ids else {})
    group_ids = {c.group_id for c in clients.values() if c.group_id is not None}
    groups = ({g.id: g for g in session.scalars(select(ClientGroup).where(
        ClientGroup.id.in_(group_ids)))} if group_ids else {})
    return _Batch(clients, products, promotions, groups, services, addons, domains)


def _period_end(start: date, next_start: date) -> date:
    return max(start, next_start - timedelta(days=1))


def _service_amount(session: Session, service: Service, batch: _Batch) -> Decimal:
    """The renewal price, counting down a recurring promotion limited to ``recur_for``."""
    promo = batch.promotions.get(service.promotion_id or 0)
    if promo is None or not promo.recurring or promo.recur_for <= 0:
        return service.recurring_amount
    if service.promo_renewals_used < promo.recur_for:
        service.promo_renewals_used += 1
        return service.recurring_amount
    try:  # the promotion ran out: back to the catalogue price of the cycle
        full, _setup = price_for(session, "product", service.product_id, service.currency,
                                 service.billing_cycle)
    except ValidationFailed:
        return service.recurring_amount  # no longer priced: keep what the client pays
    service.recurring_amount = full
    return full


def _periods(item: Service | ServiceAddon, horizon: date) -> Iterator[tuple[date, date]]:
    """``(start, next start)`` of each period of a service or addon to invoice by
    ``horizon``; its next due and invoice dates move on once the caller took a period."""
    cycle = parse_cycle(item.billing_cycle)
    if not cycle.recurring:
        return
    for _ in range(MAX_PERIODS):
        invoice_on = item.next_invoice_date
        if invoice_on is None or invoice_on > horizon:
            return
        start = item.next_due_date or invoice_on
        anchor = item.anchor_day or start.day
        following = cycle.advance(start, anchor)
        yield start, following
        item.next_due_date = following
        item.next_invoice_date = cycle.advance(invoice_on, anchor)


def _service_lines(session: Session, service: Service, batch: _Batch, horizon: date,
                   separate: bool) -> Iterable[_Line]:
    product = batch.products.get(service.product_id)
    name = product.name if product is not None else f"Service #{service.id}"
    for start, following in _periods(service, horizon):
        amount = _service_amount(session, service, batch)
        label = f"{name}{' - ' + service.domain if service.domain else ''}"
        yield _Line(start, {
            "type": InvoiceItemType.SERVICE.value, "service_id": service.id,
            "description": f"{label} ({start:%Y-%m-%d} - {_period_end(start, following):%Y-%m-%d})",
            "unit_amount": amount, "quantity": Decimal(1),
            "taxed": product.taxable if product is not None else True,
            "period_start": start, "period_end": _period_end(start, following)}, separate)


def _addon_lines(addon: ServiceAddon, horizon: date, separate: bool) -> Iterable[_Line]:
    for start, following in _periods(addon, horizon):
        yield _Line(start, {
            "type": InvoiceItemType.ADDON.value, "service_addon_id": addon.id,
            "service_id": addon.service_id,
            "description": f"Addon {addon.name} ({start:%Y-%m-%d} - "
                           f"{_period_end(start, following):%Y-%m-%d})",
            "unit_amount": addon.recurring_amount, "quantity": Decimal(addon.quantity or 1),
            "taxed": addon.taxable, "period_start": start,
            "period_end": _period_end(start, following)}, separate)


def _domain_lines(domain: Domain, horizon: date, separate: bool) -> Iterable[_Line]:
    years = max(1, domain.registration_period or 1)
    for _ in range(MAX_PERIODS):
        start = domain.next_due_date
        if start is None or start > horizon:
            return
        following = add_months(start, 12 * years, start.day)
        yield _Line(start, {
            "type": InvoiceItemType.DOMAIN_RENEW.value, "domain_id": domain.id,
            "description": f"Domain renewal - {domain.name} - {years} year(s) "
                           f"({start:%Y-%m-%d} - {_period_end(start, following):%Y-%m-%d})",
            "unit_amount": domain.recurring_amount, "quantity": Decimal(1),
            "period_start": start, "period_end": _period_end(start, following)}, separate)
        domain.next_due_date = following
        domain.next_invoice_date = following


def _separate(client: Client, batch: _Batch) -> bool:
    group = batch.groups.get(client.group_id or 0)
    return client.separate_invoices or bool(group is not None and group.separate_invoices)


def _invoice_client(session: Session, client: Client, lines: list[_Line], today: date,
                    apply_credit: bool, counts: Counts) -> None:
    grouped: dict[tuple[date, int], list[dict[str, Any]]] = defaultdict(list)
    for index, line in enumerate(lines):
        grouped[(line.due, index if line.separate else -1)].append(line.item)
    for (due, _), items in sorted(grouped.items(), key=lambda kv: kv[0]):
        method = next((str(i.pop("_method")) for i in items if i.get("_method")), "")
        for item in items:
            item.pop("_method", None)
        create_invoice(session, client.id, items, invoice_date=min(today, due), due_date=due,
                       payment_method=method,
                       apply_credit=apply_credit and client.auto_apply_credit
                       and client.credit_balance > 0)
        bump(counts, "invoices")
        bump(counts, "lines", len(items))


def _client_lines(session: Session, batch: _Batch, client: Client,
                  horizon: date) -> list[_Line]:
    separate = _separate(client, batch)
    lines: list[_Line] = []
    for service in batch.by_client(batch.services, client.id):
        for line in _service_lines(session, service, batch, horizon, separate):
            line.item["_method"] = service.payment_method
            lines.append(line)
    for addon in batch.by_client(batch.addons, client.id):
        lines.extend(_addon_lines(addon, horizon, separate))
    for domain in batch.by_client(batch.domains, client.id):
        lines.extend(_domain_lines(domain, horizon, separate))
    return lines


def _renew_client(session: Session, batch: _Batch, client: Client, horizon: date, today: date,
                  apply_credit: bool, counts: Counts) -> None:
    """Bill one client inside a savepoint: the dates move only if the invoices are written,
    and one client's bad data (an unknown cycle, a refused line) doesn't stop the others."""
    done: Counts = {}
    try:
        with session.begin_nested():
            lines = _client_lines(session, batch, client, horizon)
            if lines:
                _invoice_client(session, client, lines, today, apply_credit, done)
                bump(done, "clients")
    except (BridgeError, ValueError) as exc:
        bump(counts, "errors")
        log_activity(session, "automation.renewal_failed",
                     f"Renewal invoicing for client {client.id} failed: {exc}; nothing was "
                     "billed or moved for this client, fix the record and rerun",
                     client_id=client.id, data={"error": str(exc)})
        return
    for key, value in done.items():
        bump(counts, key, value)


def _renew_batch(session: Session, client_ids: list[int], horizon: date, today: date,
                 apply_credit: bool, counts: Counts) -> None:
    """Bill a batch in one savepoint (the fast path); if any client fails, roll the batch
    back and bill it again client by client, each in its own savepoint."""
    done: Counts = {}
    try:
        with session.begin_nested():
            batch = _load_batch(session, client_ids, horizon)
            for client_id in client_ids:
                client = batch.clients[client_id]
                lines = _client_lines(session, batch, client, horizon)
                if lines:
                    _invoice_client(session, client, lines, today, apply_credit, done)
                    bump(done, "clients")
    except (BridgeError, ValueError):
        batch = _load_batch(session, client_ids, horizon)  # the rollback expired the rows
        for client_id in client_ids:
            _renew_client(session, batch, batch.clients[client_id], horizon, today,
                          apply_credit, counts)
        return
    for key, value in done.items():
        bump(counts, key, value)


def invoice_renewals(session: Session, today: date, *, checkpoint: Checkpoint = no_checkpoint,
                     batch_size: int = 500) -> Counts:
    """Invoice every service, addon and domain whose next invoice date is on or before
    ``today`` plus setting ``automation.lead_days``, one invoice per client and due date
    (per item when the client or its group asks for separate invoices).

    Lines carry the period they bill; recurring promotions limited to N renewals count down
    and then fall back to the catalogue price; taxes follow the client (create_invoice). The
    items' next invoice/due dates advance one cycle per billed period (month ends keep their
    anchor day; leap days clamp). Credit is applied to the new invoices when the client and
    setting ``automation.credit_auto_apply`` allow. Calls ``checkpoint`` after each batch of
    ``batch_size`` clients. A client whose items can't be billed (unknown cycle, refused
    line) is skipped with an ``automation.renewal_failed`` log entry and counted in
    ``errors``; nothing of it is billed or moved. Returns counts (clients, invoices, lines,
    errors).
    """
    horizon = today + timedelta(days=int_setting(session, "lead_days"))
    apply_credit = flag_setting(session, "credit_auto_apply")
    counts: Counts = {"clients": 0, "invoices": 0, "lines": 0, "errors": 0}
    after = 0
    while True:
        client_ids = _due_client_ids(session, horizon, after, batch_size)
        if not client_ids:
            return counts
        _renew_batch(session, client_ids, horizon, today, apply_credit, counts)
        session.flush()
        checkpoint()
        after = client_ids[-1]
