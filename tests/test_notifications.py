"""The notification outbox: enqueue once per event, render in the message's language, send
with retries and never twice, and the staff's in-app list."""

import datetime as dt
import threading
from collections import Counter
from unittest import mock

import pytest
from django.contrib import admin
from django.core import mail
from django.db import close_old_connections, connection, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from complaintdesk.core.errors import NotFound, ValidationFailed
from complaintdesk.notifications import services, templates
from complaintdesk.notifications.channels import (
    LoggingSmsGateway,
    PermanentDeliveryError,
    SmsGateway,
)
from complaintdesk.notifications.models import Message
from complaintdesk.notifications.services import (
    message_enqueue,
    message_mark_read,
    outbox_requeue_stale,
    outbox_send_due,
)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
HERE = f"{__name__}."  # the gateways below, loaded by dotted path as the sender does


# --- fake SMS gateways (loaded by dotted path, as settings.SMS_GATEWAY names them) ---------


class RecordingGateway:
    """Counts every send per phone number; shared by all instances and threads."""

    calls: Counter = Counter()
    texts: list = []
    lock = threading.Lock()
    delay = 0.0

    def send(self, to_phone, text):
        if self.delay:
            threading.Event().wait(self.delay)  # give the other sender a chance to interleave
        with self.lock:
            RecordingGateway.calls[to_phone] += 1
            RecordingGateway.texts.append(text)
            return f"rec-{sum(RecordingGateway.calls.values())}"


class FailingGateway:
    def send(self, to_phone, text):
        raise ConnectionError("gateway unreachable")


class RejectingGateway:
    def send(self, to_phone, text):
        raise PermanentDeliveryError("number blocked by the provider")


@pytest.fixture(autouse=True)
def _reset_gateway():
    RecordingGateway.calls = Counter()
    RecordingGateway.texts = []
    RecordingGateway.delay = 0.0


def _sms(key="k1", phone="13800138000", template="customer_ticket_received", **context):
    return message_enqueue(
        dedupe_key=key, template=template, context={"ticket_number": "T20261123001", **context},
        channel="sms", to_phone=phone, language="zh-hans",
    )


def _escalated_context(**overrides):
    return {
        "ticket_number": "T20261123001", "clock": "handle", "level": 2, "target": "dept_head",
        "due_at": dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI),
        "overdue": dt.timedelta(hours=3, minutes=5), "ticket_id": 42, **overrides,
    }


def _race(*calls):
    """Run the calls at the same moment, each in its own thread (own DB connection)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", fn())
        except Exception as exc:  # collected and asserted by the caller
            results[i] = ("error", exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    return results


# --- enqueue ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_enqueue_twice_gives_one_message():
    first = _sms()
    assert first is not None and first.pk
    assert first.status == "pending" and first.to_phone == "+8613800138000"
    assert first.next_attempt_at is not None and first.attempts == 0
    assert _sms() is None
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_duplicate_lost_at_the_unique_index_leaves_the_callers_transaction_usable(users):
    """The race path: the pre-check sees nothing, the insert hits the unique index. The
    savepoint keeps the caller's transaction alive (PostgreSQL would abort it otherwise)."""
    _sms()
    with transaction.atomic():
        with mock.patch.object(QuerySet, "exists", side_effect=[False, True]):
            assert _sms() is None
        # still usable: more work in the same transaction
        assert _sms(key="k2") is not None
    assert Message.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_enqueue_with_one_key_creates_one_message():
    results = _race(*[_sms for _ in range(4)])
    assert all(r[0] == "ok" for r in results), results
    created = [r[1] for r in results if r[1] is not None]
    assert len(created) == 1
    assert Message.objects.count() == 1


def _in_app_item(key, user, **overrides):
    return {"dedupe_key": key, "template": "escalated", "recipient_user": user,
            "context": _escalated_context(**overrides)}


