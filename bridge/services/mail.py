"""Email: templates, merging ``{$variable}`` fields, and queueing messages in the outbox.

Nothing here talks to a mail server: a queued :class:`OutboxMessage` holds the merged
subject and body and automation sends it. Merging is deliberately small (``{$name}``
replaced by the variable's text, unknown names left as written) - Smarty logic in imported
WHMCS templates is not evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import Admin, Client, Domain, Invoice, Service, Ticket
from bridge.models.mail import EmailTemplate, OutboxMessage

from .common import log_activity
from .settings import get_setting

KINDS = ("general", "product", "domain", "invoice", "support", "affiliate", "admin")
ADMIN_KINDS = ("system", "account", "support")
_FIELD = re.compile(r"\{\$([A-Za-z_][A-Za-z0-9_]*)\}")


def merge(text: str, variables: Mapping[str, Any]) -> str:
    """``text`` with every ``{$name}`` replaced by ``variables[name]`` (others kept)."""
    return _FIELD.sub(lambda m: str(variables[m.group(1)]) if m.group(1) in variables
                      else m.group(0), text)


def add_email_template(session: Session, kind: str, name: str, subject: str, body: str, *,
                       language: str = "", custom: bool = True, disabled: bool = False,
                       plain_text: bool = False) -> EmailTemplate:
    """Add a template of ``kind`` (see ``KINDS``). Raises ValidationFailed (kind, empty
    name), Conflict when ``name`` exists in ``language`` already."""
    if kind not in KINDS:
        raise ValidationFailed.single("kind", "one_of", "kind must be one of " + ", ".join(KINDS))
    if not name.strip():
        raise ValidationFailed.single("name", "required", "the template needs a name")
    taken = session.scalar(select(EmailTemplate.id).where(EmailTemplate.name == name.strip(),
                                                          EmailTemplate.language == language))
    if taken is not None:
        raise Conflict(f"email template {name!r} ({language or 'default'}) exists as #{taken}")
    template = EmailTemplate(kind=kind, name=name.strip(), subject=subject, body=body,
                             language=language, custom=custom, disabled=disabled,
                             plain_text=plain_text)
    session.add(template)
    session.flush()
    log_activity(session, "email_template.added", f"Email template {template.name} added",
                 subject=("email_template", template.id))
    return template


def find_template(session: Session, name: str, language: str = "") -> EmailTemplate:
    """The template ``name`` in ``language``, else its default-language version.

    Raises NotFound when neither exists.
    """
    rows = session.scalars(select(EmailTemplate).where(
        EmailTemplate.name == name.strip(), EmailTemplate.language.in_({language, ""})))
    found = sorted(rows, key=lambda t: t.language != language)
    if not found:
        raise NotFound("Email template", name, field="name")
    return found[0]


def _recipient(session: Session, kind: str, related_id: int | None
               ) -> tuple[Client | None, list[str], dict[str, Any]]:
    """(client, addresses, merge variables) for a related record of ``kind``."""
    if related_id is None:
        raise ValidationFailed.single("related_id", "required", "a related id is required")
    related: dict[str, Any] = {}
    client: Client | None
    if kind == "general":
        client = session.get(Client, related_id)
    elif kind in ("product", "domain", "invoice", "support"):
        record = _related_record(session, kind, related_id)
        if record is None:
            raise NotFound(kind, related_id)
        client = session.get(Client, record.client_id) if record.client_id else None
        related = _related_variables(kind, record)
        if client is None and isinstance(record, Ticket):
            return None, [record.email] if record.email else [], related
    else:
        raise ValidationFailed.single("kind", "one_of", f"cannot send {kind} mail to a client")
    if client is None:
        raise NotFound("Client", related_id)
    variables = {"client_id": client.id, "client_name": f"{client.first_name} "
                 f"{client.last_name}".strip(), "client_first_name": client.first_name,
                 "client_last_name": client.last_name, "client_company_name":
                 client.company_name, "client_email": client.email, **related}
    return client, [client.email] if client.email else [], variables


def _related_record(session: Session, kind: str, related_id: int
                    ) -> Service | Domain | Invoice | Ticket | None:
    if kind == "product":
        return session.get(Service, related_id)
    if kind == "domain":
        return session.get(Domain, related_id)
    if kind == "invoice":
        return session.get(Invoice, related_id)
    return session.get(Ticket, related_id)


def _related_variables(kind: str, record: Any) -> dict[str, Any]:
    if isinstance(record, Ticket):
        return {"ticket_id": record.number, "ticket_subject": record.subject}
    if isinstance(record, Invoice):
        return {"invoice_id": record.id, "invoice_num": record.number or record.id}
    if isinstance(record, Domain):
        return {"domain_id": record.id, "domain_name": record.name}
    return {"service_id": record.id}


def queue_message(session: Session, recipients: Sequence[str], subject: str, body: str, *,
                  client_id: int | None = None, related: tuple[str, int | None] = ("", None),
                  template: EmailTemplate | None = None,
                  variables: Mapping[str, Any] | None = None) -> OutboxMessage:
    """Merge ``variables`` into subject and body and queue the message for automation.

    Emits ``email_queued``. Raises ValidationFailed when there is no recipient or the merged
    body is empty.
    """
    to = [address.strip() for address in recipients if address and address.strip()]
    if not to:
        raise ValidationFailed.single("recipients", "required", "the message has no recipient")
    values = {"company_name": get_setting(session, "CompanyName"), **dict(variables or {})}
    merged_body = merge(body, values)
    if not merged_body.strip():
        raise ValidationFailed.single("body", "required", "the message body is empty")
    message = OutboxMessage(
        template_id=template.id if template else None, client_id=client_id,
        related_type=related[0], related_id=related[1], recipients=to,
        cc=list(template.copy_to) if template else [],
        bcc=list(template.blind_copy_to) if template else [],
        from_name=template.from_name if template else "",
        from_email=template.from_email if template else "",
        subject=merge(subject, values)[:255], body=merged_body,
        plain_text=template.plain_text if template else False,
        variables={k: str(v) for k, v in values.items()},
    )
    session.add(message)
    session.flush()
    log_activity(session, "email.queued", f"Email queued to {', '.join(to)}: {message.subject}",
                 client_id=client_id, subject=("outbox_message", message.id))
    emit(session, "email_queued", message_id=message.id, client_id=client_id)
    return message


def send_template_email(session: Session, name: str, related_id: int | None, *,
                        variables: Mapping[str, Any] | None = None,
                        language: str = "") -> OutboxMessage:
    """Queue template ``name`` to the client of the related record (its kind decides: a
    client, service, domain, invoice or ticket id). Raises NotFound (template, record),
    Conflict when the template is disabled or an admin template, ValidationFailed."""
    template = find_template(session, name, language)
    if template.disabled:
        raise Conflict(f"email template {template.name!r} is disabled")
    if template.kind == "admin":
        raise Conflict(f"email template {template.name!r} is for staff; send it to admins")
    client, to, merged = _recipient(session, template.kind, related_id)
    return queue_message(session, to, template.subject, template.body,
                         client_id=client.id if client else None,
                         related=(template.kind, related_id), template=template,
                         variables={**merged, **dict(variables or {})})


def send_custom_email(session: Session, kind: str, related_id: int | None, subject: str,
                      body: str, *, variables: Mapping[str, Any] | None = None) -> OutboxMessage:
    """Queue a one-off message to the client of a related record of ``kind``."""
    if not subject.strip():
        raise ValidationFailed.single("subject", "required", "a custom message needs a subject")
    if not body.strip():
        raise ValidationFailed.single("body", "required", "a custom message needs a body")
    client, to, merged = _recipient(session, kind, related_id)
    return queue_message(session, to, subject, body, client_id=client.id if client else None,
                         related=(kind, related_id), variables={**merged, **dict(variables or {})})


def send_admin_email(session: Session, *, template_name: str = "", subject: str = "",
                     body: str = "", kind: str = "system", department_id: int | None = None,
                     variables: Mapping[str, Any] | None = None) -> OutboxMessage:
    """Queue a staff notification to every enabled admin with an email address (for
    ``support`` with a department: the admins of that department, or with no department
    list). Uses admin template ``template_name`` or ``subject``/``body``. Raises NotFound
    (template), ValidationFailed (kind, nothing to send, no admin to send to)."""
    if kind not in ADMIN_KINDS:
        raise ValidationFailed.single("kind", "one_of", "kind must be one of "
                                      + ", ".join(ADMIN_KINDS))
    template = find_template(session, template_name) if template_name else None
    if template is not None:
        subject, body = template.subject, template.body
    admins = session.scalars(select(Admin).where(Admin.disabled.is_(False), Admin.email != ""))
    to = [a.email for a in admins if kind != "support" or department_id is None
          or not a.support_department_ids or department_id in a.support_department_ids]
    return queue_message(session, to, subject, body, related=(f"admin:{kind}", department_id),
                         template=template, variables=variables)


def trigger_notification(session: Session, identifier: str, title: str, message: str, *,
                         url: str = "", status: str = "", style: str = "",
                         attributes: Sequence[Mapping[str, Any]] = ()) -> None:
    """Raise a custom staff notification: logged and emitted as ``notification_triggered``
    for notification plugins. Raises ValidationFailed without identifier, title or message."""
    for field, value in (("identifier", identifier), ("title", title), ("message", message)):
        if not value.strip():
            raise ValidationFailed.single(field, "required", f"a notification needs a {field}")
    log_activity(session, "notification.triggered", f"Notification {identifier}: {title}",
                 data={"identifier": identifier, "url": url, "status": status})
    emit(session, "notification_triggered", identifier=identifier, title=title,
         message=message, url=url, status=status, style=style,
         attributes=[dict(a) for a in attributes])
