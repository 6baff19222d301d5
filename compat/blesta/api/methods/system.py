"""System settings (``settings``), companies (``companies``) and countries (``countries``).

Settings are the core's runtime settings under their core keys (``invoice.due_days``...), not
Blesta's; values are stored in plain text, so ``encrypted`` writes are refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bridge.countries import COUNTRIES
from bridge.models import Company, Setting
from bridge.services.settings import DEFAULTS, set_setting

from ..registry import MethodCall, invalid, method
from ._people import (
    company_ref,
    count_rows,
    flag,
    listed,
    order_pairs,
    page_of,
    page_rows,
    req_int,
    text,
)

SETTING_NOTES = "core setting keys, not Blesta's; encrypted values are refused; unsetSetting " \
                "is not supported; without a company row the company's settings are the " \
                "install-wide ones"
COMPANY_ORDER = {"id": Company.id, "name": Company.name, "hostname": Company.hostname}


def _stored(call: MethodCall, company_id: int | None) -> dict[str, str]:
    cond = Setting.company_id.is_(None) if company_id is None else Setting.company_id == company_id
    return {row.key: row.value for row in call.session.scalars(select(Setting).where(cond))}


def _system(call: MethodCall) -> dict[str, str]:
    return {**DEFAULTS, **_stored(call, None)}


def _system_row(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": value, "encrypted": 0, "comment": None, "inherit": 1}


def _plain(call: MethodCall) -> None:
    if flag(call.arg("encrypted"), False):
        raise invalid("encrypted", "supported",
                      "hostbridge keeps runtime settings in plain text; store secrets in the "
                      "configuration file instead")


def _pairs(call: MethodCall, name: str) -> dict[str, Any]:
    pairs = call.vars(name)
    keys = [text(k) for k in listed(call.args.get("value_keys"))]
    return {k: v for k, v in pairs.items() if not keys or k in keys}


@method("settings", "getSetting", status="partial", notes=SETTING_NOTES)
def get_setting(call: MethodCall) -> Any:
    """One system setting, or false."""
    key = text(call.arg("key"))
    values = _system(call)
    return _system_row(key, values[key]) if key in values else False


@method("settings", "getSettings", status="partial", notes=SETTING_NOTES)
def get_settings(call: MethodCall) -> Any:
    """Every system setting (stored ones over the built-in defaults), by key."""
    return [_system_row(k, v) for k, v in sorted(_system(call).items())]


@method("settings", "setSetting", status="partial", notes=SETTING_NOTES)
def set_setting_(call: MethodCall) -> Any:
    """Store one system setting."""
    _plain(call)
    key = text(call.arg("key"))
    if not key:
        raise invalid("key", "empty", "Please enter a setting key.")
    set_setting(call.session, key, text(call.arg("value")))
    return None


@method("settings", "setSettings", status="partial", notes=SETTING_NOTES)
def set_settings(call: MethodCall) -> Any:
    """Store several system settings (only ``value_keys`` when given)."""
    for key, value in _pairs(call, "settings").items():
        set_setting(call.session, str(key), text(value))
    return None


def company_row(company: Company) -> dict[str, Any]:
    """A ``companies`` row."""
    return {"id": company.id, "name": company.name, "hostname": company.hostname,
            "address": company.address or None, "phone": company.phone or None, "fax": None}


def _settings_scope(call: MethodCall) -> tuple[int, int | None]:
    """(the wire company id, the core settings scope): a single-company install without a
    company row keeps its company's settings install-wide."""
    wire = req_int(call, "company_id")
    return wire, company_ref(call, wire)


@method("companies", "get")
def get_company(call: MethodCall) -> Any:
    """One company, or false."""
    company = call.session.get(Company, req_int(call, "company_id"))
    return company_row(company) if company is not None else False


@method("companies", "getAll")
def get_all_companies(call: MethodCall) -> Any:
    """Every company, by id."""
    return [company_row(c) for c in call.session.scalars(select(Company).order_by(Company.id))]


