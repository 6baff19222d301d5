"""``bridge demo``: a small, realistic data set built through the core services, so a new
user has clients, products, services, invoices, payments and tickets to call the APIs on."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bridge.db import utcnow
from bridge.errors import Conflict

D = Decimal

CLIENTS = [
    {"first_name": "Ada", "last_name": "Lovelace", "company_name": "Analytical Engines Ltd",
     "email": "ada@example.com", "address1": "12 St James's Square", "city": "London",
     "state": "London", "postcode": "SW1Y 4JH", "country": "GB", "phone": "+44.2079460000"},
    {"first_name": "Grace", "last_name": "Hopper", "company_name": "Cobol Cloud Inc",
     "email": "grace@example.com", "address1": "1 Navy Way", "city": "San Diego",
     "state": "CA", "postcode": "92101", "country": "US", "phone": "+1.6195550100"},
    {"first_name": "Linus", "last_name": "Torvalds", "company_name": "",
     "email": "linus@example.org", "address1": "4 Kernel Road", "city": "Portland",
     "state": "OR", "postcode": "97201", "country": "US", "phone": "+1.5035550199"},
    {"first_name": "Margaret", "last_name": "Hamilton", "company_name": "Apollo Web GmbH",
     "email": "margaret@example.de", "address1": "Mondweg 11", "city": "Berlin",
     "state": "Berlin", "postcode": "10115", "country": "DE", "phone": "+49.3055501234",
     "currency": "EUR"},
    {"first_name": "Alan", "last_name": "Turing", "company_name": "Bletchley Hosting",
     "email": "alan@example.co.uk", "address1": "Wilton Avenue", "city": "Milton Keynes",
     "state": "Buckinghamshire", "postcode": "MK3 6EB", "country": "GB",
     "phone": "+44.1908555000"},
]

PRODUCTS = [
    ("Shared Hosting", "Starter", "hosting", {"1M": ("4.99", "0"), "1Y": ("49.99", "0")}),
    ("Shared Hosting", "Business", "hosting", {"1M": ("9.99", "0"), "1Y": ("99.99", "0")}),
    ("Shared Hosting", "Professional", "hosting", {"1M": ("19.99", "5.00"), "3M": ("57.00", "0")}),
    ("Virtual Servers", "VPS 2GB", "server", {"1M": ("15.00", "10.00"), "1Y": ("150.00", "0")}),
]


def load_demo(session: Session, *, force: bool = False) -> dict[str, Any]:
    """Create the demo data set; refuses (Conflict) when it was loaded before unless ``force``."""
    from bridge.services.settings import ensure_currency, get_setting, set_setting

    if get_setting(session, "demo.loaded") == "1" and not force:
        raise Conflict("demo data is already loaded (use --force to add another copy)")
    ensure_currency(session, "USD")
    if _currency_missing(session, "EUR"):
        from bridge.services.settings import add_currency

        add_currency(session, "EUR", prefix="€", rate=D("0.92"))
    products = _catalog(session)
    clients = _clients(session)
    summary = _orders_and_payments(session, clients, products)
    summary["tickets"] = _tickets(session, clients)
    summary["clients"] = len(clients)
    summary["products"] = len(products)
    set_setting(session, "demo.loaded", "1")
    return summary


def _currency_missing(session: Session, code: str) -> bool:
    from sqlalchemy import select

    from bridge.models import Currency

    return session.scalar(select(Currency).where(Currency.code == code)) is None


def _catalog(session: Session) -> list[Any]:
    from bridge.models import Tld
    from bridge.services.catalog import add_addon, add_product, add_product_group
    from bridge.services.pricing import set_prices
    from bridge.services.promotions import add_promotion
    from bridge.services.tax_rules import add_tax_rule

    add_tax_rule(session, "VAT", D("20.00"), country="GB")
    add_tax_rule(session, "CA Sales Tax", D("7.25"), country="US", state="CA")
    groups: dict[str, Any] = {}
    products = []
    for group_name, name, kind, prices in PRODUCTS:
        if group_name not in groups:
            groups[group_name] = add_product_group(session, {"name": group_name})
        usd = {c: {"amount": a, "setup_fee": s} for c, (a, s) in prices.items()}
        eur = {c: {"amount": str((D(a) * D("0.92")).quantize(D("0.01"))),
                   "setup_fee": str((D(s) * D("0.92")).quantize(D("0.01")))}
               for c, (a, s) in prices.items()}
        products.append(add_product(session, {
            "group_id": groups[group_name].id, "name": name, "type": kind,
            "description": f"{name} plan", "prices": {"USD": usd, "EUR": eur}}))
    add_addon(session, {"name": "Daily Backups", "product_ids": [p.id for p in products[:3]],
                        "prices": {"USD": {"1M": {"amount": "2.00"}, "1Y": {"amount": "20.00"}},
                                   "EUR": {"1M": {"amount": "1.84"}, "1Y": {"amount": "18.40"}}}})
    for extension, register, renew in ((".com", "12.99", "14.99"), (".net", "14.99", "16.99")):
        tld = Tld(extension=extension, registrar="", epp_required=True)
        session.add(tld)
        session.flush()
        for price_type, amount in (("tld_register", register), ("tld_transfer", register),
                                   ("tld_renew", renew)):
            for currency, rate in (("USD", D(1)), ("EUR", D("0.92"))):
                set_prices(session, price_type, tld.id, currency,
                           {"1Y": {"amount": str((D(amount) * rate).quantize(D("0.01")))}})
    add_promotion(session, {"code": "WELCOME10", "type": "percent", "value": "10"})
    return products


def _clients(session: Session) -> list[Any]:
    from bridge.services.clients import add_client

    return [add_client(session, dict(data, password="demo-password")) for data in CLIENTS]


def _orders_and_payments(session: Session, clients: list[Any],
                         products: list[Any]) -> dict[str, Any]:
    from bridge.services.credit import add_credit
    from bridge.services.orders import accept_order, place_order
    from bridge.services.payments import apply_payment

    today = utcnow().date()
    plan = [
        (clients[0], products[1], "1Y", "analytical-engines.com", "WELCOME10", "paid"),
        (clients[1], products[0], "1M", "cobolcloud.net", "", "paid"),
        (clients[2], products[3], "1M", "", "", "partial"),
        (clients[3], products[2], "3M", "apollo-web.com", "", "paid"),
        (clients[4], products[0], "1M", "bletchley.net", "", "unpaid"),
    ]
    invoices = 0
    for index, (client, product, cycle, domain, promo, outcome) in enumerate(plan):
        data: dict[str, Any] = {
            "products": [{"product_id": product.id, "billing_cycle": cycle, "domain": domain}],
            "payment_method": "banktransfer", "promo_code": promo}
        if domain:
            data["domains"] = [{"name": domain, "years": 1}]
        result = place_order(session, client.id, data, today=today - timedelta(days=20 - index))
        invoices += 1
        invoice = result.invoice
        if invoice is None:
            continue
        if outcome == "paid":
            apply_payment(session, invoice.id, invoice.balance, gateway="banktransfer",
                          gateway_txn_id=f"DEMO-{invoice.id}")
            accept_order(session, result.order.id)
        elif outcome == "partial":
            apply_payment(session, invoice.id, (invoice.balance / 2).quantize(D("0.01")),
                          gateway="banktransfer", gateway_txn_id=f"DEMO-{invoice.id}-1")
    add_credit(session, clients[2].id, D("25.00"), "Goodwill credit")
    return {"orders": len(plan), "invoices": invoices}


def _tickets(session: Session, clients: list[Any]) -> int:
    from bridge.models import TicketDepartment
    from bridge.services.tickets import open_ticket, reply_ticket, seed_ticket_statuses

    seed_ticket_statuses(session)
    support = TicketDepartment(name="Technical Support", email="support@example.com")
    billing = TicketDepartment(name="Billing", email="billing@example.com")
    session.add_all([support, billing])
    session.flush()
    first = open_ticket(session, {"department_id": support.id, "client_id": clients[0].id,
                                  "subject": "Email not arriving",
                                  "message": "Mail to info@ stopped arriving this morning.",
                                  "priority": "high"})
    reply_ticket(session, first.id, "We have restarted the mail queue; please check again.",
                 author="admin", name="Support Team")
    open_ticket(session, {"department_id": billing.id, "client_id": clients[2].id,
                          "subject": "Invoice question",
                          "message": "Can I pay the rest of my invoice next week?"})
    open_ticket(session, {"department_id": support.id, "name": "Prospective Customer",
                          "email": "prospect@example.net", "subject": "Do you support PHP 8.4?",
                          "message": "Before I order: which PHP versions do you offer?",
                          "priority": "low"})
    return 3
