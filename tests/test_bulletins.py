"""Bulletins (issue 11 §4): drafted from the period's records, edited, approved, published to
the units concerned, with the tickets behind every line linked only where the viewer may see
them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaintdesk.accounts.models import User
from complaintdesk.bulletins.models import Bulletin, BulletinLine, BulletinStep
from complaintdesk.bulletins.services import bulletins as services
from complaintdesk.bulletins.services.bulletin_records import bulletin_records
from complaintdesk.capa.models import TicketRootCause
from complaintdesk.core.errors import Conflict, Forbidden, ValidationFailed
from complaintdesk.monthly import workflow
from complaintdesk.notifications.models import Message
from complaintdesk.sla.models import LedgerEntry
from complaintdesk.tickets.models import Assignment, Ticket, TicketEvent

TZ = ZoneInfo("Asia/Shanghai")
NOV = workflow.report_month_ending(2026, 11)
_phones = iter(range(10_000))


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


def _ticket(make_ticket, *, unit="p-a", created="2026-11-05", **fields):
    t = make_ticket(org_unit=unit, phone=f"1390001{next(_phones):04d}")
    Ticket.objects.filter(pk=t.pk).update(created_at=at(created), **fields)
    return Ticket.objects.get(pk=t.pk)


@pytest.fixture
def records(org, users, make_ticket):
    mk = lambda **kw: _ticket(make_ticket, **kw)  # noqa: E731
    late_a, late_b = mk(unit="p-a-1"), mk(unit="p-b")
    for t, day in ((late_a, "2026-11-06"), (late_b, "2026-11-07")):
        LedgerEntry.objects.create(ticket=t, reason="breach", opened_at=at(day), summary="超时", org_unit=t.org_unit)
    LedgerEntry.objects.create(ticket=late_a, reason="breach", opened_at=at("2026-11-27"), summary="期外",
                               org_unit=late_a.org_unit)  # after the period
    rejected = mk(unit="p-a")
    for day in ("2026-11-08", "2026-11-09"):  # twice: one ticket in the line
        TicketEvent.objects.create(ticket=rejected, type="audit_rejected", actor=users["supervisor"],
                                   created_at=at(day), payload={"note": "未答复全部诉求"})
    first = mk(unit="p-a", created="2026-10-01")
    repeat = mk(unit="p-a", repeat_of=first)
    oth = mk(unit="p-b", over_the_head=True, source_tier="12315")
    mk(unit="p-b", over_the_head=True, created="2026-11-26")  # after the period
    violation = mk(unit="p-b")
    TicketRootCause.objects.create(ticket=violation, accountability="通报批评", recorded_at=at("2026-11-10"))
    TicketRootCause.objects.create(ticket=mk(unit="p-b"), accountability="", recorded_at=at("2026-11-10"))
    return {"late_a": late_a, "late_b": late_b, "rejected": rejected, "repeat": repeat, "oth": oth,
            "violation": violation}


def _lines(records_):
    return {(r["kind"], r["org_unit_id"]): [t["id"] for t in r["tickets"]] for r in records_}


@pytest.mark.django_db
def test_records_of_the_period_per_kind_and_unit(org, records):
    lines = _lines(bulletin_records(unit=org["province"], period=NOV))
    r = records
    assert lines == {
        ("serious_delay", org["county"].pk): [r["late_a"].pk],
        ("serious_delay", org["city_b"].pk): [r["late_b"].pk],
        ("audit_rejection", org["city_a"].pk): [r["rejected"].pk],
        ("repeat", org["city_a"].pk): [r["repeat"].pk],
        ("over_the_head", org["city_b"].pk): [r["oth"].pk],
        ("violation", org["city_b"].pk): [r["violation"].pk],
    }
    # Counted straight from the records, per kind.
    start, end = at("2026-10-26", 0), at("2026-11-26", 0)
    assert LedgerEntry.objects.filter(reason="breach", opened_at__gte=start, opened_at__lt=end).count() == 2
    assert Ticket.objects.filter(over_the_head=True, created_at__gte=start, created_at__lt=end).count() == 1
    city = _lines(bulletin_records(unit=org["city_a"], period=NOV))
    assert set(city) == {("serious_delay", org["county"].pk), ("audit_rejection", org["city_a"].pk),
                         ("repeat", org["city_a"].pk)}


@pytest.fixture
def city_staff(org):
    def user(name, role, unit, department=None):
        return User.objects.create_user(username=name, password="pw-for-tests-1", role=role, org_unit=unit,
                                        department=department, display_name=name)
    return {"a_sup": user("sup-a", "supervisor", org["city_a"]), "b_sup": user("sup-b", "supervisor", org["city_b"]),
            "county_head": user("head-a1", "dept_head", org["county"], org["sales"])}


@pytest.mark.django_db
def test_draft_edit_approve_publish_tells_the_units_concerned(client, org, users, records, city_staff):
    sup, leader = users["supervisor"], users["leader"]
    b = services.bulletin_draft(actor=sup, org_unit=org["province"], period=NOV)
    assert b.lines.count() == 6 and b.state == "draft"
    # Leave city B's serious delay out; comment on the county's.
    lines = {line.pk: {"comment": "", "included": True} for line in b.lines.all()}
    left_out = b.lines.get(kind="serious_delay", org_unit=org["city_b"])
    county = b.lines.get(kind="serious_delay", org_unit=org["county"])
    lines[left_out.pk]["included"] = False
    lines[county.pk]["comment"] = "超过时限两天"
    b = services.bulletin_edit(actor=sup, bulletin_id=b.pk, version=1, title="2026年11月投诉处理通报", intro="现将情况通报如下。",
                               lines=lines)
    b = services.bulletin_submit(actor=sup, bulletin_id=b.pk, version=b.version)
    assert Message.objects.filter(recipient_user=leader, template="bulletin_submitted").exists()
    with pytest.raises(Forbidden):
        services.bulletin_approve(actor=sup, bulletin_id=b.pk, version=b.version)
    b = services.bulletin_approve(actor=leader, bulletin_id=b.pk, version=b.version)
    told = services.bulletin_publish(actor=sup, bulletin_id=b.pk, version=b.version)
    b.refresh_from_db()
    assert b.state == "published"
    told_to = set(Message.objects.filter(template="bulletin_published").values_list("recipient_user__username", flat=True))
    # City A (audit rejection, repeat), city B (over the head, violation: its serious delay was left
    # out but it is named by other lines), the county's department head.
    assert told_to == {"sup-a", "sup-b", "head-a1"} and told == 3
    ctx = Message.objects.get(template="bulletin_published", recipient_user=city_staff["a_sup"]).context
    assert ctx["bulletin_id"] == b.pk and ctx["lines"] == 2
    assert [s.action for s in BulletinStep.objects.filter(bulletin=b).order_by("id")] == [
        "generate", "edit", "submit", "approve", "publish"]
    # Frozen: no step, and the lines stay as published when the tickets change.
    with pytest.raises(Conflict):
        services.bulletin_edit(actor=sup, bulletin_id=b.pk, version=b.version, title="x", intro="", lines={})
    Ticket.objects.filter(pk=records["oth"].pk).update(over_the_head=False)
    assert [t["id"] for t in BulletinLine.objects.get(bulletin=b, kind="over_the_head").tickets] == [records["oth"].pk]
    # The inbox opens the bulletin.
    client.force_login(city_staff["a_sup"])
    msg = Message.objects.get(template="bulletin_published", recipient_user=city_staff["a_sup"])
    response = client.post(f"/inbox/{msg.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == f"/bulletins/{b.pk}/"


@pytest.mark.django_db
def test_submit_needs_a_line(org, users):
    b = services.bulletin_draft(actor=users["supervisor"], org_unit=org["province"], period=NOV)
    with pytest.raises(ValidationFailed) as exc:
        services.bulletin_submit(actor=users["supervisor"], bulletin_id=b.pk, version=1)
    assert exc.value.fields[0].field == "lines"


@pytest.mark.django_db
def test_manual_line_checks_every_number(org, users, make_ticket, records):
    sup = users["supervisor"]
    b = services.bulletin_draft(actor=sup, org_unit=org["city_a"], period=NOV)
    t = _ticket(make_ticket, unit="p-a")
    with pytest.raises(ValidationFailed) as exc:
        services.bulletin_add_line(actor=sup, bulletin_id=b.pk, version=1, kind="violation", org_unit_code="p-a",
                                   numbers=f"{t.number}, TS-NOPE", comment="")
    assert exc.value.fields[0].field == "numbers" and "TS-NOPE" in str(exc.value.fields[0].reason)
    outside = _ticket(make_ticket, unit="p-b")  # not in the bulletin's units
    with pytest.raises(ValidationFailed):
        services.bulletin_add_line(actor=sup, bulletin_id=b.pk, version=1, kind="violation", org_unit_code="p-a",
                                   numbers=outside.number, comment="")
    with pytest.raises(ValidationFailed) as exc:
        services.bulletin_add_line(actor=sup, bulletin_id=b.pk, version=1, kind="violation", org_unit_code="p-b",
                                   numbers=t.number, comment="")
    assert exc.value.fields[0].field == "org_unit"
    b = services.bulletin_add_line(actor=sup, bulletin_id=b.pk, version=1, kind="violation", org_unit_code="p-a",
                                   numbers=f"{t.number}，{t.number}", comment="违规收费")
    line = b.lines.get(manual=True)
    assert line.tickets == [{"id": t.pk, "number": t.number}] and line.count == 1 and b.version == 2


@pytest.mark.django_db
def test_stale_version_is_refused(org, users, records):
    sup = users["supervisor"]
    b = services.bulletin_draft(actor=sup, org_unit=org["province"], period=NOV)
    services.bulletin_edit(actor=sup, bulletin_id=b.pk, version=1, title="一", intro="", lines={})
    with pytest.raises(Conflict):
        services.bulletin_edit(actor=sup, bulletin_id=b.pk, version=1, title="二", intro="", lines={})
    assert Bulletin.objects.get(pk=b.pk).title == "一"


def _published(org, users):
    sup, leader = users["supervisor"], users["leader"]
    b = services.bulletin_draft(actor=sup, org_unit=org["province"], period=NOV)
    b = services.bulletin_submit(actor=sup, bulletin_id=b.pk, version=1)
    b = services.bulletin_approve(actor=leader, bulletin_id=b.pk, version=b.version)
    services.bulletin_publish(actor=sup, bulletin_id=b.pk, version=b.version)
    return Bulletin.objects.get(pk=b.pk)


@pytest.mark.django_db
def test_who_reads_what(client, org, users, records, city_staff):
    sup = users["supervisor"]
    draft = services.bulletin_draft(actor=sup, org_unit=org["province"], period=NOV)
    client.force_login(city_staff["a_sup"])
    assert client.get(f"/bulletins/{draft.pk}/").status_code == 404  # a draft of the province
    published = _published(org, users)
    assert client.get(f"/bulletins/{published.pk}/").status_code == 200  # names city A
    city_only = services.bulletin_draft(actor=city_staff["b_sup"], org_unit=org["city_b"], period=NOV)
    assert client.get(f"/bulletins/{city_only.pk}/").status_code == 404
    client.force_login(users["handler"])
    assert client.get("/bulletins/").status_code == 403


@pytest.mark.django_db
def test_ticket_links_are_scoped(client, org, users, records):
    b = _published(org, users)
    # The billing department head sees only what billing held: the repeat ticket.
    Assignment.objects.create(ticket=records["repeat"], department=org["billing"], role="lead", active=True,
                              dispatched_at=at("2026-11-05"), dispatched_by=users["dispatcher"])
    client.force_login(users["dept_head"])
    page = client.get(f"/bulletins/{b.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/tickets/{records["repeat"].pk}/"' in page
    assert f'href="/tickets/{records["oth"].pk}/"' not in page
    assert "outside what you may see" in page
    client.force_login(users["supervisor"])
    page = client.get(f"/bulletins/{b.pk}/").content.decode()
    for t in records.values():
        assert f'href="/tickets/{t.pk}/"' in page


@pytest.mark.django_db
def test_page_queries_do_not_grow_with_the_lines(client, org, users, make_ticket, records):
    b = services.bulletin_draft(actor=users["supervisor"], org_unit=org["province"], period=NOV)
    client.force_login(users["supervisor"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/bulletins/{b.pk}/").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for _ in range(5):
        t = _ticket(make_ticket, unit="p-b", over_the_head=True)
        BulletinLine.objects.create(bulletin=b, kind="over_the_head", org_unit=org["city_b"],
                                    tickets=[{"id": t.pk, "number": t.number}], count=1, position=99)
    assert count() == small


@pytest.mark.django_db
def test_pages_walk(client, org, users, records):
    client.force_login(users["supervisor"])
    assert client.get("/bulletins/").status_code == 200
    assert client.get("/bulletins/new/").status_code == 405
    response = client.post("/bulletins/new/", {"org_unit": org["province"].pk, "month": "2026-11"})
    b = Bulletin.objects.get()
    assert response["Location"] == f"/bulletins/{b.pk}/"
    line = b.lines.first()
    client.post(f"/bulletins/{b.pk}/step/edit/", {"version": 1, "title": "通报", "intro": "",
                                                  f"comment_{line.pk}": "注意", f"included_{line.pk}": "1"})
    line.refresh_from_db()
    assert line.comment == "注意" and line.included
    response = client.post(f"/bulletins/{b.pk}/step/edit/", {"version": 2, "title": ""}, follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")
    assert "Title: Give the bulletin a title." in response.content.decode()
