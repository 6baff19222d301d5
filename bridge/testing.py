"""Factories for tests, shipped as a pytest plugin (``pytest_plugins = ["bridge.testing"]``).

Factories build rows directly with sensible defaults so a test states only what it is about.
They flush, never commit. Each takes the session first and keyword overrides.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.models import (
    Client,
    Currency,
    Price,
    Product,
    ProductGroup,
    Service,
    TicketDepartment,
)

_seq = count(1)


def ensure_currency(db: Session, code: str = "USD", rate: str = "1") -> Currency:
    """The currency ``code``, created (default when first) if missing."""
    currency = db.scalar(select(Currency).where(Currency.code == code))
    if currency is None:
        first = db.scalar(select(Currency).limit(1)) is None
        currency = Currency(
            code=code, prefix="$" if code == "USD" else "", rate=Decimal(rate), is_default=first
        )
        db.add(currency)
        db.flush()
    return currency


def make_client(db: Session, **overrides: Any) -> Client:
    """A client in USD with a unique email."""
    n = next(_seq)
    ensure_currency(db, overrides.get("currency", "USD"))
    values: dict[str, Any] = {
        "first_name": "Test",
        "last_name": f"Client{n}",
        "email": f"client{n}@example.com",
        "country": "US",
        "state": "CA",
        "currency": "USD",
    }
    values.update(overrides)
    client = Client(**values)
    db.add(client)
    db.flush()
    return client


def make_product(db: Session, prices: dict[str, str] | None = None, **overrides: Any) -> Product:
    """A product in a group, priced in USD per cycle (default ``{"1M": "10.00"}``)."""
    ensure_currency(db)
    group = db.scalar(select(ProductGroup).limit(1))
    if group is None:
        group = ProductGroup(name="Hosting")
        db.add(group)
        db.flush()
    n = next(_seq)
    values: dict[str, Any] = {"name": f"Plan {n}", "group_id": group.id, "type": "hosting"}
    values.update(overrides)
    product = Product(**values)
    db.add(product)
    db.flush()
    for cycle, amount in (prices if prices is not None else {"1M": "10.00"}).items():
        db.add(
            Price(
                owner_type="product",
                owner_id=product.id,
                currency="USD",
                cycle=cycle,
                amount=Decimal(amount),
                setup_fee=Decimal(0),
            )
        )
    db.flush()
    return product


def make_service(
    db: Session, client: Client | None = None, product: Product | None = None, **overrides: Any
) -> Service:
    """An active monthly service of ``product`` for ``client`` (both made when not given)."""
    client = client or make_client(db)
    product = product or make_product(db)
    values: dict[str, Any] = {
        "client_id": client.id,
        "product_id": product.id,
        "status": "active",
        "billing_cycle": "1M",
        "currency": client.currency,
        "recurring_amount": Decimal("10.00"),
        "first_payment_amount": Decimal("10.00"),
        "registration_date": date(2026, 1, 1),
        "next_due_date": date(2026, 2, 1),
        "next_invoice_date": date(2026, 2, 1),
    }
    values.update(overrides)
    service = Service(**values)
    db.add(service)
    db.flush()
    return service


def make_department(db: Session, **overrides: Any) -> TicketDepartment:
    """A support department."""
    values: dict[str, Any] = {"name": "Support", "email": "support@example.com"}
    values.update(overrides)
    department = TicketDepartment(**values)
    db.add(department)
    db.flush()
    return department


class Factories:
    """The factories bound to one session, as the ``factories`` fixture."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def currency(self, code: str = "USD", rate: str = "1") -> Currency:
        """See :func:`ensure_currency`."""
        return ensure_currency(self.db, code, rate)

    def client(self, **kw: Any) -> Client:
        """See :func:`make_client`."""
        return make_client(self.db, **kw)

    def product(self, prices: dict[str, str] | None = None, **kw: Any) -> Product:
        """See :func:`make_product`."""
        return make_product(self.db, prices, **kw)

    def service(
        self, client: Client | None = None, product: Product | None = None, **kw: Any
    ) -> Service:
        """See :func:`make_service`."""
        return make_service(self.db, client, product, **kw)

    def department(self, **kw: Any) -> TicketDepartment:
        """See :func:`make_department`."""
        return make_department(self.db, **kw)


