"""Issue 12 §5, the everyday ticket tools: internal notes with @mentions (a notification,
staff only, never on the portal), links and merging a duplicate (both timelines kept, one
writer, both rows locked in id order), bulk dispatch / urge / close (each ticket its own
event, refusals by ticket), dispatch to an org unit, the staff picker; query counts fixed;
two people acting at once (SQLite serialises writers, PostgreSQL locks rows: both run)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.desk.models import TicketLink
from complaintdesk.desk.selectors import staff_options
from complaintdesk.desk.services import links as link_services
from complaintdesk.desk.services.bulk import bulk_apply
from complaintdesk.desk.services.notes import mentions_in, note_add
from complaintdesk.notifications.models import Message
from complaintdesk.portal.workflow import public_timeline
from complaintdesk.tickets.models import Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t
from tests.test_concurrency import _race


@pytest.fixture
def login(client):
    def as_(user, lang="en"):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
        return client
    return as_


def _reviewed(users, make_ticket, **kw):
    ticket = make_ticket(**kw)
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    return Ticket.objects.get(pk=ticket.pk)


# -- notes -------------------------------------------------------------------------------------

def test_mentions_are_read_from_the_text_not_from_mail_addresses():
    assert mentions_in("请 @handler 和 @head. 核实，抄送 a@b.com") == ["handler", "head"]


def test_a_note_with_a_mention_tells_the_colleague_and_stays_off_the_portal(users, make_ticket):
    ticket = _reviewed(users, make_ticket)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], department="billing")
    version = Ticket.objects.get(pk=ticket.pk).version
    event = note_add(ticket_id=ticket.pk, actor=users["dispatcher"], text="@handler 请今天回电客户",
                     mentions=["head"])
    assert event.type == "note_added" and event.payload["mentions"] == ["handler", "head"]
    assert Ticket.objects.get(pk=ticket.pk).version == version  # a note is no conflict for anyone
    told = Message.objects.filter(template="ticket_mentioned")
    assert sorted(m.recipient_user.username for m in told) == ["handler", "head"]
    assert "请今天回电客户" in told.first().body
    events = list(TicketEvent.objects.filter(ticket=ticket).values("type", "created_at", "to_state", "payload")
                  .order_by("id"))
    steps = public_timeline([{**e, "by_portal": False} for e in events])
    assert all("请今天回电客户" not in (s.text or "") for s in steps)


def test_a_mention_of_someone_who_may_not_see_the_ticket_is_refused(users, make_ticket):
    ticket = _reviewed(users, make_ticket)  # not dispatched: the network handler sees nothing
    with pytest.raises(ValidationFailed) as err:
        note_add(ticket_id=ticket.pk, actor=users["dispatcher"], text="看看 @net")
    assert err.value.fields[0].field == "mentions" and "net" in str(err.value.fields[0].reason)
    with pytest.raises(ValidationFailed) as err:
        note_add(ticket_id=ticket.pk, actor=users["dispatcher"], text="@nobody-here")
    assert err.value.fields[0].field == "mentions"
    assert not TicketEvent.objects.filter(ticket=ticket, type="note_added").exists()
    assert not Message.objects.filter(template="ticket_mentioned").exists()


@pytest.mark.parametrize(("lang", "expected"), [("en", "Write the note."), ("zh-hans", "请填写备注。")])
def test_the_note_form_names_the_field_in_the_users_language(users, make_ticket, login, lang, expected):
    ticket = _reviewed(users, make_ticket)
    r = login(users["dispatcher"], lang).post(f"/tickets/{ticket.pk}/note/", {"note-text": " "})
    assert r.status_code == 422 and expected in r.content.decode()


def test_note_from_the_page_and_the_staff_picker(users, make_ticket, login):
    ticket = _reviewed(users, make_ticket)
    client = login(users["dispatcher"])
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-tool="note"' in page and 'data-picker="mention"' in page
    r = client.post(f"/tickets/{ticket.pk}/note/", {"note-text": "客户情绪激动", "note-mention": "supervisor"})
    assert r.status_code == 302
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "客户情绪激动" in page and 'class="tl-note"' in page
    assert Message.objects.filter(template="ticket_mentioned", recipient_user=users["supervisor"]).exists()
    # The picker: mention offers who may see the ticket; dispatch, department accounts.
    html = client.get("/staff/picker/", {"purpose": "mention", "ticket": ticket.pk, "field": "q", "q": ""}).content.decode()
    assert 'value="supervisor"' in html and 'value="net"' not in html
    html = client.get("/staff/picker/", {"purpose": "dispatch", "field": "assignee", "assignee": "hea"}).content.decode()
    assert 'value="head"' in html and 'value="dispatcher"' not in html


def test_staff_picker_queries_are_fixed(org, users, make_ticket):
    from complaintdesk.accounts.models import User

    ticket = _reviewed(users, make_ticket)

    def count(purpose):
        with CaptureQueriesContext(connection) as ctx:
            staff_options(viewer=users["dispatcher"], query="", purpose=purpose, ticket_id=ticket.pk)
        return len(ctx.captured_queries)

    small = {p: count(p) for p in ("dispatch", "mention")}
    for i in range(12):
        User.objects.create_user(username=f"h{i}", password="x" * 12, role="handler",
                                 org_unit=org["province"], department=org["billing"])
    assert {p: count(p) for p in ("dispatch", "mention")} == small
    assert small == {"dispatch": 1, "mention": 2}


# -- links and merges --------------------------------------------------------------------------

def test_link_related_both_ways_and_remove(users, make_ticket):
    a, b = _reviewed(users, make_ticket), _reviewed(users, make_ticket, title="另一单")
    link = link_services.link_add(ticket_id=b.pk, other=a.number, type="related", actor=users["dispatcher"])
    assert (link.ticket_id, link.other_id) == (a.pk, b.pk)  # stored once, lower id first
    with pytest.raises(ValidationFailed):
        link_services.link_add(ticket_id=a.pk, other=b.number, type="related", actor=users["dispatcher"])
    with pytest.raises(ValidationFailed) as err:
        link_services.link_add(ticket_id=a.pk, other=a.number, type="related", actor=users["dispatcher"])
    assert err.value.fields[0].field == "other"
    assert TicketEvent.objects.filter(type="ticket_linked").count() == 2
    link_services.link_remove(link_id=link.pk, ticket_id=a.pk, actor=users["dispatcher"])
    assert not TicketLink.objects.exists() and TicketEvent.objects.filter(type="ticket_unlinked").count() == 2


def test_merge_closes_the_duplicate_and_keeps_both_timelines(users, make_ticket, login):
    survivor = _reviewed(users, make_ticket, title="话费多扣（首单）")
    duplicate = _reviewed(users, make_ticket, title="话费多扣（重复）")
    t.ticket_dispatch(ticket_id=duplicate.pk, actor=users["dispatcher"], department="billing")
    note_add(ticket_id=duplicate.pk, actor=users["dispatcher"], text="重复来电的备注")
    client = login(users["dispatcher"])
    r = client.post(f"/tickets/{duplicate.pk}/merge/", {"merge-into": survivor.number, "merge-reason": "同一问题"})
    assert r.status_code == 302, r.content.decode()[:500]
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.resolution, duplicate.lead_department_id) == ("closed", "duplicate", None)
    assert not duplicate.assignments.filter(active=True).exists()
    assert TicketLink.objects.get(ticket=duplicate, other=survivor).merged_at is not None
    assert TicketEvent.objects.filter(ticket=duplicate, type="merged_into").count() == 1
    assert TicketEvent.objects.filter(ticket=survivor, type="duplicate_merged").count() == 1
    page = client.get(f"/tickets/{survivor.pk}/").content.decode()
    assert "重复来电的备注" in page  # the duplicate's timeline, on the survivor's page
    assert f"from merged duplicate {duplicate.number}" in page
    # A closed survivor, or the ticket itself: refused at the field.
    other = _reviewed(users, make_ticket)
    with pytest.raises(ValidationFailed) as err:
        link_services.ticket_merge(ticket_id=other.pk, into=duplicate.number, actor=users["dispatcher"])
    assert err.value.fields[0].field == "into"
    with pytest.raises(ValidationFailed):
        link_services.ticket_merge(ticket_id=other.pk, into=other.number, actor=users["dispatcher"])


def test_merge_refused_for_a_handler_and_outside_scope(users, make_ticket):
    a, b = _reviewed(users, make_ticket), _reviewed(users, make_ticket)
    t.ticket_dispatch(ticket_id=a.pk, actor=users["dispatcher"], department="billing")
    t.ticket_dispatch(ticket_id=b.pk, actor=users["dispatcher"], department="billing")
    from complaintdesk.core.errors import Forbidden, NotFound

    with pytest.raises(Forbidden):
        link_services.ticket_merge(ticket_id=a.pk, into=b.number, actor=users["handler"])
    with pytest.raises(NotFound):
        link_services.ticket_merge(ticket_id=a.pk, into=b.number, actor=users["city_b_dispatcher"])
    assert Ticket.objects.get(pk=a.pk).state == "dispatched"


# -- dispatch to an org unit -------------------------------------------------------------------

def test_dispatch_to_an_org_unit_default_department_else_head(org, users, make_ticket):
    city = org["city_a"]
    a = _reviewed(users, make_ticket)
    with pytest.raises(ValidationFailed) as err:
        t.ticket_dispatch(ticket_id=a.pk, actor=users["dispatcher"], org_unit="p-a")
    assert err.value.fields[0].field == "org_unit"
    city.head = users["sales_lead"]
    city.save()
    t.ticket_dispatch(ticket_id=a.pk, actor=users["dispatcher"], org_unit="p-a")
    a.refresh_from_db()
    assert (a.lead_department_id, a.lead_assignee_id) == (org["sales"].pk, users["sales_lead"].pk)
    city.default_department = org["network"]
    city.save()
    b = _reviewed(users, make_ticket)
    t.ticket_dispatch(ticket_id=b.pk, actor=users["dispatcher"], org_unit="p-a")
    b.refresh_from_db()
    assert (b.lead_department_id, b.lead_assignee_id) == (org["network"].pk, None)
    assert TicketEvent.objects.get(ticket=b, type="dispatched").payload["org_unit"] == "p-a"


# -- bulk --------------------------------------------------------------------------------------

def test_bulk_dispatch_each_its_own_event_refusals_by_ticket(users, make_ticket, login):
    ok1, ok2 = _reviewed(users, make_ticket), _reviewed(users, make_ticket)
    fresh = make_ticket()  # not reviewed: cannot be dispatched
    client = login(users["dispatcher"])
    r = client.post("/work/all/bulk/", {"action": "dispatch", "department": "network",
                                        "ticket": [ok1.pk, fresh.pk, ok2.pk]})
    assert r.status_code == 200
    html = r.content.decode()
    assert f'data-ticket="{fresh.number}"' in html and "Registered" in html
    for x in (ok1, ok2):
        assert TicketEvent.objects.filter(ticket=x, type="dispatched").count() == 1
        assert Ticket.objects.get(pk=x.pk).lead_department.code == "network"
    assert Ticket.objects.get(pk=fresh.pk).state == "registered"
    # Close needs a reason, said once; in Chinese for a Chinese user.
    r = login(users["dispatcher"], "zh-hans").post("/work/all/bulk/", {"action": "close", "ticket": [ok1.pk]})
    assert r.status_code == 422 and "原因" in r.content.decode()


def test_bulk_urge_and_an_unseen_ticket(users, make_ticket):
    a = _reviewed(users, make_ticket)
    t.ticket_dispatch(ticket_id=a.pk, actor=users["dispatcher"], department="billing")
    result = bulk_apply(actor=users["city_b_dispatcher"], action="urge", ticket_ids=[a.pk])
    assert result.done == [] and result.refused[0][0] == f"#{a.pk}"
    result = bulk_apply(actor=users["supervisor"], action="urge", ticket_ids=[a.pk], note="今天必须回复")
    assert result.done == [a.number]
    assert Message.objects.filter(template="ticket_urged").exists()


def test_worklist_with_the_bulk_bar_has_fixed_queries(users, make_ticket, login):
    client = login(users["dispatcher"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/work/all/").status_code == 200
        return len(ctx.captured_queries)

    _reviewed(users, make_ticket)
    client.get("/work/all/")
    small = count()
    for _i in range(8):
        _reviewed(users, make_ticket)
    assert count() == small
    assert 'form="wl-bulk"' in client.get("/work/all/").content.decode()


# -- two people at once -------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_people_merge_a_pair_crosswise_at_once(org, make_ticket):
    u = org["users"]
    a, b = _reviewed(u, make_ticket), _reviewed(u, make_ticket)
    results = _race(
        lambda: link_services.ticket_merge(ticket_id=a.pk, into=b.number, actor=u["dispatcher"]),
        lambda: link_services.ticket_merge(ticket_id=b.pk, into=a.number, actor=u["supervisor"]),
    )
    assert sorted(r[0] for r in results) == ["error", "ok"], results
    states = sorted(Ticket.objects.filter(pk__in=[a.pk, b.pk]).values_list("state", flat=True))
    assert states == ["awaiting_dispatch", "closed"]
    assert TicketEvent.objects.filter(type="merged_into").count() == 1
    assert TicketLink.objects.filter(merged_at__isnull=False).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_bulk_dispatch_the_same_selection_at_once(org, make_ticket):
    u = org["users"]
    tickets = [_reviewed(u, make_ticket) for _i in range(3)]
    ids = [x.pk for x in tickets]
    results = _race(
        lambda: bulk_apply(actor=u["dispatcher"], action="dispatch", ticket_ids=ids, department="billing"),
        lambda: bulk_apply(actor=u["supervisor"], action="dispatch", ticket_ids=list(reversed(ids)),
                           department="network"),
    )
    assert [r[0] for r in results] == ["ok", "ok"], results
    first, second = results[0][1], results[1][1]
    assert len(first.done) + len(second.done) == 3  # each ticket moved once
    assert len(first.refused) + len(second.refused) == 3
    for x in tickets:
        assert TicketEvent.objects.filter(ticket=x, type="dispatched").count() == 1
        assert Ticket.objects.get(pk=x.pk).assignments.filter(active=True).count() == 1


def test_survivor_page_queries_do_not_grow_with_merged_duplicates(users, make_ticket, login):
    survivor = _reviewed(users, make_ticket)
    client = login(users["dispatcher"])

    def merge_one():
        dup = _reviewed(users, make_ticket)
        note_add(ticket_id=dup.pk, actor=users["dispatcher"], text="备注")
        link_services.ticket_merge(ticket_id=dup.pk, into=survivor.number, actor=users["dispatcher"])

    def count():
        client.get(f"/tickets/{survivor.pk}/")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/tickets/{survivor.pk}/").status_code == 200
        return len(ctx.captured_queries)

    merge_one()
    small = count()
    for _i in range(4):
        merge_one()
    assert count() == small
    # Each duplicate: registered, reviewed, its note, merged into: all four on the survivor's page.
    assert client.get(f"/tickets/{survivor.pk}/").content.decode().count("from merged duplicate") == 5 * 4


def test_a_note_on_a_closed_rated_ticket_adds_no_step_on_the_portal(users, make_ticket):
    ticket = make_ticket()
    t.ticket_resolve_on_spot(ticket_id=ticket.pk, actor=users["intake_agent"], answer="已解释")
    before = TicketEvent.objects.filter(ticket=ticket).count()
    note_add(ticket_id=ticket.pk, actor=users["dispatcher"], text="客户事后又来电致谢")
    events = [{**e, "by_portal": False} for e in TicketEvent.objects.filter(ticket=ticket).order_by("id")
              .values("type", "created_at", "to_state", "payload")]
    assert len(events) == before + 1
    # A rating from the portal last, then the note: no new "closed" step, no note text.
    rated = [*events[:-1], {"type": "called_back", "created_at": events[-1]["created_at"], "to_state": "closed",
                            "payload": {}, "by_portal": True}, events[-1]]
    steps = public_timeline(rated)
    assert [(s.step, s.text) for s in steps] == [(s.step, s.text) for s in public_timeline(rated[:-1])]
    assert all("致谢" not in (s.text or "") for s in steps)
