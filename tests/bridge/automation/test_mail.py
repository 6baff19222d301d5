"""Notices from Jinja templates (overridable per install) and sending the outbox through a
real SMTP conversation with a tiny loopback server."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bridge.jobs.runner import CRON
from bridge.models import OutboxMessage
from bridge.services.automation.notices import render_notice
from bridge.services.invoices import create_invoice
from bridge.services.mail import queue_message


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, MAIL, RCPT, DATA, RSET, QUIT."""

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: Any = self.server
        self._say("220 loopback ESMTP")
        envelope: dict[str, Any] = {"to": []}
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 loopback")
            elif verb == "MAIL":
                if server.refuse:
                    self._say("451 try again later")
                    continue
                envelope = {"from": command[10:].strip("<>"), "to": []}
                self._say("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(command[8:].strip("<>"))
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 end with .")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                envelope["message"] = message_from_bytes(b"".join(lines))
                server.received.append(envelope)
                self._say("250 queued")
            elif verb == "RSET":
                self._say("250 OK")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.received, server.refuse = [], False  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _queue(db, factories, count=2):
    client = factories.client(email="payer@example.com")
    for n in range(count):
        queue_message(db, [client.email], f"Subject {n}", f"Body {n}", client_id=client.id)
    db.commit()


def test_outbox_is_sent_over_smtp(db, factories, run, configure, smtp_server):
    _queue(db, factories)
    configure(smtp_host="127.0.0.1", smtp_port=str(smtp_server.server_address[1]),
              mail_from="billing@host.test")
    result = run(date(2028, 5, 1), only="send_mail")
    assert result.counts["send_mail"]["sent"] == 2
    assert [(m["to"], m["message"]["Subject"], m["message"].get_payload().strip())
            for m in smtp_server.received] == [
        (["payer@example.com"], "Subject 0", "Body 0"),
        (["payer@example.com"], "Subject 1", "Body 1")]
    assert smtp_server.received[0]["from"] == "billing@host.test"
    db.expire_all()
    assert {m.status for m in db.scalars(select(OutboxMessage))} == {"sent"}
    db.commit()  # end the read transaction before the runner writes (SQLite)
    again = run(date(2028, 5, 1), only="send_mail")
    assert again.counts["send_mail"]["sent"] == 0 and len(smtp_server.received) == 2


def test_refused_mail_is_retried_then_failed(db, factories, run, configure, smtp_server):
    _queue(db, factories, count=1)
    configure(smtp_host="127.0.0.1", smtp_port=str(smtp_server.server_address[1]),
              mail_max_attempts="2")
    smtp_server.refuse = True
    run(date(2028, 5, 1), only="send_mail")
    db.expire_all()
    message = db.scalar(select(OutboxMessage))
    assert (message.status, message.attempts) == ("queued", 1)
    assert "try again later" in message.last_error
    db.commit()
    run(date(2028, 5, 2), only="send_mail")
    db.expire_all()
    assert db.scalar(select(OutboxMessage.status)) == "failed"


def test_without_smtp_mail_stays_in_the_outbox(db, factories, run):
    _queue(db, factories)
    result = run(date(2028, 5, 1), only="send_mail")
    assert result.counts["send_mail"] == {"sent": 0, "failed": 0, "retry": 0, "kept": 2}
    assert {m.status for m in db.scalars(select(OutboxMessage))} == {"queued"}


def test_templates_are_overridable_per_install(app, db, factories, state):
    client = factories.client(first_name="Ada")
    invoice = create_invoice(db, client.id, [{"description": "x", "unit_amount": "12.50"}],
                             invoice_date=date(2028, 5, 1), due_date=date(2028, 5, 8))
    context = {"invoice": invoice, "client": client, "days": 3, "company_name": "Host"}
    db.commit()  # the notice reads the currency's places in its own transaction (SQLite)
    with state.transaction(CRON) as session:
        subject, body = render_notice(session, "invoice_overdue", context)
    assert subject == f"Overdue notice: invoice #{invoice.number} is 3 day(s) overdue"
    assert "Dear Ada," in body and "Amount due: 12.50 USD" in body
    folder = Path(app.instance_path) / "mail_templates"
    folder.mkdir(parents=True)
    (folder / "invoice_overdue.txt").write_text(
        "Subject: Pay up, {{ client.first_name }}\n\n{{ days }} days late.\n")
    with state.transaction(CRON) as session:
        assert render_notice(session, "invoice_overdue", context) == (
            "Pay up, Ada", "3 days late.\n")
    (folder / "invoice_overdue.txt").write_text("no subject line\n")
    with state.transaction(CRON) as session, pytest.raises(Exception, match="Subject"):
        render_notice(session, "invoice_overdue", context)
