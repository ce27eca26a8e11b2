"""Two workers run the overdue round of corrective actions at the same moment on PostgreSQL:
every overdue action is escalated exactly once (one `escalated` event) and every person is
told once per action, however the batches interleave (SKIP LOCKED + conditional update,
capa/services/overdue.py). Threads, each with its own connection to the committed test data.
SQLite's IMMEDIATE transactions serialise the workers outright, so this runs on PostgreSQL only."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from complaintdesk.capa.models import ActionEvent, CorrectiveAction
from complaintdesk.capa.services.overdue import capa_overdue_round
from complaintdesk.capa.vocabulary import ActionEventType
from complaintdesk.notifications.models import Message

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL: several workers with row locks (SKIP LOCKED); "
                              "set DATABASE_URL=postgres://… to run it"),
]
OVERDUE = 600


@pytest.mark.django_db(transaction=True)
def test_two_workers_escalate_each_overdue_action_once(org):
    users = org["users"]
    now = timezone.now()
    common = dict(kind="corrective", source="report", source_note="2026年11月月报", description="整改",
                  org_unit=org["province"], owner=users["handler"], owner_department=org["billing"],
                  raised_by=users["supervisor"], raised_at=now - dt.timedelta(days=10), updated_at=now)
    CorrectiveAction.objects.bulk_create(
        [CorrectiveAction(title=f"逾期{i}", due_at=now - dt.timedelta(hours=1 + i % 7), **common) for i in range(OVERDUE)]
        + [CorrectiveAction(title=f"未到期{i}", due_at=now + dt.timedelta(days=1), **common) for i in range(50)])
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(capa_overdue_round(now=now, batch=40))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    print("escalated per worker:", results)
    assert sum(results) == OVERDUE
    per_action = ActionEvent.objects.filter(type=ActionEventType.ESCALATED).values("action").annotate(n=Count("id"))
    assert len(per_action) == OVERDUE and {r["n"] for r in per_action} == {1}
    assert CorrectiveAction.objects.filter(escalated_at__isnull=False).count() == OVERDUE
    # owner, the billing head and the province's supervisor: three messages per action, once each.
    assert Message.objects.filter(template="capa_overdue").count() == 3 * OVERDUE
    assert capa_overdue_round(now=now + dt.timedelta(minutes=10)) == 0
