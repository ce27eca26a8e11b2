"""The complaint ledger and case dossiers in the workbench (issue 12 §2): the worklist with its
filters at a fixed query count, the xlsx export from the page, the dossier page with its
snapshot, the instructions (批示) and follow-up notes through their one writer (each also a
ticket event), scope, and two heads writing at once."""

import datetime as dt
import io
import threading

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from complaintdesk.core.errors import Forbidden, ValidationFailed
from complaintdesk.sla import selectors
from complaintdesk.sla.models import DossierNote, LedgerEntry, TicketClock
from complaintdesk.sla.services.dossier_notes import dossier_note_add
from complaintdesk.sla.services.scan import sla_scan
from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t

M = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


def breach(tickets, now=None):
    """A missed handling deadline on each ticket, entered by the scan (ledger + dossier)."""
    now = now or timezone.now().replace(microsecond=0)
    for ticket in tickets:
        TicketClock.objects.filter(ticket=ticket).delete()
        TicketClock.objects.create(ticket=ticket, clock="handle", cycle=0, state="running",
                                   started_at=now - 13 * H, due_at=now - M)
    sla_scan(now=now)
    return {e.ticket_id: e for e in LedgerEntry.objects.select_related("ticket")}


@pytest.fixture
def cases(org, make_ticket):
    u = org["users"]

    def dispatched(**kw):
        ticket = make_ticket(**kw)
        t.ticket_review(ticket_id=ticket.pk, actor=u["dispatcher"], valid=True)
        t.ticket_dispatch(ticket_id=ticket.pk, actor=u["dispatcher"], department="billing")
        return Ticket.objects.get(pk=ticket.pk)

    tickets = {
        "billing": dispatched(title="话费多扣未处理"),
        # Each its own customer: a customer's later tickets go to the unit that owns them.
        "county": dispatched(org_unit="p-a-1", title="县里宽带多扣费", phone="13900139001", customer_name="李四"),
        "network": make_ticket(category="network-weak", title="信号弱投诉无人跟进", elements={},
                               phone="13900139002", customer_name="王五"),
        "city_b": make_ticket(org_unit="p-b", category="network-weak", title="乙市来电无人处理", elements={},
                              phone="13900139003", customer_name="赵六"),
    }
    entries = breach(tickets.values())
    return {"tickets": tickets, "entries": {k: entries[v.pk] for k, v in tickets.items()}}


def _numbers(html, cases, keys):
    return {k for k in keys if f'data-entry="{cases["entries"][k].pk}"' in html}


@pytest.mark.django_db
def test_ledger_worklist_filters(org, cases, client):
    u = org["users"]
    client.force_login(u["supervisor"])
    everyone = set(cases["tickets"])

    def shown(**params):
        r = client.get("/ledger/", params, HTTP_ACCEPT_LANGUAGE="en")
        assert r.status_code == 200, r.content.decode()[:2000]
        return _numbers(r.content.decode(), cases, everyone)

    assert shown() == everyone
    assert shown(org_unit="p-a") == {"county"}
    assert shown(category="billing") == {"billing", "county"}
    assert shown(category="network") == {"network", "city_b"}
    assert shown(ticket_state="registered") == {"network", "city_b"}
    assert shown(department="billing") == {"billing", "county"}
    today = timezone.localdate()
    assert shown(date_from=today.isoformat(), date_to=today.isoformat()) == everyone
    assert shown(date_to=(today - dt.timedelta(days=1)).isoformat()) == set()
    t.ticket_review(ticket_id=cases["tickets"]["city_b"].pk, actor=u["dispatcher"], valid=False,
                    reason="重复来电", answer="已答复")  # closed: its entry resolves
    assert shown(state="resolved") == {"city_b"}
    assert shown(state="open") == everyone - {"city_b"}
    assert shown(q="宽带") == {"county"}