@pytest.mark.django_db
def test_enqueue_many_adds_each_key_once_in_a_fixed_number_of_queries(users):
    from complaintdesk.notifications.services import message_enqueue_many

    agent = users["intake_agent"]
    message_enqueue(channel="in_app", **_in_app_item("old", agent))
    for size in (3, 30):
        items = [_in_app_item(f"b{size}-{i}", agent) for i in range(size)]
        items += [_in_app_item("old", agent), _in_app_item(f"b{size}-0", agent)]  # taken; twice
        with CaptureQueriesContext(connection) as queries:
            assert message_enqueue_many(items, channel="in_app") == size
        assert len(queries) <= 3, [q["sql"] for q in queries]
    assert Message.objects.count() == 1 + 3 + 30
    assert message_enqueue_many([_in_app_item("b3-1", agent)], channel="in_app") == 0
    rendered = Message.objects.get(dedupe_key="b3-1")
    assert rendered.status == "sent" and rendered.body and rendered.recipient_user_id == agent.pk


@pytest.mark.django_db
def test_enqueue_many_refuses_a_bad_item_and_adds_nothing(users):
    from complaintdesk.notifications.services import message_enqueue_many

    items = [_in_app_item("good", users["intake_agent"]), _in_app_item("bad", None)]
    with pytest.raises(ValidationFailed) as caught:
        message_enqueue_many(items, channel="in_app")
    assert caught.value.fields[0].field == "recipient_user"
    assert Message.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("kwargs,field", [
    ({"template": "no_such_template"}, "template"),
    ({"channel": "fax"}, "channel"),
    ({"channel": "in_app"}, "channel"),  # a customer template is not an in-app message
    ({"to_phone": "020-12345678"}, "to_phone"),  # a landline cannot receive a text
    ({"to_phone": "12345"}, "to_phone"),
    ({"language": "fr"}, "language"),
    ({"dedupe_key": ""}, "dedupe_key"),
    ({"context": {"when": object()}}, "context"),
])
def test_enqueue_refuses_what_cannot_be_sent(kwargs, field):
    args = {
        "dedupe_key": "k", "template": "customer_ticket_received", "channel": "sms",
        "context": {"ticket_number": "T1"}, "to_phone": "13800138000", **kwargs,
    }
    with pytest.raises(ValidationFailed) as exc:
        message_enqueue(**args)
    assert exc.value.fields[0].field == field
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_recipient_must_fit_the_channel(users):
    with pytest.raises(ValidationFailed) as exc:
        message_enqueue(dedupe_key="a", template="escalated", context=_escalated_context(),
                        channel="in_app")
    assert exc.value.fields[0].field == "recipient_user"
    # staff email: the account's address unless one is given; none at all is refused
    handler = users["handler"]
    with pytest.raises(ValidationFailed) as exc:
        message_enqueue(dedupe_key="b", template="escalated", context=_escalated_context(),
                        channel="email", recipient_user=handler)
    assert exc.value.fields[0].field == "to_email"
    handler.email = "handler@example.org"
    handler.save()
    message = message_enqueue(dedupe_key="c", template="escalated", context=_escalated_context(),
                              channel="email", recipient_user=handler)
    assert message.to_email == "handler@example.org" and message.status == "pending"


# --- templates -------------------------------------------------------------------------------


def test_every_template_renders_in_both_languages():
    samples = {
        "text": "T20261123001", "int": 2, "datetime": "2026-11-23T01:30:00+00:00",
        "duration": 5400, "clock": "handle", "target": "supervisor", "event": "urged",
        "tier": "12315",
    }
    for key, spec in templates.TEMPLATES.items():
        context = {name: samples[kind] for name, kind in spec.fields.items()}
        for language in ("zh-hans", "en"):
            subject, body = templates.render(template=key, context=context, language=language)
            assert subject and body, key
            assert "%(" not in subject + body, key
            assert "T20261123001" in body, key


@pytest.mark.django_db
def test_rendered_in_the_messages_language_not_the_callers(users):
    """Enqueued while the caller speaks the other language; in-app messages render at once."""
    with translation.override("en"):
        zh = message_enqueue(dedupe_key="zh", template="escalated", context=_escalated_context(),
                             channel="in_app", recipient_user=users["dept_head"], language="zh-hans")
    with translation.override("zh-hans"):
        en = message_enqueue(dedupe_key="en", template="escalated", context=_escalated_context(),
                             channel="in_app", recipient_user=users["dept_head"], language="en")
    assert zh.status == en.status == "sent"
    assert "部门负责人" in zh.body  # the escalation target's label, from the zh catalogue
    assert en.subject == "Ticket T20261123001 escalated to level 2"
    assert en.body == (
        "Ticket T20261123001 has been escalated to level 2 (Department head). "
        "Handling deadline: was due at 2026-11-23 09:30, overdue by 3 h 5 min."
    )
    # the due time is shown in local time (Asia/Shanghai) whatever zone it was given in
    assert "2026-11-23 09:30" in zh.body
    assert Message.objects.get(pk=en.pk).context["due_at"] == "2026-11-23T09:30:00+08:00"


