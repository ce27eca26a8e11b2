"""Root causes and corrective and preventive actions (issue 11 §5): the root cause on handling
and audit, the accountability note only for the roles that may read it (page, API, exports),
the CAPA workflow (one writer per step, version checks, separation of duties), deadlines on
the working calendar, overdue escalation, the worklist's fixed query count and the figures
checked against counts made straight from the rows."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from complaintdesk.capa.models import ActionEvent, CorrectiveAction, RootCause, TicketRootCause
from complaintdesk.capa.selectors import capa_figures
from complaintdesk.capa.services import actions as a
from complaintdesk.capa.services.overdue import capa_overdue_round
from complaintdesk.capa.services.root_causes import root_cause_record
from complaintdesk.capa.vocabulary import ActionEventType, ActionState
from complaintdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from complaintdesk.notifications.models import Message
from complaintdesk.tickets.models import TicketEvent
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.vocabulary import EventType

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NOTE = "扣发当月绩效奖金500元，通报批评"  # the accountability note: must never leak
FRIDAY = dt.datetime(2026, 11, 6, 10, 0, tzinfo=SH)


@pytest.fixture
def handling(make_ticket, users):
    """A complaint acknowledged by billing: in handling."""
    ticket = make_ticket()
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"])
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"])
    return ticket


def _audit(ticket, users):
    t.ticket_handle(ticket_id=ticket.pk, actor=users["handler"], notes="已退费58元", cause="service",
                    responsible_department="billing", responsible_person="李四")


def _raise(users, ticket=None, **kw):
    values = dict(actor=users["supervisor"], kind="corrective", title="视频彩铃误订购整改",
                  description="梳理短信订购流程，增加二次确认", owner="handler", working_days=5,
                  ticket_id=ticket.pk if ticket else None, at=FRIDAY)
    values.update(kw)
    return a.action_raise(**values)


# -- root cause and accountability -------------------------------------------------------------

def test_seeded_tree_has_causes_and_children(db):
    node = RootCause.objects.get(code="rc-service-skill")
    assert node.get_parent().cause == "service" and node.depth == 2
    assert RootCause.objects.filter(depth=1).count() == 7


def test_handler_records_root_cause_while_handling_not_the_note(handling, users):
    with pytest.raises(Forbidden):
        root_cause_record(ticket_id=handling.pk, actor=users["handler"], root_cause="rc-service-skill",
                          accountability="处罚")
    record = root_cause_record(ticket_id=handling.pk, actor=users["handler"], root_cause="rc-service-skill",
                               analysis="客服未说明资费")
    assert record.version == 1 and record.accountability == ""
    event = TicketEvent.objects.filter(ticket=handling, type=EventType.ROOT_CAUSE_RECORDED).get()
    assert event.payload["root_cause"] == "rc-service-skill" and event.payload["accountability_changed"] is False


def test_root_cause_refused_outside_handling_and_audit(make_ticket, users, handling):
    fresh = make_ticket()
    with pytest.raises(Forbidden):
        root_cause_record(ticket_id=fresh.pk, actor=users["dispatcher"], root_cause="rc-service-skill")
    # Another department cannot even see the ticket.
    with pytest.raises(NotFound):
        root_cause_record(ticket_id=handling.pk, actor=users["network_handler"], root_cause="rc-service-skill")
    with pytest.raises(ValidationFailed) as err:
        root_cause_record(ticket_id=handling.pk, actor=users["handler"], root_cause="nope")
    assert err.value.fields[0].field == "root_cause"


def test_supervisor_records_note_at_audit_and_version_is_checked(handling, users):
    _audit(handling, users)
    root_cause_record(ticket_id=handling.pk, actor=users["supervisor"], root_cause="rc-service-attitude",
                      accountability=NOTE, expected_version=0)
    with pytest.raises(Conflict):
        root_cause_record(ticket_id=handling.pk, actor=users["supervisor"], root_cause="rc-service-skill",
                          expected_version=0)
    record = TicketRootCause.objects.get(ticket=handling)
    assert record.accountability == NOTE and record.version == 1
    payloads = list(TicketEvent.objects.filter(ticket=handling).values_list("payload", flat=True))
    assert NOTE not in repr(payloads)  # the timeline is read by roles that may not read the note


@pytest.fixture
def with_note(handling, users):
    _audit(handling, users)
    root_cause_record(ticket_id=handling.pk, actor=users["supervisor"], root_cause="rc-service-attitude",
                      analysis="服务态度差", accountability=NOTE)
    return handling


@pytest.mark.parametrize("who,sees", [("handler", False), ("dispatcher", False), ("intake_agent", False),
                                      ("supervisor", True), ("leader", True), ("dept_head", True), ("admin", True)])
def test_note_only_for_its_roles_in_page_and_api(with_note, users, client, api, who, sees):
    client.force_login(users[who])
    page = client.get(f"/capa/ticket/{with_note.pk}/").content.decode()
    assert "服务态度差" in page
    assert (NOTE in page) is sees
    ticket_page = client.get(f"/tickets/{with_note.pk}/").content.decode()
    assert NOTE not in ticket_page  # the panel is loaded on its own
    body = api(users[who]).get(f"/tickets/{with_note.pk}/root-cause").json()
    assert body["root_cause"] == "rc-service-attitude"
    assert ("accountability" in body) is sees
    if sees:
        assert body["accountability"] == NOTE


@pytest.mark.parametrize("who", ["dispatcher", "supervisor", "admin"])
def test_note_never_in_exports(with_note, users, client, who):
    client.force_login(users[who])
    response = client.get("/work/all/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    assert any(with_note.title in c for c in cells)
    assert not any(NOTE in c for c in cells)


def test_note_via_api_refused_for_handler(handling, api, users):
    r = api(users["handler"]).post(f"/tickets/{handling.pk}/root-cause",
                                   {"root_cause": "rc-service-skill", "accountability": "x"})
    assert r.status_code == 403
    r = api(users["handler"], lang="zh-hans").post(f"/tickets/{handling.pk}/root-cause", {"root_cause": "zzz"})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "root_cause"
    r = api(users["handler"]).post(f"/tickets/{handling.pk}/root-cause", {"root_cause": "rc-service-skill"})
    assert r.status_code == 200 and "accountability" not in r.json()


# -- deadlines on the working calendar ---------------------------------------------------------

def test_deadline_counts_working_days_over_the_weekend(handling, users):
    action = _raise(users, handling, working_days=1)
    # Friday + one working day = Monday at the end of the working hours (17:30).
    assert action.due_at.astimezone(SH) == dt.datetime(2026, 11, 9, 17, 30, tzinfo=SH)
    action = _raise(users, handling, working_days=None, due_date=dt.date(2026, 11, 10))
    assert action.due_at.astimezone(SH) == dt.datetime(2026, 11, 10, 17, 30, tzinfo=SH)


def test_deadline_refuses_a_holiday_and_an_unknown_year(handling, users):
    with pytest.raises(ValidationFailed) as err:
        _raise(users, handling, working_days=None, due_date=dt.date(2026, 11, 8))  # a Sunday
    assert err.value.fields[0].field == "due_date" and "2026-11-09" in str(err.value.fields[0].reason)
    with pytest.raises(ValidationFailed) as err:
        _raise(users, handling, working_days=60, at=dt.datetime(2026, 12, 1, 10, tzinfo=SH))
    assert err.value.fields[0].code == "calendar_missing" and "2027" in str(err.value.fields[0].reason)
    with pytest.raises(ValidationFailed) as err:
        _raise(users, handling, working_days=5, due_date=dt.date(2026, 11, 20))
    assert {f.field for f in err.value.fields} == {"working_days", "due_date"}
    assert CorrectiveAction.objects.count() == 0


# -- the workflow ------------------------------------------------------------------------------

def test_raise_from_ticket_links_it_and_tells_the_owner(handling, users):
    action = _raise(users, handling)
    assert action.state == ActionState.OPEN and action.org_unit_id == handling.org_unit_id
    assert list(action.tickets.all()) == [handling]
    assert [c.code for c in action.categories.all()] == ["billing-overcharge"]
    assert TicketEvent.objects.filter(ticket=handling, type=EventType.CAPA_RAISED).count() == 1
    assert Message.objects.filter(recipient_user=users["handler"], template="capa_assigned").count() == 1


def test_raise_refusals(handling, users):
    with pytest.raises(Forbidden):
        _raise(users, handling, actor=users["handler"])
    with pytest.raises(ValidationFailed) as err:
        _raise(users, None)  # neither a ticket nor a category nor a report named
    assert [f.field for f in err.value.fields] == ["source_note"]
    with pytest.raises(ValidationFailed) as err:
        _raise(users, handling, actor=users["dept_head"], owner="net")
    assert err.value.fields[0].field == "owner"
    action = _raise(users, None, category="billing", source_note="2026年11月计费类投诉环比上升40%")
    assert action.source == "category_trend"


def test_full_cycle_with_a_failed_verification(handling, users):
    owner, sup = users["handler"], users["supervisor"]
    action = _raise(users, handling)
    with pytest.raises(Forbidden):
        a.action_note_progress(action_id=action.pk, actor=users["dispatcher"], text="x")
    a.action_note_progress(action_id=action.pk, actor=owner, text="已梳理流程", expected_version=1,
                           at=FRIDAY + dt.timedelta(days=1))
    with pytest.raises(Conflict):
        a.action_submit(action_id=action.pk, actor=owner, text="完成", expected_version=1)
    a.action_submit(action_id=action.pk, actor=owner, text="已上线二次确认", at=FRIDAY + dt.timedelta(days=2))
    assert Message.objects.filter(recipient_user=sup, template="capa_submitted").count() == 1
    with pytest.raises(ValidationFailed):
        a.action_verify(action_id=action.pk, actor=sup, effective=False, note="")
    a.action_verify(action_id=action.pk, actor=sup, effective=False, note="仍有同类投诉")
    assert CorrectiveAction.objects.get(pk=action.pk).state == ActionState.IN_PROGRESS
    a.action_submit(action_id=action.pk, actor=owner, text="补充短信提醒", at=FRIDAY + dt.timedelta(days=3))
    a.action_verify(action_id=action.pk, actor=sup, effective=True, note="一个月无同类投诉")
    done = a.action_close(action_id=action.pk, actor=sup)
    assert done.state == ActionState.CLOSED and done.closed_on_time is True and done.effective is True
    types = list(ActionEvent.objects.filter(action=action).order_by("id").values_list("type", flat=True))
    assert types == ["raised", "progress_noted", "submitted", "verified_ineffective", "submitted",
                     "verified_effective", "closed"]
    with pytest.raises(Conflict):
        a.action_cancel(action_id=action.pk, actor=sup, reason="x")


def test_owner_does_not_verify_own_action(handling, users):
    action = _raise(users, handling, owner="supervisor")
    a.action_note_progress(action_id=action.pk, actor=users["supervisor"], text="开始")
    a.action_submit(action_id=action.pk, actor=users["supervisor"], text="完成")
    with pytest.raises(Forbidden) as err:
        a.action_verify(action_id=action.pk, actor=users["supervisor"], effective=True, note="ok")
    assert err.value.code == "refused_own_action"
    a.action_verify(action_id=action.pk, actor=users["leader"], effective=True, note="ok")


def test_visibility_of_actions(handling, users, client):
    action = _raise(users, handling)
    for outsider in ("network_handler", "city_b_dispatcher"):
        with pytest.raises(NotFound):
            a.action_note_progress(action_id=action.pk, actor=users[outsider], text="x")
        client.force_login(users[outsider])
        assert client.get(f"/capa/{action.pk}/").status_code == 404
        assert action.title not in client.get("/capa/?state=all").content.decode()
    client.force_login(users["dept_head"])
    assert client.get(f"/capa/{action.pk}/").status_code == 200


def test_dept_head_acts_for_the_owner(handling, users):
    action = _raise(users, handling)
    a.action_note_progress(action_id=action.pk, actor=users["dept_head"], text="部门负责人跟进")
    assert CorrectiveAction.objects.get(pk=action.pk).state == ActionState.IN_PROGRESS


# -- overdue escalation --------------------------------------------------------------------------

def test_overdue_round_escalates_once(handling, users):
    action = _raise(users, handling)
    closed = _raise(users, handling, title="已完成")
    a.action_cancel(action_id=closed.pk, actor=users["supervisor"], reason="重复")
    before = action.due_at - dt.timedelta(minutes=1)
    assert capa_overdue_round(now=before) == 0
    after = action.due_at + dt.timedelta(minutes=1)
    assert capa_overdue_round(now=after) == 1
    assert capa_overdue_round(now=after + dt.timedelta(hours=1)) == 0
    assert ActionEvent.objects.filter(type=ActionEventType.ESCALATED).count() == 1
    told = set(Message.objects.filter(template="capa_overdue").values_list("recipient_user__username", flat=True))
    assert told == {"handler", "head", "supervisor"}


# -- the worklist: fixed queries ---------------------------------------------------------------

def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["supervisor", "handler", "admin"])
def test_worklist_and_api_queries_do_not_grow(handling, users, client, api, who):
    _raise(users, handling)
    client.force_login(users[who])
    caller = api(users[who])
    small_page = _count(lambda: client.get("/capa/"))
    small_api = _count(lambda: caller.get("/capa?limit=50"))
    for i in range(12):
        _raise(users, handling, title=f"措施{i}")
    assert _count(lambda: client.get("/capa/")) == small_page
    assert _count(lambda: caller.get("/capa?limit=50")) == small_api
    assert small_page <= 12 and small_api <= 10
    assert len(caller.get("/capa?limit=50").json()["items"]) == 13


def test_api_pages_with_a_cursor(handling, users, api):
    for i in range(5):
        _raise(users, handling, title=f"措施{i}", working_days=i + 1)
    caller = api(users["supervisor"])
    first = caller.get("/capa?limit=3").json()
    second = caller.get("/capa?limit=3&after=" + first["next"]).json()
    titles = [x["title"] for x in first["items"] + second["items"]]
    assert titles == [f"措施{i}" for i in range(5)] and second["next"] == ""
    assert caller.get("/capa?state=bogus").status_code == 422


# -- figures -----------------------------------------------------------------------------------

def test_figures_agree_with_counts_from_the_rows(handling, users, api):
    sup, owner = users["supervisor"], users["handler"]
    on_time = _raise(users, handling, title="按期")
    late = _raise(users, handling, title="逾期", working_days=1)
    _raise(users, handling, title="未开始")
    cancelled = _raise(users, handling, title="取消")
    a.action_cancel(action_id=cancelled.pk, actor=sup, reason="重复", at=FRIDAY + dt.timedelta(days=1))
    for action, submitted in ((on_time, FRIDAY + dt.timedelta(days=1)), (late, FRIDAY + dt.timedelta(days=10))):
        a.action_note_progress(action_id=action.pk, actor=owner, text="进行中", at=FRIDAY)
        a.action_submit(action_id=action.pk, actor=owner, text="完成", at=submitted)
        a.action_verify(action_id=action.pk, actor=sup, effective=True, note="有效", at=submitted)
        a.action_close(action_id=action.pk, actor=sup, at=submitted + dt.timedelta(hours=1))
    start, end = dt.datetime(2026, 11, 1, tzinfo=SH), dt.datetime(2026, 12, 1, tzinfo=SH)
    f = capa_figures(viewer=sup, start=start, end=end)
    rows = CorrectiveAction.objects.all()
    assert f.totals.raised == rows.filter(raised_at__gte=start, raised_at__lt=end).count() == 4
    assert f.totals.closed == rows.filter(closed_at__gte=start, closed_at__lt=end).count() == 2
    assert f.totals.closed_on_time == 1 and f.on_time_rate == 0.5
    assert f.totals.cancelled == 1 and f.totals.verified_effective == 2 and f.effective_rate == 1.0
    assert f.totals.open == 1 and f.totals.overdue == 1  # 未开始: due 2026-11-13, open at the end
    assert f.by_department[0][0] in ("计费账务部", "Billing")
    # Before anything was raised: nothing.
    empty = capa_figures(viewer=sup, start=start - dt.timedelta(days=60), end=start)
    assert empty.totals.raised == empty.totals.open == 0 and empty.on_time_rate is None
    # Outside the scope: nothing either.
    assert capa_figures(viewer=users["city_b_dispatcher"], start=start, end=end).totals.raised == 0
    body = api(sup).get("/capa/figures?start=2026-11-01&end=2026-11-30").json()
    assert body["raised"] == 4 and body["closed_on_time"] == 1
    assert api(sup).get("/capa/figures?start=2026-11-30&end=2026-11-01").status_code == 422


# -- the pages ---------------------------------------------------------------------------------

def test_pages_raise_and_step_in_chinese(handling, users, client):
    client.force_login(users["supervisor"])
    page = client.get(f"/capa/new/?ticket={handling.pk}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "纠正" in page.content.decode()
    r = client.post("/capa/new/", {"kind": "corrective", "title": "", "description": "x", "owner": "handler",
                                   "working_days": "3", "ticket": handling.pk}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 422 and "field-error" in r.content.decode()
    r = client.post("/capa/new/", {"kind": "corrective", "title": "整改", "description": "做什么",
                                   "owner": "handler", "working_days": "3", "ticket": handling.pk})
    assert r.status_code == 302
    action = CorrectiveAction.objects.get()
    client.force_login(users["handler"])
    r = client.post(f"/capa/{action.pk}/note_progress/", {"note_progress-text": "", "note_progress-expected_version": "1"})
    assert r.status_code == 422
    r = client.post(f"/capa/{action.pk}/note_progress/", {"note_progress-text": "开始", "note_progress-expected_version": "1"})
    assert r.status_code == 302 and CorrectiveAction.objects.get().state == ActionState.IN_PROGRESS
    r = client.post(f"/capa/{action.pk}/submit/", {"submit-text": "旧页面", "submit-expected_version": "1"})
    assert r.status_code == 302 and CorrectiveAction.objects.get().state == ActionState.IN_PROGRESS  # stale


def test_no_state_change_on_get(handling, users, client):
    action = _raise(users, handling)
    client.force_login(users["handler"])
    assert client.get(f"/capa/{action.pk}/note_progress/").status_code == 405
    assert client.get(f"/capa/ticket/{handling.pk}/root-cause/").status_code == 405


def test_figures_need_aware_datetimes(users):
    with pytest.raises(ValueError):
        capa_figures(viewer=users["supervisor"], start=dt.datetime(2026, 1, 1), end=timezone.now())


def test_link_tickets_to_an_action(handling, make_ticket, users, api, client):
    action = _raise(users, None, category="billing", source_note="计费类投诉环比上升")
    other = make_ticket(phone="13900139111")
    caller = api(users["supervisor"])
    r = caller.post(f"/capa/{action.pk}/tickets", {"ticket": handling.number, "expected_version": 1})
    assert r.status_code == 200 and r.json()["tickets"] == [handling.number] and r.json()["version"] == 2
    assert caller.post(f"/capa/{action.pk}/tickets", {"ticket": handling.number}).status_code == 422  # twice
    assert caller.post(f"/capa/{action.pk}/tickets", {"ticket": "nope"}).status_code == 422
    assert caller.post(f"/capa/{action.pk}/tickets", {"ticket": other.number, "expected_version": 1}).status_code == 409
    # Someone who may see the action but neither owns, raised nor verifies it: refused.
    assert api(users["dept_head"]).post(f"/capa/{action.pk}/tickets", {"ticket": other.number}).status_code in (403, 422)
    client.force_login(users["supervisor"])
    r = client.post(f"/capa/{action.pk}/tickets/", {"link-ticket": other.number, "link-expected_version": "2"})
    assert r.status_code == 302
    assert TicketEvent.objects.filter(type=EventType.CAPA_RAISED, ticket__in=[handling, other]).count() == 2
    assert ActionEvent.objects.filter(action=action, type=ActionEventType.TICKET_LINKED).count() == 2


def test_action_page_queries_do_not_grow(handling, users, client):
    action = _raise(users, handling)
    client.force_login(users["supervisor"])
    small = _count(lambda: client.get(f"/capa/{action.pk}/"))
    for i in range(10):
        a.action_note_progress(action_id=action.pk, actor=users["handler"], text=f"进展{i}")
    assert _count(lambda: client.get(f"/capa/{action.pk}/")) == small
    client.force_login(users["handler"])
    small = _count(lambda: client.get(f"/capa/ticket/{handling.pk}/"))
    for i in range(5):
        _raise(users, handling, title=f"措施{i}")
    assert _count(lambda: client.get(f"/capa/ticket/{handling.pk}/")) == small


def test_api_raise_and_steps(handling, users, api):
    sup, owner = api(users["supervisor"]), api(users["handler"])
    r = sup.post("/capa", {"kind": "preventive", "title": "预防", "description": "培训", "owner": "handler",
                           "working_days": 3, "ticket": handling.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["source"] == "ticket" and body["tickets"] == [handling.number] and body["allowed_steps"] == ["cancel"]
    pk = body["id"]
    assert owner.get(f"/capa/{pk}").json()["allowed_steps"] == ["note_progress"]
    r = owner.post(f"/capa/{pk}/note_progress", {"text": "开始", "expected_version": 1})
    assert r.status_code == 200 and r.json()["state"] == "in_progress"
    assert owner.post(f"/capa/{pk}/submit", {"text": "完成", "expected_version": 1}).status_code == 409
    assert owner.post(f"/capa/{pk}/verify_effective", {"text": "ok"}).status_code == 409  # not in that state
    assert owner.post(f"/capa/{pk}/submit", {"text": "完成"}).json()["state"] == "awaiting_verification"
    assert owner.post(f"/capa/{pk}/verify_effective", {"text": "ok"}).status_code == 403
    r = api(users["supervisor"], lang="zh-hans").post(f"/capa/{pk}/verify_effective", {"text": ""})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "note"
    assert r.json()["error"]["fields"][0]["reason"] == "请说明如何验证效果。"
    assert sup.post(f"/capa/{pk}/verify_effective", {"text": "有效"}).json()["state"] == "verified"
    assert sup.post(f"/capa/{pk}/close", {}).json()["state"] == "closed"
    assert api(users["network_handler"]).get(f"/capa/{pk}").status_code == 404
    r = sup.post("/capa", {"kind": "corrective", "title": "x", "description": "y", "owner": "handler",
                           "working_days": 3, "due_date": "2026-12-20"})
    assert r.status_code == 422
