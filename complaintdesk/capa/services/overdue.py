"""Overdue corrective actions escalate like tickets: once an open action is past its
deadline, its owner, the heads of the owner's department and the supervisors of its org unit
and the units above it are told, and the action is marked escalated (an `escalated` event).

Run by the periodic huey job (capa/tasks.py). Safe with several workers: each batch is one
transaction that locks its rows with `SELECT … FOR UPDATE SKIP LOCKED` (rows another worker
holds are skipped, not waited for) and the update is conditional on `escalated_at IS NULL`,
so an action is escalated once whoever runs the round; every message also has a dedupe key.
On SQLite the transaction is BEGIN IMMEDIATE, which serialises the workers outright.
With nothing due a round is one probe of a partial index (open, not escalated, by deadline).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from complaintdesk.accounts.models import User
from complaintdesk.accounts.roles import Role
from complaintdesk.capa.models import ActionEvent, CorrectiveAction
from complaintdesk.capa.services.actions import action_message
from complaintdesk.capa.vocabulary import ACTION_OPEN_STATES, ActionEventType
from complaintdesk.notifications.services import staff_notify_many

BATCH = 200


def _due(now: dt.datetime):
    qs = CorrectiveAction.objects.filter(
        state__in=sorted(ACTION_OPEN_STATES), escalated_at__isnull=True, due_at__lt=now,
    ).order_by("due_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def _prefixes(path: str, steplen: int) -> list[str]:
    # The materialised paths of a unit and of every unit above it.
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


def capa_overdue_round(*, now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Escalate every open action past its deadline that is not escalated yet; returns how
    many this call escalated."""
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            rows = list(_due(now).select_related("org_unit", "owner")[:batch])
            if not rows:
                return done
            ids = [a.pk for a in rows]
            # The rows are this transaction's (locked, or the only writer on SQLite); the
            # condition keeps the update right even if a caller forgot the transaction.
            CorrectiveAction.objects.filter(pk__in=ids, escalated_at__isnull=True).update(
                escalated_at=now, updated_at=now)
            steplen = rows[0].org_unit.steplen
            paths = {p for a in rows for p in _prefixes(a.org_unit.path, steplen)}
            departments = {a.owner_department_id for a in rows if a.owner_department_id}
            people = list(User.objects.filter(is_active=True).filter(
                Q(role=Role.DEPT_HEAD, department_id__in=departments)
                | Q(role=Role.SUPERVISOR, org_unit__path__in=paths)).select_related("org_unit"))
            ActionEvent.objects.bulk_create([
                ActionEvent(action=a, type=ActionEventType.ESCALATED, actor=None, created_at=now,
                            from_state=a.state, to_state=a.state, payload={"due_at": a.due_at.isoformat()})
                for a in rows])
            items = []
            for a in rows:
                prefixes = set(_prefixes(a.org_unit.path, steplen))
                recipients = {a.owner_id: a.owner}
                for p in people:
                    if (p.role == Role.DEPT_HEAD and p.department_id == a.owner_department_id) or (
                            p.role == Role.SUPERVISOR and p.org_unit is not None and p.org_unit.path in prefixes):
                        recipients.setdefault(p.pk, p)
                items += action_message(a, "capa_overdue", recipients.values(), str(a.owner), "overdue")
            staff_notify_many(items)
            done += len(rows)
        if len(rows) < batch:
            return done
