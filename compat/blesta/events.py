"""Blesta 5 event names as aliases of the core events.

Blesta plugins list ``getEvents()`` entries (``{"event": "Services.add", "callback": ["this",
"onServiceAdd"]}``); each callback receives an event object with ``getName()``,
``getParams()``, ``setParams()``, ``getReturnValue()`` and ``setReturnValue()`` (reference
``blesta.md`` §4.4, §4.5). A :class:`BlestaEventRegistry` holds such subscribers;
:class:`BlestaEventsPlugin` turns each committed core event into the Blesta ``X.yAfter`` event
and then its short alias (``Services.add``), as Blesta 5 fires them. The core payload carries
ids: ``getParams()`` holds them under Blesta's names (``client_id``, ``service_id``, ...) plus
whatever an optional ``extra_params`` loader adds (``vars``, ``old_client``, ...).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from compat.blesta.modules import load_blesta_class
from hooks import hookimpl

log = logging.getLogger(__name__)

Subscriber = Callable[["BlestaEvent"], Any]
ParamsLoader = Callable[[str, str, Mapping[str, Any]], Mapping[str, Any]]


class BlestaEvent:
    """Blesta 5's ``EventInterface``: a name, params and a return value."""

    def __init__(self, name: str, params: Mapping[str, Any] | None = None) -> None:
        self._name = name
        self._params = dict(params or {})
        self._return: Any = None

    def getName(self) -> str:  # noqa: N802 - Blesta's method names
        """The event name (``Services.add``)."""
        return self._name

    def getParams(self) -> dict[str, Any]:  # noqa: N802
        """The event's params (``service_id``, ``vars`` ...)."""
        return self._params

    def setParams(self, params: Mapping[str, Any]) -> None:  # noqa: N802
        """Replace the params."""
        self._params = dict(params)

    def getReturnValue(self) -> Any:  # noqa: N802
        """What a listener set with :meth:`setReturnValue` (None by default)."""
        return self._return

    def setReturnValue(self, value: Any) -> None:  # noqa: N802
        """Set the return value (Blesta reads it for ``*Before`` events; kept for fidelity)."""
        self._return = value


