"""The complaint ledger (投诉台账) and the case dossiers (投诉处理档案): their only writers.

A breached clock is entered once in the ledger (`LedgerEntry.clock` is one-to-one) and gets
one dossier: a snapshot, at the moment of the breach, of the ticket, its customer, its
assignments, its whole event history and the people involved (001: "escalate to the
customer-service supervisor, open a case dossier, record it in the complaint ledger"; 003:
"gather all history and the people involved").

Built for the scan's batches: a batch of breaches costs a fixed number of queries whatever
its size (one per table read, one bulk insert per table written).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db import IntegrityError, connection, transaction

from complaintdesk.accounts.models import User
from complaintdesk.customers.models import CustomerPhone
from complaintdesk.search.services.index import search_ledger_changed
from complaintdesk.sla.models import CaseDossier, LedgerEntry, TicketClock
from complaintdesk.tickets.models import Assignment, Ticket, TicketEvent

SNAPSHOT_VERSION = 1
SUMMARY_DESCRIPTION_CHARS = 300


def ledger_resolve_for_ticket(*, ticket_id: int, at: dt.datetime) -> int:
    """Mark the ticket's open ledger entries resolved (the ticket closed). Idempotent: an
    entry already resolved keeps its time. Returns how many entries were resolved."""
    return LedgerEntry.objects.filter(ticket_id=ticket_id, resolved_at__isnull=True).update(resolved_at=at)


def ledger_levels_update(*, levels: Mapping[int, int]) -> int:
    """Raise the entries of these clocks ({clock id: level}) to the level their clock reached;
    an entry keeps the highest level it has seen (a clock that got a fresh deadline climbs
    its ladder again from 1). One query per distinct level: a few per batch."""
    by_level: dict[int, list[int]] = defaultdict(list)
    for clock_id, level in levels.items():
        by_level[level].append(clock_id)
    return sum(LedgerEntry.objects.filter(clock_id__in=ids, level__lt=level).update(level=level)
               for level, ids in by_level.items())


def ledger_enter_breaches(*, breaches: Iterable[tuple[TicketClock, Ticket]],
                          now: dt.datetime) -> list[LedgerEntry]:
    """Enter each breached clock in the ledger and open its dossier. A clock already in the
    ledger keeps its entry (and is not returned). Returns the new entries.

    The tickets must come with category, org_unit, owner, lead_department, lead_assignee and
    customer loaded (select_related), as the scan reads them."""
    breaches = list(breaches)
    if not breaches:
        return []
    entered = set(LedgerEntry.objects.filter(clock_id__in=[c.pk for c, _ in breaches])
                  .values_list("clock_id", flat=True))
    todo = [(c, t) for c, t in breaches if c.pk not in entered]
    entries = [
        LedgerEntry(ticket_id=t.pk, clock_id=c.pk, opened_at=now, level=max(1, c.escalation_level),
                    summary=_summary(t), department_id=t.lead_department_id, org_unit_id=t.org_unit_id)
        for c, t in todo
    ]
    entries = _insert_all_or_each(LedgerEntry, entries)
    if not entries:
        return []
    created = {e.clock_id for e in entries}
    todo = [(c, t) for c, t in todo if c.pk in created]
    snapshots = dossier_snapshots(todo, now=now)
    entry_of = {e.clock_id: e for e in entries}
    _dossiers_insert([
        CaseDossier(ticket_id=t.pk, ledger_entry=entry_of[c.pk], opened_at=now, snapshot=snapshots[c.pk])
        for c, t in todo
    ])
    search_ledger_changed(ticket_ids=[t.pk for _c, t in todo])
    return entries


def _dossiers_insert(dossiers: list[CaseDossier]) -> None:
    """The batch's dossiers in one statement. Their ledger entries were made in this same
    transaction, so no dossier can be there already.

    On PostgreSQL with COPY, not bulk_create: Django 5.2 sends a bulk insert as arrays
    (UNNEST), and psycopg's client-side quoting of an array of JSON documents escapes every
    quote in Python (~1 ms per dossier); COPY formats the rows in C."""
    if not dossiers:
        return
    if connection.vendor != "postgresql":
        CaseDossier.objects.bulk_create(dossiers)
        return
    meta = CaseDossier._meta
    qn = connection.ops.quote_name
    columns = [meta.get_field(name).column for name in ("ticket", "ledger_entry", "opened_at", "snapshot")]
    sql = f"COPY {qn(meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for d in dossiers:
            copy.write_row((d.ticket_id, d.ledger_entry_id, d.opened_at, dumps(d.snapshot)))


def _insert_all_or_each(model, rows: list) -> list:
    """Insert the rows in one statement; if a unique key clashes (a row entered meanwhile by
    someone else), insert them one by one and keep those that went in."""
    if not rows:
        return []
    try:
        with transaction.atomic():
            return model.objects.bulk_create(rows)
    except IntegrityError:
        pass
    done = []
    for row in rows:
        row.pk = None
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            continue
        done.append(row)
    return done


def _summary(ticket: Ticket) -> str:
    text = " ".join(ticket.description.split())
    if len(text) > SUMMARY_DESCRIPTION_CHARS:
        text = text[:SUMMARY_DESCRIPTION_CHARS] + "…"
    return f"{ticket.title} — {text}" if text else ticket.title


# --- the dossier's snapshot ------------------------------------------------------------------


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ref(obj) -> dict | None:
    if obj is None:
        return None
    return {"id": obj.pk, "code": obj.code, "name": obj.name, "name_en": obj.name_en}


ASSIGNMENT_VALUES = ("id", "ticket_id", "department_id", "department__code", "department__name",
                     "department__name_en", "role", "active", "assignee_id", "dispatched_at",
                     "dispatched_by_id", "acknowledged_at", "acknowledged_by_id", "input", "input_at",
                     "ended_at")
EVENT_VALUES = ("id", "ticket_id", "type", "created_at", "actor_id", "from_state", "to_state", "payload")
PERSON_VALUES = ("id", "username", "display_name", "role", "email", "department_id", "department__code",
                 "department__name", "department__name_en", "org_unit_id", "org_unit__code",
                 "org_unit__name", "org_unit__name_en")


def dossier_snapshots(breaches: list[tuple[TicketClock, Ticket]], *, now: dt.datetime) -> dict[int, dict]:
    """{clock id: snapshot} for the breaches; four queries whatever their number (phones,
    assignments, events, people), read as plain rows (a batch reads thousands)."""
    tickets = {t.pk: t for _, t in breaches}
    ticket_ids = list(tickets)
    phones: dict[int, list[str]] = defaultdict(list)
    for customer_id, number in (CustomerPhone.objects
                                .filter(customer_id__in={t.customer_id for t in tickets.values()})
                                .order_by("id").values_list("customer_id", "number")):
        phones[customer_id].append(number)
    assignments: dict[int, list[dict]] = defaultdict(list)
    for a in Assignment.objects.filter(ticket_id__in=ticket_ids).order_by("id").values(*ASSIGNMENT_VALUES):
        assignments[a["ticket_id"]].append(a)
    events: dict[int, list[dict]] = defaultdict(list)
    for e in TicketEvent.objects.filter(ticket_id__in=ticket_ids).order_by("id").values(*EVENT_VALUES):
        events[e["ticket_id"]].append(e)

    involvement: dict[int, dict[int, set[str]]] = {tid: defaultdict(set) for tid in ticket_ids}
    for tid, t in tickets.items():
        involvement[tid][t.owner_id].add("owner")
        if t.lead_assignee_id:
            involvement[tid][t.lead_assignee_id].add("assignee")
        for a in assignments[tid]:
            for user_id, why in ((a["assignee_id"], "assignee"), (a["dispatched_by_id"], "dispatcher"),
                                 (a["acknowledged_by_id"], "acknowledged")):
                if user_id:
                    involvement[tid][user_id].add(why)
        for e in events[tid]:
            if e["actor_id"]:
                involvement[tid][e["actor_id"]].add("actor")
    user_ids = {uid for per in involvement.values() for uid in per}
    people = {p["id"]: _person(p) for p in User.objects.filter(pk__in=user_ids).values(*PERSON_VALUES)}

    out = {}
    for clock, t in breaches:
        out[clock.pk] = {
            "version": SNAPSHOT_VERSION,
            "taken_at": _iso(now),
            "clock": {
                "id": clock.pk, "clock": clock.clock, "cycle": clock.cycle,
                "started_at": _iso(clock.started_at), "due_at": _iso(clock.due_at),
                "warn_at": _iso(clock.warn_at), "breached_at": _iso(now),
                "calendar_missing": clock.calendar_missing, "explanation": clock.explanation,
            },
            "ticket": _ticket_fields(t),
            "customer": {
                "id": t.customer_id, "name": t.customer.name, "segment": t.customer.segment,
                "phones": phones.get(t.customer_id, []),
            },
            "assignments": [_assignment_fields(a) for a in assignments[t.pk]],
            "events": [
                {"id": e["id"], "type": e["type"], "at": _iso(e["created_at"]), "actor_id": e["actor_id"],
                 "from_state": e["from_state"], "to_state": e["to_state"], "payload": e["payload"]}
                for e in events[t.pk]
            ],
            "people": [
                {**people[uid], "involvement": sorted(why)}
                for uid, why in sorted(involvement[t.pk].items()) if uid in people
            ],
        }
    return out


def _ticket_fields(t: Ticket) -> dict:
    return {
        "id": t.pk, "number": t.number, "kind": t.kind, "state": t.state, "version": t.version,
        "category": _ref(t.category), "channel": t.channel, "severity": t.severity,
        "special": t.special, "title": t.title, "description": t.description, "product": t.product,
        "contact_phone": t.contact_phone, "elements": t.elements,
        "org_unit": _ref(t.org_unit), "owner_id": t.owner_id,
        "lead_department": _ref(t.lead_department), "lead_assignee_id": t.lead_assignee_id,
        "first_reported_at": _iso(t.first_reported_at), "agreed_time": _iso(t.agreed_time),
        "created_at": _iso(t.created_at), "updated_at": _iso(t.updated_at),
        "requires_approval": t.requires_approval, "plan": t.plan, "plan_approved": t.plan_approved,
        "handling_notes": t.handling_notes, "reopen_count": t.reopen_count,
        "sla_status": t.sla_status, "waiting_on_customer": t.waiting_on_customer,
    }


def _unit(row: dict, prefix: str) -> dict | None:
    if row[f"{prefix}_id"] is None:
        return None
    return {"id": row[f"{prefix}_id"], "code": row[f"{prefix}__code"], "name": row[f"{prefix}__name"],
            "name_en": row[f"{prefix}__name_en"]}


def _assignment_fields(a: dict) -> dict:
    return {
        "id": a["id"], "department": _unit(a, "department"), "role": a["role"], "active": a["active"],
        "assignee_id": a["assignee_id"], "dispatched_at": _iso(a["dispatched_at"]),
        "dispatched_by_id": a["dispatched_by_id"], "acknowledged_at": _iso(a["acknowledged_at"]),
        "acknowledged_by_id": a["acknowledged_by_id"], "input": a["input"],
        "input_at": _iso(a["input_at"]), "ended_at": _iso(a["ended_at"]),
    }


def _person(p: dict) -> dict:
    return {
        "id": p["id"], "username": p["username"], "name": p["display_name"] or p["username"],
        "role": p["role"], "department": _unit(p, "department"), "org_unit": _unit(p, "org_unit"),
        "email": p["email"],
    }
