"""List actions run a bounded number of SQL statements whatever the page size (no N+1).

30 clients, each with a contact, a product of its own, an accepted order with a service, an
invoice paid by a transaction, a ticket and a domain. Each list action is called with a small
and a large page (``limitnum`` 5 and 25; GetProducts, which WHMCS does not page, with a group
of 5 and a group of 25 products); the statements the app's engine executes are counted with
SQLAlchemy's ``before_cursor_execute`` event. The large page may cost at most 2 statements
more than the small one. Run with ``-s`` to see the counts.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

import bridge.models
import compat.whmcs.api.actions  # noqa: F401  (registers every action)
from bridge.context import Actor
from bridge.models import TicketDepartment
from bridge.services.access import add_admin, add_api_credential
from bridge.services.catalog import add_product, add_product_group
from bridge.services.clients import add_client
from bridge.services.contacts import add_contact
from bridge.services.domains import add_domain
from bridge.services.invoices import create_invoice
from bridge.services.orders import accept_order, place_order
from bridge.services.payments import apply_payment
from bridge.services.tickets import open_ticket, reply_ticket
from bridge.testing import ensure_currency

# every model module (action groups add their own) is imported before the session's schema
# template is built, so their tables exist in the test databases
for _module in pkgutil.iter_modules(bridge.models.__path__):
    importlib.import_module(f"bridge.models.{_module.name}")

IDENTIFIER = "whmcs-count-id"
SECRET = "whmcs-count-secret-0123"
ROWS = 30
ALLOWED_GROWTH = 2


def _paged(outer: str, inner: str) -> tuple[dict[str, str], dict[str, str], str, int, int]:
    return {"limitnum": "5"}, {"limitnum": "25"}, f"{outer}.{inner}", 5, 25


# action -> (small params, large params, path of the rows, rows expected in each)
CASES: dict[str, tuple[dict[str, str], dict[str, str], str, int, int]] = {
    "GetClients": _paged("clients", "client"),
    "GetClientsProducts": _paged("products", "product"),
    "GetInvoices": _paged("invoices", "invoice"),
    "GetOrders": _paged("orders", "order"),
    "GetTickets": _paged("tickets", "ticket"),
    "GetClientsDomains": _paged("domains", "domain"),
    "GetTransactions": _paged("transactions", "transaction"),
    "GetContacts": _paged("contacts", "contact"),
    "GetActivityLog": _paged("activity", "entry"),
    "GetProducts": ({"gid": "small"}, {"gid": "large"}, "products.product", 5, 25),
}


@pytest.fixture(scope="module")
def counted_app(scratch_app) -> Iterator[tuple[Any, dict[str, int]]]:
    """One app with the 30-client dataset (module scope: building it costs more than the
    calls); yields the app and the ids of the two product groups."""
    app = scratch_app("whmcs-counts")
    state = app.extensions["bridge"]
    with state.transaction(Actor(source="test")) as s:
        groups = _seed(s)
    yield app, groups
    state.db.dispose()


def _seed(s: Any) -> dict[str, int]:
    ensure_currency(s)
    admin = add_admin(s, "countadmin", "admin-password-1", email="admin@example.com")
    add_api_credential(s, IDENTIFIER, SECRET, admin_id=admin.id)
    small = add_product_group(s, {"name": "Small group"})
    large = add_product_group(s, {"name": "Large group"})
    department = TicketDepartment(name="Support", email="support@example.com")
    s.add(department)
    s.flush()
    for n in range(ROWS):
        client = add_client(s, {"first_name": f"First{n}", "last_name": f"Last{n}",
                                "company_name": f"Company {n}", "email": f"c{n}@example.com",
                                "country": "US", "state": "CA", "city": "LA"})
        add_contact(s, client.id, {"first_name": f"Contact{n}", "email": f"k{n}@example.com"})
        product = add_product(s, {"name": f"Plan {n}",
                                  "group_id": (small if n < 5 else large).id,
                                  "prices": {"USD": {"1M": {"amount": "5.00"},
                                                     "1Y": {"amount": "50.00"}}}})
        placed = place_order(s, client.id, {"products": [
            {"product_id": product.id, "billing_cycle": "1M", "domain": f"site{n}.example"}],
            "payment_method": "banktransfer"})
        accept_order(s, placed.order.id, provision=False)
        invoice = create_invoice(s, client.id, [
            {"description": "Work", "unit_amount": Decimal("20.00"), "taxed": False},
            {"description": "More work", "unit_amount": Decimal("5.00"), "taxed": False}],
            payment_method="banktransfer")
        apply_payment(s, invoice.id, Decimal("25.00"), gateway="banktransfer",
                      gateway_txn_id=f"TXN-{n}")
        ticket = open_ticket(s, {"department_id": department.id, "client_id": client.id,
                                 "subject": f"Question {n}", "message": "Hello"})
        reply_ticket(s, ticket.id, "More details", author="client")
        add_domain(s, client.id, f"domain{n}.com", recurring_amount=Decimal("12.00"),
                   nameservers=["ns1.example.net", "ns2.example.net"])
    return {"small": small.id, "large": large.id}


def _rows(body: dict[str, Any], path: str) -> list[Any]:
    node: Any = body
    for part in path.split("."):
        node = node.get(part, []) if isinstance(node, dict) else []
    return node if isinstance(node, list) else [node]


@pytest.fixture
def counted_call(counted_app) -> Callable[[str, dict[str, str]], tuple[int, dict[str, Any]]]:
    """``counted_call(action, params)`` -> (statements executed, JSON body)."""
    app, _groups = counted_app
    engine = app.extensions["bridge"].db.engine
    web = app.test_client()

    def run(action: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        statements: list[str] = []
        # count every call's full work: nothing answered from the per-worker caches
        state = app.extensions["bridge"]
        for cache in (state.credential_cache, state.count_cache):
            if cache is not None:
                cache.clear()

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            response = web.post("/includes/api.php", data={
                "action": action, "identifier": IDENTIFIER, "secret": SECRET,
                "responsetype": "json", **params})
        finally:
            event.remove(engine, "before_cursor_execute", count)
        body = response.get_json()
        assert response.status_code == 200 and body["result"] == "success", body
        return len(statements), body

    return run


@pytest.mark.parametrize("action", sorted(CASES))
def test_statement_count_does_not_grow_with_the_page(action, counted_app, counted_call):
    _app, groups = counted_app
    small, large, path, small_rows, large_rows = CASES[action]
    small = {k: str(groups.get(v, v)) for k, v in small.items()}
    large = {k: str(groups.get(v, v)) for k, v in large.items()}
    counted_call(action, small)  # warm-up: caches and lazy imports are not the point
    few, small_body = counted_call(action, small)
    many, large_body = counted_call(action, large)
    print(f"\n{action}: {few} statements for {small_rows} rows, {many} for {large_rows} rows")
    assert few > 2, "the statement counter saw nothing: is it listening on the app's engine?"
    assert len(_rows(small_body, path)) == small_rows, f"{action} {small}: rows at {path}"
    assert len(_rows(large_body, path)) == large_rows, f"{action} {large}: rows at {path}"
    assert many <= few + ALLOWED_GROWTH, (
        f"{action}: {few} SQL statements for {small_rows} rows but {many} for {large_rows} "
        "(N+1: load related rows for the whole page with one IN query or a join)")
