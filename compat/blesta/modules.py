"""Run a server module class written the Blesta way.

A Blesta module is a class with ``addService(package, vars, ...)``, ``suspendService(package,
service, ...)``, ``unsuspendService``, ``cancelService``, ``renewService``,
``changeServicePackage(package_from, package_to, service, ...)`` and ``editService``; it
reports failure by setting errors (``self.Input.setErrors({field: {rule: message}})``) and
returns a list of ``{key, value, encrypted}`` service fields on success (reference
``blesta.md`` §4.1). :func:`blesta_server_module` wraps such a class into a
:class:`hooks.ServerModule` subclass; ``docs/legacy-modules.md`` describes how the
``package``, ``service`` and ``vars`` arguments are built from an :class:`hooks.AccountContext`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from types import SimpleNamespace
from typing import Any, ClassVar

from bridge.errors import ModuleError
from compat.whmcs.modules import import_source  # the same file-or-dotted-name importer
from hooks import AccountContext, ActionResult, ConfigField, ServerModule, hookimpl
from hooks.common import NOT_SUPPORTED

log = logging.getLogger(__name__)

# core service status -> Blesta's (active, canceled, pending, suspended, in_review)
SERVICE_STATUSES = {"pending": "pending", "active": "active", "suspended": "suspended",
                    "terminated": "canceled", "cancelled": "canceled", "fraud": "canceled",
                    "completed": "canceled"}
ROLES = ("username", "password", "domain")


class BlestaInput:
    """The ``Input`` component a Blesta module sets its errors on (``self.Input``)."""

    def __init__(self) -> None:
        self._errors: dict[str, Any] = {}

    def setErrors(self, errors: Mapping[str, Any]) -> None:  # noqa: N802 - Blesta's name
        """Replace the errors: ``{field: {rule: message}}`` (or ``{field: message}``)."""
        self._errors = dict(errors)

    def errors(self) -> dict[str, Any]:
        """The errors set so far (empty when none)."""
        return dict(self._errors)


class BlestaObject(SimpleNamespace):
    """A PHP ``stdClass`` stand-in: attribute access (``package.meta.foo``) and item access."""

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default``."""
        return getattr(self, key, default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and hasattr(self, key)


def service_fields_to_object(fields: Iterable[Any]) -> BlestaObject:
    """Blesta's ``serviceFieldsToObject``: ``[{key, value}, ...]`` -> object by key."""
    return BlestaObject(**{_get(f, "key"): _get(f, "value") for f in fields})


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)


