"""Re-running the WHMCS import: twice == once, kill -9 + ``--resume`` == one clean import, and a
changed source (new and updated rows) is copied by a re-run (delta sync for a cutover)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

import bridge.models  # noqa: F401
from bridge.db import Base, make_engine
from bridge.models import Client, ImportRun, Invoice, InvoiceItem
from importers._pipeline import RunOptions, run_import
from importers.whmcs.importer import Importer
from tests.importers.whmcs_data import CC_HASH, TIMEZONE, add_bulk_invoices, generate

ROOT = Path(__file__).resolve().parents[2]
BOOKKEEPING = {"import_runs", "import_checkpoints"}
# times the importer stamps itself (now) rather than copying from the source
STAMPS = {"imported_at", "created_at", "updated_at"}
SECRET = "test-install-key-0123456789"


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every core table's rows (ordered by primary key) without import-time stamps; encrypted
    columns are compared decrypted (a fresh nonce makes each ciphertext different)."""
    from bridge.security import SecretBox

    box = SecretBox(SECRET)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            cols = [c for c in table.columns if c.name not in STAMPS]
            rows = conn.execute(select(*cols).order_by(*table.primary_key.columns)).all()
            enc = [i for i, c in enumerate(cols) if c.name.endswith("_enc")]
            out[table.name] = [tuple(box.decrypt(v) if i in enc and v else v
                                     for i, v in enumerate(row)) for row in rows]
    return out


def fresh_target(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    return engine


def import_into(engine: Engine, src: Any, **kw: Any) -> dict[str, Any]:
    from bridge.security import SecretBox

    importer = Importer(key=CC_HASH, timezone=TIMEZONE)
    return run_import(importer, src.url, engine, SecretBox(SECRET), RunOptions(**kw))


def test_import_twice_equals_once(tmp_path: Path, source_db: Any) -> None:
    src = source_db("whmcs-8.4.sql")
    generate(src)
    once = fresh_target(tmp_path / "once.db")
    import_into(once, src)
    twice = fresh_target(tmp_path / "twice.db")
    import_into(twice, src)
    second = import_into(twice, src)
    assert all(e["inserted"] == 0 and e["updated"] == 0 for e in second["entities"]), second
    assert second["ok"]
    assert dump(twice) == dump(once)


def _cli(db_path: Path, src: Any, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BRIDGE_DATABASE_URL": f"sqlite:///{db_path}",
           "BRIDGE_SECRET_KEY": SECRET, "BRIDGE_INSTANCE_PATH": str(db_path.parent)}
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "bridge"), "import", "whmcs", "--source", src.url,
         "--key", CC_HASH, "--timezone", TIMEZONE, *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_kill_and_resume_equals_one_clean_import(tmp_path: Path, source_db: Any) -> None:
    src = source_db("whmcs-8.4.sql")
    facts = generate(src)
    add_bulk_invoices(src, 2000, 400, facts.client_ids[0])
    clean = fresh_target(tmp_path / "clean.db")
    assert import_into(clean, src)["ok"]

    path = tmp_path / "killed.db"
    killed = fresh_target(path)
    proc = _cli(path, src, "--batch-size", "1")
    deadline = time.monotonic() + 120
    progress = 0
    while time.monotonic() < deadline and proc.poll() is None:
        with killed.connect() as conn:
            progress = conn.scalar(text(
                "SELECT COALESCE(SUM(\"read\"), 0) FROM import_checkpoints"
                " WHERE entity = 'invoices'")) or 0
        if progress >= 50:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    with killed.connect() as conn:
        run = conn.execute(select(ImportRun.status)).scalar_one()
        invoices = conn.scalar(select(text("count(*)")).select_from(Invoice)) or 0
    assert run == "running" and invoices > 0  # stopped half-way, nothing marked finished
    assert dump(killed) != dump(clean)

    resumed = _cli(path, src, "--resume")
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err.decode() + out.decode()
    assert "reconciled" in out.decode()
    assert dump(killed) == dump(clean)


def test_rerun_copies_new_and_changed_rows(app: Any, db: Any, source_db: Any) -> None:
    src = source_db("whmcs-8.4.sql")
    facts = generate(src)
    state = app.extensions["bridge"]

    def run() -> dict[str, Any]:
        db.rollback()  # SQLite: no read transaction may hold the importer's commit
        importer = Importer(key=CC_HASH, timezone=TIMEZONE)
        return run_import(importer, src.url, state.db.engine, state.secrets, RunOptions())

    first = run()
    assert first["ok"]
    client_id = facts.client_ids[1]
    src.execute("UPDATE tblclients SET lastname = 'Renamed' WHERE id = :id", {"id": client_id})
    src.execute("UPDATE tblinvoices SET status = 'Paid', datepaid = '2024-08-02 10:00:00'"
                " WHERE id = 105")
    add_bulk_invoices(src, 3000, 3, client_id)
    second = run()
    assert second["ok"], second
    lines = {e["entity"]: e for e in second["entities"]}
    assert (lines["clients"]["updated"], lines["clients"]["inserted"]) == (1, 0)
    assert (lines["invoices"]["updated"], lines["invoices"]["inserted"]) == (1, 3)
    assert lines["invoice_items"]["inserted"] == 3
    assert sum(e["updated"] + e["inserted"] for e in second["entities"]) == 8
    db.expire_all()
    assert db.get(Client, client_id).last_name == "Renamed"
    assert db.get(Invoice, 105).status == "paid"
    assert db.get(Invoice, 3001).total == Decimal("3.33")
    assert db.get(InvoiceItem, 30010).invoice_id == 3001
