"""A Blesta-style plugin listening to events through ``getEvents()``.

As in ``plugins/demo_events/demo_events_plugin.php``, ``getEvents()`` lists ``{"event",
"callback"}`` entries and each callback receives an event object (``getName()``,
``getParams()``). hostbridge fires the Blesta names when the matching core events are
committed (table in docs/legacy-modules.md). Register it with
``compat.blesta.events.registry_for([DemoEventsPlugin()])``.
"""

from __future__ import annotations

from typing import Any

RECEIVED: list[tuple[str, dict[str, Any]]] = []
"""(event name, params) of every callback call, in order."""


class DemoEventsPlugin:
    """``class DemoEventsPlugin extends Plugin``."""

    def getEvents(self) -> list[dict[str, Any]]:  # noqa: N802 - Blesta's method names
        """The events this plugin listens to."""
        return [
            {"event": "Clients.create", "callback": ["this", "onClientCreate"]},
            {"event": "Services.add", "callback": ["this", "onServiceChange"]},
            {"event": "Services.editAfter", "callback": ["this", "onServiceChange"]},
            {"event": "Services.suspend", "callback": ["this", "onServiceChange"]},
            {"event": "Services.cancel", "callback": ["this", "onServiceChange"]},
            {"event": "Invoices.setClosed", "callback": ["this", "onInvoicePaid"]},
            {"event": "Transactions.add", "callback": ["this", "onTransaction"]},
        ]

    def onClientCreate(self, event: Any) -> None:  # noqa: N802
        """``Clients.create``: params hold ``client`` (with its ``id``)."""
        RECEIVED.append((event.getName(), event.getParams()))

    def onServiceChange(self, event: Any) -> None:  # noqa: N802
        """Service events: params hold ``service_id``."""
        RECEIVED.append((event.getName(), event.getParams()))

    def onInvoicePaid(self, event: Any) -> None:  # noqa: N802
        """``Invoices.setClosed``: the invoice was closed (paid in full)."""
        RECEIVED.append((event.getName(), event.getParams()))
        event.setReturnValue({"seen": event.getParams()["invoice_id"]})

    def onTransaction(self, event: Any) -> None:  # noqa: N802
        """``Transactions.add``: params hold ``transaction_id``."""
        RECEIVED.append((event.getName(), event.getParams()))