def error_messages(errors: Any) -> list[str]:
    """The leaf messages of Blesta's ``{field: {rule: message}}`` errors, in order."""
    if isinstance(errors, Mapping):
        return [m for value in errors.values() for m in error_messages(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in error_messages(value)]
    return [str(errors)] if errors not in (None, "", False) else []


class BlestaModuleObjects:
    """Builds Blesta's ``package``, ``service``, ``module_row`` and ``vars`` from a context."""

    def __init__(self, name: str, field_keys: Mapping[str, str]) -> None:
        self.name = name
        self.field_keys = {role: field_keys.get(role, f"{name}_{role}") for role in ROLES}

    def module_row(self, ctx: AccountContext) -> BlestaObject | None:
        """The server as a module row; generic meta keys plus the server's own config."""
        server = ctx.server
        if server is None:
            return None
        meta = {"host_name": server.hostname, "ip_address": server.ip_address,
                "port": "" if server.port is None else str(server.port),
                "use_ssl": "true" if server.secure else "false", "user_name": server.username,
                "password": server.password, "key": server.access_hash,
                "name_servers": list(server.nameservers), **server.config}
        return BlestaObject(id=server.id, meta=BlestaObject(**meta))

    def package(self, ctx: AccountContext) -> BlestaObject:
        """``package``: id, name, ``meta`` (the product's module config), module_row."""
        return BlestaObject(id=ctx.product_id, name=ctx.product_name,
                            meta=BlestaObject(**ctx.product_config),
                            module_row=ctx.server.id if ctx.server else 0, module_group="",
                            status="active")

    def unknown_package(self) -> BlestaObject:
        """``package_from`` of a package change: the context does not say what it was."""
        return BlestaObject(id=None, name="", meta=BlestaObject(), module_row=0,
                            module_group="", status="active")

    def service(self, ctx: AccountContext) -> BlestaObject:
        """``service``: id, client_id, status, ``fields`` ({key, value, serialized,
        encrypted}) from the core username/password/domain and the custom fields."""
        values = {self.field_keys[role]: getattr(ctx, role) for role in ROLES
                  if getattr(ctx, role)}
        values.update(ctx.custom_fields)
        fields = [BlestaObject(key=k, value=v, serialized=0, encrypted=0)
                  for k, v in values.items()]
        return BlestaObject(id=ctx.service_id, client_id=ctx.client.id, fields=fields,
                            status=SERVICE_STATUSES.get(ctx.status, ctx.status),
                            package_id=ctx.product_id, module_row_id=ctx.server.id
                            if ctx.server else 0)

    def add_vars(self, ctx: AccountContext) -> dict[str, Any]:
        """``vars`` of ``addService``: provision now, with the service's known fields."""
        values: dict[str, Any] = {"use_module": "true", "client_id": ctx.client.id,
                                  "status": "active", "configoptions": dict(ctx.config_options)}
        values.update({self.field_keys[r]: getattr(ctx, r) for r in ROLES})
        values.update(ctx.custom_fields)
        return values

    def result_data(self, fields: Any) -> dict[str, Any]:
        """ActionResult data from returned service fields: username/password/domain found by
        key, and every field under ``service_fields``."""
        if not isinstance(fields, list | tuple):
            return {}
        rows = [{"key": str(_get(f, "key")), "value": _get(f, "value"),
                 "encrypted": int(_get(f, "encrypted") or 0)} for f in fields]
        data: dict[str, Any] = {"service_fields": rows}
        for role in ROLES:
            for row in rows:
                key = row["key"]
                if key == self.field_keys[role] or key == role or key.endswith(f"_{role}"):
                    data[role] = row["value"]
                    break
        return data


class BlestaServerModule(ServerModule):
    """Base of the classes :func:`blesta_server_module` builds; not registered itself."""

    legacy_class: ClassVar[type[Any]]
    service_field_keys: ClassVar[Mapping[str, str]] = {}

    def _objects(self) -> BlestaModuleObjects:
        return BlestaModuleObjects(self.name, self.service_field_keys)

    def legacy(self, ctx: AccountContext | None = None) -> Any:
        """A fresh legacy instance (fresh errors), given the module row if it takes one."""
        obj = self.legacy_class()
        row = self._objects().module_row(ctx) if ctx is not None else None
        if row is not None and callable(getattr(obj, "setModuleRow", None)):
            obj.setModuleRow(row)
        return obj

    def _call(self, method: str, ctx: AccountContext,
              args: Callable[[BlestaModuleObjects], tuple[Any, ...]]) -> ActionResult:
        obj = self.legacy(ctx)
        fn = getattr(obj, method, None)
        if not callable(fn):
            return ActionResult.failure(NOT_SUPPORTED)
        objects = self._objects()
        try:
            value = fn(*args(objects))
        except ModuleError:
            raise
        except Exception as exc:
            log.warning("Blesta module %s.%s raised %s", self.name, method, type(exc).__name__,
                        exc_info=True)
            return ActionResult.failure(f"{type(exc).__name__}: {exc}", raw=repr(exc))
        errors = _errors_of(obj)
        if errors:
            return ActionResult.failure("; ".join(error_messages(errors)) or
                                        f"{self.name}.{method} failed", raw=errors)
        return ActionResult(True, "", objects.result_data(value), value)

    def create(self, ctx: AccountContext) -> ActionResult:
        """``addService(package, vars, None, None, "active")`` with ``use_module`` true."""
        return self._call("addService", ctx, lambda o: (
            o.package(ctx), o.add_vars(ctx), None, None, "active"))

    def suspend(self, ctx: AccountContext, reason: str = "") -> ActionResult:
        """``suspendService(package, service)`` (Blesta passes no reason)."""
        return self._call("suspendService", ctx, lambda o: (o.package(ctx), o.service(ctx)))

    def unsuspend(self, ctx: AccountContext) -> ActionResult:
        """``unsuspendService(package, service)``."""
        return self._call("unsuspendService", ctx, lambda o: (o.package(ctx), o.service(ctx)))

    def terminate(self, ctx: AccountContext) -> ActionResult:
        """``cancelService(package, service)`` (Blesta's cancel removes the account)."""
        return self._call("cancelService", ctx, lambda o: (o.package(ctx), o.service(ctx)))

    def renew(self, ctx: AccountContext) -> ActionResult:
        """``renewService(package, service)``; a class without it renews trivially."""
        if not callable(getattr(self.legacy_class, "renewService", None)):
            return ActionResult.success()
        return self._call("renewService", ctx, lambda o: (o.package(ctx), o.service(ctx)))

    def change_package(self, ctx: AccountContext) -> ActionResult:
        """``changeServicePackage(package_from, package_to, service)``; ``package_from`` is
        unknown to the core (id None, empty meta)."""
        return self._call("changeServicePackage", ctx, lambda o: (
            o.unknown_package(), o.package(ctx), o.service(ctx)))

    def change_password(self, ctx: AccountContext, new_password: str) -> ActionResult:
        """``editService(package, service, {"<name>_password": new, "use_module": "true"})``."""
        return self._call("editService", ctx, lambda o: (
            o.package(ctx), o.service(ctx),
            {o.field_keys["password"]: new_password, "use_module": "true"}))


def _errors_of(obj: Any) -> Any:
    """``obj.errors()`` if the class has it, else ``obj.Input.errors()``."""
    errors = getattr(obj, "errors", None)
    if not callable(errors):
        errors = getattr(getattr(obj, "Input", None), "errors", None)
    return errors() if callable(errors) else None


def blesta_server_module(cls: type[Any], *, name: str | None = None,
                         config_fields: Iterable[ConfigField] = (),
                         service_field_keys: Mapping[str, str] | None = None
                         ) -> type[ServerModule]:
    """A :class:`hooks.ServerModule` subclass running the Blesta-style class ``cls``.

    ``name`` defaults to the lowercased class name (``Demopanel`` -> ``demopanel``); the label
    and version come from ``getName()``/``getVersion()``. ``config_fields`` declares the
    package meta keys; ``service_field_keys`` maps username/password/domain to the service
    field keys (default ``<name>_username`` ...), also read from ``cls.service_field_keys``.
    """
    module_name = name or cls.__name__.lower()
    probe = cls()
    attrs = {
        "__doc__": f"Blesta-style module {module_name!r} ({cls.__module__}.{cls.__name__}).",
        "__module__": __name__,
        "legacy_class": cls, "name": module_name,
        "label": str(_info(probe, "getName") or module_name),
        "version": str(_info(probe, "getVersion") or "0"),
        "config_fields": tuple(config_fields),
        "requires_server": bool(getattr(cls, "requires_server", True)),
        "service_field_keys": dict(service_field_keys or getattr(cls, "service_field_keys", {})),
    }
    return type(f"Blesta_{module_name}", (BlestaServerModule,), attrs)


def load_blesta_class(spec: str) -> type[Any]:
    """The class named by ``"path/to/file.py:ClassName"`` or ``"package.module:ClassName"``."""
    source, sep, class_name = spec.rpartition(":")
    if not sep or not source or not class_name:
        raise ValueError(f"{spec!r}: expected '<file.py or module>:<ClassName>'")
    cls = getattr(import_source(source), class_name, None)
    if not isinstance(cls, type):
        raise ImportError(f"{source} has no class {class_name!r}")
    return cls


def _info(obj: Any, getter: str) -> Any:
    fn = getattr(obj, getter, None)
    return fn() if callable(fn) else None


class BlestaModulesPlugin:
    """A plugin object contributing wrapped Blesta-style module classes to the host."""

    def __init__(self, server: Iterable[type[ServerModule]] = ()) -> None:
        self.server = list(server)

    @hookimpl
    def register_server_modules(self) -> list[type[ServerModule]]:
        """The wrapped module classes."""
        return list(self.server)


def make_plugin(settings: Mapping[str, Any]) -> BlestaModulesPlugin:
    """Build the plugin from its settings: ``server_modules`` lists ``"<file.py or
    module>:<ClassName>"`` specs of Blesta-style module classes, or ``{"class": spec,
    "name": ...}`` tables to choose the module name."""
    classes = []
    for entry in settings.get("server_modules", ()):
        spec, name = (entry["class"], entry.get("name")) if isinstance(entry, Mapping) else (
            entry, None)
        classes.append(blesta_server_module(load_blesta_class(str(spec)), name=name))
    return BlestaModulesPlugin(classes)