class BlestaEventRegistry:
    """Subscribers by Blesta event name, called in registration order."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Subscriber]] = {}

    def register(self, event: str, callback: Subscriber) -> None:
        """Call ``callback(event_object)`` when ``event`` fires."""
        if not isinstance(event, str) or not event:
            raise TypeError("the Blesta event name must be a non-empty string")
        if not callable(callback):
            raise TypeError(f"callback for {event!r} is not callable: {callback!r}")
        self._subscribers.setdefault(event, []).append(callback)

    def register_plugin(self, plugin: Any) -> list[str]:
        """Register the callbacks a Blesta-style plugin lists in ``getEvents()``.

        ``callback`` is ``["this", "method"]`` (the plugin instance), ``[obj, "method"]`` or a
        callable. Returns the event names registered; raises ValueError naming a bad entry.
        """
        names = []
        for entry in plugin.getEvents() or ():
            event, callback = entry.get("event"), entry.get("callback")
            if isinstance(callback, list | tuple) and len(callback) == 2:
                owner = plugin if callback[0] == "this" else callback[0]
                method = getattr(owner, str(callback[1]), None)
                if isinstance(owner, str) or not callable(method):
                    raise ValueError(f"{type(plugin).__name__}.getEvents(): callback {callback!r}"
                                     f" for {event!r} does not name a method")
                callback = method
            self.register(str(event), callback)
            names.append(str(event))
        return names

    def subscribers(self, event: str) -> list[Subscriber]:
        """The callbacks of ``event``."""
        return list(self._subscribers.get(event, ()))

    def events(self) -> list[str]:
        """Every event name something listens to."""
        return sorted(self._subscribers)

    def trigger(self, event: str, params: Mapping[str, Any]) -> BlestaEvent:
        """Pass one event object through every subscriber; failures are logged."""
        obj = BlestaEvent(event, params)
        for callback in self.subscribers(event):
            try:
                callback(obj)
            except Exception:
                log.exception("Blesta event subscriber %s for %s failed",
                              getattr(callback, "__qualname__", callback), event)
        return obj


# --- core event -> Blesta events --------------------------------------------------------------

Translation = list[tuple[str, dict[str, Any]]]


def _pick(payload: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {param: payload[key] for param, key in names.items() if key in payload}


def _after(event: str, **names: str) -> Callable[[Mapping[str, Any]], Translation]:
    """``X.yAfter`` then its short alias ``X.y`` with the same params, as Blesta 5 fires them."""
    def translate(p: Mapping[str, Any]) -> Translation:
        params = _pick(p, names)
        return [(f"{event}After", params), (event, dict(params))]
    return translate


def _chain(*parts: Callable[[Mapping[str, Any]], Translation]
           ) -> Callable[[Mapping[str, Any]], Translation]:
    return lambda p: [pair for part in parts for pair in part(p)]


def _flag(part: Callable[[Mapping[str, Any]], Translation], **values: Any
          ) -> Callable[[Mapping[str, Any]], Translation]:
    return lambda p: [(name, {**params, **values}) for name, params in part(p)]


def _client_created(p: Mapping[str, Any]) -> Translation:
    client = {"id": p["client_id"]} if "client_id" in p else {}
    return [("Clients.createAfter", {"client": client}), ("Clients.create", {"client": client})]


def _applied(p: Mapping[str, Any]) -> Translation:
    amount = p.get("amount")
    amounts = [{"invoice_id": p.get("invoice_id"),
                "amount": str(amount) if isinstance(amount, Decimal) else amount}]
    return [("Transactions.applyAfter", {"vars": {"transaction_id": p.get("transaction_id"),
                                                  "amounts": amounts}})]


_SERVICE = {"service_id": "service_id"}
TRANSLATORS: dict[str, Callable[[Mapping[str, Any]], Translation]] = {
    "client_added": _chain(_after("Clients.add", client_id="client_id"), _client_created),
    "client_updated": _after("Clients.edit", client_id="client_id"),
    "client_closed": _after("Clients.edit", client_id="client_id"),
    "client_deleted": _after("Clients.delete", client_id="client_id"),
    "client_note_added": _after("Clients.addNote", note_id="note_id"),
    "contact_added": _after("Contacts.add", contact_id="contact_id"),
    "contact_updated": _after("Contacts.edit", contact_id="contact_id"),
    "contact_deleted": _after("Contacts.delete", contact_id="contact_id"),
    "invoice_created": _after("Invoices.add", invoice_id="invoice_id"),
    "invoice_updated": _after("Invoices.edit", invoice_id="invoice_id"),
    "invoice_cancelled": _after("Invoices.edit", invoice_id="invoice_id"),
    "invoice_paid": _after("Invoices.setClosed", invoice_id="invoice_id"),
    "transaction_added": _after("Transactions.add", transaction_id="transaction_id"),
    "payment_applied": _chain(_after("Transactions.add", transaction_id="transaction_id"),
                              _applied),
    "payment_refunded": _after("Transactions.edit", transaction_id="refund_of_id"),
    "service_added": _after("Services.add", **_SERVICE),
    "service_provisioned": _flag(_after("Services.edit", **_SERVICE), service_activated=True),
    "service_updated": _flag(_after("Services.edit", **_SERVICE), service_activated=False),
    "service_package_changed": _flag(_after("Services.edit", **_SERVICE),
                                     service_activated=False),
    "service_suspended": _after("Services.suspend", **_SERVICE),
    "service_unsuspended": _after("Services.unsuspend", **_SERVICE),
    "service_cancelled": _after("Services.cancel", **_SERVICE),
    "service_terminated": _after("Services.cancel", **_SERVICE),
    "product_added": _after("Packages.add", package_id="product_id"),
    "product_updated": _after("Packages.edit", package_id="product_id"),
    "user_logged_in": lambda p: [("Users.login", _pick(p, {"user_id": "user_id"}))],
}
EVENT_NAMES: dict[str, tuple[str, ...]] = {
    event: tuple(name for name, _ in fn({})) for event, fn in TRANSLATORS.items()}
"""Core event -> the Blesta event names it fires, in order (docs/legacy-modules.md)."""


def translate(name: str, payload: Mapping[str, Any]) -> Translation:
    """The (Blesta event, params) pairs core event ``name`` fires ([] if none)."""
    fn = TRANSLATORS.get(name)
    return fn(payload) if fn else []


class BlestaEventsPlugin:
    """Pluggy plugin delivering core events to Blesta-style subscribers.

    ``extra_params(blesta_event, core_event, payload)`` may return more params (``vars``,
    ``old_*`` records); the mapped ids take precedence.
    """

    def __init__(self, registry: BlestaEventRegistry, *,
                 extra_params: ParamsLoader | None = None) -> None:
        self.registry = registry
        self.extra_params = extra_params

    def fire(self, name: str, payload: Mapping[str, Any]) -> None:
        """Trigger the Blesta events of core event ``name``."""
        for event, params in translate(name, payload):
            if not self.registry.subscribers(event):
                continue
            if self.extra_params is not None:
                try:
                    params = {**self.extra_params(event, name, payload), **params}
                except Exception:
                    log.exception("extra_params failed for Blesta event %s; using the ids only",
                                  event)
            self.registry.trigger(event, params)

    @hookimpl
    def bridge_event(self, name: str, payload: dict[str, Any]) -> None:
        """Every committed core event: trigger its Blesta events."""
        self.fire(name, payload)


def registry_for(plugins: Iterable[Any]) -> BlestaEventRegistry:
    """A registry holding the ``getEvents()`` callbacks of every Blesta-style plugin object."""
    registry = BlestaEventRegistry()
    for plugin in plugins:
        registry.register_plugin(plugin)
    return registry


def make_plugin(settings: Mapping[str, Any]) -> BlestaEventsPlugin:
    """Build the plugin from its settings: ``plugins`` lists ``"<file.py or
    module>:<ClassName>"`` specs of Blesta-style plugin classes (instantiated without
    arguments)."""
    return BlestaEventsPlugin(registry_for(load_blesta_class(spec)()
                                           for spec in settings.get("plugins", ())))
