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
