"""Notifications that reach people: the workflow's steps tell the people they concern, by the
channels each chose, outside their quiet hours (breaches excepted); the inbox page and the
bell show them."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone, translation

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.notifications.models import Message, NotificationSetting
from complaintdesk.notifications.services import (
    notification_setting_save,
    quiet_hours_end,
    staff_notify_many,
)
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.vocabulary import EventType

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def as_user(client):
    def login(user, lang="en"):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
        return client
    return login


def inbox_of(user):
    return list(Message.objects.filter(recipient_user=user, channel="in_app").order_by("id"))


def templates_of(user):
    return [m.template for m in inbox_of(user)]


def dispatched(users, ticket, **kwargs):
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=users["dispatcher"], **kwargs)
    ticket.refresh_from_db()
    return ticket


# -- the workflow's steps ------------------------------------------------------------------------


def test_a_dispatch_tells_the_receiving_departments_head_not_the_dispatcher(users, make_ticket):
    ticket = dispatched(users, make_ticket())
    assert templates_of(users["dept_head"]) == ["ticket_dispatched_in"]
    assert templates_of(users["dispatcher"]) == []
    assert templates_of(users["network_handler"]) == []  # another department
    message = inbox_of(users["dept_head"])[0]
    assert ticket.number in message.body and message.context["ticket_id"] == ticket.pk
    assert "dispatcher" in message.body  # who acted


def test_a_dispatch_to_a_named_account_tells_that_person_only(users, make_ticket):
    dispatched(users, make_ticket(), department="billing", assignee="handler")
    assert templates_of(users["handler"]) == ["ticket_dispatched_in"]
    assert templates_of(users["dept_head"]) == []


def test_urge_supervise_and_audit_rejection_reach_the_department(users, make_ticket):
    ticket = dispatched(users, make_ticket())
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"])
    t.ticket_urge(ticket_id=ticket.pk, actor=users["supervisor"], note="客户第三次来电")
    t.ticket_supervise(ticket_id=ticket.pk, actor=users["supervisor"], note="")
    t.ticket_handle(ticket_id=ticket.pk, actor=users["handler"], notes="已退费", cause="service")
    t.ticket_audit(ticket_id=ticket.pk, actor=users["dispatcher"], approve=False, note="未答复客户的第二个问题")
    got = templates_of(users["dept_head"])
    assert got == ["ticket_dispatched_in", "ticket_urged", "ticket_supervised", "ticket_audit_rejected"]
    urged = inbox_of(users["dept_head"])[1]
    assert "客户第三次来电" in urged.body
    assert "未答复客户的第二个问题" in inbox_of(users["dept_head"])[3].body
    assert templates_of(users["supervisor"]) == []  # the actor is not told of their own step


def test_a_return_tells_whoever_dispatched(users, make_ticket):
    ticket = dispatched(users, make_ticket())
    t.ticket_return(ticket_id=ticket.pk, actor=users["dept_head"], reason="不属于本部门")
    assert templates_of(users["dispatcher"]) == ["ticket_returned"]
    assert "不属于本部门" in inbox_of(users["dispatcher"])[0].body


def test_plan_submitted_to_the_leader_and_the_decision_back(users, make_ticket):
    ticket = dispatched(users, make_ticket(category="billing-refund", elements={"account_phone": "13800138000"}))
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=users["handler"])
    t.ticket_submit_plan(ticket_id=ticket.pk, actor=users["handler"], plan="退还58元")
    assert templates_of(users["leader"]) == ["ticket_plan_submitted"]
    t.ticket_approve_plan(ticket_id=ticket.pk, actor=users["leader"], approve=False, note="金额需核实")
    assert templates_of(users["dept_head"])[-1] == "ticket_plan_rejected"


def test_every_step_of_a_special_case_is_reported_upward(users, make_ticket):
    ticket = make_ticket(special=True)
    assert templates_of(users["supervisor"]) == ["special_case_step"]
    assert templates_of(users["leader"]) == ["special_case_step"]
    dispatched(users, ticket)
    steps = [m.context["step"] for m in inbox_of(users["supervisor"])]
    assert steps == ["registered", "reviewed_valid", "dispatched"]
    with translation.override("zh-hans"):  # the messages' language: the site's default
        assert str(EventType.DISPATCHED.label) in inbox_of(users["leader"])[-1].body


def test_a_step_that_concerns_nobody_adds_nothing(users, make_ticket):
    ticket = make_ticket()
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    assert not Message.objects.exists()  # review concerns nobody on an ordinary ticket


# -- channels, quiet hours -----------------------------------------------------------------------


def _item(user, template="ticket_urged", key="k"):
    return {"dedupe_key": key, "template": template, "recipient_user": user,
            "context": {"ticket_number": "TS1", "ticket_id": 1, "title": "t", "actor": "a", "note": ""}}


def test_in_app_only_until_someone_chooses_more(users):
    assert staff_notify_many([_item(users["handler"])]) == 1
    assert list(Message.objects.values_list("channel", flat=True)) == ["in_app"]


def test_the_chosen_channels_each_get_a_message(users):
    handler = users["handler"]
    handler.email = "handler@example.org"
    handler.save()
    notification_setting_save(user=handler, channels={"urged": ["in_app", "email", "sms"]},
                              sms_phone="139 0000 1111")
    assert staff_notify_many([_item(handler)]) == 3
    rows = {m.channel: m for m in Message.objects.all()}
    assert set(rows) == {"in_app", "email", "sms"}
    assert rows["sms"].to_phone == "+8613900001111" and rows["email"].to_email == "handler@example.org"
    assert rows["email"].status == "pending" and rows["in_app"].status == "sent"
    # other kinds keep the default
    assert staff_notify_many([_item(handler, "ticket_supervised", key="k2")]) == 1


def test_choosing_nothing_for_an_event_silences_it(users):
    notification_setting_save(user=users["handler"], channels={"urged": []})
    assert staff_notify_many([_item(users["handler"])]) == 0


def test_quiet_hours_hold_email_but_not_breaches(users, settings):
    handler = users["handler"]
    handler.email = "h@example.org"
    handler.save()
    notification_setting_save(user=handler, channels={"urged": ["in_app", "email"], "breach": ["in_app", "email"]},
                              quiet_from=dt.time(0, 0), quiet_to=dt.time(23, 59))
    now = timezone.now()
    staff_notify_many([_item(handler)])
    breach = {"dedupe_key": "b", "template": "clock_breached", "recipient_user": handler,
              "context": {"ticket_number": "TS1", "clock": "handle", "due_at": now, "overdue": 60}}
    staff_notify_many([breach])
    urged_mail = Message.objects.get(channel="email", template="ticket_urged")
    breach_mail = Message.objects.get(channel="email", template="clock_breached")
    local = timezone.localtime(now)
    if local.time() < dt.time(23, 59):
        assert urged_mail.next_attempt_at > now + dt.timedelta(seconds=1)
    assert breach_mail.next_attempt_at <= timezone.now()
    # in-app is never held
    assert Message.objects.get(channel="in_app", template="ticket_urged").status == "sent"


@pytest.mark.parametrize(("start", "end", "at", "expected"), [
    ((22, 0), (7, 30), (23, 15), (1, 7, 30)),   # over midnight, evening: ends tomorrow
    ((22, 0), (7, 30), (6, 0), (0, 7, 30)),     # over midnight, early morning: ends today
    ((22, 0), (7, 30), (12, 0), None),          # outside
    ((12, 0), (14, 0), (13, 0), (0, 14, 0)),    # a lunch break
    ((12, 0), (14, 0), (14, 0), None),          # the end is not inside
])
def test_quiet_hours_end(start, end, at, expected):
    setting = NotificationSetting(quiet_from=dt.time(*start), quiet_to=dt.time(*end))
    now = dt.datetime(2026, 12, 4, *at, tzinfo=SHANGHAI)
    got = quiet_hours_end(setting, now)
    if expected is None:
        assert got is None
    else:
        days, hour, minute = expected
        assert timezone.localtime(got, SHANGHAI) == dt.datetime(2026, 12, 4 + days, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"channels": {"nonsense": ["in_app"]}}, "channels"),
    ({"channels": {"urged": ["pigeon"]}}, "channels.urged"),
    ({"channels": {"urged": ["email"]}}, "channels"),  # the account has no address
    ({"channels": {"urged": ["sms"]}}, "sms_phone"),
    ({"channels": {}, "sms_phone": "12345"}, "sms_phone"),
    ({"channels": {}, "quiet_from": dt.time(22, 0)}, "quiet_to"),
    ({"channels": {}, "quiet_from": dt.time(22, 0, tzinfo=dt.UTC), "quiet_to": dt.time(7, 0)}, "quiet_from"),
])
def test_settings_are_checked_with_the_field_named(users, kwargs, field):
    with pytest.raises(ValidationFailed) as caught:
        notification_setting_save(user=users["handler"], **kwargs)
    assert field in [f.field for f in caught.value.fields]
    assert not NotificationSetting.objects.exists()


def test_one_query_for_the_settings_whatever_the_batch(users, django_assert_num_queries):
    many = [_item(u, key=f"k{i}:{u.pk}") for i in range(10) for u in (users["handler"], users["dept_head"])]
    with django_assert_num_queries(3):  # settings, taken keys, insert
        staff_notify_many(many[:2])
    with django_assert_num_queries(3):
        staff_notify_many(many[2:])


# -- the pages -----------------------------------------------------------------------------------


def _fill(user, n, start=0):
    staff_notify_many([_item(user, key=f"fill:{i}") for i in range(start, start + n)])


def test_inbox_lists_only_my_messages_with_a_fixed_number_of_queries(users, as_user, django_assert_num_queries):
    _fill(users["handler"], 3)
    _fill(users["dept_head"], 2, start=100)
    client = as_user(users["handler"])
    client.get("/inbox/")  # session, language: warm
    with django_assert_num_queries(4) as few:
        r = client.get("/inbox/")
    _fill(users["handler"], 27, start=3)
    with django_assert_num_queries(len(few.captured_queries)):
        r = client.get("/inbox/")
    html = r.content.decode()
    assert r.status_code == 200
    assert html.count('class="card inbox-item') == 30
    assert "fill:100" not in html


def test_the_bell_counts_unread_and_the_page_itself_does_not_query_for_it(users, as_user, django_assert_num_queries):
    _fill(users["handler"], 4)
    client = as_user(users["handler"])
    r = client.get("/inbox/bell/")
    assert re.search(r">4<", r.content.decode()) and "4 unread notifications" in r.content.decode()
    home = client.get("/work/").content.decode()
    assert 'hx-get="/inbox/bell/"' in home and 'hx-trigger="load, every 30s"' in home
    zh = as_user(users["handler"], "zh-hans").get("/inbox/bell/").content.decode()
    assert "4 条未读通知" in zh


def test_marking_read_is_post_only_and_only_my_own(users, as_user, make_ticket):
    ticket = dispatched(users, make_ticket())
    mine = inbox_of(users["dept_head"])[0]
    _fill(users["handler"], 1)
    theirs = inbox_of(users["handler"])[0]
    client = as_user(users["dept_head"])
    assert client.get(f"/inbox/{mine.pk}/read/").status_code == 405
    assert client.post(f"/inbox/{theirs.pk}/read/").status_code == 404
    r = client.post(f"/inbox/{mine.pk}/read/", {"open": "1"})
    assert r.status_code == 302 and r["Location"] == f"/tickets/{ticket.pk}/"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert client.get("/inbox/bell/").content.decode().count("unread") == 0


def test_mark_all_read_and_the_unread_tab(users, as_user):
    _fill(users["handler"], 3)
    client = as_user(users["handler"])
    assert client.get("/inbox/?unread=1").content.decode().count("inbox-unread") == 3
    r = client.post("/inbox/read-all/", {"next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/inbox/"  # no open redirect
    assert "Nothing unread." in client.get("/inbox/?unread=1").content.decode()


def test_a_bad_cursor_starts_again(users, as_user):
    r = as_user(users["handler"]).get("/inbox/?cursor=%00%ff")
    assert r.status_code == 302 and r["Location"] == "/inbox/"


def test_the_settings_page_saves_and_names_bad_fields(users, as_user):
    client = as_user(users["handler"])
    page = client.get("/inbox/settings/").content.decode()
    assert 'name="ch_urged_in_app" value="1" checked' in page
    r = client.post("/inbox/settings/", {"ch_urged_sms": "1", "sms_phone": ""})
    assert r.status_code == 422
    assert "Give your mobile number to receive text messages." in r.content.decode()
    assert not NotificationSetting.objects.exists()
    r = client.post("/inbox/settings/", {"ch_urged_sms": "1", "ch_breach_in_app": "1", "sms_phone": "13900001111",
                                        "quiet_from": "22:00", "quiet_to": "07:30"})
    assert r.status_code == 302
    setting = NotificationSetting.objects.get(user=users["handler"])
    assert setting.channels["urged"] == ["sms"] and setting.channels["breach"] == ["in_app"]
    assert setting.channels["dispatched_in"] == []  # unticked: silenced
    assert setting.quiet_to == dt.time(7, 30)
    zh = as_user(users["handler"], "zh-hans").post("/inbox/settings/", {"quiet_from": "22:00"})
    assert zh.status_code == 422 and "免打扰" in zh.content.decode()


def test_pages_need_sign_in(client):
    for path in ("/inbox/", "/inbox/bell/", "/inbox/settings/"):
        r = client.get(path)
        assert r.status_code == 302 and "/login/" in r["Location"], path


# -- the API -------------------------------------------------------------------------------------


def test_settings_over_the_api(users, api, client, token_for):
    caller = api(users["handler"])
    got = caller.get("/notifications/settings").json()
    assert got["channels"]["urged"] == ["in_app"] and "breach" in got["events"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(users['handler'])}", "HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    bad = client.put("/api/v1/notifications/settings", data={"channels": {"urged": ["sms"]}},
                     content_type="application/json", **headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "sms_phone"
    assert "手机号" in bad.json()["error"]["fields"][0]["reason"]
    ok = client.put("/api/v1/notifications/settings",
                    data={"channels": {"urged": ["in_app", "sms"]}, "sms_phone": "13900001111",
                          "quiet_from": "22:00", "quiet_to": "07:30"},
                    content_type="application/json", **headers)
    assert ok.status_code == 200, ok.content
    assert ok.json()["channels"]["urged"] == ["in_app", "sms"] and ok.json()["quiet_to"] == "07:30:00"
    assert caller.get("/notifications/settings").json()["sms_phone"] == "+8613900001111"


def test_a_workflow_notification_in_the_api_names_its_ticket(users, api, make_ticket):
    ticket = dispatched(users, make_ticket())
    items = api(users["dept_head"]).get("/notifications").json()["items"]
    assert [(i["template"], i["ticket_id"], i["ticket_number"]) for i in items] == [
        ("ticket_dispatched_in", ticket.pk, ticket.number)]
