"""The hash chain over ticket events (issue 13 §7): every writer chains its event, and
`complaintdesk audit_verify` finds a changed payload, a deleted event, a reordering, a moved
event and a deleted chain tail (through the daily anchor)."""

import datetime as dt
import io
import json
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from complaintdesk.audit.chain import GENESIS, chain_key, event_hash, verify_rows
from complaintdesk.audit.models import ChainAnchor
from complaintdesk.audit.selectors import chain_breaks
from complaintdesk.audit.services import chain_anchor_day, chain_anchor_due
from complaintdesk.tickets.models import TicketEvent
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.services.attachments import attachment_add
from complaintdesk.tickets.services.events import event_append, events_append
from complaintdesk.tickets.services.intake import ticket_register
from tests.conftest import draft


def _verify(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def _worked(make_ticket, users):
    ticket = make_ticket()
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], note="请尽快处理")
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"])
    attachment_add(ticket_id=ticket.pk, actor=users["handler"], name="note.txt", data="账单截图说明".encode())
    t.ticket_urge(ticket_id=ticket.pk, actor=users["supervisor"], note="客户再次来电")
    return ticket


def _events(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("id"))


def _raw_update(event_id: int, **values):
    # Tampering as someone with database access would: straight SQL, no model code.
    cols = ", ".join(f"{connection.ops.quote_name(k)} = %s" for k in values)
    with connection.cursor() as c:
        c.execute(f"UPDATE tickets_ticketevent SET {cols} WHERE id = %s",  # noqa: S608 (our column names)
                  [*values.values(), event_id])


def test_every_writer_chains_its_event_and_the_chain_verifies(db, make_ticket, users):
    ticket = _worked(make_ticket, users)
    events = _events(ticket)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert {e.type for e in events} >= {"registered", "dispatched", "attachment_added", "urged"}
    previous = GENESIS
    for e in events:
        assert e.hash == event_hash(chain_key(), previous, ticket_id=ticket.pk, seq=e.seq, type=e.type,
                                    actor_id=e.actor_id, at=e.created_at, from_state=e.from_state,
                                    to_state=e.to_state, payload=e.payload)
        previous = e.hash
    assert list(chain_breaks()) == []
    assert _verify() == (0, "All chains intact.\n")


def test_a_changed_payload_is_reported_at_that_event(db, make_ticket, users):
    ticket = _worked(make_ticket, users)
    other = _worked(make_ticket, users)
    dispatched = next(e for e in _events(ticket) if e.type == "dispatched")
    _raw_update(dispatched.pk, payload=json.dumps({**dispatched.payload, "note": "无需处理"}))
    code, out = _verify()
    assert code == 1
    assert out.splitlines()[0] == (
        f"ticket {ticket.pk}: event {dispatched.pk} (seq {dispatched.seq}): altered: the content "
        "(ticket, type, actor, time, states or payload) or the hash was changed after it was written")
    assert f"ticket {other.pk}" not in out  # only the first broken link, only where broken
    assert _verify("--ticket", str(other.pk))[0] == 0


@pytest.mark.parametrize("field,value", [("actor_id", None), ("to_state", "closed"), ("type", "replied")])
def test_any_changed_field_breaks_the_link(db, make_ticket, users, field, value):
    ticket = _worked(make_ticket, users)
    victim = _events(ticket)[2]
    _raw_update(victim.pk, **{field: value})
    [b] = chain_breaks(ticket_id=ticket.pk)
    assert (b.event_id, b.problem) == (victim.pk, "altered")


def test_a_changed_time_breaks_the_link(db, make_ticket, users):
    ticket = _worked(make_ticket, users)
    victim = _events(ticket)[1]
    TicketEvent.objects.filter(pk=victim.pk).update(created_at=victim.created_at - dt.timedelta(seconds=1))
    [b] = chain_breaks(ticket_id=ticket.pk)
    assert (b.event_id, b.problem) == (victim.pk, "altered")