def test_durations():
    with translation.override("en"):
        assert templates.format_duration(59) == "1 min"
        assert templates.format_duration(-3 * 3600 - 300) == "3 h 5 min"
        assert templates.format_duration(2 * 86400 + 4 * 3600) == "2 d 4 h"


@pytest.mark.django_db
def test_missing_context_key_fails_that_message_with_a_clear_error(users):
    broken = _sms(key="broken", template="customer_ticket_received")
    Message.objects.filter(pk=broken.pk).update(context={"number": "T1"})  # wrong key
    fine = _sms(key="fine")
    with override_settings(SMS_GATEWAY=HERE + "RecordingGateway"):
        assert outbox_send_due(now=timezone.now()) == 2
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == "failed" and broken.next_attempt_at is None
    assert "ticket_number" in broken.last_error
    assert fine.status == "sent"
    assert sum(RecordingGateway.calls.values()) == 1


@pytest.mark.django_db
def test_in_app_message_with_a_bad_context_is_failed_not_raised(users):
    message = message_enqueue(dedupe_key="x", template="clock_warning", channel="in_app",
                              recipient_user=users["handler"], context={"ticket_number": "T1"})
    assert message.status == "failed"
    assert "clock" in message.last_error and "due_at" in message.last_error
    message = message_enqueue(dedupe_key="y", template="clock_warning", channel="in_app",
                              recipient_user=users["handler"],
                              context={"ticket_number": "T1", "clock": "handle",
                                       "due_at": "tomorrow", "time_left": 60})
    assert message.status == "failed" and "due_at" in message.last_error


# --- sending ---------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(SMS_GATEWAY=HERE + "RecordingGateway")
def test_send_success():
    message = _sms()
    now = timezone.now()
    assert outbox_send_due(now=now) == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 1
    assert message.sent_at >= now and message.next_attempt_at is None
    assert message.provider_id == "rec-1" and message.last_error == ""
    assert "T20261123001" in message.body
    assert RecordingGateway.texts == [message.body]
    assert RecordingGateway.calls == {"+8613800138000": 1}
    assert outbox_send_due(now=now + dt.timedelta(days=1)) == 0  # sent once, never again


@pytest.mark.django_db
def test_default_gateway_logs(caplog):
    assert isinstance(LoggingSmsGateway(), SmsGateway)
    message = _sms()
    with caplog.at_level("INFO", logger="complaintdesk.notifications.channels"):
        outbox_send_due(now=timezone.now())
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_id.startswith("log-")
    assert "+8613800138000" in caplog.text


@pytest.mark.django_db
def test_not_due_is_not_sent():
    message = _sms()
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    assert outbox_send_due(now=timezone.now()) == 0


@pytest.mark.django_db
@override_settings(SMS_GATEWAY=HERE + "FailingGateway")
def test_failure_is_retried_with_backoff_then_failed():
    message = _sms()
    now = timezone.now()
    waits = []
    for attempt in range(1, 6):
        assert outbox_send_due(now=now) == 1
        message.refresh_from_db()
        assert message.attempts == attempt
        assert "gateway unreachable" in message.last_error
        if attempt < 5:
            assert message.status == "pending"
            waits.append(message.next_attempt_at - now)
            assert outbox_send_due(now=message.next_attempt_at - dt.timedelta(seconds=1)) == 0
            now = message.next_attempt_at
    assert waits == [dt.timedelta(minutes=m) for m in (1, 5, 30, 120)]
    assert message.status == "failed" and message.next_attempt_at is None
    assert outbox_send_due(now=now + dt.timedelta(days=30)) == 0


@pytest.mark.django_db
@override_settings(SMS_GATEWAY=HERE + "RejectingGateway")
def test_permanent_error_fails_at_once():
    message = _sms()
    outbox_send_due(now=timezone.now())
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 1
    assert "blocked" in message.last_error


