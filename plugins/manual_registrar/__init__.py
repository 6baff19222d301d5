"""The "manual" registrar: every change becomes a to-do item for staff.

For TLDs sold through a registrar nothing here can talk to (or that staff handle in the
registrar's own panel), each operation succeeds at once as "queued for staff" with
``data["todo"]``: a human-readable instruction the host turns into a staff to-do item.
Reads (nameservers, contacts) answer from what hostbridge already stored, without a to-do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hooks import ActionResult, DomainContext, DomainState, RegistrarModule, hookimpl

QUEUED = "queued for staff"


def _who(ctx: DomainContext) -> str:
    client = ctx.client
    name = " ".join(part for part in (client.first_name, client.last_name) if part)
    label = name or client.company_name
    email = f" <{client.email}>" if client.email else ""
    return f"client #{client.id}" + (f" ({label}{email})" if label or email else "")


def _ns(nameservers: Sequence[str]) -> str:
    return ", ".join(nameservers) if nameservers else "the registrar's defaults"


def _years(years: int) -> str:
    return f"{years} year" + ("" if years == 1 else "s")


def _contact_line(role: str, fields: Mapping[str, str]) -> str:
    name = " ".join(p for p in (fields.get("first_name", ""), fields.get("last_name", "")) if p)
    parts = [name, fields.get("company_name", ""), fields.get("email", ""),
             fields.get("country", "")]
    return f"{role}: " + (", ".join(p for p in parts if p) or "(no details)")


def _queued(todo: str) -> ActionResult:
    return ActionResult(True, QUEUED, {"todo": todo})


class ManualRegistrar(RegistrarModule):
    """A registrar module that performs nothing itself and asks staff to do it.

    Every write operation returns ``ok=True``, ``message="queued for staff"`` and
    ``data={"todo": text}``. It never returns an expiry date: staff set it when they have
    done the work. :meth:`sync` and :meth:`transfer_sync` cannot tell and return None.
    """

    name = "manual"
    label = "Manual (staff to-do)"
    version = "1"

    def register(self, ctx: DomainContext) -> ActionResult:
        """Queue "register the domain" with period, nameservers, privacy and registrant."""
        extras = []
        if ctx.id_protection:
            extras.append("with ID protection")
        if ctx.dns_management:
            extras.append("with DNS management")
        lines = [
            f"Register {ctx.name} for {_years(ctx.years)} for {_who(ctx)}"
            + (f" ({', '.join(extras)})" if extras else "") + ".",
            f"Nameservers: {_ns(ctx.nameservers)}.",
        ]
        lines += [_contact_line(role, fields) for role, fields in ctx.contacts.items()]
        lines += [f"{key}: {value}" for key, value in ctx.extra_fields.items()]
        lines.append("Then record the new expiry date on the domain.")
        return _queued("\n".join(lines))

    def transfer(self, ctx: DomainContext) -> ActionResult:
        """Queue "transfer the domain in"; the EPP code itself stays on the domain record."""
        code = ("the EPP code is on the domain record" if ctx.epp_code
                else "no EPP code was given: ask the client for it")
        return _queued(
            f"Transfer {ctx.name} in for {_who(ctx)} ({code}); nameservers: "
            f"{_ns(ctx.nameservers)}. When it completes, record the expiry date and mark the "
            "domain active."
        )

    def renew(self, ctx: DomainContext) -> ActionResult:
        """Queue "renew the domain" for ``ctx.years``."""
        return _queued(
            f"Renew {ctx.name} for {_years(ctx.years)} for {_who(ctx)}, then record the new "
            "expiry date."
        )

    def get_nameservers(self, ctx: DomainContext) -> ActionResult:
        """The nameservers hostbridge has on record (no registrar to ask, no to-do)."""
        return ActionResult.success("as recorded in hostbridge", nameservers=list(ctx.nameservers))

    def save_nameservers(self, ctx: DomainContext, nameservers: Sequence[str]) -> ActionResult:
        """Queue "change the nameservers" with the old and new lists."""
        return _queued(
            f"Change the nameservers of {ctx.name} ({_who(ctx)}) to {_ns(nameservers)} "
            f"(currently {_ns(ctx.nameservers)})."
        )

    def get_contacts(self, ctx: DomainContext) -> ActionResult:
        """The contacts hostbridge has on record (no registrar to ask, no to-do)."""
        contacts = {role: dict(fields) for role, fields in ctx.contacts.items()}
        return ActionResult.success("as recorded in hostbridge", contacts=contacts)

    def save_contacts(
        self, ctx: DomainContext, contacts: Mapping[str, Mapping[str, str]]
    ) -> ActionResult:
        """Queue "update the WHOIS contacts" listing each role's new details."""
        lines = [f"Update the contacts of {ctx.name} ({_who(ctx)}) at the registrar:"]
        lines += [_contact_line(role, fields) for role, fields in contacts.items()]
        return _queued("\n".join(lines))

    def get_epp_code(self, ctx: DomainContext) -> ActionResult:
        """Queue "send the client the EPP code" (the code is emailed by staff, not returned)."""
        return _queued(
            f"Get the EPP/transfer code of {ctx.name} from the registrar and send it to "
            f"{_who(ctx)}."
        )

    def set_lock(self, ctx: DomainContext, locked: bool) -> ActionResult:
        """Queue "lock" or "unlock" at the registrar."""
        action = "Lock" if locked else "Unlock"
        return _queued(f"{action} {ctx.name} ({_who(ctx)}) against transfers at the registrar.")

    def set_id_protection(self, ctx: DomainContext, enabled: bool) -> ActionResult:
        """Queue "turn WHOIS privacy on/off"."""
        state = "on" if enabled else "off"
        return _queued(f"Turn ID protection (WHOIS privacy) {state} for {ctx.name} ({_who(ctx)}).")

    def sync(self, ctx: DomainContext) -> DomainState | None:
        """Cannot tell: staff keep expiry and status up to date by hand."""
        return None

    def transfer_sync(self, ctx: DomainContext) -> DomainState | None:
        """Cannot tell: staff mark a transfer complete by hand."""
        return None


@hookimpl
def register_registrar_modules() -> list[type[RegistrarModule]]:
    """Contribute the "manual" registrar."""
    return [ManualRegistrar]


__version__ = "1.0.0"

__all__ = ["__version__", "QUEUED", "ManualRegistrar", "register_registrar_modules"]