def test_a_deleted_event_is_reported(db, make_ticket, users):
    ticket = _worked(make_ticket, users)
    events = _events(ticket)
    TicketEvent.objects.filter(pk=events[2].pk).delete()
    code, out = _verify("--ticket", str(ticket.pk))
    assert code == 1
    assert f"ticket {ticket.pk}: event {events[3].pk} (seq 4): missing: expected event 3 of the chain, found 4" in out


def test_a_deleted_first_event_is_reported(db, make_ticket, users):
    ticket = _worked(make_ticket, users)
    events = _events(ticket)
    TicketEvent.objects.filter(pk=events[0].pk).delete()
    [b] = chain_breaks(ticket_id=ticket.pk)
    assert (b.event_id, b.problem) == (events[1].pk, "missing")


def test_reordered_events_are_reported(db, make_ticket, users):
    ticket = _worked(make_ticket, users)
    a, b = _events(ticket)[1:3]
    # Swap the two rows' contents (hashes included): each row is intact, the order is not.
    cols = ("type", "actor_id", "created_at", "from_state", "to_state", "payload", "seq", "hash")
    va = TicketEvent.objects.filter(pk=a.pk).values(*cols).get()
    vb = TicketEvent.objects.filter(pk=b.pk).values(*cols).get()
    TicketEvent.objects.filter(pk=b.pk).update(seq=None)
    TicketEvent.objects.filter(pk=a.pk).update(**vb)
    TicketEvent.objects.filter(pk=b.pk).update(**va)
    [br] = chain_breaks(ticket_id=ticket.pk)
    assert (br.event_id, br.problem) == (a.pk, "missing")  # event 3 where 2 belongs
    assert _verify("--ticket", str(ticket.pk))[0] == 1


def test_an_event_moved_to_another_ticket_is_reported(db, make_ticket, users):
    other = make_ticket()
    ticket = _worked(make_ticket, users)
    moved = _events(ticket)[-1]
    TicketEvent.objects.filter(pk=moved.pk).update(ticket=other, seq=2)
    [b] = chain_breaks(ticket_id=other.pk)
    assert (b.event_id, b.problem) == (moved.pk, "altered")


def test_an_event_written_outside_the_writer_is_reported(db, make_ticket, users):
    ticket = make_ticket()
    stray = TicketEvent.objects.create(ticket=ticket, type="replied", created_at=timezone.now())
    [b] = chain_breaks(ticket_id=ticket.pk)
    assert (b.event_id, b.problem) == (stray.pk, "unchained")


def test_two_writers_cannot_fork_a_chain(db, make_ticket, users):
    ticket = make_ticket()
    first = _events(ticket)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketEvent.objects.create(ticket=ticket, type="urged", created_at=timezone.now(), seq=first.seq, hash="x" * 64)


def test_bulk_append_chains_in_order_across_tickets(db, make_ticket, users):
    a, b = make_ticket(), make_ticket()
    now = timezone.now()
    rows = events_append(events=[
        {"ticket": a, "type": "urged", "actor": users["supervisor"], "at": now, "payload": {"n": 1}},
        {"ticket_id": b.pk, "type": "urged", "actor": None, "at": now, "payload": {"n": 2.0}},
        {"ticket": a, "type": "supervised", "actor": users["supervisor"], "at": now, "payload": {"n": 3}},
    ])
    assert [(r.ticket_id, r.seq) for r in rows] == [(a.pk, 2), (b.pk, 2), (a.pk, 3)]
    event_append(ticket=b, type="urged", actor=users["supervisor"], payload={"note": "再催"})
    assert list(chain_breaks()) == []


def test_a_deleted_chain_tail_is_caught_by_the_daily_anchor(db, make_ticket, users):
    ticket = _worked(make_ticket, users)
    today = timezone.localdate()
    assert chain_anchor_day(day=today) is not None
    assert chain_anchor_day(day=today) is None  # one anchor per day
    last = _events(ticket)[-1]
    TicketEvent.objects.filter(pk=last.pk).delete()
    assert list(chain_breaks(ticket_id=ticket.pk)) == []  # the chain itself still links
    code, out = _verify()
    assert code == 1
    assert f"ticket {ticket.pk}: anchor {today}: head_missing: event {last.seq}" in out