@pytest.mark.django_db
def test_email_through_djangos_mail_api(users, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "desk@example.org"
    mail.outbox = []
    message = message_enqueue(dedupe_key="mail", template="clock_breached", channel="email",
                              recipient_user=users["supervisor"], to_email="sup@example.org",
                              language="en", context={
                                  "ticket_number": "T7", "clock": "reply",
                                  "due_at": dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC),
                                  "overdue": dt.timedelta(minutes=45)})
    assert outbox_send_due(now=timezone.now()) == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["sup@example.org"] and sent.from_email == "desk@example.org"
    assert sent.subject == "Ticket T7 is overdue: Reply to customer"
    assert sent.body == "Ticket T7 — Reply to customer: was due at 2026-11-23 09:00, overdue by 45 min."
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_id == sent.extra_headers["Message-ID"]


@pytest.mark.django_db
def test_customer_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    message_enqueue(dedupe_key="c", template="customer_reply", channel="email",
                    to_email="zhang@example.org", context={"ticket_number": "T8"})
    outbox_send_due(now=timezone.now())
    assert [m.to for m in mail.outbox] == [["zhang@example.org"]]
    assert "T8" in mail.outbox[0].subject


@pytest.mark.django_db(transaction=True)
@override_settings(SMS_GATEWAY=HERE + "RecordingGateway")
def test_two_concurrent_senders_never_send_a_message_twice():
    phones = [f"+86138{n:08d}" for n in range(30)]
    for n, phone in enumerate(phones):
        _sms(key=f"m{n}", phone=phone)
    RecordingGateway.delay = 0.005
    now = timezone.now()

    def drain():
        attempted = 0
        while True:
            n = outbox_send_due(now=now, batch=4)
            if n == 0:
                return attempted
            attempted += n

    results = _race(drain, drain)
    assert all(r[0] == "ok" for r in results), results
    assert sum(r[1] for r in results) == 30  # every message claimed by exactly one sender
    assert all(r[1] > 0 for r in results), results  # both really worked at the same time
    assert RecordingGateway.calls == dict.fromkeys(phones, 1)
    assert set(Message.objects.values_list("status", "attempts")) == {("sent", 1)}


@pytest.mark.django_db
@override_settings(SMS_GATEWAY=HERE + "RecordingGateway")
def test_a_message_requeued_from_a_slow_sender_is_not_sent_by_it():
    """The sender renews its claim before each send; a claim lost to the stale requeue (and
    taken by another sender) is skipped."""
    first, second = _sms(key="a", phone="13800138000"), _sms(key="b", phone="13900139000")
    real_still_ours = services._still_ours

    def slow_sender_lost_the_second(message):
        if message.pk == second.pk:
            # meanwhile: requeued as stale and claimed by another sender (attempts 2)
            Message.objects.filter(pk=second.pk).update(attempts=2)
        return real_still_ours(message)

    with mock.patch.object(services, "_still_ours", slow_sender_lost_the_second):
        assert outbox_send_due(now=timezone.now()) == 2
    assert RecordingGateway.calls == {first.to_phone: 1}


@pytest.mark.django_db
def test_stale_sending_messages_are_requeued():
    now = timezone.now()
    stuck, exhausted, recent = _sms(key="a"), _sms(key="b"), _sms(key="c")
    Message.objects.filter(pk__in=[stuck.pk, exhausted.pk]).update(
        status="sending", claimed_at=now - dt.timedelta(minutes=11), attempts=1)
    Message.objects.filter(pk=exhausted.pk).update(attempts=5)
    Message.objects.filter(pk=recent.pk).update(status="sending", claimed_at=now - dt.timedelta(minutes=2))
    assert outbox_requeue_stale(now=now) == 2
    statuses = dict(Message.objects.values_list("dedupe_key", "status"))
    assert statuses == {"a": "pending", "b": "failed", "c": "sending"}
    assert Message.objects.get(pk=stuck.pk).next_attempt_at == now


# --- the in-app list -------------------------------------------------------------------------


def _notify(user, n, start=0):
    for i in range(start, start + n):
        message_enqueue(dedupe_key=f"warn-{user.pk}-{i}", template="clock_warning",
                        channel="in_app", recipient_user=user, language="en",
                        context={"ticket_number": f"T{i:04d}", "ticket_id": i + 1, "clock": "handle",
                                 "due_at": timezone.now() + dt.timedelta(hours=2),
                                 "time_left": dt.timedelta(hours=2)})


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


