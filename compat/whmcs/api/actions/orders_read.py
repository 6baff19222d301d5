"""Orders group, reads: GetOrders, GetOrderStatuses, GetPromotions.

Every list runs a fixed number of statements whatever the page size: related rows (clients,
invoices, currencies, gateways, line items) are loaded for the whole page with one query each.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from bridge.models import (
    Client,
    Currency,
    Domain,
    Invoice,
    Order,
    Product,
    Promotion,
    Service,
    ServiceAddon,
)
from bridge.services.promotions import find_promotion

from ..format import (
    DOMAIN_STATUS,
    INVOICE_STATUS,
    ORDER_STATUS,
    SERVICE_STATUS,
    cycle_out,
    money,
    reverse,
    ymd,
    ymd_his,
)
from ..params import php_serialize
from ..registry import ApiRequest, action, listing
from .item_helpers import gateway_names, number

ORDER_STATUS_IN = reverse(ORDER_STATUS)
PRODUCT_TYPE_LABEL = {"hosting": "Hosting Account", "reseller": "Reseller Account",
                      "server": "Dedicated/VPS Server", "other": "Other Product/Service",
                      "domain": "Other Product/Service"}
PROMOTION_TYPE = {"percent": "Percentage", "fixed": "Fixed Amount",
                  "price_override": "Price Override", "free_setup": "Free Setup"}


def _line_cycle(code: str) -> str:
    # GetOrders line items spell the one-off cycle with a hyphen
    return "One-Time" if code == "onetime" else cycle_out(code)


@action("GetOrders", status="partial",
        notes="requestor_id is not filtered on (orders do not record the user who placed "
              "them); requestor_id, contactid and renewals are empty")
def get_orders(req: ApiRequest) -> dict[str, Any]:
    """Page through orders (newest first), optionally by id, client and status."""
    start, num = req.page()
    query = select(Order)
    if number(req, "id"):
        query = query.where(Order.id == number(req, "id"))
    if number(req, "userid"):
        query = query.where(Order.client_id == number(req, "userid"))
    status = req.text("status")
    if status:
        query = query.where(Order.status == ORDER_STATUS_IN.get(status.lower(), status.lower()))
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    orders = list(req.session.scalars(query.order_by(Order.id.desc()).offset(start).limit(num)))
    rows = _order_rows(req, orders)
    return listing(int(total), start, rows, "orders", "order")


def _order_rows(req: ApiRequest, orders: list[Order]) -> list[dict[str, Any]]:
    session = req.session
    ids = [o.id for o in orders]
    clients = {c.id: c for c in session.scalars(
        select(Client).where(Client.id.in_({o.client_id for o in orders})))}
    invoices = {i.id: i for i in session.scalars(
        select(Invoice).where(Invoice.id.in_({o.invoice_id for o in orders if o.invoice_id})))}
    currencies = {c.code: c for c in session.scalars(select(Currency))}
    promotions = {p.id: p for p in session.scalars(select(Promotion).where(
        Promotion.id.in_({o.promotion_id for o in orders if o.promotion_id})))}
    gateways = gateway_names(req)
    lines = _line_items(req, ids)
    rows: list[dict[str, Any]] = []
    for order in orders:
        client = clients.get(order.client_id)
        invoice = invoices.get(order.invoice_id or 0)
        currency = currencies.get(order.currency)
        promo = promotions.get(order.promotion_id or 0)
        rows.append({
            "id": order.id,
            "ordernum": int(order.number) if order.number.isdigit() else order.number,
            "userid": order.client_id, "contactid": 0, "requestor_id": 0,
            "admin_requestor_id": 0, "date": ymd_his(order.created_at), "nameservers": "",
            "transfersecret": "", "renewals": "",
            "renewalsByType": {"domains": [], "services": [], "addons": []},
            "promocode": order.promo_code,
            "promotype": PROMOTION_TYPE.get(promo.type, promo.type) if promo else "",
            "promovalue": money(promo.value) if promo else "",
            "orderdata": "", "amount": money(order.amount),
            "paymentmethod": order.payment_method, "invoiceid": order.invoice_id or 0,
            "status": ORDER_STATUS.get(order.status, order.status.title()),
            "ipaddress": order.ip_address, "fraudmodule": order.fraud_module,
            "fraudoutput": json.dumps(order.fraud_output) if order.fraud_output else "",
            "notes": order.notes,
            "paymentmethodname": gateways.get(order.payment_method, order.payment_method),
            "paymentstatus": INVOICE_STATUS.get(invoice.status, "") if invoice else "",
            "name": f"{client.first_name} {client.last_name}".strip() if client else "",
            "currencyprefix": currency.prefix if currency else "",
            "currencysuffix": currency.suffix if currency else "",
            "frauddata": "", "validationdata": "",
            "lineitems": {"lineitem": lines.get(order.id, [])},
        })
    return rows


def _line_items(req: ApiRequest, order_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    session = req.session
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    services = session.execute(
        select(Service, Product).join(Product, Product.id == Service.product_id)
        .where(Service.order_id.in_(order_ids)).order_by(Service.id))
    for service, product in services:
        found[service.order_id or 0].append({
            "type": "product", "relid": service.id,
            "producttype": PRODUCT_TYPE_LABEL.get(product.type, "Other Product/Service"),
            "product": product.name, "domain": service.domain,
            "billingcycle": _line_cycle(service.billing_cycle),
            "amount": money(service.first_payment_amount),
            "status": SERVICE_STATUS.get(service.status, service.status.title())})
    addons = session.scalars(select(ServiceAddon).where(ServiceAddon.order_id.in_(order_ids))
                             .order_by(ServiceAddon.id))
    for addon in addons:
        found[addon.order_id or 0].append({
            "type": "addon", "relid": addon.id, "producttype": "Addon", "product": addon.name,
            "domain": "", "billingcycle": _line_cycle(addon.billing_cycle),
            "amount": money(addon.setup_fee + addon.recurring_amount),
            "status": SERVICE_STATUS.get(addon.status, addon.status.title())})
    domains = session.scalars(select(Domain).where(Domain.order_id.in_(order_ids))
                              .order_by(Domain.id))
    for domain in domains:
        kind = "Domain Registration" if domain.kind == "register" else "Domain Transfer"
        found[domain.order_id or 0].append({
            "type": "domain", "relid": domain.id, "producttype": kind, "product": kind,
            "domain": domain.name, "billingcycle": f"{domain.registration_period} Year(s)",
            "amount": money(domain.first_payment_amount),
            "status": DOMAIN_STATUS.get(domain.status, domain.status.title())})
    return found


@action("GetOrderStatuses")
def get_order_statuses(req: ApiRequest) -> dict[str, Any]:
    """The order statuses with how many orders each holds."""
    counts = {status: count for status, count in req.session.execute(
        select(Order.status, func.count()).group_by(Order.status))}
    statuses = [{"title": title, "count": int(counts.get(core, 0))}
                for core, title in (("pending", "Pending"), ("active", "Active"),
                                    ("fraud", "Fraud"), ("cancelled", "Cancelled"))]
    return {"totalresults": len(statuses), "statuses": {"status": statuses}}


@action("GetPromotions", status="partial",
        notes="requires, requiresexisting, lifetimepromo and upgrades are not modelled and "
              "answer empty/0")
def get_promotions(req: ApiRequest) -> dict[str, Any]:
    """Every promotion, or the one with ``code``."""
    code = req.text("code")
    if code:
        found = find_promotion(req.session, code)
        promotions = [found] if found is not None else []
    else:
        promotions = list(req.session.scalars(select(Promotion).order_by(Promotion.id)))
    rows = [_promotion(p) for p in promotions]
    return {"totalresults": len(rows), "promotions": {"promotion": rows}}


def _promotion(promo: Promotion) -> dict[str, Any]:
    applies = [str(i) for i in promo.product_ids] + [f"A{i}" for i in promo.addon_ids] + [
        f"D{t}" for t in promo.tlds]
    kind = PROMOTION_TYPE.get(promo.type, promo.type)
    return {
        "id": promo.id, "code": promo.code, "type": kind, "recurring": int(promo.recurring),
        "value": money(promo.value), "cycles": ",".join(cycle_out(c) for c in promo.cycles),
        "appliesto": ",".join(applies), "requires": "", "requiresexisting": 0,
        "startdate": ymd(promo.starts_at.date() if promo.starts_at else None),
        "expirationdate": ymd(promo.expires_at.date() if promo.expires_at else None),
        "maxuses": promo.max_uses, "uses": promo.uses, "lifetimepromo": 0,
        "applyonce": int(promo.apply_once), "newsignups": int(promo.new_signups_only),
        "existingclient": int(promo.existing_clients_only),
        "onceperclient": int(promo.once_per_client), "recurfor": promo.recur_for,
        "upgrades": 0,
        "upgradeconfig": php_serialize({"value": "0.00", "type": "", "discounttype": kind,
                                        "configoptions": ""}),
        "notes": promo.notes,
    }
