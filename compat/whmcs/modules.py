"""Run provisioning and registrar modules written the WHMCS way.

A WHMCS module is a set of module-level functions, each optionally prefixed with the module
name (``demopanel_CreateAccount`` or plain ``CreateAccount``), that receive one ``params``
dict and answer ``"success"`` or an error text (registrars: a dict, failing when it holds an
``error`` key). :func:`whmcs_server_module` and :func:`whmcs_registrar_module` wrap such a
Python module into a :class:`hooks.ServerModule` / :class:`hooks.RegistrarModule` subclass
the plugin host registers like any other. The ``params`` keys are those of WHMCS
(``/work/shared/reference/whmcs.md`` §4.1, §4.2); ``docs/legacy-modules.md`` lists them.

An exception raised by a legacy function becomes a failed result (WHMCS shows it as the error),
except :class:`bridge.errors.ModuleError`, which keeps its meaning ("could not even ask").
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from bridge.errors import ModuleError
from hooks import (
    AccountContext,
    ActionResult,
    ConfigField,
    DomainContext,
    DomainState,
    RegistrarModule,
    ServerInfo,
    ServerModule,
    UsageReport,
    hookimpl,
)
from hooks.common import NOT_SUPPORTED

log = logging.getLogger(__name__)

MAX_CONFIG_OPTIONS = 24
FIELD_TYPES = {"text": "text", "password": "password", "yesno": "bool", "dropdown": "select",
               "radio": "select", "textarea": "textarea"}
SERVICE_STATUSES = {"pending": "Pending", "active": "Active", "suspended": "Suspended",
                    "terminated": "Terminated", "cancelled": "Cancelled", "fraud": "Fraud",
                    "completed": "Completed"}
# WHMCS service properties (params["model"]->serviceProperties) that are core fields here
CORE_PROPERTIES = {"Username": "username", "Password": "password", "Domain": "domain",
                   "Dedicated IP": "dedicated_ip"}
_TRUE = {"1", "on", "yes", "true"}
# core product type -> WHMCS tblproducts.type
PRODUCT_TYPES = {"hosting": "hostingaccount", "reseller": "reselleraccount",
                 "server": "server", "other": "other"}


# --- loading -------------------------------------------------------------------------------

def import_source(spec: str | Path) -> ModuleType:
    """Import a ``.py`` file by path, or a module by dotted name (``pkg.mod``)."""
    path = Path(spec)
    if isinstance(spec, Path) or str(spec).endswith(".py") or path.exists():
        if not path.is_file():
            raise ImportError(f"legacy module file {path} does not exist")
        digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
        name = f"bridge_legacy_modules.{path.stem}_{digest}"
        loader_spec = importlib.util.spec_from_file_location(name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ImportError(f"cannot import legacy module file {path}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module  # dataclasses and pickling look the module up by name
        loader_spec.loader.exec_module(module)
        return module
    return importlib.import_module(str(spec))


def load_whmcs_module(path: str | Path, name: str | None = None) -> type[ServerModule]:
    """Import a WHMCS-style provisioning module (file path or dotted name) and wrap it."""
    return whmcs_server_module(import_source(path), name=name)


def load_whmcs_registrar(path: str | Path, name: str | None = None) -> type[RegistrarModule]:
    """Import a WHMCS-style registrar module (file path or dotted name) and wrap it."""
    return whmcs_registrar_module(import_source(path), name=name)


def _detect_name(py_module: ModuleType, markers: Iterable[str]) -> str:
    for attr in sorted(vars(py_module)):
        for marker in markers:
            if attr.endswith("_" + marker) and callable(getattr(py_module, attr)):
                return attr[: -len(marker) - 1]
    return py_module.__name__.rpartition(".")[2].lower()


def _lookup(py_module: ModuleType, name: str, func: str) -> Callable[..., Any] | None:
    """``<name>_<func>`` (how WHMCS names them) or plain ``<func>``."""
    for attr in (f"{name}_{func}", func):
        fn = getattr(py_module, attr, None)
        if callable(fn):
            return fn  # type: ignore[no-any-return]
    return None


def _invoke(fn: Callable[..., Any], where: str, *args: Any) -> tuple[bool, Any]:
    """Call a legacy function: (True, its value) or (False, a failed ActionResult)."""
    try:
        return True, fn(*args)
    except ModuleError:
        raise
    except Exception as exc:  # WHMCS shows a module's exception to staff as the error
        log.warning("legacy function %s raised %s", where, type(exc).__name__, exc_info=True)
        return False, ActionResult.failure(f"{type(exc).__name__}: {exc}", raw=repr(exc))


# --- configuration fields ------------------------------------------------------------------

def whmcs_config_fields(definitions: Any, *, positional: bool) -> tuple[ConfigField, ...]:
    """ConfigFields from WHMCS field definitions (``ConfigOptions()``/``getConfigArray()``).

    ``positional`` names them ``configoption1..N`` (product modules, at most 24); otherwise
    they keep their keys (registrar settings). ``System`` entries are skipped.
    """
    items = list(_definitions(definitions))
    if positional and len(items) > MAX_CONFIG_OPTIONS:
        raise ValueError(f"ConfigOptions() declares {len(items)} fields; WHMCS allows at most "
                         f"{MAX_CONFIG_OPTIONS} (configoption1..{MAX_CONFIG_OPTIONS})")
    fields = []
    for index, (key, spec) in enumerate(items, start=1):
        kind = str(spec.get("Type", "text")).lower()
        options = spec.get("Options", ())
        if isinstance(options, str):
            options = [o.strip() for o in options.split(",") if o.strip()]
        default = spec.get("Default", "")
        if isinstance(default, bool):
            default = "1" if default else "0"
        fields.append(ConfigField(
            name=f"configoption{index}" if positional else key,
            label=str(spec.get("FriendlyName") or key),
            type=FIELD_TYPES.get(kind, "text"),
            default="" if default is None else str(default),
            options=tuple(str(o) for o in options),  # a value -> label map gives its values
            secret=kind == "password",
            description=str(spec.get("Description", "")),
        ))
    return tuple(fields)


def _definitions(definitions: Any) -> Iterable[tuple[str, Mapping[str, Any]]]:
    if isinstance(definitions, Mapping):
        pairs: Iterable[tuple[Any, Any]] = definitions.items()
    else:  # a list of definitions keyed by their FriendlyName
        pairs = ((d.get("FriendlyName", ""), d) for d in definitions or ())
    for key, spec in pairs:
        if isinstance(spec, Mapping) and str(spec.get("Type", "")).lower() != "system":
            yield str(key), spec


# --- params ----------------------------------------------------------------------------------

class ServiceProperties:
    """``params["model"].serviceProperties``: values a module stores on the service."""

    def __init__(self, ctx: AccountContext | None = None) -> None:
        self.saved: dict[str, Any] = {}
        self._ctx = ctx

    def save(self, values: Mapping[str, Any]) -> None:
        """Store properties (``Username``, ``Password``, ``Domain``, ``Dedicated IP``, ...)."""
        self.saved.update(values)

    def get(self, name: str) -> Any:
        """A property saved during this call, else the service's current core value."""
        if name in self.saved:
            return self.saved[name]
        core = CORE_PROPERTIES.get(name)
        return getattr(self._ctx, core, "") if self._ctx is not None and core else ""