@pytest.fixture
def factories(db: Session) -> Factories:
    """Factories bound to the ``db`` session."""
    return Factories(db)


# -- conformance tests for module authors --------------------------------------------------------


def _check_fields(fields: Any) -> None:
    from hooks import ConfigField

    names = [f.name for f in fields]
    assert len(names) == len(set(names)), f"duplicate config field names: {names}"
    for field in fields:
        assert isinstance(field, ConfigField), f"{field!r} is not a hooks.ConfigField"
        assert field.name and field.label, f"config field {field!r} needs a name and a label"
        if field.type == "select":
            assert field.options, f"select field {field.name} lists no options"


def _check_signatures(cls: type[Any], base: type[Any]) -> None:
    import inspect

    for attr, base_fn in inspect.getmembers(base, inspect.isfunction):
        if attr.startswith("_"):
            continue
        own = getattr(cls, attr)
        want = list(inspect.signature(base_fn).parameters)
        have = list(inspect.signature(own).parameters)
        assert have[: len(want)] == want or any(
            p.kind is inspect.Parameter.VAR_KEYWORD
            for p in inspect.signature(own).parameters.values()
        ), f"{cls.__name__}.{attr}{have} does not accept the base signature {want}"


class _ModuleConformance:
    """Shared checks; subclasses name the base class and the module under test."""

    base: type[Any]
    module_class: type[Any]

    def test_is_a_named_subclass(self) -> None:
        """The module subclasses the right base and has a lowercase name and a label."""
        assert issubclass(self.module_class, self.base)
        name = self.module_class.name
        assert name and name == name.lower() and " " not in name, f"bad module name {name!r}"
        assert self.module_class.label, "give the module a label staff will read"

    def test_has_no_abstract_methods_left(self) -> None:
        """Every abstract method of the base is implemented."""
        assert not getattr(self.module_class, "__abstractmethods__", ()), (
            f"unimplemented: {sorted(self.module_class.__abstractmethods__)}"
        )

    def test_config_fields_are_well_formed(self) -> None:
        """Config fields are hooks.ConfigField with unique names, labels and select options."""
        _check_fields(self.module_class.config_fields)

    def test_methods_keep_the_base_signatures(self) -> None:
        """Overridden methods accept what the core passes."""
        _check_signatures(self.module_class, self.base)

    def test_constructs_with_empty_settings(self) -> None:
        """The host builds modules with the plugin's settings, possibly empty."""
        instance = self.module_class({})
        assert instance.settings == {}


class ServerModuleConformance(_ModuleConformance):
    """Subclass in your plugin's tests and set ``module_class`` to your ServerModule."""

    from hooks import ServerModule as base  # noqa: N813


class RegistrarModuleConformance(_ModuleConformance):
    """Subclass in your plugin's tests and set ``module_class`` to your RegistrarModule."""

    from hooks import RegistrarModule as base  # noqa: N813


class GatewayModuleConformance(_ModuleConformance):
    """Subclass in your plugin's tests and set ``module_class`` to your GatewayModule."""

    from hooks import GatewayModule as base  # noqa: N813

    def test_kind_is_known(self) -> None:
        """``kind`` is merchant, offsite or hybrid."""
        assert self.module_class.kind in ("merchant", "offsite", "hybrid")

    def test_unsupported_callback_is_rejected(self) -> None:
        """A request that is not the gateway's is not accepted as genuine."""
        from hooks import CallbackRequest

        module = self.module_class({})
        empty = CallbackRequest("POST", {}, {}, {}, b"")
        try:
            result = module.verify_callback(empty, {})
        except Exception:  # raising is an acceptable way to reject garbage
            return
        assert result is None