@method("companies", "getList")
def get_company_list(call: MethodCall) -> Any:
    """One page (20) of companies."""
    order = order_pairs(call.arg("order_by"), COMPANY_ORDER, (Company.id.asc(),))
    rows = page_rows(call, select(Company).order_by(*order), page_of(call))
    return [company_row(c) for c in rows]


@method("companies", "getListCount")
def get_company_list_count(call: MethodCall) -> Any:
    """How many companies there are."""
    return count_rows(call, select(Company))


@method("companies", "getByHostname")
def get_by_hostname(call: MethodCall) -> Any:
    """The company serving ``hostname``, or false."""
    hostname = text(call.arg("hostname")).lower()
    company = call.session.scalar(select(Company).where(func.lower(Company.hostname) == hostname)
                                  .order_by(Company.id).limit(1))
    return company_row(company) if company is not None else False


def _company_row(company_id: int | None, key: str, value: str) -> dict[str, Any]:
    return {"key": key, "company_id": company_id, "value": value, "encrypted": 0, "inherit": 1}


@method("companies", "getSetting", status="partial", notes=SETTING_NOTES)
def get_company_setting(call: MethodCall) -> Any:
    """The company's own value of ``key``, or false."""
    wire, scope = _settings_scope(call)
    key = text(call.arg("key"))
    values = _stored(call, scope)
    return _company_row(wire, key, values[key]) if key in values else False


@method("companies", "getSettings", status="partial", notes=SETTING_NOTES)
def get_company_settings(call: MethodCall) -> Any:
    """The company's settings over the inherited system ones (own only with
    ``ignore_inheritence``)."""
    wire, scope = _settings_scope(call)
    rows = {k: _company_row(wire, k, v) for k, v in _stored(call, scope).items()}
    if not flag(call.arg("ignore_inheritence"), False):
        for key, value in _system(call).items():
            rows.setdefault(key, _company_row(None, key, value))
    return [rows[k] for k in sorted(rows)]


@method("companies", "setSetting", status="partial", notes=SETTING_NOTES)
def set_company_setting(call: MethodCall) -> Any:
    """Store one setting for the company."""
    _, scope = _settings_scope(call)
    _plain(call)
    key = text(call.arg("key"))
    if not key:
        raise invalid("key", "empty", "Please enter a setting key.")
    set_setting(call.session, key, text(call.arg("value")), scope)
    return None


@method("companies", "setSettings", status="partial", notes=SETTING_NOTES)
def set_company_settings(call: MethodCall) -> Any:
    """Store several settings for the company (only ``value_keys`` when given)."""
    _, scope = _settings_scope(call)
    for key, value in _pairs(call, "settings").items():
        set_setting(call.session, str(key), text(value), scope)
    return None


def _country(code: str) -> dict[str, Any]:
    return {"alpha2": code, "alpha3": None, "name": COUNTRIES[code][0], "alt_name": None}


COUNTRY_NOTES = "ISO 3166 alpha-2 codes and English names only (alpha3 and alt_name are null)"


@method("countries", "get", status="partial", notes=COUNTRY_NOTES)
def get_country(call: MethodCall) -> Any:
    """One country by its alpha-2 code, or false."""
    code = text(call.arg("code")).upper()
    return _country(code) if code in COUNTRIES else False


@method("countries", "getList", status="partial", notes=COUNTRY_NOTES)
def get_countries(call: MethodCall) -> Any:
    """Every country, sorted by ``sort_by`` (name or alpha2) in ``order``."""
    by_code = text(call.arg("sort_by", "name")) == "alpha2"
    rows = [_country(code) for code in COUNTRIES]
    rows.sort(key=lambda r: r["alpha2"] if by_code else r["name"].lower(),
              reverse=text(call.arg("order", "asc")).lower() == "desc")
    return rows
