"""Orders group, writes: AddOrder, AcceptOrder, CancelOrder, DeleteOrder, FraudOrder,
PendingOrder, OrderFraudCheck (reads are in ``orders_read``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from bridge.errors import Conflict
from bridge.models import Addon, Client, Domain, Order, Service
from bridge.services.customfields import set_custom_field_values
from bridge.services.domains import set_domain_fields, update_domain
from bridge.services.lifecycle import update_service
from bridge.services.order_admin import delete_order, set_order_pending
from bridge.services.orders import accept_order, cancel_order, mark_order_fraud, place_order
from bridge.services.pricing import offered_cycles
from bridge.services.provisioning import ModuleOutcome
from bridge.services.registrar_ops import register_at_registrar, transfer_at_registrar

from ..params import as_bool
from ..registry import ApiError, ApiRequest, action
from .item_helpers import (
    MAX_ID,
    check_payment_method,
    commit_then_fail,
    config_choices,
    cycle_code,
    indexed,
    number,
    record,
    serialized,
)

NOT_PENDING = "Order ID not found or Status not Pending"
UNSUPPORTED_ADD_ORDER = ("domainrenewals", "servicerenewals", "addonrenewals")


def _amount(value: Any, name: str) -> Decimal | None:
    # PHP reads "" and "0" as "no override" (whmcspy sends domainpriceoverride[i]=0); a free
    # line is asked for with 0.00
    if value is None or str(value).strip() in ("", "0"):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ApiError(f"{name} must be an amount") from None


def _int(value: Any, name: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ApiError(f"{name} must be a number") from None
    if abs(number) > MAX_ID:
        raise ApiError(f"{name} is out of range")
    return number


class _OrderForm:
    """The parallel per-line arrays of an AddOrder call."""

    ARRAYS = ("pid", "qty", "domain", "billingcycle", "domaintype", "regperiod", "eppcode",
              "customfields", "configoptions", "priceoverride", "addons", "addonsqty",
              "hostname", "rootpw", "dnsmanagement", "emailforwarding", "idprotection",
              "domainfields", "domainpriceoverride", "domainrenewoverride")

    def __init__(self, req: ApiRequest, client: Client) -> None:
        self.req = req
        self.client = client
        self.lines = {name: indexed(req.params.get(name)) for name in self.ARRAYS}
        self.nameservers = [req.text(f"nameserver{n}") for n in range(1, 6)
                            if req.text(f"nameserver{n}")]

    def at(self, name: str, index: int, default: Any = "") -> Any:
        value = self.lines[name].get(index, default)
        return value.strip() if isinstance(value, str) else value

    def indices(self) -> list[int]:
        return sorted(set(self.lines["pid"]) | set(self.lines["domain"]))

    def product(self, index: int) -> dict[str, Any]:
        product_id = _int(self.at("pid", index), "pid")
        cycle = self.at("billingcycle", index)
        if not cycle:
            offered = offered_cycles(self.req.session, "product", product_id,
                                     self.client.currency)
            cycle = offered[0] if offered else "1M"
        for qty in str(self.at("addonsqty", index) or "").split(","):
            if qty.strip() and qty.strip() != "1":
                raise ApiError("addonsqty: addon quantities above 1 are not supported")
        addons = [_int(a, "addons") for a in str(self.at("addons", index) or "").split(",")
                  if a.strip()]
        return {
            "product_id": product_id, "billing_cycle": cycle_code(str(cycle)),
            "quantity": _int(self.at("qty", index) or 1, "qty"),
            "domain": str(self.at("domain", index) or self.at("hostname", index) or ""),
            "config_options": config_choices(serialized(self.at("configoptions", index),
                                                        "configoptions")),
            "addon_ids": addons,
            "price_override": _amount(self.at("priceoverride", index, None), "priceoverride"),
        }

    def domain(self, index: int) -> dict[str, Any]:
        return {
            "name": str(self.at("domain", index)), "kind": str(self.at("domaintype", index)),
            "years": _int(self.at("regperiod", index) or 1, "regperiod"),
            "epp_code": str(self.at("eppcode", index)) or None,
            "nameservers": self.nameservers,
            "price_override": _amount(self.at("domainpriceoverride", index, None),
                                      "domainpriceoverride"),
            "renew_override": _amount(self.at("domainrenewoverride", index, None),
                                      "domainrenewoverride"),
            "id_protection": as_bool(self.at("idprotection", index)),
            "dns_management": as_bool(self.at("dnsmanagement", index)),
            "email_forwarding": as_bool(self.at("emailforwarding", index)),
        }

    def addons_for_services(self) -> list[dict[str, Any]]:
        pairs: list[tuple[Any, Any]] = []
        if self.req.text("addonid"):
            pairs.append((self.req.text("addonid"), self.req.text("serviceid")))
        ids, services = indexed(self.req.params.get("addonids")), indexed(
            self.req.params.get("serviceids"))
        pairs.extend((ids[i], services.get(i, "")) for i in sorted(ids))
        found = []
        for raw_addon, raw_service in pairs:
            addon = self.req.session.get(Addon, _int(raw_addon, "addonid"))
            if addon is None:
                raise ApiError("Addon ID invalid")
            service = self.req.session.get(Service, _int(raw_service or 0, "serviceid"))
            if service is None or service.client_id != self.client.id:
                raise ApiError("Service ID not owned by Client ID provided")
            cycles = offered_cycles(self.req.session, "addon", addon.id, self.client.currency)
            cycle = service.billing_cycle if service.billing_cycle in cycles or not cycles \
                else cycles[0]
            found.append({"addon_id": addon.id, "service_id": service.id,
                          "billing_cycle": cycle})
        return found


@action("AddOrder", status="partial",
        notes="domain/service/addon renewals, addon quantities above 1, ns1prefix/ns2prefix, "
              "contactid, affid, idnlanguage, promooverride and the email switches are not "
              "supported (renewals and quantities answer an error; the rest is ignored)")
def add_order(req: ApiRequest) -> dict[str, Any]:
    """Place an order for products, domains and addons of existing services."""
    raw_client = req.text("clientid")
    client = record(req, Client, raw_client)
    if client is None:
        raise ApiError("Client ID Not Found")
    if client.status == "closed":
        raise ApiError("Unable to add order when client status is Closed")
    payment_method = req.text("paymentmethod")
    check_payment_method(req, payment_method)
    for name in UNSUPPORTED_ADD_ORDER:
        if req.params.get(name):
            raise ApiError(f"{name} is not supported by hostbridge: renew items with "
                           "DomainRenew or through their invoices")
    form = _OrderForm(req, client)
    if isinstance(req.params.get("domaintype"), str) and len(form.lines["domain"]) > 1:
        raise ApiError("Expecting parameter 'domaintype' to be an array")
    products, domains, product_lines, domain_lines = [], [], [], []
    for index in form.indices():
        if form.at("pid", index):
            products.append(form.product(index))
            product_lines.append(index)
        if form.at("domaintype", index) in ("register", "transfer") and form.at("domain", index):
            domains.append(form.domain(index))
            domain_lines.append(index)
    addons = form.addons_for_services()
    if not (products or domains or addons):
        raise ApiError("No items added to cart so order cannot proceed")
    result = place_order(req.session, client.id, {
        "products": products, "domains": domains, "addons": addons,
        "promo_code": req.text("promocode"), "payment_method": payment_method,
        "ip_address": req.text("clientip") or req.ip, "create_invoice": not req.flag("noinvoice"),
    })
    _line_extras(req, form, result.services, products, product_lines)
    for domain, index in zip(result.domains, domain_lines, strict=True):
        fields = serialized(form.at("domainfields", index), "domainfields")
        if fields:
            set_domain_fields(req.session, domain.id, {str(k): str(v) for k, v in fields.items()})
    service_ids = ",".join(str(s.id) for s in result.services)
    return {"orderid": str(result.order.id), "serviceids": service_ids,
            "addonids": ",".join(str(a.id) for a in result.addons),
            "domainids": ",".join(str(d.id) for d in result.domains),
            "invoiceid": str(result.invoice.id) if result.invoice else "0"}


def _line_extras(req: ApiRequest, form: _OrderForm, services: list[Service],
                 products: list[dict[str, Any]], lines: list[int]) -> None:
    """Custom fields and root passwords of each product line, on every service it created."""
    position = 0
    for item, index in zip(products, lines, strict=True):
        created = services[position:position + item["quantity"]]
        position += item["quantity"]
        fields: dict[int | str, str] = {
            str(k): str(v) for k, v in serialized(form.at("customfields", index),
                                                  "customfields").items()}
        root_password = str(form.at("rootpw", index) or "")
        for service in created:
            if fields:
                set_custom_field_values(req.session, "product", service.id, fields,
                                        owner_id=item["product_id"], admin=True)
            if root_password:
                update_service(req.session, service.id, {"password": root_password})


def _pending_order(req: ApiRequest) -> Order:
    raw = req.text("orderid")
    order = record(req, Order, raw)
    if order is None or order.status != "pending":
        raise ApiError(NOT_PENDING)
    return order


def _order(req: ApiRequest, message: str) -> Order:
    raw = req.text("orderid")
    order = record(req, Order, raw)
    if order is None:
        raise ApiError(message)
    return order


@action("AcceptOrder", status="partial",
        notes="sendemail is ignored; autosetup defaults to provisioning every pending service")
def accept_order_action(req: ApiRequest) -> dict[str, Any]:
    """Accept a pending order; provision its services and (sendregistrar) its domains."""
    order = _pending_order(req)
    edits: dict[str, Any] = {}
    if number(req, "serverid"):
        edits["server_id"] = number(req, "serverid")
    if req.has("serviceusername"):
        edits["username"] = req.text("serviceusername")
    if req.has("servicepassword"):
        edits["password"] = req.text("servicepassword")
    if edits:
        for service in list(req.session.scalars(select(Service).where(
                Service.order_id == order.id, Service.status == "pending"))):
            update_service(req.session, service.id, edits)
    domains = list(req.session.scalars(select(Domain).where(
        Domain.order_id == order.id, Domain.status.in_(("pending_registration",
                                                         "pending_transfer")))))
    if req.text("registrar"):
        for domain in domains:
            update_domain(req.session, domain.id, {"registrar": req.text("registrar")})
    try:
        _, outcomes = accept_order(req.session, order.id, provision=req.flag("autosetup", True))
    except Conflict as exc:
        raise ApiError(exc.message) from exc
    if req.flag("sendregistrar"):
        outcomes.extend(_send_to_registrar(req, domains))
    failed = [o.message for o in outcomes if not o.ok]
    if failed:
        commit_then_fail(req, failed[0])
    return {}


def _send_to_registrar(req: ApiRequest, domains: list[Domain]) -> list[ModuleOutcome]:
    outcomes = []
    for domain in domains:
        if domain.kind == "transfer":
            outcomes.append(transfer_at_registrar(req.session, domain.id))
        else:
            outcomes.append(register_at_registrar(req.session, domain.id))
    return outcomes


@action("CancelOrder", status="partial", notes="cancelsub and noemail are ignored")
def cancel_order_action(req: ApiRequest) -> dict[str, Any]:
    """Cancel a pending order (its pending items and unpaid invoice with it)."""
    cancel_order(req.session, _pending_order(req).id)
    return {}


@action("FraudOrder", status="partial", notes="cancelsub is ignored")
def fraud_order(req: ApiRequest) -> dict[str, Any]:
    """Mark an order as fraud (its services marked fraud, its unpaid invoice cancelled)."""
    order = _order(req, "Order ID Not Found")
    try:
        mark_order_fraud(req.session, order.id)
    except Conflict as exc:
        raise ApiError(exc.message) from exc
    return {}


@action("PendingOrder", status="partial",
        notes="items already live (active, suspended) keep their status; the invoice "
              "cancelled with the order stays cancelled")
def pending_order(req: ApiRequest) -> dict[str, Any]:
    """Set an order (and its cancelled or fraud items) back to pending."""
    set_order_pending(req.session, _order(req, "Order ID Not Found").id)
    return {}


@action("DeleteOrder")
def delete_order_action(req: ApiRequest) -> dict[str, Any]:
    """Delete a cancelled or fraud order with its items and unpaid invoice."""
    order = _order(req, "Order ID not found")
    if order.status not in ("cancelled", "fraud"):
        raise ApiError("The order status must be in Cancelled or Fraud to be deleted")
    try:
        delete_order(req.session, order.id)
    except Conflict as exc:
        raise ApiError(exc.message) from exc
    return {}


@action("OrderFraudCheck", status="partial",
        notes="hostbridge has no fraud modules, so every check answers No Active Fraud Module")
def order_fraud_check(req: ApiRequest) -> dict[str, Any]:
    """Run the active fraud module on an order: there is none in hostbridge."""
    _order(req, "Order ID Not Found")
    raise ApiError("No Active Fraud Module")

