"""Client group: what clients hold besides services (GetClientsAddons, GetClientsDomains) and
the cancellation requests (GetCancelledPackages)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bridge.models import Addon, CancellationRequest, Domain, ServiceAddon

from ..format import DOMAIN_STATUS, SERVICE_STATUS, cycle_out, money, ymd, ymd_his
from ..registry import ApiRequest, action, listing
from .clients import gateway_names

CANCEL_TYPES = {"immediate": "Immediate", "end_of_period": "End of Billing Period"}


def _flag(value: bool) -> str:
    return "1" if value else "0"


@action("GetClientsAddons")
def get_clients_addons(req: ApiRequest) -> dict[str, Any]:
    """Service addons filtered by service id(s), client and catalogue addon (not paged)."""
    query = select(ServiceAddon, Addon).outerjoin(Addon, Addon.id == ServiceAddon.addon_id)
    service_ids = [int(s) for s in req.array("serviceid") if str(s).strip().isdigit()]
    if service_ids:
        query = query.where(ServiceAddon.service_id.in_(service_ids))
    if req.integer("clientid") is not None:
        query = query.where(ServiceAddon.client_id == req.integer("clientid"))
    if req.integer("addonid") is not None:
        query = query.where(ServiceAddon.addon_id == req.integer("addonid"))
    rows = req.session.execute(query.order_by(ServiceAddon.id)).all()
    names = gateway_names(req, (a.payment_method for a, _ in rows))
    addons = [{
        "id": str(a.id), "qty": str(a.quantity), "userid": str(a.client_id),
        "orderid": str(a.order_id or 0), "serviceid": str(a.service_id),
        "addonid": str(a.addon_id or 0), "name": a.name or (catalogue.name if catalogue else ""),
        "setupfee": money(a.setup_fee), "recurring": money(a.recurring_amount),
        "billingcycle": cycle_out(a.billing_cycle), "tax": "on" if a.taxable else "",
        "status": SERVICE_STATUS.get(a.status, a.status.title()),
        "regdate": ymd(a.registration_date or a.created_at.date()),
        "nextduedate": ymd(a.next_due_date), "nextinvoicedate": ymd(a.next_invoice_date),
        "paymentmethod": a.payment_method, "paymentmethodname": names.get(a.payment_method, ""),
        "notes": a.notes,
    } for a, catalogue in rows]
    return {"serviceid": req.text("serviceid"), "clientid": req.text("clientid"),
            "totalresults": len(addons), "addons": {"addon": addons}}


def domain_row(domain: Domain, gateways: dict[str, str]) -> dict[str, Any]:
    """One ``domains.domain`` entry (values as WHMCS prints them: strings, flags "0"/"1")."""
    # WHMCS dates a new domain from its order (regdate = nextduedate = order date); the core
    # leaves both empty until registration, and whmcs-api-client refuses zero dates there
    regdate = domain.registration_date or domain.created_at.date()
    return {
        "id": str(domain.id), "userid": str(domain.client_id),
        "orderid": str(domain.order_id or 0), "regtype": domain.kind.title(),
        "domainname": domain.name, "registrar": domain.registrar,
        "regperiod": str(domain.registration_period),
        "firstpaymentamount": money(domain.first_payment_amount),
        "recurringamount": money(domain.recurring_amount),
        "paymentmethod": domain.payment_method,
        "paymentmethodname": gateways.get(domain.payment_method, ""),
        "regdate": ymd(regdate), "expirydate": ymd(domain.expiry_date),
        "nextduedate": ymd(domain.next_due_date or regdate),
        "status": DOMAIN_STATUS.get(domain.status, domain.status.title()),
        "subscriptionid": "", "promoid": str(domain.promotion_id or 0),
        "dnsmanagement": _flag(domain.dns_management),
        "emailforwarding": _flag(domain.email_forwarding),
        "idprotection": _flag(domain.id_protection), "donotrenew": _flag(domain.do_not_renew),
        "notes": domain.notes,
    }


@action("GetClientsDomains")
def get_clients_domains(req: ApiRequest) -> dict[str, Any]:
    """Page through domains filtered by client, domain id or domain name."""
    start, num = req.page()
    query = select(Domain)
    if req.integer("clientid") is not None:
        query = query.where(Domain.client_id == req.integer("clientid"))
    if req.integer("domainid") is not None:
        query = query.where(Domain.id == req.integer("domainid"))
    if req.text("domain"):
        query = query.where(func.lower(Domain.name) == req.text("domain").lower())
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    domains = list(req.session.scalars(query.order_by(Domain.id).offset(start).limit(num)))
    names = gateway_names(req, (d.payment_method for d in domains))
    body: dict[str, Any] = {"clientid": req.text("clientid"), "domainid": req.text("domainid")}
    body.update(listing(int(total), start, [domain_row(d, names) for d in domains],
                        "domains", "domain"))
    return body


@action("GetCancelledPackages")
def get_cancelled_packages(req: ApiRequest) -> dict[str, Any]:
    """Page through cancellation requests."""
    start, num = req.page()
    total = req.session.scalar(select(func.count(CancellationRequest.id))) or 0
    rows = req.session.scalars(select(CancellationRequest).order_by(CancellationRequest.id)
                               .offset(start).limit(num))
    packages = [{
        "id": str(r.id), "date": ymd_his(r.created_at), "relid": str(r.service_id),
        "reason": r.reason, "type": CANCEL_TYPES.get(r.kind, r.kind),
        "created_at": ymd_his(r.created_at), "updated_at": ymd_his(r.processed_at or
                                                                   r.created_at),
    } for r in rows]
    return listing(int(total), start, packages, "packages", "package")
