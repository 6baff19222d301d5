"""Helpers shared by the Orders, Products, Service, Addons and Module actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn, TypeVar

from sqlalchemy import select

from bridge.models import ModuleSetting, Product, Service
from bridge.services.modules import enabled_gateways

from ..format import CYCLE_IN
from ..params import as_list, decode_serialized_b64
from ..registry import ApiError, ApiRequest

M = TypeVar("M")
MAX_ID = 2**63 - 1  # the largest id a database integer column holds
PRODUCT_TYPE_OUT = {"hosting": "hostingaccount", "reseller": "reselleraccount",
                    "server": "server", "other": "other", "domain": "other"}
PRODUCT_TYPE_IN = {"hostingaccount": "hosting", "reselleraccount": "reseller",
                   "server": "server", "other": "other"}


def number(req: ApiRequest, name: str, message: str | None = None) -> int | None:
    """An integer parameter that fits a database column (ApiError when it does not)."""
    value = req.integer(name, message=message)
    if value is not None and abs(value) > MAX_ID:
        raise ApiError(message or f"{name} is out of range")
    return value


def record(req: ApiRequest, model: type[M], raw: Any) -> M | None:
    """The ``model`` row whose id is the text ``raw`` (None for no number or no row)."""
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or int(text) > MAX_ID:
        return None
    return req.session.get(model, int(text))


def commit_then_fail(req: ApiRequest, message: str) -> NoReturn:
    """Answer ``result=error`` with a module's ``message`` while keeping what the core
    recorded about the failure (the error on the service, the activity log, the retry queue):
    WHMCS reports a refused module call as an error, yet the refusal itself is a fact."""
    req.session.commit()
    raise ApiError(message)


def check_payment_method(req: ApiRequest, name: str) -> None:
    """WHMCS's error unless ``name`` is an enabled gateway."""
    names = [g.module for g in enabled_gateways(req.session)]
    if name not in names:
        raise ApiError("Invalid Payment Method. Valid options include " + ",".join(names))


def gateway_names(req: ApiRequest) -> dict[str, str]:
    """Gateway system name -> display name (every configured gateway, one query)."""
    rows = req.session.scalars(select(ModuleSetting).where(ModuleSetting.kind == "gateway"))
    return {row.module: row.display_name or row.module for row in rows}


def serialized(value: Any, field: str) -> dict[str, Any]:
    """A base64 serialized array (or a bracket array) as a dict; ApiError when unreadable."""
    try:
        return decode_serialized_b64(value, field)
    except ValueError as exc:
        raise ApiError(str(exc)) from exc


def config_choices(raw: Mapping[str, Any]) -> dict[int, int | tuple[int, int]]:
    """``{configid: optionid | qty | {"optionid": .., "qty": ..}}`` -> core option choices."""
    choices: dict[int, int | tuple[int, int]] = {}
    for key, value in raw.items():
        try:
            if isinstance(value, Mapping):
                choices[int(key)] = (int(value.get("optionid") or 0), int(value.get("qty") or 0))
            else:
                choices[int(key)] = int(str(value or 0))
        except ValueError:
            raise ApiError(f"configoptions: option {key} needs a numeric choice") from None
        numbers = choices[int(key)]
        if any(abs(n) > MAX_ID for n in (numbers if isinstance(numbers, tuple) else (numbers,))):
            raise ApiError(f"configoptions: the choice for option {key} is out of range")
    return choices


def indexed(value: Any) -> dict[int, Any]:
    """A PHP array parameter keyed by line index (``pid[0]``, ``pid[]``) or a scalar (line 0)."""
    if isinstance(value, Mapping):
        if all(str(k).isdigit() for k in value):
            return {int(k): v for k, v in value.items()}
        return dict(enumerate(as_list(value)))
    if isinstance(value, list):
        return dict(enumerate(value))
    return {} if value is None or value == "" else {0: value}


def cycle_code(word: str) -> str:
    """A WHMCS cycle word (``monthly``, ``Semi-Annually``, ``One-Time``) -> core code."""
    key = word.strip().lower()
    return CYCLE_IN.get(key, CYCLE_IN.get(key.replace("-", " "), word.strip()))


def module_service(req: ApiRequest) -> tuple[Service, Product]:
    """The service named by ``serviceid`` (alias ``accountid``) that has a module."""
    raw = req.text("serviceid") or req.text("accountid")
    if not raw:
        raise ApiError("Service ID is required")
    service = record(req, Service, raw)
    if service is None:
        raise ApiError("Service ID not found")
    product = req.session.get(Product, service.product_id)
    if product is None or not product.module:
        raise ApiError("Service not assigned to a module")
    return service, product
