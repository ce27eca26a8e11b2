"""A worker killed with SIGKILL in the middle of an import, then another one resuming it: no
row lost, none imported twice. Real processes: the huey consumer (`complaintdesk worker`)
reading the job from the SQLite queue file, on the test database (committed data:
`transaction=True`), killed while it is between or inside chunks."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from complaintdesk.imports.models import ImportBatch, ImportRow
from complaintdesk.imports.services.batches import batch_create, batch_run, batch_start
from complaintdesk.imports.vocabulary import BatchState, RowOutcome
from complaintdesk.tickets.models import Ticket, TicketEvent

ROOT = Path(__file__).resolve().parent.parent
ROWS = 240
HEADER = "转办编号,投诉人,联系电话,被投诉单位,投诉内容,诉求,转办时间,办理时限"

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite" and not str(connection.settings_dict.get("TEST", {}).get("NAME") or ""),
    reason="the worker process needs a test database it can open (a file or PostgreSQL)")


def _db_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _env(queue_dir: Path) -> dict:
    env = dict(os.environ)
    env.pop("PYTEST_XDIST_WORKER", None)
    env.update(DATABASE_URL=_db_url(), DJANGO_SETTINGS_MODULE="complaintdesk.config.settings",
               COMPLAINTDESK_DATA_DIR=str(queue_dir), MEDIA_ROOT=str(settings.MEDIA_ROOT),
               SECRET_KEY=settings.SECRET_KEY, IMPORT_CHUNK_ROWS="20", IMPORT_LEASE_SECONDS="3",
               PYTHONPATH=str(ROOT), TASK_QUEUE_URL="")
    env.pop("TASK_QUEUE_REAL", None)
    return env


def _python(code: str, env: dict) -> None:
    subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], cwd=ROOT, env=env,
                   check=True, timeout=120, capture_output=True)


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "complaintdesk", "worker", "-w", "1", "--no-periodic"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_and_doubles_nothing(tmp_path, org, settings):
    settings.IMPORT_CHUNK_ROWS = 20
    dispatcher = org["users"]["dispatcher"]
    lines = [HEADER] + [f"K{i:04d},客户{i},138{i:08d},甲市营业厅,第{i}号投诉：家里没有信号,修复,2026/11/3,15天"
                        for i in range(ROWS)]
    lines[50] = lines[50].replace(",138", ",1", 1)  # one invalid phone: a failed row among the others
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(path, "rb") as f:
        batch = batch_create(actor=dispatcher, upload=f, queue=False,
                             defaults={"category": "network-weak", "source_tier": "12345"})
    batch_run(batch.pk)  # the dry run, here
    batch_start(actor=dispatcher, batch_id=batch.pk, on_error="skip", queue=False)

    queue = tmp_path / "queue"
    queue.mkdir()
    env = _env(queue)
    _python(f"from complaintdesk.imports.services.jobs import import_job; import_job({batch.pk})", env)
    worker = _worker(env)
    try:
        _wait(lambda: ImportBatch.objects.get(pk=batch.pk).processed_rows >= 60, 180, "the first chunks")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    killed = ImportBatch.objects.get(pk=batch.pk)
    assert killed.state == BatchState.RUNNING and killed.processed_rows < ROWS
    # What the dead worker committed is whole chunks: rows, tickets and the batch's counters agree.
    rows = ImportRow.objects.filter(batch=batch, dry_run=False)
    assert rows.count() == killed.processed_rows and killed.processed_rows % 20 == 0
    assert Ticket.objects.count() == rows.filter(outcome=RowOutcome.CREATED).count() == killed.created_count

    time.sleep(3.5)  # the dead worker's lease expires
    _python("from complaintdesk.imports.services.batches import batches_resume_stalled as r; "
            "assert r(), 'nothing to resume'", env)
    worker = _worker(env)
    try:
        _wait(lambda: ImportBatch.objects.get(pk=batch.pk).state == BatchState.DONE, 240, "the resumed import")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
    done = ImportBatch.objects.get(pk=batch.pk)
    rows = ImportRow.objects.filter(batch=batch, dry_run=False)
    numbers = list(rows.values_list("row_number", flat=True))
    assert len(numbers) == len(set(numbers)) == ROWS  # every row once
    assert (done.created_count, done.failed_count) == (ROWS - 1, 1)
    assert Ticket.objects.count() == ROWS - 1
    assert Ticket.objects.values("regulator_ref").distinct().count() == ROWS - 1
    assert TicketEvent.objects.filter(type="imported").count() == ROWS - 1