class ServiceModel:
    """Stand-in for the Eloquent ``params["model"]`` (id plus ``serviceProperties``)."""

    def __init__(self, ctx: AccountContext) -> None:
        self.id = ctx.service_id
        self.serviceProperties = ServiceProperties(ctx)


def clients_details(client: Any) -> dict[str, Any]:
    """WHMCS ``clientsdetails`` (GetClientsDetails keys) from a :class:`hooks.ClientInfo`."""
    full = f"{client.first_name} {client.last_name}".strip()
    return {
        "userid": client.id, "id": client.id, "client_id": client.id,
        "firstname": client.first_name, "lastname": client.last_name, "fullname": full,
        "companyname": client.company_name, "email": client.email,
        "address1": client.address1, "address2": client.address2, "city": client.city,
        "state": client.state, "fullstate": client.state, "postcode": client.postcode,
        "countrycode": client.country, "country": client.country,
        "phonenumber": client.phone, "language": client.language,
        "currency_code": client.currency,
    }


def server_params(server: ServerInfo | None, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The ``server*`` params; the port falls back to MetaData's Default(Non)SSLPort."""
    if server is None:
        return {"server": False, "serverid": 0, "serverip": "", "serverhostname": "",
                "serverusername": "", "serverpassword": "", "serveraccesshash": "",
                "serversecure": False, "serverhttpprefix": "", "serverport": ""}
    default_port = metadata.get("DefaultSSLPort" if server.secure else "DefaultNonSSLPort", "")
    return {
        "server": True, "serverid": server.id, "serverip": server.ip_address,
        "serverhostname": server.hostname, "serverusername": server.username,
        "serverpassword": server.password, "serveraccesshash": server.access_hash,
        "serversecure": server.secure, "serverhttpprefix": "https" if server.secure else "http",
        "serverport": server.port or default_port or "",
    }


# --- server modules --------------------------------------------------------------------------

class WhmcsServerModule(ServerModule):
    """Base of the classes :func:`whmcs_server_module` builds; not registered itself."""

    legacy: ClassVar[ModuleType]
    metadata: ClassVar[Mapping[str, Any]] = {}
    option_keys: ClassVar[tuple[str, ...]] = ()
    yesno_options: ClassVar[frozenset[int]] = frozenset()
    allowed_functions: ClassVar[frozenset[str]] = frozenset()

    def _fn(self, func: str) -> Callable[..., Any] | None:
        return _lookup(self.legacy, self.name, func)

    def params(self, ctx: AccountContext, **extra: Any) -> dict[str, Any]:
        """WHMCS's ``params`` for ``ctx`` (§4.1 of the reference), plus ``extra`` keys."""
        config = ctx.product_config
        params: dict[str, Any] = {
            "accountid": ctx.service_id, "serviceid": ctx.service_id, "userid": ctx.client.id,
            "pid": ctx.product_id, "packageid": ctx.product_id, "domain": ctx.domain,
            "username": ctx.username, "password": ctx.password,
            "producttype": PRODUCT_TYPES.get(ctx.product_type, ctx.product_type),
            "moduletype": self.name, "status": SERVICE_STATUSES.get(ctx.status, ctx.status),
        }
        for index in range(1, MAX_CONFIG_OPTIONS + 1):
            value = config.get(f"configoption{index}")
            if value is None and index <= len(self.option_keys):
                value = config.get(self.option_keys[index - 1])
            text = "" if value is None else str(value)
            if index in self.yesno_options:  # WHMCS gives a ticked box as "on"
                text = "on" if text.lower() in _TRUE else ""
            params[f"configoption{index}"] = text
        params["customfields"] = dict(ctx.custom_fields)
        params["configoptions"] = dict(ctx.config_options)
        params["clientsdetails"] = clients_details(ctx.client)
        params.update(server_params(ctx.server, self.metadata))
        if ctx.addon_id is not None:
            params["addonId"] = ctx.addon_id
        params["model"] = ServiceModel(ctx)
        params.update(extra)
        return params

    def _run(self, func: str, ctx: AccountContext, **extra: Any) -> ActionResult:
        fn = self._fn(func)
        if fn is None:
            return ActionResult.failure(NOT_SUPPORTED)
        params = self.params(ctx, **extra)
        ok, value = _invoke(fn, f"{self.name}_{func}", params)
        if not ok:
            return value  # type: ignore[no-any-return]
        return _service_outcome(value, f"{self.name}_{func}", params["model"])

    def create(self, ctx: AccountContext) -> ActionResult:
        """``CreateAccount(params)``; saved service properties come back as data."""
        return self._run("CreateAccount", ctx)

    def suspend(self, ctx: AccountContext, reason: str = "") -> ActionResult:
        """``SuspendAccount(params)`` with ``params["suspendreason"]``."""
        return self._run("SuspendAccount", ctx, suspendreason=reason)

    def unsuspend(self, ctx: AccountContext) -> ActionResult:
        """``UnsuspendAccount(params)``."""
        return self._run("UnsuspendAccount", ctx)

    def terminate(self, ctx: AccountContext) -> ActionResult:
        """``TerminateAccount(params)``."""
        return self._run("TerminateAccount", ctx)

    def change_package(self, ctx: AccountContext) -> ActionResult:
        """``ChangePackage(params)`` with the new product's options."""
        return self._run("ChangePackage", ctx)

    def change_password(self, ctx: AccountContext, new_password: str) -> ActionResult:
        """``ChangePassword(params)`` with ``params["password"]`` set to the new password."""
        return self._run("ChangePassword", ctx, password=new_password)

    def renew(self, ctx: AccountContext) -> ActionResult:
        """``Renew(params)``; a module without it renews trivially (as in WHMCS)."""
        return self._run("Renew", ctx) if self._fn("Renew") else ActionResult.success()

    def test_connection(self, server: ServerInfo) -> ActionResult:
        """``TestConnection(params)`` -> ``{"success": bool, "error": str}``."""
        fn = self._fn("TestConnection")
        if fn is None:
            return ActionResult.failure(NOT_SUPPORTED)
        params = {"moduletype": self.name, **server_params(server, self.metadata)}
        ok, value = _invoke(fn, f"{self.name}_TestConnection", params)
        if not ok:
            return value  # type: ignore[no-any-return]
        if isinstance(value, Mapping) and value.get("success"):
            return ActionResult(True, "", {}, value)
        error = value.get("error") if isinstance(value, Mapping) else value
        return ActionResult.failure(str(error or "connection test failed"), raw=value)

    def sso_url(self, ctx: AccountContext, *, admin: bool = False) -> ActionResult:
        """``ServiceSingleSignOn(params)`` -> ``data["url"]`` from ``redirectTo``."""
        fn = self._fn("ServiceSingleSignOn")
        if fn is None:
            return ActionResult.failure(NOT_SUPPORTED)
        ok, value = _invoke(fn, f"{self.name}_ServiceSingleSignOn", self.params(ctx))
        if not ok:
            return value  # type: ignore[no-any-return]
        if isinstance(value, Mapping) and value.get("success") and value.get("redirectTo"):
            return ActionResult.success(url=str(value["redirectTo"]))
        error = value.get("errorMsg") if isinstance(value, Mapping) else value
        return ActionResult.failure(str(error or "single sign-on failed"), raw=value)

    def custom_action(self, ctx: AccountContext, action: str) -> ActionResult:
        """A button function (``AdminCustomButtonArray``/``ClientAreaCustomButtonArray``
        values, or ``ClientAreaAllowedFunctions``) called with ``params``."""
        if action not in self.custom_actions and action not in self.allowed_functions:
            return super().custom_action(ctx, action)
        return self._run(action, ctx)

    def usage(self, server: ServerInfo) -> list[UsageReport]:
        """``UsageUpdate(params)``: returns usage rows instead of writing ``tblhosting``.

        Accepted returns: ``{username: {"diskusage", "disklimit", "bwusage", "bwlimit"}}`` or
        a list of such dicts each with a ``username`` key (MB, as WHMCS stores them).
        """
        fn = self._fn("UsageUpdate")
        if fn is None:
            return []
        params = {"moduletype": self.name, **server_params(server, self.metadata)}
        ok, value = _invoke(fn, f"{self.name}_UsageUpdate", params)
        if not ok or not value:
            return []
        rows = ([{"username": k, **v} for k, v in value.items()] if isinstance(value, Mapping)
                else list(value))
        return [UsageReport(str(r["username"]), _mb(r.get("diskusage")), _mb(r.get("disklimit")),
                            _mb(r.get("bwusage")), _mb(r.get("bwlimit"))) for r in rows]


def _mb(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:  # WHMCS figures may be strings or floats; go through str() to Decimal, never float
        return int(Decimal(str(value)))
    except InvalidOperation:
        return None


def _service_outcome(value: Any, where: str, model: ServiceModel) -> ActionResult:
    """Map a module function's return: ``"success"``, an error text, or (custom functions)
    a dict: ``{"success", "redirectTo"|"errorMsg"}`` or a template array."""
    saved = model.serviceProperties.saved
    data: dict[str, Any] = {CORE_PROPERTIES[k]: v for k, v in saved.items() if k in CORE_PROPERTIES}
    extra = {k: v for k, v in saved.items() if k not in CORE_PROPERTIES}
    if extra:
        data["service_properties"] = extra
    if value == "success":
        return ActionResult.success(**data)
    if isinstance(value, str):
        return ActionResult.failure(value or f"{where} returned an empty error", raw=value)
    if isinstance(value, Mapping):
        if "success" in value:
            if value["success"]:
                url = value.get("redirectTo")
                return ActionResult.success(**data, **({"url": url} if url else {}))
            return ActionResult.failure(str(value.get("errorMsg") or f"{where} failed"), value)
        return ActionResult.success(**data, output=dict(value))
    return ActionResult.failure(
        f"{where} returned {type(value).__name__}; expected 'success' or an error text", value)


def whmcs_server_module(py_module: ModuleType, *, name: str | None = None
                        ) -> type[ServerModule]:
    """A :class:`hooks.ServerModule` subclass running the WHMCS-style ``py_module``.

    ``name`` (the WHMCS module name and function prefix) defaults to the prefix found on its
    functions (``demopanel_CreateAccount`` -> ``demopanel``), else the module's own name.
    ``MetaData()``, ``ConfigOptions()`` and the button arrays are read once, here.
    """
    module_name = name or _detect_name(py_module, ("MetaData", "ConfigOptions", "CreateAccount"))

    def call(func: str, default: Any) -> Any:
        fn = _lookup(py_module, module_name, func)
        return default if fn is None else (fn() or default)

    metadata = dict(call("MetaData", {}))
    definitions = call("ConfigOptions", {})
    fields = whmcs_config_fields(definitions, positional=True)
    keys = tuple(key for key, _ in _definitions(definitions))
    buttons: dict[str, str] = {}
    for func in ("ClientAreaCustomButtonArray", "AdminCustomButtonArray"):
        buttons.update({str(fn): str(label) for label, fn in dict(call(func, {})).items()})
    attrs = {
        "__doc__": f"WHMCS-style module {module_name!r} ({py_module.__name__}).",
        "__module__": __name__,
        "legacy": py_module, "metadata": metadata, "name": module_name,
        "label": str(metadata.get("DisplayName") or module_name),
        "version": str(getattr(py_module, "__version__", "0")),
        "config_fields": fields, "option_keys": keys,
        "yesno_options": frozenset(i for i, f in enumerate(fields, 1) if f.type == "bool"),
        "requires_server": bool(metadata.get("RequiresServer", True)),
        "custom_actions": buttons,
        "allowed_functions": frozenset(str(f) for f in call("ClientAreaAllowedFunctions", [])),
    }
    return type(f"Whmcs_{module_name}", (WhmcsServerModule,), attrs)


# --- registrar modules -----------------------------------------------------------------------

CONTACT_TYPES = {"Registrant": "registrant", "Technical": "tech", "Billing": "billing",
                 "Admin": "admin"}
CONTACT_LABELS = {"First Name": "first_name", "Last Name": "last_name",
                  "Company Name": "company_name", "Email Address": "email",
                  "Address 1": "address1", "Address 2": "address2", "City": "city",
                  "State": "state", "Postcode": "postcode", "Country": "country",
                  "Phone Number": "phone", "Fax Number": "fax"}
_CONTACT_PARAMS = (("firstname", "first_name"), ("lastname", "last_name"),
                   ("companyname", "company_name"), ("email", "email"),
                   ("address1", "address1"), ("address2", "address2"), ("city", "city"),
                   ("state", "state"), ("fullstate", "state"), ("postcode", "postcode"),
                   ("countrycode", "country"), ("country", "country"),
                   ("phonenumber", "phone"), ("fullphonenumber", "phone"))


def registrar_params(ctx: DomainContext, registrar: str, **extra: Any) -> dict[str, Any]:
    """WHMCS registrar ``params`` (reference §4.2): settings by key, then the domain keys."""
    client = ctx.client
    fallback = {"first_name": client.first_name, "last_name": client.last_name,
                "company_name": client.company_name, "email": client.email,
                "address1": client.address1, "address2": client.address2, "city": client.city,
                "state": client.state, "postcode": client.postcode, "country": client.country,
                "phone": client.phone}
    owner = {**fallback, **ctx.contacts.get("registrant", {})}
    admin = {**owner, **ctx.contacts.get("admin", {})}
    params: dict[str, Any] = dict(ctx.config)
    params.update({
        "userid": client.id, "domainid": ctx.domain_id, "domain": ctx.name, "sld": ctx.sld,
        "tld": ctx.tld, "regperiod": ctx.years, "registrar": registrar,
        "dnsmanagement": ctx.dns_management, "emailforwarding": False,
        "idprotection": ctx.id_protection, "eppcode": ctx.epp_code,
        "additionalfields": dict(ctx.extra_fields),
    })
    for index in range(1, 6):
        params[f"ns{index}"] = ctx.nameservers[index - 1] if index <= len(ctx.nameservers) else ""
    for key, core in _CONTACT_PARAMS:
        params[key] = owner.get(core, "")
        params[f"admin{key}"] = admin.get(core, "")
    params["fullname"] = f"{params['firstname']} {params['lastname']}".strip()
    params.update(extra)
    return params


class WhmcsRegistrarModule(RegistrarModule):
    """Base of the classes :func:`whmcs_registrar_module` builds; not registered itself."""

    legacy: ClassVar[ModuleType]

    def _call(self, func: str, ctx: DomainContext, **extra: Any) -> tuple[ActionResult, Any]:
        """(result, raw value): failure on a missing function, an exception or ``error``."""
        fn = _lookup(self.legacy, self.name, func)
        if fn is None:
            return ActionResult.failure(NOT_SUPPORTED), None
        ok, value = _invoke(fn, f"{self.name}_{func}", registrar_params(ctx, self.name, **extra))
        if not ok:
            return value, None
        if isinstance(value, Mapping) and value.get("error"):
            return ActionResult.failure(str(value["error"]), raw=value), value
        return ActionResult(True, "", {}, value), value

    def register(self, ctx: DomainContext) -> ActionResult:
        """``RegisterDomain(params)``."""
        return self._call("RegisterDomain", ctx)[0]

    def transfer(self, ctx: DomainContext) -> ActionResult:
        """``TransferDomain(params)`` with ``params["eppcode"]``."""
        return self._call("TransferDomain", ctx)[0]

    def renew(self, ctx: DomainContext) -> ActionResult:
        """``RenewDomain(params)`` for ``regperiod`` years."""
        return self._call("RenewDomain", ctx)[0]

    def get_nameservers(self, ctx: DomainContext) -> ActionResult:
        """``GetNameservers(params)`` -> ``ns1..ns5`` -> ``data["nameservers"]``."""
        result, value = self._call("GetNameservers", ctx)
        if not result.ok:
            return result
        hosts = [str(value[f"ns{i}"]) for i in range(1, 6) if value and value.get(f"ns{i}")]
        return ActionResult.success(nameservers=hosts)

    def save_nameservers(self, ctx: DomainContext, nameservers: Sequence[str]) -> ActionResult:
        """``SaveNameservers(params)`` with ``ns1..ns5`` set to ``nameservers``."""
        hosts = list(nameservers)[:5]
        ns = {f"ns{i}": hosts[i - 1] if i <= len(hosts) else "" for i in range(1, 6)}
        return self._call("SaveNameservers", ctx, **ns)[0]

    def get_contacts(self, ctx: DomainContext) -> ActionResult:
        """``GetContactDetails(params)``: label-keyed contacts -> core roles and fields."""
        result, value = self._call("GetContactDetails", ctx)
        if not result.ok:
            return result
        contacts = {CONTACT_TYPES[kind]: {CONTACT_LABELS.get(k, k): str(v) for k, v in c.items()}
                    for kind, c in (value or {}).items() if kind in CONTACT_TYPES}
        return ActionResult.success(contacts=contacts)

    def save_contacts(self, ctx: DomainContext,
                      contacts: Mapping[str, Mapping[str, str]]) -> ActionResult:
        """``SaveContactDetails(params)`` with ``contactdetails`` in WHMCS's label structure."""
        labels = {v: k for k, v in CONTACT_LABELS.items()}
        roles = {v: k for k, v in CONTACT_TYPES.items()}
        details = {roles[role]: {labels.get(k, k): v for k, v in fields.items()}
                   for role, fields in contacts.items() if role in roles}
        return self._call("SaveContactDetails", ctx, contactdetails=details)[0]

    def get_epp_code(self, ctx: DomainContext) -> ActionResult:
        """``GetEPPCode(params)`` -> ``data["epp_code"]`` (or a note that it was emailed)."""
        result, value = self._call("GetEPPCode", ctx)
        if not result.ok:
            return result
        if isinstance(value, Mapping) and value.get("eppcode"):
            return ActionResult.success(epp_code=str(value["eppcode"]))
        return ActionResult.success("the registrar sent the EPP code to the registrant")

    def set_lock(self, ctx: DomainContext, locked: bool) -> ActionResult:
        """``SaveRegistrarLock(params)`` with ``lockenabled`` ``locked``/``unlocked``."""
        return self._call("SaveRegistrarLock", ctx,
                          lockenabled="locked" if locked else "unlocked")[0]

    def set_id_protection(self, ctx: DomainContext, enabled: bool) -> ActionResult:
        """``IDProtectToggle(params)`` with ``protectenable`` (bool)."""
        return self._call("IDProtectToggle", ctx, protectenable=enabled)[0]

    def sync(self, ctx: DomainContext) -> DomainState | None:
        """``Sync(params)`` -> active / cancelled / transferredAway / expirydate."""
        result, value = self._call("Sync", ctx)
        if not result.ok or not isinstance(value, Mapping):
            return None
        expiry = _ymd(value.get("expirydate"))
        if value.get("transferredAway"):
            return DomainState("transferred_away", expiry)
        if value.get("cancelled"):
            return DomainState("cancelled", expiry)
        if value.get("active"):
            return DomainState("active", expiry)
        if expiry is None:
            return None
        return DomainState("active" if expiry >= date.today() else "expired", expiry)

    def transfer_sync(self, ctx: DomainContext) -> DomainState | None:
        """``TransferSync(params)`` -> completed / failed (reason) / still pending."""
        result, value = self._call("TransferSync", ctx)
        if not result.ok or not isinstance(value, Mapping):
            return None
        expiry = _ymd(value.get("expirydate"))
        if value.get("completed"):
            return DomainState("active", expiry)
        if value.get("failed"):
            return DomainState("transfer_failed", expiry, message=str(value.get("reason", "")))
        return DomainState("pending_transfer", expiry)


def _ymd(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def whmcs_registrar_module(py_module: ModuleType, *, name: str | None = None
                           ) -> type[RegistrarModule]:
    """A :class:`hooks.RegistrarModule` subclass running the WHMCS-style ``py_module``.

    Settings come from ``getConfigArray()`` (``System`` entries skipped; the FriendlyName
    ``Value`` is the label when MetaData has no DisplayName).
    """
    module_name = name or _detect_name(py_module, ("getConfigArray", "RegisterDomain"))
    meta_fn = _lookup(py_module, module_name, "MetaData")
    config_fn = _lookup(py_module, module_name, "getConfigArray")
    metadata = dict(meta_fn() or {}) if meta_fn else {}
    definitions = dict(config_fn() or {}) if config_fn else {}
    system = definitions.get("FriendlyName", {})
    label = metadata.get("DisplayName") or (system.get("Value") if isinstance(system, Mapping)
                                            else None) or module_name
    attrs = {
        "__doc__": f"WHMCS-style registrar {module_name!r} ({py_module.__name__}).",
        "__module__": __name__,
        "legacy": py_module, "name": module_name, "label": str(label),
        "version": str(getattr(py_module, "__version__", "0")),
        "config_fields": whmcs_config_fields(definitions, positional=False),
    }
    return type(f"WhmcsRegistrar_{module_name}", (WhmcsRegistrarModule,), attrs)


# --- a ready-made plugin ---------------------------------------------------------------------

class WhmcsModulesPlugin:
    """A plugin object contributing wrapped WHMCS-style modules to the host."""

    def __init__(self, server: Iterable[type[ServerModule]] = (),
                 registrar: Iterable[type[RegistrarModule]] = ()) -> None:
        self.server = list(server)
        self.registrar = list(registrar)

    @hookimpl
    def register_server_modules(self) -> list[type[ServerModule]]:
        """The wrapped provisioning modules."""
        return list(self.server)

    @hookimpl
    def register_registrar_modules(self) -> list[type[RegistrarModule]]:
        """The wrapped registrar modules."""
        return list(self.registrar)


def make_plugin(settings: Mapping[str, Any]) -> WhmcsModulesPlugin:
    """Build the plugin from its settings (the host calls this for a plugin file that
    re-exports it): ``server_modules`` and ``registrar_modules`` list ``.py`` paths or dotted
    module names, or ``{"path": ..., "name": ...}`` tables to choose the module name."""
    return WhmcsModulesPlugin(
        [load_whmcs_module(*_entry(e, "path")) for e in settings.get("server_modules", ())],
        [load_whmcs_registrar(*_entry(e, "path")) for e in settings.get("registrar_modules", ())],
    )


def _entry(entry: Any, key: str) -> tuple[str, str | None]:
    """(source, name) of a settings entry: a string, or a table with ``key`` and ``name``."""
    if isinstance(entry, Mapping):
        return str(entry[key]), entry.get("name")
    return str(entry), None
