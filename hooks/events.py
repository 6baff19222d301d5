"""Lifecycle events and "before" hooks.

Events are past tense and fire **after** the change is committed: a subscriber can never see
(or undo) a change that was rolled back, and a subscriber that raises is logged and skipped
without affecting the others or the committed change. Implement any of them with
``@hookimpl``; take only the arguments you need (pluggy passes arguments by name).

``bridge_event`` receives every event the core emits, including the many that have no typed
hook below (``product_added``, ``credit_added``, ``ticket_merged``, ...).

"Before" hooks run inside the operation, before anything is changed, and may veto it by
raising :class:`Abort` with a message for the operator or client.
"""

from __future__ import annotations

from typing import Any

from .markers import hookspec


class Abort(Exception):
    """Raised by a "before" hook to stop the operation; ``message`` is shown to the caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- every event ------------------------------------------------------------------------------


@hookspec
def bridge_event(name: str, payload: dict[str, Any]) -> None:
    """Any committed event: ``name`` (e.g. ``invoice_paid``) and its ``payload`` of ids.

    The catch-all used by outbound webhooks, audit shippers and the WHMCS/Blesta hook-name
    adapters.
    """


# -- clients and orders -----------------------------------------------------------------------


@hookspec
def client_added(client_id: int) -> None:
    """A client account was created (by signup, an API call, an import or staff)."""


@hookspec
def client_updated(client_id: int, changed: list[str]) -> None:
    """A client's details changed; ``changed`` lists the core field names."""


@hookspec
def client_closed(client_id: int) -> None:
    """A client account was closed (its pending services and unpaid invoices cancelled)."""


@hookspec
def order_placed(order_id: int, client_id: int, invoice_id: int | None) -> None:
    """An order was placed; its services are pending and ``invoice_id`` (if any) is unpaid."""


@hookspec
def order_accepted(order_id: int, client_id: int) -> None:
    """An order was accepted (its services were provisioned or queued for it)."""


# -- billing ----------------------------------------------------------------------------------


@hookspec
def invoice_created(invoice_id: int, client_id: int) -> None:
    """An invoice was issued (drafts fire this when they are published)."""


@hookspec
def invoice_paid(invoice_id: int, client_id: int) -> None:
    """An invoice's balance reached zero (payments and/or credit)."""


@hookspec
def invoice_cancelled(invoice_id: int, client_id: int) -> None:
    """An invoice was cancelled; credit applied to it was returned."""


@hookspec
def invoice_refunded(invoice_id: int, client_id: int) -> None:
    """Every payment of an invoice was refunded."""


@hookspec
def payment_applied(transaction_id: int, invoice_id: int) -> None:
    """A payment transaction was recorded against an invoice (partial or full)."""


# -- services ---------------------------------------------------------------------------------


@hookspec
def service_provisioned(service_id: int, client_id: int) -> None:
    """A service became active (created by its module, or activated by staff)."""


@hookspec
def service_suspended(service_id: int, client_id: int) -> None:
    """A service was suspended."""


@hookspec
def service_unsuspended(service_id: int, client_id: int) -> None:
    """A suspension was lifted."""


@hookspec
def service_terminated(service_id: int, client_id: int) -> None:
    """A service was terminated."""


@hookspec
def service_package_changed(service_id: int, client_id: int) -> None:
    """A service moved to another product or cycle."""


# -- domains ----------------------------------------------------------------------------------


@hookspec
def domain_registered(domain_id: int, client_id: int, domain: str) -> None:
    """A domain registration completed."""


@hookspec
def domain_transferred(domain_id: int, client_id: int, domain: str) -> None:
    """A transfer in completed."""


@hookspec
def domain_renewed(domain_id: int, client_id: int, domain: str) -> None:
    """A domain was renewed (its expiry moved on)."""


# -- support ----------------------------------------------------------------------------------


@hookspec
def ticket_opened(ticket_id: int, number: str) -> None:
    """A ticket was opened (by a client, a guest or staff)."""


@hookspec
def ticket_replied(ticket_id: int, number: str) -> None:
    """A reply was added to a ticket."""


@hookspec
def ticket_closed(ticket_id: int, number: str) -> None:
    """A ticket was closed."""


# -- automation -------------------------------------------------------------------------------


@hookspec
def daily_automation_finished(summary: dict[str, Any]) -> None:
    """The daily automation run ended; ``summary`` counts what it created, charged,
    suspended and what failed."""


# -- before hooks (may veto with Abort) ------------------------------------------------------


@hookspec
def before_order_accepted(order_id: int, client_id: int) -> None:
    """About to accept an order; raise :class:`Abort` to refuse (e.g. a fraud check)."""


@hookspec
def before_create_account(service_id: int, client_id: int, module: str) -> None:
    """About to ask a server module to create an account; raise :class:`Abort` to stop."""


@hookspec
def before_suspend_account(service_id: int, client_id: int, reason: str) -> None:
    """About to suspend a service; raise :class:`Abort` to keep it running."""


@hookspec
def before_terminate_account(service_id: int, client_id: int) -> None:
    """About to terminate a service; raise :class:`Abort` to keep it."""


@hookspec
def before_register_domain(domain_id: int, client_id: int, domain: str) -> None:
    """About to register or transfer a domain at its registrar; raise :class:`Abort` to stop."""


TYPED_EVENTS = (
    "client_added",
    "client_updated",
    "client_closed",
    "order_placed",
    "order_accepted",
    "invoice_created",
    "invoice_paid",
    "invoice_cancelled",
    "invoice_refunded",
    "payment_applied",
    "service_provisioned",
    "service_suspended",
    "service_unsuspended",
    "service_terminated",
    "service_package_changed",
    "domain_registered",
    "domain_transferred",
    "domain_renewed",
    "ticket_opened",
    "ticket_replied",
    "ticket_closed",
    "daily_automation_finished",
)
BEFORE_HOOKS = (
    "before_order_accepted",
    "before_create_account",
    "before_suspend_account",
    "before_terminate_account",
    "before_register_domain",
)