@pytest.mark.django_db
def test_list_shows_only_my_messages_with_a_fixed_query_count(users, api):
    handler, other = users["handler"], users["supervisor"]
    caller = api(handler)
    _notify(handler, 2)
    _notify(other, 3)
    small, body = _count(lambda: caller.get("/notifications"))
    assert len(body["items"]) == 2 and body["unread_count"] == 2 and body["next_cursor"] is None
    _notify(handler, 25, start=2)
    large, body = _count(lambda: caller.get("/notifications"))
    assert small == large <= 5
    assert len(body["items"]) == 27 and body["unread_count"] == 27
    assert [x["ticket_number"] for x in body["items"]][:2] == ["T0026", "T0025"]  # newest first
    item = body["items"][0]
    assert item["subject"] == "Ticket T0026: Handling deadline due soon"
    assert item["ticket_id"] == 27 and item["read_at"] is None
    assert {m.recipient_user_id for m in Message.objects.filter(pk__in=[x["id"] for x in body["items"]])} == {handler.pk}


@pytest.mark.django_db
def test_list_pages_with_a_cursor_and_filters_unread(users, api):
    handler = users["handler"]
    caller = api(handler)
    _notify(handler, 5)
    first = caller.get("/notifications?limit=2").json()
    second = caller.get(f"/notifications?limit=2&cursor={first['next_cursor']}").json()
    third = caller.get(f"/notifications?limit=2&cursor={second['next_cursor']}").json()
    ids = [x["id"] for page in (first, second, third) for x in page["items"]]
    assert len(ids) == len(set(ids)) == 5 and ids == sorted(ids, reverse=True)
    assert third["next_cursor"] is None
    caller.post(f"/notifications/{ids[0]}/read")
    unread = caller.get("/notifications?unread=true").json()
    assert ids[0] not in [x["id"] for x in unread["items"]] and unread["unread_count"] == 4
    bad = caller.get("/notifications?cursor=nonsense")
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "cursor"


@pytest.mark.django_db
def test_mark_read(users, api):
    handler, other = users["handler"], users["supervisor"]
    _notify(handler, 2)
    _notify(other, 1)
    mine = Message.objects.filter(recipient_user=handler).order_by("id").first()
    theirs = Message.objects.get(recipient_user=other)

    response = api(handler).post(f"/notifications/{mine.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"]
    read_at = Message.objects.get(pk=mine.pk).read_at
    assert read_at is not None
    again = message_mark_read(message_id=mine.pk, user=handler)  # idempotent: time kept
    assert again.read_at == read_at
    assert api(handler).get("/notifications").json()["unread_count"] == 1

    assert api(handler).post(f"/notifications/{theirs.pk}/read").status_code == 404
    assert Message.objects.get(pk=theirs.pk).read_at is None
    assert api(handler).post("/notifications/99999999999999999999/read").status_code in (404, 422)
    with pytest.raises(NotFound):
        message_mark_read(message_id=theirs.pk, user=handler)

    response = api(handler).post("/notifications/read-all")
    assert response.json() == {"marked": 1}
    assert api(handler).get("/notifications").json()["unread_count"] == 0
    assert Message.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.django_db
def test_outbound_messages_are_not_in_the_list(users, api):
    handler = users["handler"]
    handler.email = "h@example.org"
    handler.save()
    message_enqueue(dedupe_key="e", template="escalated", context=_escalated_context(),
                    channel="email", recipient_user=handler)
    assert api(handler).get("/notifications").json()["items"] == []


# --- admin -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_list_and_retry_now(client, users):
    assert Message in admin.site._registry
    admin_user = users["admin"]
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    admin_client = client
    failed, sent = _sms(key="f"), _sms(key="s")
    Message.objects.filter(pk=failed.pk).update(status="failed", attempts=5, last_error="x",
                                                next_attempt_at=None)
    Message.objects.filter(pk=sent.pk).update(status="sent")
    _notify(users["handler"], 3)
    url = reverse("admin:notifications_message_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url + "?status__exact=failed&q=f").status_code == 200
    assert admin_client.get(reverse("admin:notifications_message_change", args=[failed.pk])).status_code == 200
    assert admin_client.get(reverse("admin:notifications_message_add")).status_code == 403

    response = admin_client.post(url, {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "pending" and failed.attempts == 0 and failed.next_attempt_at
    assert Message.objects.get(pk=sent.pk).status == "sent"
