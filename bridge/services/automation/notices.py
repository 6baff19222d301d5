"""Invoice reminders and overdue notices, written with Jinja templates and queued to the
outbox (WHMCS "Invoice Payment Reminder" and first/second/third overdue notices; Blesta
notice1-3 relative to the due date).

Templates are text files whose first line is ``Subject: ...``. A file of the same name in
``<instance>/mail_templates/`` overrides the shipped one, so an install can reword notices
without touching the code. Each notice is marked once per invoice and tag, in the same
transaction as the queued message, so reruns never send it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.errors import NotFound, ValidationFailed
from bridge.models import Client, Invoice, PayMethod
from bridge.money import format_amount

from ..credit import PAYABLE_STATUSES, currency_places
from ..mail import queue_message
from ..settings import get_setting
from .common import Checkpoint, Counts, bump, claim_mark, days_setting, no_checkpoint

SHIPPED = Path(__file__).with_name("templates")


def _environment(session: Session) -> Environment:
    config: Any = session.info.get("bridge.settings")
    paths = []
    instance = getattr(config, "instance_path", "")
    if instance:
        paths.append(str(Path(instance) / "mail_templates"))
    paths.append(str(SHIPPED))
    environment = Environment(loader=FileSystemLoader(paths), undefined=StrictUndefined,
                              autoescape=False, keep_trailing_newline=True)
    # {{ amount|money(currency) }}: the amount at the currency's places ("12.50"; amounts
    # are stored with 4)
    environment.filters["money"] = lambda amount, code: format_amount(
        amount, currency_places(session, code))
    return environment


def render_notice(session: Session, name: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of template ``name`` rendered with ``context``.

    Raises NotFound when no template has that name, ValidationFailed when the first line is
    not ``Subject: ...``.
    """
    try:
        template = _environment(session).get_template(f"{name}.txt")
    except TemplateNotFound as exc:
        raise NotFound("Mail template", name, field="name") from exc
    text = template.render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValidationFailed.single("template", "invalid",
                                      f"mail template {name} must start with 'Subject: ...'")
    return first.removeprefix("Subject:").strip(), body.lstrip("\n")


def _queue(session: Session, name: str, invoice: Invoice, client: Client, today: date,
           tag: str, **extra: Any) -> bool:
    if not client.email or not claim_mark(session, "notice", ("invoice", invoice.id), tag, today):
        return False
    subject, body = render_notice(session, name, {
        "invoice": invoice, "client": client, "today": today,
        "company_name": get_setting(session, "CompanyName"), **extra})
    queue_message(session, [client.email], subject, body, client_id=client.id,
                  related=("invoice", invoice.id))
    return True


def queue_invoice_reminders(session: Session, today: date, *,
                            checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Queue a reminder for open invoices due in each of ``automation.reminder_days_before``
    days, and an overdue notice for those overdue by each of
    ``automation.overdue_reminder_days`` days (clients exempt from overdue notices get only
    the reminders). Returns counts (reminders, overdue)."""
    counts: Counts = {"reminders": 0, "overdue": 0}
    before = {today + timedelta(days=n): n for n in days_setting(session, "reminder_days_before")}
    after = {today - timedelta(days=n): n for n in days_setting(session, "overdue_reminder_days")
             if n > 0}
    wanted = set(before) | set(after)
    if not wanted:
        return counts
    rows = session.execute(
        select(Invoice, Client).join(Client, Client.id == Invoice.client_id)
        .where(Invoice.status.in_(PAYABLE_STATUSES), Invoice.due_date.in_(wanted))
        .order_by(Invoice.id)).all()
    charged = set(session.scalars(select(PayMethod.client_id).where(
        PayMethod.deleted_at.is_(None),
        PayMethod.client_id.in_({c.id for _, c in rows})))) if rows else set()
    for invoice, client in rows:
        if invoice.balance <= 0:
            continue
        if invoice.due_date in before:
            days = before[invoice.due_date]
            auto = client.id in charged and not client.disable_auto_charge
            if _queue(session, "invoice_reminder", invoice, client, today, f"before-{days}",
                      days=days, auto_charge=auto):
                bump(counts, "reminders")
        elif not client.overdue_notices_exempt:
            days = after[invoice.due_date]
            if _queue(session, "invoice_overdue", invoice, client, today, f"overdue-{days}",
                      days=days):
                bump(counts, "overdue")
    checkpoint()
    return counts
