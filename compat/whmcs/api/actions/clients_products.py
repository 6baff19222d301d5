"""GetClientsProducts: the services clients own, with every key WHMCS lists (configurable
options, custom fields, the decrypted account password, server and order details).

Related rows are batch-loaded for the whole page, so a page costs the same few queries
whatever its size.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from bridge.errors import Conflict
from bridge.models import (
    ConfigOption,
    ConfigOptionValue,
    CustomField,
    CustomFieldValue,
    Order,
    Product,
    ProductGroup,
    Server,
    Service,
    ServiceConfigOption,
)
from bridge.services.common import secret_box
from bridge.services.lifecycle import service_password

from ..format import SERVICE_STATUS, cycle_out, money, ymd, ymd_his
from ..registry import ApiRequest, action, listing
from .clients import gateway_names

OPTION_TYPES = {"select": "dropdown", "radio": "radio", "yesno": "yesno",
                "quantity": "quantity", "text": "text"}


def _echo(req: ApiRequest, name: str) -> str | None:
    """A filter echoed back as WHMCS does: the text sent, or null when absent."""
    return req.text(name) if req.text(name) else None


def _config_options(req: ApiRequest, ids: list[int]) -> dict[int, list[dict[str, str]]]:
    rows = req.session.execute(
        select(ServiceConfigOption, ConfigOption, ConfigOptionValue)
        .join(ConfigOption, ConfigOption.id == ServiceConfigOption.option_id)
        .outerjoin(ConfigOptionValue, ConfigOptionValue.id == ServiceConfigOption.value_id)
        .where(ServiceConfigOption.service_id.in_(ids))
        .order_by(ServiceConfigOption.service_id, ConfigOption.sort_order, ConfigOption.id))
    out: dict[int, list[dict[str, str]]] = defaultdict(list)
    for chosen, option, value in rows:
        kind = option.option_type
        if kind == "quantity":
            shown = str(chosen.quantity)
        elif kind == "yesno":
            shown = "1" if (value is not None or chosen.quantity) else "0"
        elif value is not None:
            shown = value.name
        else:
            shown = chosen.text_value
        out[chosen.service_id].append({"id": str(option.id), "option": option.name,
                                       "type": OPTION_TYPES.get(kind, kind), "value": shown})
    return out


def _custom_fields(req: ApiRequest, services: list[Service]) -> dict[int, list[dict[str, str]]]:
    product_ids = {s.product_id for s in services}
    fields = list(req.session.scalars(select(CustomField).where(
        CustomField.owner_type == "product", CustomField.owner_id.in_(product_ids))
        .order_by(CustomField.sort_order, CustomField.id)))
    if not fields:
        return {}
    stored = req.session.execute(select(CustomFieldValue.field_id, CustomFieldValue.entity_id,
                                        CustomFieldValue.value).where(
        CustomFieldValue.field_id.in_([f.id for f in fields]),
        CustomFieldValue.entity_id.in_([s.id for s in services])))
    values = {(fid, eid): value for fid, eid, value in stored}
    box = secret_box(req.session)
    by_product: dict[int | None, list[CustomField]] = defaultdict(list)
    for field in fields:
        by_product[field.owner_id].append(field)
    out: dict[int, list[dict[str, str]]] = {}
    for service in services:
        entries = []
        for field in by_product.get(service.product_id, []):
            value = values.get((field.id, service.id), "")
            if field.encrypted and value:
                value = box.decrypt(value)
            entries.append({"id": str(field.id), "name": field.name,
                            "translated_name": field.name, "value": value})
        out[service.id] = entries
    return out


def _password(req: ApiRequest, service: Service) -> str:
    try:
        return service_password(req.session, service)
    except Conflict:
        return ""  # undecryptable with this install key: show nothing rather than fail a list


def product_row(req: ApiRequest, service: Service, product: Product,
                group: ProductGroup | None, server: Server | None, order: Order | None,
                extras: dict[str, Any]) -> dict[str, Any]:
    """One ``products.product`` entry (values as WHMCS prints them: numeric strings)."""
    regdate = service.registration_date or (service.created_at.date()
                                            if service.created_at else None)
    return {
        "id": str(service.id), "qty": str(service.quantity), "clientid": str(service.client_id),
        "orderid": str(service.order_id or 0), "ordernumber": order.number if order else "",
        "pid": str(service.product_id), "regdate": ymd(regdate), "name": product.name,
        "translated_name": product.name, "groupname": group.name if group else "",
        "translated_groupname": group.name if group else "", "domain": service.domain,
        "dedicatedip": service.dedicated_ip, "serverid": str(service.server_id or 0),
        "servername": server.name if server else "",
        "serverip": server.ip_address if server else "",
        "serverhostname": server.hostname if server else "",
        "suspensionreason": service.suspend_reason,
        "firstpaymentamount": money(service.first_payment_amount),
        "recurringamount": money(service.recurring_amount),
        "paymentmethod": service.payment_method,
        "paymentmethodname": extras["gateways"].get(service.payment_method, ""),
        "billingcycle": cycle_out(service.billing_cycle),
        "nextduedate": ymd(service.next_due_date),
        "status": SERVICE_STATUS.get(service.status, service.status.title()),
        "username": service.username, "password": _password(req, service),
        "subscriptionid": str(service.module_data.get("subscription_id", "")),
        "promoid": str(service.promotion_id or 0),
        "overideautosuspend": "1" if service.override_auto_suspend else "0",
        "overidesuspenduntil": ymd(service.override_suspend_until),
        "ns1": str(service.module_data.get("ns1", "")),
        "ns2": str(service.module_data.get("ns2", "")),
        "assignedips": "\n".join(service.assigned_ips), "notes": service.notes,
        "diskusage": str(service.disk_usage_mb or 0), "disklimit": str(service.disk_limit_mb or 0),
        "bwusage": str(service.bandwidth_usage_mb or 0),
        "bwlimit": str(service.bandwidth_limit_mb or 0),
        "lastupdate": ymd_his(service.usage_updated_at),
        "customfields": {"customfield": extras["fields"].get(service.id, [])},
        "configoptions": {"configoption": extras["options"].get(service.id, [])},
    }


@action("GetClientsProducts")
def get_clients_products(req: ApiRequest) -> dict[str, Any]:
    """Page through services filtered by client, service, product, domain or username."""
    start, num = req.page()
    query = select(Service)
    for wire, column in (("clientid", Service.client_id), ("serviceid", Service.id),
                         ("pid", Service.product_id)):
        if req.text(wire):
            query = query.where(column == req.integer(wire))
    if req.text("domain"):
        query = query.where(Service.domain == req.text("domain"))
    if req.text("username2"):
        query = query.where(Service.username == req.text("username2"))
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Service.id).offset(start).limit(num).subquery()
    rows = req.session.execute(
        select(Service, Product, ProductGroup, Server, Order)
        .join(page, page.c.id == Service.id)
        .join(Product, Product.id == Service.product_id)
        .outerjoin(ProductGroup, ProductGroup.id == Product.group_id)
        .outerjoin(Server, Server.id == Service.server_id)
        .outerjoin(Order, Order.id == Service.order_id)
        .order_by(Service.id)).all()
    services = [row[0] for row in rows]
    extras = {"gateways": gateway_names(req, (s.payment_method for s in services)),
              "options": _config_options(req, [s.id for s in services]) if services else {},
              "fields": _custom_fields(req, services) if services else {}}
    products = [product_row(req, service, product, group, server, order, extras)
                for service, product, group, server, order in rows]
    body = {"clientid": _echo(req, "clientid"), "serviceid": _echo(req, "serviceid"),
            "pid": _echo(req, "pid"), "domain": _echo(req, "domain")}
    body.update(listing(int(total), start, products, "products", "product"))
    return body