@pytest.mark.django_db
@pytest.mark.parametrize("params,field", [
    ({"org_unit": "nowhere"}, "org_unit"), ({"category": "nope"}, "category"),
    ({"date_from": "2026-13-01"}, "date_from"), ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_to"),
    ({"ticket_state": "lost"}, "ticket_state"),
])
def test_bad_filters_are_named(org, cases, client, params, field):
    client.force_login(org["users"]["supervisor"])
    r = client.get("/ledger/", params, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422
    assert f'id="id_{field}_error"' in r.content.decode()


@pytest.mark.django_db
def test_ledger_worklist_is_scoped_and_costs_a_fixed_number_of_queries(org, cases, client, make_ticket):
    u = org["users"]
    client.force_login(u["handler"])  # billing: what billing held when the clock broke
    html = client.get("/ledger/").content.decode()
    assert _numbers(html, cases, cases["tickets"]) == {"billing", "county"}
    client.force_login(u["city_b_dispatcher"])
    html = client.get("/ledger/").content.decode()
    assert _numbers(html, cases, cases["tickets"]) == {"city_b"}
    client.force_login(u["network_handler"])
    assert client.get(f"/ledger/{cases['entries']['billing'].pk}/").status_code == 404

    client.force_login(u["supervisor"])
    for e in cases["entries"].values():
        dossier_note_add(entry=e, actor=u["dept_head"], kind="instruction", text="按规定退费并致歉")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            r = client.get("/ledger/", {"category": "billing", "org_unit": "p", "state": "open"})
        assert r.status_code == 200
        return len(ctx.captured_queries)

    small = count()
    more = [make_ticket(title=f"新增 {i}") for i in range(6)]
    for e in breach(more).values():
        dossier_note_add(entry=e, actor=u["supervisor"], kind="follow_up", text="已催办")
    assert count() == small
    assert small <= 12


@pytest.mark.django_db
def test_ledger_export_from_the_page(org, cases, client):
    client.force_login(org["users"]["supervisor"])
    r = client.get("/ledger/export.xlsx", {"category": "billing"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    numbers = {row[0] for row in rows[1:]}
    assert numbers == {cases["tickets"]["billing"].number, cases["tickets"]["county"].number}
    assert rows[0][0] == "工单编号" or isinstance(rows[0][0], str)


@pytest.mark.django_db
def test_dossier_page_snapshot_and_notes(org, cases, client):
    u = org["users"]
    entry = cases["entries"]["billing"]
    ticket = cases["tickets"]["billing"]
    client.force_login(u["dept_head"])
    r = client.get(f"/ledger/{entry.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = r.content.decode()
    assert r.status_code == 200
    assert "话费多扣未处理" in html and "十月份话费多扣了58元" in html  # the snapshot's description
    assert 'id="dossier-form-instruction"' in html and 'id="dossier-form-follow_up"' in html
    assert "批示" in html
    client.force_login(u["leader"])  # a leader sees the dossier's phones masked
    assert "13800138000" not in client.get(f"/ledger/{entry.pk}/").content.decode()
    client.force_login(u["dept_head"])

    r = client.post(f"/ledger/{entry.pk}/notes/", {"kind": "instruction", "text": "   "}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422 and "Write the instruction or the note." in r.content.decode()
    r = client.post(f"/ledger/{entry.pk}/notes/", {"kind": "instruction", "text": "同意退还58元，三日内回复客户。"})
    assert r.status_code == 302
    note = DossierNote.objects.get()
    assert (note.kind, note.author_id, note.ledger_entry_id) == ("instruction", u["dept_head"].pk, entry.pk)
    event = TicketEvent.objects.get(pk=note.event_id)
    assert event.type == "dossier_instructed" and event.ticket_id == ticket.pk
    assert event.payload == {"text": "同意退还58元，三日内回复客户。", "ledger_entry": entry.pk}
    # The ticket's state and version stay: a note is not a workflow step.
    again = Ticket.objects.get(pk=ticket.pk)
    assert (again.state, again.version) == (ticket.state, ticket.version)
    html = client.get(f"/ledger/{entry.pk}/").content.decode()
    assert "同意退还58元" in html

    # A handler adds a follow-up but gives no instruction.
    client.force_login(u["handler"])
    html = client.get(f"/ledger/{entry.pk}/").content.decode()
    assert 'id="dossier-form-instruction"' not in html and 'id="dossier-form-follow_up"' in html
    r = client.post(f"/ledger/{entry.pk}/notes/", {"kind": "instruction", "text": "越权"})
    assert r.status_code == 302 and DossierNote.objects.count() == 1
    client.post(f"/ledger/{entry.pk}/notes/", {"kind": "follow_up", "text": "已联系客户说明退费进度"})
    assert DossierNote.objects.filter(kind="follow_up").count() == 1
    # The ticket page's timeline shows both.
    client.force_login(u["supervisor"])
    page = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Instruction on the case dossier" in page and "已联系客户说明退费进度" in page
    assert client.get(f"/ledger/{entry.pk}/notes/").status_code == 405  # no change on GET


@pytest.mark.django_db
def test_dossier_page_costs_a_fixed_number_of_queries(org, cases, client):
    u = org["users"]
    entry = cases["entries"]["billing"]
    client.force_login(u["supervisor"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/ledger/{entry.pk}/").status_code == 200
        return len(ctx.captured_queries)

    dossier_note_add(entry=entry, actor=u["dept_head"], kind="instruction", text="一")
    small = count()
    for i in range(8):
        dossier_note_add(entry=entry, actor=u["supervisor"] if i % 2 else u["handler"], kind="follow_up", text=str(i))
    assert count() == small


@pytest.mark.django_db
@pytest.mark.parametrize("kind,text,field", [
    ("", "x", "kind"), ("verdict", "x", "kind"), ("follow_up", "", "text"), ("follow_up", "a\x00b", "text"),
    ("follow_up", "x" * 4001, "text"),
])
def test_bad_notes_name_the_field(org, cases, kind, text, field):
    with pytest.raises(ValidationFailed) as exc:
        dossier_note_add(entry=cases["entries"]["billing"], actor=org["users"]["dept_head"], kind=kind, text=text)
    assert [f.field for f in exc.value.fields] == [field]
    assert not DossierNote.objects.exists()


@pytest.mark.django_db
def test_who_writes_what(org, cases):
    u = org["users"]
    entry = cases["entries"]["billing"]
    for who in ("handler", "supervisor", "dispatcher", "intake_agent", "admin"):
        with pytest.raises(Forbidden):
            dossier_note_add(entry=entry, actor=u[who], kind="instruction", text="批示")
    for who in ("intake_agent", "admin"):
        with pytest.raises(Forbidden):
            dossier_note_add(entry=entry, actor=u[who], kind="follow_up", text="跟进")
    dossier_note_add(entry=entry, actor=u["leader"], kind="instruction", text="批示")
    assert DossierNote.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_heads_write_at_once_both_are_kept_in_one_chain(org, cases):
    u = org["users"]
    entry = cases["entries"]["billing"]
    barrier = threading.Barrier(2)
    results = []

    def write(actor, text):
        try:
            barrier.wait(timeout=10)
            results.append(dossier_note_add(entry=entry, actor=actor, kind="instruction", text=text))
        except Exception as exc:  # asserted below
            results.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write, args=(u["dept_head"], "甲")),
               threading.Thread(target=write, args=(u["leader"], "乙"))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert all(isinstance(r, DossierNote) for r in results), results
    seqs = list(TicketEvent.objects.filter(ticket_id=entry.ticket_id).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))  # no fork in the hash chain
    assert TicketEvent.objects.filter(ticket_id=entry.ticket_id, type="dossier_instructed").count() == 2
    assert selectors.dossier_notes(entry=entry)[0].text in ("甲", "乙")