def test_anchors_are_chained_and_made_for_every_finished_day(db, make_ticket, users):
    ticket, _ = ticket_register(actor=users["intake_agent"], draft=draft(),
                                at=timezone.now() - dt.timedelta(days=3))
    assert chain_anchor_due() == 3
    assert chain_anchor_due() == 0
    anchors = list(ChainAnchor.objects.order_by("day"))
    assert [a.previous for a in anchors[1:]] == [a.digest for a in anchors[:-1]]
    assert str(ticket.pk) in anchors[0].heads
    assert _verify() == (0, "All chains intact.\n")
    ChainAnchor.objects.filter(pk=anchors[1].pk).update(heads={str(ticket.pk): [1, "0" * 64]})
    ChainAnchor.objects.filter(pk=anchors[0].pk).update(digest="f" * 64)
    assert _verify("--no-anchors") == (0, "All chains intact.\n")
    code, out = _verify()
    assert code == 1
    assert f"anchor {anchors[0].day}: anchor_altered" in out
    assert f"anchor {anchors[1].day}: anchor_chain" in out
    assert f"anchor {anchors[1].day}: anchor_altered" in out


def test_verify_rows_is_pure_and_streams(settings):
    key = b"k"
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC)
    h1 = event_hash(key, GENESIS, ticket_id=1, seq=1, type="registered", actor_id=None, at=at,
                    from_state="", to_state="registered", payload={"b": 1, "a": [1.0, "中"]})
    # The same content, keys in another order and 1.0 as 1 (as PostgreSQL's jsonb gives it back).
    row = {"id": 9, "ticket_id": 1, "seq": 1, "hash": h1, "type": "registered", "actor_id": None,
           "created_at": at.astimezone(dt.timezone(dt.timedelta(hours=8))), "from_state": "",
           "to_state": "registered", "payload": {"a": [1, "中"], "b": 1}}
    assert list(verify_rows([row], key)) == []
    assert [b.problem for b in verify_rows([row], b"other key")] == ["altered"]


def test_the_migration_chains_existing_events_in_batches(db, make_ticket, users, monkeypatch):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("complaintdesk.tickets.migrations.0004_event_chain")
    monkeypatch.setattr(migration, "BATCH", 4)  # several batches, a ticket split across two
    tickets = [_worked(make_ticket, users) for _ in range(2)] + [make_ticket()]
    expected = {e.pk: (e.seq, e.hash) for e in TicketEvent.objects.all()}
    TicketEvent.objects.update(seq=None, hash="")  # events as they were before the chain
    assert {b.problem for b in chain_breaks()} == {"unchained"}
    migration.chain_existing(apps, SimpleNamespace(connection=connection))
    assert {e.pk: (e.seq, e.hash) for e in TicketEvent.objects.all()} == expected
    assert len(expected) == 13 and len(tickets) == 3
    assert list(chain_breaks()) == []


@pytest.mark.django_db(transaction=True)
def test_the_chain_key_kept_in_the_data_dir_travels_with_the_backup(org, make_ticket, users, tmp_path,
                                                                    settings, monkeypatch):
    """A restore on a new machine (which made its own key on first start) still verifies."""
    import tarfile

    from complaintdesk.audit.chain import KEY_FILE_NAME, chain_key_forget

    settings.DATA_DIR, settings.MEDIA_ROOT = tmp_path, tmp_path / "media"
    monkeypatch.delenv("AUDIT_CHAIN_KEY", raising=False)
    settings.AUDIT_CHAIN_KEY = ""
    chain_key_forget()
    ticket = _worked(make_ticket, users)
    assert (tmp_path / KEY_FILE_NAME).stat().st_mode & 0o077 == 0
    old_key = (tmp_path / KEY_FILE_NAME).read_text()
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=archive)
    with tarfile.open(archive) as tar:
        assert tar.extractfile(KEY_FILE_NAME).read().decode() == old_key
    (tmp_path / KEY_FILE_NAME).write_text("a key the new machine made")
    chain_key_forget()
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", archive)
    assert (tmp_path / KEY_FILE_NAME).read_text() == old_key
    assert TicketEvent.objects.filter(ticket_id=ticket.pk).count() == 6
    assert list(chain_breaks()) == []
    chain_key_forget()
