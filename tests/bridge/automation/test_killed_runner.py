"""A real ``bridge cron run`` process killed half way: its lock goes stale, a rerun is
refused until the lock expires, and the rerun then equals one clean run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from bridge.db import utcnow
from bridge.jobs.runner import CRON, LockBusy, run_pass
from bridge.models import Invoice, JobLock

DAY = date(2028, 2, 16)
PLUGIN = '''
import time
from pathlib import Path
from hooks import JobSpec, hookimpl

@hookimpl
def register_jobs():
    def hang(session, today, *, checkpoint):
        Path(__file__).with_name("started").write_text("yes")
        time.sleep(600)  # killed long before this ends
        return {}
    return [JobSpec("hang", hang)]
'''


def test_killed_cron_process_then_rerun(app, db, factories, state, dump, tmp_path):
    plan = factories.product()
    for n in range(3):
        client = factories.client()
        factories.service(client, plan, recurring_amount=Decimal(10 + n),
                          next_due_date=date(2028, 3, 1), next_invoice_date=date(2028, 3, 1))
    db.commit()
    db.close()
    state.db.dispose()
    database = Path(state.db.engine.url.database)
    backup = database.with_suffix(".backup")
    shutil.copyfile(database, backup)
    assert run_pass(state, DAY).ok
    clean = dump()
    state.db.dispose()
    shutil.copyfile(backup, database)

    plugins = tmp_path / "cron-plugins"
    plugins.mkdir()
    (plugins / "hangjob.py").write_text(PLUGIN)
    env = {**os.environ, "BRIDGE_DATABASE_URL": f"sqlite:///{database}",
           "BRIDGE_SECRET_KEY": app.extensions["bridge"].settings.secret_key,
           "BRIDGE_INSTANCE_PATH": str(tmp_path / "instance"), "BRIDGE_PLUGINS_DIR": str(plugins)}
    env.pop("BRIDGE_CONFIG", None)
    script = Path(sys.executable).with_name("bridge")
    proc = subprocess.Popen([str(script), "cron", "run", "--date", DAY.isoformat()], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not (plugins / "started").exists():
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "the cron process never reached its last job"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    with state.transaction(CRON) as session:
        # the core jobs committed before the kill; the lock is left behind by a dead process
        assert session.scalar(select(func.count()).select_from(Invoice)) == 3
        lock = session.get(JobLock, "automation")
        assert lock.holder.endswith(f":{proc.pid}")
    try:
        run_pass(state, DAY)
    except LockBusy as busy:
        assert str(proc.pid) in str(busy)
    else:
        raise AssertionError("a second runner ran while the dead runner's lock was fresh")
    with state.transaction(CRON) as session:
        session.get(JobLock, "automation").expires_at = utcnow() - timedelta(seconds=1)
    assert run_pass(state, DAY).ok
    assert dump() == clean
