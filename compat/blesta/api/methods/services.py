"""Services (``services``): reads. Writes are in :mod:`.service_actions`.

A service's ``pricing_id`` is the ``Price`` row of its product, currency and cycle (Blesta's
package_pricing id). Module data appears in ``fields`` under Blesta's ``<module>_<role>``
keys (``cpanel_username``); the password is decrypted as Blesta does. Core addons are not
Blesta child services, so ``children`` lists nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from bridge.cycles import parse_cycle
from bridge.models import (
    CancellationRequest,
    Client,
    ConfigOption,
    ConfigOptionValue,
    Price,
    Product,
    Service,
    ServiceConfigOption,
)
from bridge.security.secrets import SecretError
from bridge.services.common import secret_box

from ..args import integer, optional_integer
from ..args import page as page_of
from ..format import SERVICE_STATUS, money, stamp
from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from .packages import package_objects
from .pricing import cycle_from, package_pricing_row

PER_PAGE = 20
STATUS_IN = {"active": ["active"], "pending": ["pending"], "suspended": ["suspended"],
             "canceled": ["terminated", "cancelled", "fraud", "completed"], "in_review": []}
STATUS_TYPES = {"active": "Active", "canceled": "Canceled", "pending": "Pending",
                "suspended": "Suspended", "in_review": "In Review"}
ENDED = frozenset(STATUS_IN["canceled"])
ROLES = ("domain", "username", "password", "dedicated_ip")


def _password(call: MethodCall, service: Service) -> str:
    try:
        return secret_box(call.session).decrypt(service.password_enc) \
            if service.password_enc else ""
    except SecretError:  # unreadable with this install key: show nothing rather than fail
        return ""


def _fields(call: MethodCall, service: Service, module: str) -> list[dict[str, Any]]:
    prefix = f"{module}_" if module else ""
    values = {"domain": service.domain, "username": service.username,
              "password": _password(call, service), "dedicated_ip": service.dedicated_ip}
    return [{"service_id": service.id, "key": prefix + role, "value": values[role],
             "serialized": 0, "encrypted": int(role == "password")}
            for role in ROLES if values[role]]


class _Batch:
    """Everything the service objects of one answer need, loaded once."""

    def __init__(self, call: MethodCall, services: Sequence[Service]) -> None:
        ids = [s.id for s in services]
        product_ids = {s.product_id for s in services}
        products = list(call.session.scalars(select(Product).where(
            Product.id.in_(product_ids)))) if product_ids else []
        self.products = {p.id: p for p in products}
        self.packages = {p["id"]: p for p in package_objects(call, products)}
        self.prices: dict[tuple[int, str, str], Price] = {}
        if product_ids:
            for price in call.session.scalars(select(Price).where(
                    Price.owner_type == "product", Price.owner_id.in_(product_ids))):
                self.prices[(price.owner_id, price.currency, price.cycle)] = price
        self.options: dict[int, list[ServiceConfigOption]] = {i: [] for i in ids}
        self.scheduled: set[int] = set()
        if ids:
            for row in call.session.scalars(select(ServiceConfigOption).where(
                    ServiceConfigOption.service_id.in_(ids)).order_by(ServiceConfigOption.id)):
                self.options[row.service_id].append(row)
            self.scheduled = set(call.session.scalars(select(CancellationRequest.service_id)
                                 .where(CancellationRequest.service_id.in_(ids),
                                        CancellationRequest.kind == "end_of_period",
                                        CancellationRequest.processed_at.is_(None))))
        rows = [r for rs in self.options.values() for r in rs]
        option_ids = {r.option_id for r in rows}
        value_ids = {r.value_id for r in rows if r.value_id is not None}
        self.option_rows = {o.id: o for o in call.session.scalars(select(ConfigOption).where(
            ConfigOption.id.in_(option_ids)))} if option_ids else {}
        self.values = {v.id: v for v in call.session.scalars(select(ConfigOptionValue).where(
            ConfigOptionValue.id.in_(value_ids)))} if value_ids else {}
        self.value_prices: dict[tuple[int, str, str], int] = {}
        if value_ids:
            for price in call.session.scalars(select(Price).where(
                    Price.owner_type == "config_option_value", Price.owner_id.in_(value_ids))):
                self.value_prices[(price.owner_id, price.currency, price.cycle)] = price.id


def _options(batch: _Batch, service: Service) -> list[dict[str, Any]]:
    found = []
    for row in batch.options[service.id]:
        option = batch.option_rows.get(row.option_id)
        value = batch.values.get(row.value_id) if row.value_id is not None else None
        found.append({
            "id": row.id, "service_id": service.id,
            "option_pricing_id": batch.value_prices.get(
                (value.id, service.currency, service.billing_cycle)) if value else None,
            "qty": row.quantity or 1, "value": row.text_value or (value.value if value else None),
            "encrypted": 0, "option_id": row.option_id, "option_value_id": row.value_id,
            "option_label": (option.label or option.name) if option else None,
            "option_name": option.name if option else None,
            "option_type": option.option_type if option else None,
            "option_value": value.value if value else None,
            "option_value_name": value.name if value else None,
        })
    return found


def _date_canceled(batch: _Batch, service: Service) -> str | None:
    if service.status in ENDED:
        return stamp(service.terminated_at or service.termination_date)
    if service.id in batch.scheduled:
        return stamp(service.next_due_date)
    return None


def _service(call: MethodCall, batch: _Batch, service: Service) -> dict[str, Any]:
    product = batch.products.get(service.product_id)
    price = batch.prices.get((service.product_id, service.currency, service.billing_cycle))
    overridden = price is None or (not batch.options[service.id]
                                   and service.recurring_amount != price.amount)
    package = batch.packages.get(service.product_id)
    return {
        "id": service.id, "parent_service_id": None, "id_format": "{num}",
        "id_value": service.id, "id_code": str(service.id),
        "pricing_id": price.id if price else None, "client_id": service.client_id,
        "module_row_id": service.server_id, "coupon_id": service.promotion_id,
        "qty": service.quantity,
        "override_price": money(service.recurring_amount) if overridden else None,
        "override_currency": service.currency if overridden else None,
        "status": SERVICE_STATUS.get(service.status, service.status),
        "suspension_reason": service.suspend_reason or None,
        "cancellation_reason": service.cancellation_reason or None,
        "date_added": stamp(service.created_at), "date_renews": stamp(service.next_due_date),
        "date_last_renewed": None, "date_suspended": stamp(service.suspended_at),
        "date_canceled": _date_canceled(batch, service),
        "package_group_id": product.group_id if product else None, "staff_id": None,
        "name": service.domain or (product.name if product else ""),
        "package_pricing": package_pricing_row(price, package["company_id"] if package
                                               else call.company_id) if price else None,
        "package": package,
        "fields": _fields(call, service, product.module if product else ""),
        "options": _options(batch, service),
    }


def service_objects(call: MethodCall, services: Sequence[Service]) -> list[dict[str, Any]]:
    """Services as ``services/get`` returns them, in a fixed number of queries."""
    batch = _Batch(call, services)
    return [_service(call, batch, s) for s in services]


def scoped(call: MethodCall) -> Any:
    """Services of clients in the caller's company."""
    return (select(Service).join(Client, Client.id == Service.client_id)
            .where(or_(Client.company_id == call.company_id, Client.company_id.is_(None))))


