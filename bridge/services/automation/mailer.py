"""Sending the outbox by SMTP (``smtplib``) when ``automation.smtp_host`` is set; without it,
messages stay queued in the outbox for another sender (or an operator) to pick up."""

from __future__ import annotations

import smtplib
import ssl
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.db import utcnow
from bridge.models import OutboxMessage

from ..settings import get_setting
from .common import (
    Checkpoint,
    Counts,
    automation_setting,
    bump,
    int_setting,
    no_checkpoint,
)


def _connect(session: Session) -> smtplib.SMTP:
    host = automation_setting(session, "smtp_host").strip()
    port = int_setting(session, "smtp_port")
    security = automation_setting(session, "smtp_security").strip().lower()
    smtp: smtplib.SMTP
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=30, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=30)
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    user = automation_setting(session, "smtp_username")
    if user:
        smtp.login(user, automation_setting(session, "smtp_password"))
    return smtp


def _message(session: Session, row: OutboxMessage) -> EmailMessage:
    sender = (row.from_email or automation_setting(session, "mail_from")
              or "noreply@localhost")
    name = row.from_name or get_setting(session, "CompanyName")
    message = EmailMessage()
    message["From"] = formataddr((name, sender)) if name else sender
    message["To"] = ", ".join(row.recipients)
    if row.cc:
        message["Cc"] = ", ".join(row.cc)
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}")
    # bodies are stored merged as text; HTML rendering of imported templates is not done here
    message.set_content(row.body)
    return message


def send_outbox(session: Session, today: date, *,
                checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Send up to ``automation.mail_batch`` queued messages over SMTP, oldest first.

    A message becomes ``sent`` (``sent_at``) or, after ``automation.mail_max_attempts``
    failures, ``failed`` with the last error; each is committed (``checkpoint``) right after
    it is handed to the server. Without ``automation.smtp_host`` nothing is sent and the
    count ``kept`` says how many wait in the outbox.
    """
    counts: Counts = {"sent": 0, "failed": 0, "retry": 0, "kept": 0}
    queued = select(OutboxMessage).where(OutboxMessage.status == "queued").order_by(
        OutboxMessage.id)
    if not automation_setting(session, "smtp_host").strip():
        counts["kept"] = len(session.scalars(queued).all())
        return counts
    rows = session.scalars(queued.limit(int_setting(session, "mail_batch"))).all()
    if not rows:
        return counts
    limit = int_setting(session, "mail_max_attempts")
    try:
        smtp = _connect(session)
    except (OSError, smtplib.SMTPException) as exc:
        for row in rows:
            _failure(row, f"cannot connect to the SMTP server: {exc}", limit, counts)
        checkpoint()
        return counts
    try:
        for row in rows:
            try:
                smtp.send_message(_message(session, row),
                                  to_addrs=[*row.recipients, *row.cc, *row.bcc])
            except (OSError, smtplib.SMTPException) as exc:
                _failure(row, str(exc), limit, counts)
            else:
                row.status, row.sent_at, row.last_error = "sent", utcnow(), ""
                row.attempts += 1
                bump(counts, "sent")
            checkpoint()
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return counts


def _failure(row: OutboxMessage, error: str, limit: int, counts: Counts) -> None:
    row.attempts += 1
    row.last_error = error[:2000]
    if row.attempts >= limit:
        row.status = "failed"
        bump(counts, "failed")
    else:
        bump(counts, "retry")
