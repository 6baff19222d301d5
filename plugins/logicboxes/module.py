"""The "logicboxes" registrar module (LogicBoxes, ResellerClub and their white labels).

Orders are placed under a LogicBoxes *customer* with four contact ids. The customer is the
``customer_id`` setting, or else the customer whose username is the client's email
(``customers/details.json``); contact ids are the ``*_contact_id`` settings, or else the
customer's default contacts (``contacts/default.json``). Operations on an existing domain
look its order up by name (``domains/details-by-name.json``) first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bridge.errors import ModuleError
from hooks import (
    ActionResult,
    Availability,
    ConfigField,
    DomainContext,
    DomainState,
    RegistrarModule,
)

from .client import LogicBoxesApi, Params, Refused
from .state import domain_state, expiry_of, nameservers_of, order_id, transfer_state

log = logging.getLogger(__name__)

ROLES = (("registrant", "reg"), ("admin", "admin"), ("tech", "tech"), ("billing", "billing"))
AVAILABILITY = {"available": "available", "regthroughus": "registered",
                "regthroughothers": "registered"}
ID_PATTERN = r"-?\d+"


def _contact_field(role: str) -> ConfigField:
    return ConfigField(f"{role}_contact_id", f"{role.title()} contact id", pattern=ID_PATTERN,
                       description="Empty: the customer's default contact (contacts/default).")


class LogicBoxesModule(RegistrarModule):
    """Registers, transfers and manages domains through the LogicBoxes HTTP API.

    Install settings (``[plugins.logicboxes]``): ``timeout`` in seconds (default 30).
    """

    name = "logicboxes"
    label = "LogicBoxes / ResellerClub"
    version = "1"
    config_fields = (
        ConfigField("reseller_id", "Reseller ID", required=True, pattern=r"\d+",
                    description="The auth-userid: Settings > Personal Information."),
        ConfigField("api_key", "API key", type="password", required=True, secret=True),
        ConfigField("test_mode", "Test mode", type="bool", default="0",
                    description="Use the demo API at https://test.httpapi.com."),
        ConfigField("api_url", "API URL override", pattern=r"https?://\S+",
                    description="API root such as https://httpapi.com/api (wins over test mode)."),
        ConfigField("customer_id", "Customer id", pattern=r"\d+",
                    description="Order every domain under this customer. Empty: the customer "
                                "whose username is the client's email address."),
        *(_contact_field(role) for role, _ in ROLES),
        ConfigField("default_nameservers", "Default nameservers",
                    description="Comma-separated; used when an order has no nameservers."),
        ConfigField("invoice_option", "Invoice option", type="select", default="NoInvoice",
                    options=("NoInvoice", "PayInvoice", "KeepInvoice", "OnlyAdd")),
    )

    # -- plumbing ---------------------------------------------------------------------------

    def _api(self, config: Mapping[str, str]) -> LogicBoxesApi:
        return LogicBoxesApi(config, timeout=float(self.settings.get("timeout", 30)))

    @staticmethod
    def _details(api: LogicBoxesApi, domain: str, *options: str,
                 need_order: bool = True) -> Mapping[str, Any]:
        answer = api.get("domains/details-by-name",
                         {"domain-name": domain, "options": list(options)})
        if not isinstance(answer, Mapping) or (need_order and not order_id(answer)):
            raise Refused(f"LogicBoxes returned no order for {domain}", answer)
        return answer

    @staticmethod
    def _invoice_option(config: Mapping[str, str]) -> str:
        return config.get("invoice_option") or "NoInvoice"

    @staticmethod
    def _nameservers(ctx: DomainContext) -> list[str]:
        if ctx.nameservers:
            return list(ctx.nameservers)
        raw = ctx.config.get("default_nameservers", "")
        return [ns.strip() for ns in raw.split(",") if ns.strip()]

    def _customer_id(self, api: LogicBoxesApi, ctx: DomainContext) -> str:
        configured = ctx.config.get("customer_id", "").strip()
        if configured:
            return configured
        email = ctx.client.email.strip()
        if not email:
            raise Refused("no customer_id is configured and the client has no email address "
                          "to find the LogicBoxes customer by")
        try:
            answer = api.get("customers/details", {"username": email})
        except Refused as refused:
            raise Refused(f"no LogicBoxes customer with username {email} ({refused.message}); "
                          "create the customer at LogicBoxes or set customer_id",
                          refused.raw) from None
        customer = str(answer.get("customerid", "")) if isinstance(answer, Mapping) else ""
        if not customer:
            raise Refused(f"LogicBoxes returned no customer id for {email}", answer)
        return customer

    def _contact_ids(self, api: LogicBoxesApi, config: Mapping[str, str],
                     customer: str) -> dict[str, str]:
        ids = {role: config.get(f"{role}_contact_id", "").strip() for role, _ in ROLES}
        if all(ids.values()):
            return ids
        answer = api.post("contacts/default", {"customer-id": customer, "type": "Contact"})
        defaults = answer.get("Contact", {}) if isinstance(answer, Mapping) else {}
        for role, _ in ROLES:
            ids[role] = ids[role] or str(defaults.get(role, "") or "")
        missing = [role for role, value in ids.items() if not value]
        if missing:
            raise Refused(f"customer {customer} has no default {', '.join(missing)} contact; "
                          "set the *_contact_id settings", answer)
        return ids

    def _order_params(self, api: LogicBoxesApi, ctx: DomainContext) -> dict[str, Any]:
        customer = self._customer_id(api, ctx)
        contacts = self._contact_ids(api, ctx.config, customer)
        params: dict[str, Any] = {"domain-name": ctx.name, "customer-id": customer}
        for role, prefix in ROLES:
            params[f"{prefix}-contact-id"] = contacts[role]
        params["invoice-option"] = self._invoice_option(ctx.config)
        return params

    @staticmethod
    def _done(answer: Any, default: str, **data: Any) -> ActionResult:
        message = default
        if isinstance(answer, Mapping) and answer.get("actionstatusdesc"):
            message = str(answer["actionstatusdesc"])
        return ActionResult(True, message, {k: v for k, v in data.items() if v is not None},
                            answer)

    def _order_action(self, ctx: DomainContext, path: str, params: Params,
                      done: str) -> ActionResult:
        """Look the order up by name, then POST ``path`` with its order id."""
        api = self._api(ctx.config)
        try:
            oid = order_id(self._details(api, ctx.name, "OrderDetails"))
            answer = api.post(path, {"order-id": oid, **params})
        except Refused as refused:
            return ActionResult.failure(refused.message, refused.raw)
        return self._done(answer, done)

    # -- the contract -----------------------------------------------------------------------

    def check_availability(self, names: Sequence[str],
                           config: Mapping[str, str]) -> list[Availability]:
        """One ``domains/available.json`` call per label with all its TLDs.

        available -> available; regthroughus / regthroughothers -> registered; unknown (the
        registry could not be asked) and TLDs missing from the answer -> unsupported.
        A refusal of the whole check (bad credentials, IP not allowed) raises ModuleError.
        """
        api = self._api(config)
        groups: dict[str, list[str]] = {}
        for name in names:
            sld, _, tld = name.strip().lower().rstrip(".").partition(".")
            if sld and tld:
                groups.setdefault(sld, []).append(tld)
        answers: dict[str, Any] = {}
        for sld, tlds in groups.items():
            try:
                answer = api.get("domains/available", {"domain-name": sld, "tlds": tlds})
            except Refused as refused:
                raise ModuleError(f"LogicBoxes refused the availability check: "
                                  f"{refused.message}") from None
            if isinstance(answer, Mapping):
                answers.update({str(k).lower(): v for k, v in answer.items()})
        results = []
        for name in names:
            entry = answers.get(name.strip().lower().rstrip("."))
            status = str(entry.get("status", "")).lower() if isinstance(entry, Mapping) else ""
            results.append(Availability(name, AVAILABILITY.get(status, "unsupported")))
        return results

    def register(self, ctx: DomainContext) -> ActionResult:
        """``domains/register.json``; ``data`` has ``order_id`` and, once the order is
        active, ``expiry_date`` from the order's ``endtime``."""
        nameservers = self._nameservers(ctx)
        if not nameservers:
            return ActionResult.failure(f"cannot register {ctx.name}: no nameservers given and "
                                        "no default_nameservers configured")
        api = self._api(ctx.config)
        try:
            params = self._order_params(api, ctx)
            params.update({"years": ctx.years, "ns": nameservers})
            if ctx.id_protection:
                params.update({"purchase-privacy": True, "protect-privacy": True})
            answer = api.post("domains/register", params)
        except Refused as refused:
            return ActionResult.failure(refused.message, refused.raw)
        oid = str(answer.get("entityid", "")) if isinstance(answer, Mapping) else ""
        return self._done(answer, f"{ctx.name} registered", order_id=oid or None,
                          expiry_date=self._active_expiry(api, ctx.name))

    def _active_expiry(self, api: LogicBoxesApi, domain: str) -> Any:
        try:
            details = self._details(api, domain, "OrderDetails")
        except Refused as refused:  # registered but not readable yet: expiry comes with sync
            log.info("logicboxes: no details for %s after the order: %s", domain, refused.message)
            return None
        active = str(details.get("currentstatus", "")).lower() == "active"
        return expiry_of(details) if active else None

    def transfer(self, ctx: DomainContext) -> ActionResult:
        """``domains/transfer.json`` with the EPP code as ``auth-code``; ``data["order_id"]``."""
        api = self._api(ctx.config)
        try:
            params = self._order_params(api, ctx)
            if ctx.epp_code:
                params["auth-code"] = ctx.epp_code
            nameservers = self._nameservers(ctx)
            if nameservers:
                params["ns"] = nameservers
            params["protect-privacy"] = ctx.id_protection
            answer = api.post("domains/transfer", params)
        except Refused as refused:
            return ActionResult.failure(refused.message, refused.raw)
        oid = str(answer.get("entityid", "")) if isinstance(answer, Mapping) else ""
        return self._done(answer, f"transfer of {ctx.name} requested", order_id=oid or None)

    def renew(self, ctx: DomainContext) -> ActionResult:
        """``domains/renew.json`` with the order's id and current ``endtime`` as ``exp-date``
        (LogicBoxes refuses a renewal whose exp-date is not the current expiry)."""
        api = self._api(ctx.config)
        try:
            details = self._details(api, ctx.name, "OrderDetails")
            current = details.get("endtime")
            if not current:
                return ActionResult.failure(f"LogicBoxes reports no expiry for {ctx.name}; "
                                            "cannot renew", details)
            answer = api.post("domains/renew", {
                "order-id": order_id(details), "years": ctx.years, "exp-date": str(current),
                "invoice-option": self._invoice_option(ctx.config), "auto-renew": False,
            })
        except Refused as refused:
            return ActionResult.failure(refused.message, refused.raw)
        return self._done(answer, f"{ctx.name} renewed",
                          expiry_date=self._active_expiry(api, ctx.name))

    def get_nameservers(self, ctx: DomainContext) -> ActionResult:
        """``details-by-name`` with ``options=NsDetails``: ``data["nameservers"]``."""
        try:
            details = self._details(self._api(ctx.config), ctx.name, "NsDetails",
                                    need_order=False)
        except Refused as refused:
            return ActionResult.failure(refused.message, refused.raw)
        return ActionResult.success(nameservers=list(nameservers_of(details)))

    def save_nameservers(self, ctx: DomainContext, nameservers: Sequence[str]) -> ActionResult:
        """``domains/modify-ns.json``."""
        cleaned = [ns.strip() for ns in nameservers if ns.strip()]
        if not cleaned:
            return ActionResult.failure("give at least one nameserver")
        return self._order_action(ctx, "domains/modify-ns", {"ns": cleaned},
                                  "nameservers updated")

    def set_lock(self, ctx: DomainContext, locked: bool) -> ActionResult:
        """``domains/enable-theft-protection.json`` / ``disable-theft-protection.json``."""
        action = "enable" if locked else "disable"
        return self._order_action(ctx, f"domains/{action}-theft-protection", {},
                                  "locked" if locked else "unlocked")

    def set_id_protection(self, ctx: DomainContext, enabled: bool) -> ActionResult:
        """``domains/modify-privacy-protection.json`` (``protect-privacy`` with a reason)."""
        return self._order_action(
            ctx, "domains/modify-privacy-protection",
            {"protect-privacy": enabled, "reason": "requested through hostbridge"},
            "privacy protection " + ("enabled" if enabled else "disabled"),
        )

    def get_epp_code(self, ctx: DomainContext) -> ActionResult:
        """``details-by-name`` with ``options=OrderDetails``: ``domsecret`` as ``epp_code``.

        The answer is not attached as ``raw``: it holds the code, which must not reach logs.
        """
        try:
            details = self._details(self._api(ctx.config), ctx.name, "OrderDetails")
        except Refused as refused:
            return ActionResult.failure(refused.message, refused.raw)
        code = str(details.get("domsecret") or "")
        if not code:
            return ActionResult.failure(f"LogicBoxes returned no transfer code for {ctx.name}")
        return ActionResult.success(epp_code=code)

    def sync(self, ctx: DomainContext) -> DomainState | None:
        """Status, expiry (``endtime``), nameservers and lock from ``details-by-name``."""
        details = self._sync_details(ctx)
        return domain_state(details) if details is not None else None

    def transfer_sync(self, ctx: DomainContext) -> DomainState | None:
        """Progress of a transfer order: InActive pending, Active done, Deleted failed."""
        details = self._sync_details(ctx)
        return transfer_state(details) if details is not None else None

    def _sync_details(self, ctx: DomainContext) -> Mapping[str, Any] | None:
        try:
            return self._details(self._api(ctx.config), ctx.name, "OrderDetails", "NsDetails")
        except Refused as refused:
            log.warning("logicboxes: cannot sync %s: %s", ctx.name, refused.message)
            return None
