"""System group: configuration values, password encryption, activity and automation logs,
currencies, payment methods, version details, IP bans: GetConfigurationValue,
SetConfigurationValue, EncryptPassword, DecryptPassword, GetActivityLog, LogActivity,
GetAutomationLog, GetCurrencies, GetPaymentMethods, WhmcsDetails, AddBannedIp."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from bridge.db import utcnow
from bridge.errors import ValidationFailed
from bridge.models import ActivityLog, Admin, Client, Currency
from bridge.security.secrets import SecretError
from bridge.services.blocklists import ban_ip
from bridge.services.common import log_activity, secret_box
from bridge.services.modules import enabled_gateways
from bridge.services.settings import get_setting, set_setting

from ..format import ymd_his
from ..registry import ApiError, ApiRequest, action
from ..render import API_VERSION

CANONICAL_VERSION = f"{API_VERSION}-release.1"
SETTING_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
ON_OFF = ({"1": "on", "0": ""}, {"on": "1", "1": "1", "true": "1", "yes": "1"})
TAX_TYPE = ({"1": "Inclusive", "0": "Exclusive"}, {"inclusive": "1", "exclusive": "0"})
# WHMCS tblconfiguration name -> (core setting, core->WHMCS value map, WHMCS->core value map)
MAPPED_SETTINGS: dict[str, tuple[str, dict[str, str] | None, dict[str, str] | None]] = {
    "TicketMask": ("ticket.mask", None, None),
    "SequentialInvoiceNumbering": ("invoice.sequential", *ON_OFF),
    "SequentialInvoiceNumberFormat": ("invoice.number_format", None, None),
    "SequentialInvoiceNumberValue": ("invoice.next_number", None, None),
    "TaxEnabled": ("tax.enabled", *ON_OFF),
    "TaxType": ("tax.inclusive", *TAX_TYPE),
    "TaxL2Compound": ("tax.level2_compound", *ON_OFF),
}
READ_ONLY = {"Version": CANONICAL_VERSION}
MAX_BAN_DAYS = 36500
DATE_FORMATS = {"DD/MM/YYYY": "%d/%m/%Y", "DD.MM.YYYY": "%d.%m.%Y", "DD-MM-YYYY": "%d-%m-%Y",
                "MM/DD/YYYY": "%m/%d/%Y", "YYYY/MM/DD": "%Y/%m/%d", "YYYY-MM-DD": "%Y-%m-%d"}


def _setting_name(req: ApiRequest) -> str:
    name = req.require("setting", "Parameter setting is required")
    if not SETTING_NAME.match(name):
        raise ApiError("Invalid name for parameter setting")
    return name


def whmcs_setting(req: ApiRequest, name: str) -> str:
    """A WHMCS configuration value: mapped onto a core setting, else stored verbatim."""
    if name in READ_ONLY:
        return READ_ONLY[name]
    if name in MAPPED_SETTINGS:
        key, out_map, _ = MAPPED_SETTINGS[name]
        value = get_setting(req.session, key)
        return out_map.get(value, value) if out_map else value
    return get_setting(req.session, name)


@action("GetConfigurationValue",
        notes="TicketMask, SequentialInvoiceNumbering/Format/Value, TaxEnabled, TaxType and "
              "TaxL2Compound map onto core settings; other names are stored as given")
def get_configuration_value(req: ApiRequest) -> dict[str, Any]:
    """The value of one WHMCS configuration setting."""
    name = _setting_name(req)
    return {"setting": name, "value": whmcs_setting(req, name)}


@action("SetConfigurationValue")
def set_configuration_value(req: ApiRequest) -> dict[str, Any]:
    """Change one WHMCS configuration setting (blank value unsets it)."""
    name = _setting_name(req)
    if not req.has("value"):
        raise ApiError("Parameter value is required")
    if name in READ_ONLY:
        raise ApiError("Invalid name for parameter setting")
    value = req.text("value")
    before = whmcs_setting(req, name)
    if name in MAPPED_SETTINGS:
        key, _, in_map = MAPPED_SETTINGS[name]
        set_setting(req.session, key, in_map.get(value.lower(), "0") if in_map else value)
    else:
        set_setting(req.session, name, value)
    return {"value_changed": "true" if whmcs_setting(req, name) != before else "false"}


@action("EncryptPassword", notes="encrypted with the install key (AES-GCM), not WHMCS's "
                                 "cc_encryption_hash cipher")
def encrypt_password(req: ApiRequest) -> dict[str, Any]:
    """Encrypt a string reversibly with the install key."""
    plain = str(req.params.get("password2") or "")
    if not plain:
        raise ApiError("password2 is required")
    return {"password": secret_box(req.session).encrypt(plain)}


@action("DecryptPassword")
def decrypt_password(req: ApiRequest) -> dict[str, Any]:
    """Decrypt a string made by EncryptPassword (or stored by hostbridge)."""
    token = req.require("password2", "password2 is required")
    try:
        return {"password": secret_box(req.session).decrypt(token)}
    except SecretError as exc:
        raise ApiError("Unable to decrypt: the value was not encrypted with this "
                       "installation's key") from exc


def _log_date(req: ApiRequest) -> date | None:
    text = req.text("date")
    if not text:
        return None
    fmt = DATE_FORMATS.get(get_setting(req.session, "DateFormat") or "DD/MM/YYYY", "%d/%m/%Y")
    for candidate in (fmt, "%Y-%m-%d"):
        try:
            return datetime.strptime(text, candidate).date()
        except ValueError:
            continue
    raise ApiError("Invalid date: use the DateFormat setting's format (default DD/MM/YYYY)")


@action("GetActivityLog")
def get_activity_log(req: ApiRequest) -> dict[str, Any]:
    """Page through the activity log, newest first (``date`` in the DateFormat setting)."""
    start, num = req.page()
    query = select(ActivityLog)
    client_id = req.integer("clientid")
    if client_id is not None:
        query = query.where(ActivityLog.client_id == client_id)
    day = _log_date(req)
    if day is not None:
        begin = datetime.combine(day, time.min, tzinfo=UTC)
        query = query.where(ActivityLog.created_at >= begin,
                            ActivityLog.created_at < begin + timedelta(days=1))
    if req.text("user"):
        user = req.text("user")
        clients = select(Client.id).where(func.lower(Client.email) == user.lower())
        query = query.where(or_(func.lower(ActivityLog.actor_name) == user.lower(),
                                ActivityLog.client_id.in_(clients)))
    if req.text("description"):
        query = query.where(ActivityLog.description.like(f"%{req.text('description')}%"))
    if req.text("ipaddress"):
        query = query.where(ActivityLog.ip_address == req.text("ipaddress"))
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = req.session.scalars(query.order_by(ActivityLog.id.desc()).offset(start).limit(num))
    entries = [{"id": e.id, "clientId": e.client_id or 0,
                "userId": (e.actor_id or 0) if e.actor_type in ("user", "client") else 0,
                "adminId": (e.actor_id or 0) if e.actor_type == "admin" else 0,
                "date": ymd_his(e.created_at), "description": e.description,
                "username": e.actor_name or e.source, "ipaddress": e.ip_address,
                "userid": e.client_id or 0} for e in rows]
    return {"totalresults": int(total), "startnumber": start, "activity": {"entry": entries}}


@action("LogActivity")
def log_activity_action(req: ApiRequest) -> dict[str, Any]:
    """Write a free-text activity log entry (optionally about a client)."""
    description = req.require("description", "description is required")
    client_id = req.integer("clientid")
    if client_id is not None and req.session.get(Client, client_id) is None:
        raise ApiError("Client ID Not Found")
    log_activity(req.session, "api.logged", description, client_id=client_id or None)
    return {}


def _bound(req: ApiRequest, name: str, default: date, end: bool) -> datetime:
    value = req.date_value(name) or default
    return datetime.combine(value, time.max if end else time.min, tzinfo=UTC)


@action("GetAutomationLog", status="partial",
        notes="counts activity-log entries written by automation (source cron) per day and "
              "namespace; WHMCS's task-level success/failure statistics are not kept")
def get_automation_log(req: ApiRequest) -> dict[str, Any]:
    """What automation did between two dates, counted per day and namespace."""
    today = utcnow().date()
    begin, end = _bound(req, "startdate", today, False), _bound(req, "enddate", today, True)
    query = select(ActivityLog.created_at, ActivityLog.action).where(
        ActivityLog.source == "cron", ActivityLog.created_at >= begin,
        ActivityLog.created_at <= end)
    namespace = req.text("namespace")
    if namespace:
        query = query.where(ActivityLog.action.like(f"{namespace}%"))
    stats: dict[str, Counter[str]] = {}
    for when, act in req.session.execute(query.order_by(ActivityLog.id)):
        stats.setdefault(when.date().isoformat(), Counter())[act.split(".")[0]] += 1
    last = req.session.scalar(select(func.max(ActivityLog.created_at))
                              .where(ActivityLog.source == "cron"))
    return {"currentDatetime": ymd_his(utcnow()), "lastDailyCronInvocationTime": ymd_his(last),
            "startdate": ymd_his(begin), "enddate": ymd_his(end.replace(microsecond=0)),
            "statistics": {day: dict(counts) for day, counts in stats.items()}}


@action("GetCurrencies")
def get_currencies(req: ApiRequest) -> dict[str, Any]:
    """Every currency with its format and exchange rate."""
    rows = [{"id": c.id, "code": c.code, "prefix": c.prefix, "suffix": c.suffix,
             "format": str(c.format), "rate": f"{c.rate:.5f}"}
            for c in req.session.scalars(select(Currency).order_by(Currency.id))]
    return {"totalresults": len(rows), "currencies": {"currency": rows}}


@action("GetPaymentMethods")
def get_payment_methods(req: ApiRequest) -> dict[str, Any]:
    """The enabled payment gateways (module name and display name)."""
    rows = [{"module": g.module, "displayname": g.display_name or g.module}
            for g in enabled_gateways(req.session)]
    return {"totalresults": len(rows), "paymentmethods": {"paymentmethod": rows}}


@action("WhmcsDetails")
def whmcs_details(req: ApiRequest) -> dict[str, Any]:
    """The WHMCS version this door speaks."""
    return {"whmcs": {"version": API_VERSION, "canonicalversion": CANONICAL_VERSION}}


@action("AddBannedIp",
        notes="both API doors refuse the banned address from its next call")
def add_banned_ip(req: ApiRequest) -> dict[str, Any]:
    """Ban an IP for ``days`` (or until ``expires``)."""
    ip = req.require("ip", "ip is required")
    reason = req.require("reason", "reason is required")
    expires: datetime | None = None
    if req.text("expires"):
        try:
            expires = datetime.strptime(req.text("expires"), "%Y-%m-%d %H:%M:%S").replace(
                tzinfo=UTC)
        except ValueError:
            raise ApiError("expires must be YYYY-MM-DD HH:MM:SS") from None
    else:
        days = req.integer("days")
        if days is None:
            raise ApiError("days is required")
        if not 0 <= days <= MAX_BAN_DAYS:
            raise ApiError(f"days must be 0 (permanent) to {MAX_BAN_DAYS}")
        expires = utcnow() + timedelta(days=days) if days > 0 else None
    try:
        ban = ban_ip(req.session, ip, reason, expires_at=expires)
    except ValidationFailed as exc:
        raise ApiError(exc.message) from exc
    return {"banid": str(ban.id)}


def caller_admin(req: ApiRequest) -> Admin:
    """The admin behind the credential making the call; ApiError when there is none."""
    admin = req.session.get(Admin, req.admin_id) if req.admin_id is not None else None
    if admin is None:
        raise ApiError("No admin user is linked to this API credential")
    return admin
