"""WHMCS 8.4 -> hostbridge: a generated source imported through the pipeline, checked in the
report (counts and money reconcile exactly), the quarantine, the database and the APIs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bridge.models import (
    QuarantinedRow,
)
from importers._pipeline import RunOptions, run_import
from importers.whmcs.importer import Importer
from tests.importers.whmcs_data import CC_HASH, TIMEZONE, Facts, generate


@pytest.fixture
def whmcs(source_db: Any) -> tuple[Any, Facts]:
    src = source_db("whmcs-8.4.sql")
    return src, generate(src)


def run_whmcs(app: Any, src: Any, **kw: Any) -> dict[str, Any]:
    state = app.extensions["bridge"]
    importer = Importer(key=CC_HASH, timezone=TIMEZONE)
    return run_import(importer, src.url, state.db.engine, state.secrets, RunOptions(**kw))


def test_report_reconciles_and_quarantine_is_explained(app: Any, db: Any, whmcs: Any) -> None:
    src, facts = whmcs
    report = run_whmcs(app, src)
    bad = [e for e in report["entities"] if not e["reconciled"]]
    assert not bad, bad
    money_bad = [m for m in report["money"] if not m["ok"]]
    assert not money_bad, money_bad
    assert report["ok"]
    held: dict[str, set[str]] = {}
    for row in db.scalars(select(QuarantinedRow)):
        held.setdefault(row.source_table, set()).add(row.source_id)
    assert held == facts.quarantined
    reasons = {(q.source_table, q.source_id): q.reason for q in db.scalars(select(QuarantinedRow))}
    assert reasons[("tblhosting", str(len(facts.client_ids)))].startswith("orphan: userid=999")
    assert "unknown billing cycle 'Fortnightly'" in reasons[
        ("tblhosting", str(len(facts.client_ids) + 2))]
    assert "clients.country is 7 characters" in reasons[("tblclients", "3")]
    assert reasons[("tblinvoices", "901")] == "invoices.date may not be empty (NULL)"
    invoice_money = {m["currency"]: Decimal(m["target"]) for m in report["money"]
                     if m["label"] == "invoice totals by status"}
    for key, total in facts.invoice_totals.items():
        assert invoice_money[key] == total