def service_in_company(call: MethodCall, service_id: Any) -> Service | None:
    """The service ``service_id`` if the caller's company sees it."""
    key = optional_integer(service_id, "service_id")
    if key is None:
        return None
    service: Service | None = call.session.scalar(scoped(call).where(Service.id == key))
    return service


def _filtered(call: MethodCall, status: Any, *, client_id: Any = None,
              package_id: Any = None) -> Any:
    query = scoped(call)
    if client_id:
        query = query.where(Service.client_id == integer(client_id, "client_id"))
    if package_id:
        query = query.where(Service.product_id == integer(package_id, "package_id"))
    status = str(status or "all")
    if status == "scheduled_cancellation":
        query = query.where(Service.status.in_(("active", "suspended")), Service.id.in_(
            select(CancellationRequest.service_id).where(
                CancellationRequest.kind == "end_of_period",
                CancellationRequest.processed_at.is_(None))))
    elif status != "all":
        query = query.where(Service.status.in_(STATUS_IN.get(status, [status])))
    filters = call.vars("filters")
    if filters.get("package_name"):
        query = query.where(Service.product_id.in_(select(Product.id).where(
            Product.name.like(f"%{filters['package_name']}%"))))
    if filters.get("service_id"):
        query = query.where(Service.id == integer(filters["service_id"], "filters[service_id]"))
    return query


def _order(call: MethodCall, name: str = "order_by") -> list[Any]:
    columns = {"date_added": Service.created_at, "id": Service.id, "id_code": Service.id,
               "date_renews": Service.next_due_date, "status": Service.status}
    order = call.vars(name) or {"date_added": "DESC"}
    found = [columns[k].desc() if str(v).lower() == "desc" else columns[k].asc()
             for k, v in order.items() if k in columns]
    return [*found, Service.id.desc()]


def _count(call: MethodCall, query: Any) -> int:
    return int(call.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


@method("services", "get")
def get(call: MethodCall) -> Any:
    """One service with its package, pricing, fields and options, or false."""
    service = service_in_company(call, call.arg("service_id"))
    return service_objects(call, [service])[0] if service is not None else False


@method("services", "getList", status="partial",
        notes="children and formatted_filters are ignored; filters: package_name, service_id")
def get_list(call: MethodCall) -> Any:
    """One page (20) of services, by status (default active) and client."""
    page = page_of(call)
    query = _filtered(call, call.arg("status"), client_id=call.arg("client_id"))
    rows = call.session.scalars(query.order_by(*_order(call))
                                .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return service_objects(call, rows)


@method("services", "getListCount", status="partial",
        notes="children and formatted_filters are ignored")
def get_list_count(call: MethodCall) -> Any:
    """How many services ``getList`` pages through."""
    return _count(call, _filtered(call, call.arg("status"), client_id=call.arg("client_id"),
                                  package_id=call.arg("package_id")))


@method("services", "getStatusCount", status="partial", notes="children are ignored")
def get_status_count(call: MethodCall) -> Any:
    """How many services of a client have ``status``."""
    return _count(call, _filtered(call, call.arg("status"), client_id=call.arg("client_id")))


@method("services", "getAllByClient", status="partial", notes="children are ignored")
def get_all_by_client(call: MethodCall) -> Any:
    """Every service of a client with ``status`` (default active)."""
    query = _filtered(call, call.arg("status"), client_id=call.arg("client_id"),
                      package_id=call.arg("package_id"))
    return service_objects(call, call.session.scalars(query.order_by(*_order(call))).all())


@method("services", "getAll", status="partial",
        notes="filters: client_id, status, package_id, package_name, service_id")
def get_all(call: MethodCall) -> Any:
    """Every service matching ``filters``."""
    filters = call.vars("filters")
    query = _filtered(call, filters.get("status"), client_id=filters.get("client_id"),
                      package_id=filters.get("package_id"))
    return service_objects(call, call.session.scalars(query.order_by(*_order(call))).all())


@method("services", "getStatusTypes")
def get_status_types(call: MethodCall) -> Any:
    """The service statuses."""
    return PhpArray(STATUS_TYPES)


@method("services", "getOptions")
def get_options(call: MethodCall) -> Any:
    """A service's configurable option choices."""
    service = service_in_company(call, call.arg("service_id"))
    return service_objects(call, [service])[0]["options"] if service is not None else []


@method("services", "getPackagePricing")
def get_package_pricing(call: MethodCall) -> Any:
    """A package pricing (price point of a product), or false."""
    price = call.session.get(Price, integer(call.arg("pricing_id"), "pricing_id"))
    if price is None or price.owner_type != "product":
        return False
    return package_pricing_row(price, call.company_id)


_PHP_DATE = {"Y": "%Y", "m": "%m", "d": "%d", "H": "%H", "i": "%M", "s": "%S", "y": "%y",
             "j": "%-d", "n": "%-m", "c": "%Y-%m-%dT%H:%M:%S+00:00"}


def php_date(value: datetime, pattern: str) -> str:
    """``value`` formatted with a PHP ``date()`` pattern (the common letters)."""
    out = []
    for char in pattern:
        code = _PHP_DATE.get(char)
        if code is None:
            out.append(char)
        elif code.startswith("%-"):
            out.append(str(int(value.strftime("%" + code[2:]))))
        else:
            out.append(value.strftime(code))
    return "".join(out)


@method("services", "getNextRenewDate", status="partial", notes="pro_rata_day is ignored")
def get_next_renew_date(call: MethodCall) -> Any:
    """The date one term after ``last_renew_date`` (null for one-time)."""
    cycle = cycle_from(call.arg("term"), call.arg("period"), "term")
    if cycle == "onetime":
        return None
    text = str(call.arg("last_renew_date", "")).strip()
    try:
        start = datetime.fromisoformat(text.replace(" ", "T")) if text else None
    except ValueError:
        start = None
    if start is None:
        raise invalid("last_renew_date", "format", "Invalid date.")
    day = parse_cycle(cycle).advance(start.date(), start.day)
    when = datetime.combine(day, start.time())
    return php_date(when, str(call.arg("format", "Y-m-d H:i:s")))


__all__ = ["scoped", "service_in_company", "service_objects"]
