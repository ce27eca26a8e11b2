"""The customer portal: filing, tracking, answering and rating without signing in."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaintdesk.notifications.models import Message
from complaintdesk.portal.codes import ALPHABET, CODE_LENGTH, normalize_code
from complaintdesk.portal.models import PortalTicket, RateCounter
from complaintdesk.portal.selectors import portal_rating
from complaintdesk.portal.services.challenge import challenge_new
from complaintdesk.portal.services.throttle import rate_hit
from complaintdesk.portal.workflow import PORTAL_USERNAME
from complaintdesk.sla.models import ClockRule, Policy, TicketClock
from complaintdesk.sla.services.policies import sla_config_changed
from complaintdesk.tickets.models import Attachment, Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.vocabulary import Channel, EventType, State

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PHONE = "13900139000"


def _challenge(age_seconds=30):
    ch = challenge_new(now=timezone.now() - dt.timedelta(seconds=age_seconds))
    return {"challenge_token": ch.token, "challenge_answer": str(ch.a + ch.b)}


def form(**overrides):
    data = {
        "kind": "complaint", "category": "billing-overcharge",
        "description": "十月份话费多扣了58元，我没有订购过视频彩铃。", "name": "李四", "phone": PHONE,
        "email": "", "el_account_phone": PHONE, "el_month": "2026-10-01", "el_amount": "58",
        "website": "", **_challenge(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file_ticket(client, lang="zh-hans", **overrides):
    response = client.post("/portal/file/", form(**overrides), HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, response.content.decode()[:3000]
    html = response.content.decode()
    code = re.search(r'id="tracking-code">([^<]+)<', html).group(1)
    ticket = Ticket.objects.get(pk=PortalTicket.objects.latest("id").ticket_id)
    return ticket, code


def lookup(client, code, phone=PHONE, lang="en"):
    return client.post("/portal/track/", {"code": code, "phone": phone}, HTTP_ACCEPT_LANGUAGE=lang)


def _strip_csrf(html: str) -> str:
    """The page without its CSRF token and the phone the visitor typed (shown back to them)."""
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": "|id="id_phone" name="phone" value=")[^"]+', r"\1", html)


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "words"), [("en", ["File a complaint", "Track my case"]),
                                             ("zh-hans", ["我要投诉", "查询进度"])])
def test_home_in_both_languages(client, db, lang, words):
    html = client.get("/portal/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    for word in words:
        assert word in html
    assert "http://" not in html and "https://" not in html  # nothing from outside the app


def test_form_shows_categories_with_paths_and_elements(client, org):
    html = client.get("/portal/file/?kind=complaint&category=billing-overcharge", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Billing › Overcharge" in html
    assert "Disputed month" in html and 'name="el_month"' in html
    assert "Sales lead" not in html and "Broadband" not in html  # not something customers file
    partial = client.get("/portal/file/elements/?kind=complaint&category=billing-overcharge", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "争议月份" in partial.content.decode()
    options = client.get("/portal/file/categories/?kind=complaint&q=信号", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "网络与信号 › 信号弱" in options and "多扣费" not in options


def test_no_js_refresh_shows_elements_without_filing(client, org):
    response = client.post("/portal/file/", form(refresh="1", category="network-weak", description="信号差"))
    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    assert "信号差" in response.content.decode()


def test_phone_checked_as_typed(client, db):
    bad = client.post("/portal/file/check-phone/", {"phone": "1380013"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "not a valid mobile number" in bad
    good = client.post("/portal/file/check-phone/", {"phone": "13800138000"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "138 0013 8000" in good


# --- filing ---------------------------------------------------------------------------------


def test_filing_creates_one_ticket_in_review(client, org):
    ticket, code = file_ticket(client, files=SimpleUploadedFile("bill.png", PNG, "image/png"))
    assert Ticket.objects.count() == 1
    assert ticket.state == State.REGISTERED  # the normal workflow: the centre reviews it next
    assert ticket.channel == Channel.WEB_PORTAL
    assert ticket.elements == {"account_phone": "+86" + PHONE, "month": "2026-10-01", "amount": "58.00"}
    assert ticket.contact_phone == "+86" + PHONE and ticket.customer.name == "李四"
    assert ticket.org_unit == org["province"]
    owner = ticket.owner
    assert owner.username == PORTAL_USERNAME and not owner.is_active and not owner.has_usable_password()
    assert Attachment.objects.filter(ticket=ticket, original_name="bill.png").count() == 1
    # The code: short, unambiguous, stored only as a keyed hash.
    plain = normalize_code(code)
    assert len(plain) == CODE_LENGTH and set(plain) <= set(ALPHABET)
    row = PortalTicket.objects.get(ticket=ticket)
    assert plain not in row.code_hash and PHONE not in row.phone_hash
    # The customer gets the ticket number by SMS, never the code.
    sms = Message.objects.get(dedupe_key=f"portal-received:sms:{ticket.pk}")
    assert sms.context == {"ticket_number": ticket.number} and plain not in str(sms.context)
    # The centre sees it to review.
    dispatcher = org["users"]["dispatcher"]
    t.ticket_review(ticket_id=ticket.pk, actor=dispatcher, valid=True)


@pytest.mark.parametrize(("lang", "messages"), [
    ("en", ["“Disputed month” is required for this category.", "is not a valid mobile number",
            "does not match its “.jpg” name", "Please check these answers"]),
    ("zh-hans", ["该目录须填写“争议月份”。", "不是有效的手机号", "文件内容与扩展名“.jpg”不符", "请检查以下内容"]),
])
def test_field_errors_in_both_languages_keep_values(client, org, lang, messages):
    data = form(el_month="", phone="1380013", description="我的描述保留下来了",
                files=SimpleUploadedFile("photo.jpg", b"not a picture at all", "image/jpeg"))
    response = client.post("/portal/file/", data, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 422
    html = response.content.decode()
    for message in messages:
        assert message in html, message
    assert "我的描述保留下来了" in html and 'value="1380013"' in html and 'value="58"' in html
    assert Ticket.objects.count() == 0


def test_challenge_and_honeypot_refuse_bots(client, org):
    wrong = form(challenge_answer="99")
    assert client.post("/portal/file/", wrong).status_code == 422
    fresh = challenge_new()  # answered at once: a script, not a person
    fast = form(challenge_token=fresh.token, challenge_answer=str(fresh.a + fresh.b))
    assert client.post("/portal/file/", fast).status_code == 422
    forged = form(challenge_token="forged", challenge_answer="2")
    assert client.post("/portal/file/", forged).status_code == 422
    assert client.post("/portal/file/", form(website="http://spam.example")).status_code == 400
    assert Ticket.objects.count() == 0
    # One solved challenge files one ticket: the same answer again is refused.
    data = form()
    assert client.post("/portal/file/", data).status_code == 200
    again = client.post("/portal/file/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 422 and "already sent" in again.content.decode()
    assert Ticket.objects.count() == 1


def test_filing_rate_limits_per_ip_and_phone(client, org, settings):
    settings.PORTAL_RATE_LIMITS = {"file_ip": (3, 600), "file_phone": (1, 86400)}
    file_ticket(client)
    refused = client.post("/portal/file/", form(), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 3600  # the phone's day
    other = client.post("/portal/file/", form(phone="13700137000", el_account_phone="13700137000"))
    assert other.status_code == 200
    limited = client.post("/portal/file/", form(phone="13600136000"), HTTP_ACCEPT_LANGUAGE="en")
    assert limited.status_code == 429 and 0 < int(limited["Retry-After"]) <= 600
    assert "Please try again in 10 minutes" in limited.content.decode()
    assert Ticket.objects.count() == 2


# --- lookup ---------------------------------------------------------------------------------


def test_lookup_needs_code_and_phone_and_answers_alike(client, org):
    ticket, code = file_ticket(client)
    other = client.__class__()
    wrong_code = lookup(other, "4KQ7MXR9TD")
    wrong_phone = lookup(other, code, phone="13700137000")
    no_phone = lookup(other, code, phone="")
    assert wrong_code.status_code == wrong_phone.status_code == no_phone.status_code == 404
    assert _strip_csrf(wrong_code.content.decode()) == _strip_csrf(wrong_phone.content.decode())
    assert other.get(f"/portal/case/{ticket.number}/").status_code == 404  # no lookup, no case
    # Spaces, dashes, lower case and a +86 phone are all fine.
    found = lookup(other, code.lower().replace("-", " "), phone="+86 139 0013 9000")
    assert found.status_code == 302 and found["Location"] == f"/portal/case/{ticket.number}/"
    page = other.get(found["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ticket.number in page and "Received, being checked" in page
    # Hidden again on this device.
    assert other.post(f"/portal/case/{ticket.number}/leave/").status_code == 302
    assert other.get(found["Location"]).status_code == 404


def test_lookup_rate_limit_triggers_and_resets(client, org, settings):
    settings.PORTAL_RATE_LIMITS = {"lookup_ip": (3, 60)}
    ticket, code = file_ticket(client)
    for _ in range(3):
        assert lookup(client, "4KQ7MXR9TD").status_code == 404
    refused = lookup(client, code)  # even the right code: the limit counts attempts
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert "try again" in refused.content.decode()
    RateCounter.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))  # the window passes
    assert lookup(client, code).status_code == 302


def test_rate_window_counts_and_restarts(db, settings):
    settings.PORTAL_RATE_LIMITS = {"act_ip": (2, 60)}
    now = timezone.now()
    assert rate_hit(name="act_ip", subject="10.0.0.1", now=now).allowed
    assert rate_hit(name="act_ip", subject="10.0.0.1", now=now).allowed
    refused = rate_hit(name="act_ip", subject="10.0.0.1", now=now + dt.timedelta(seconds=10))
    assert not refused.allowed and refused.retry_after == 50
    assert rate_hit(name="act_ip", subject="10.0.0.2", now=now).allowed  # another client
    assert rate_hit(name="act_ip", subject="10.0.0.1", now=now + dt.timedelta(seconds=61)).allowed
    assert "10.0.0.1" not in "".join(RateCounter.objects.values_list("key", flat=True))


# --- the case page --------------------------------------------------------------------------


def _to_callback(ticket, users):
    d, h = users["dispatcher"], users["handler"]
    t.ticket_review(ticket_id=ticket.pk, actor=d, valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=d)
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=h)
    t.ticket_handle(ticket_id=ticket.pk, actor=h, notes="INTERNAL handling notes", cause="sales",
                    responsible_person="王五")
    t.ticket_audit(ticket_id=ticket.pk, actor=d, approve=False, note="AUDIT-SECRET redo it")
    t.ticket_handle(ticket_id=ticket.pk, actor=h, notes="INTERNAL notes again", cause="sales")
    t.ticket_audit(ticket_id=ticket.pk, actor=d, approve=True)
    t.ticket_reply(ticket_id=ticket.pk, actor=users["intake_agent"], text="已为您退还58元话费。")


def test_public_timeline_hides_internal_events(client, org, users):
    ticket, code = file_ticket(client)
    _to_callback(ticket, users)
    t.ticket_urge(ticket_id=ticket.pk, actor=users["supervisor"], note="URGE-NOTE")
    lookup(client, code)
    html = client.get(f"/portal/case/{ticket.number}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已为您退还58元话费。" in html  # the reply
    for secret in ("INTERNAL", "AUDIT-SECRET", "URGE-NOTE", "王五", "计费账务部", "dispatcher", "handler",
                   "supervisor", "agent"):
        assert secret not in html, secret
    for step in ("已受理", "处理中", "我们的答复"):
        assert step in html, step


def test_info_answer_resumes_the_clocks(client, org, users):
    policy = Policy.objects.create(name="p", name_en="p")
    ClockRule.objects.create(policy=policy, clock="ticket", amount=Decimal(48), unit="calendar_hours")
    sla_config_changed()
    ticket, code = file_ticket(client)
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    t.ticket_request_info(ticket_id=ticket.pk, actor=users["dispatcher"], question="请提供扣费短信的截图。")
    assert TicketClock.objects.filter(ticket=ticket, state="paused").exists()
    lookup(client, code)
    page = client.get(f"/portal/case/{ticket.number}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "请提供扣费短信的截图。" in page and 'name="answer"' in page
    empty = client.post(f"/portal/case/{ticket.number}/answer/", {"answer": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert empty.status_code == 422 and "Write the information we asked for." in empty.content.decode()
    response = client.post(f"/portal/case/{ticket.number}/answer/",
                           {"answer": "截图见附件", "file": SimpleUploadedFile("sms.png", PNG, "image/png")})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert not ticket.waiting_on_customer
    assert not TicketClock.objects.filter(ticket=ticket, state="paused").exists()  # running again
    assert TicketClock.objects.filter(ticket=ticket, state="running").exists()
    event = TicketEvent.objects.filter(ticket=ticket, type=EventType.INFO_RECEIVED).get()
    assert event.actor.username == PORTAL_USERNAME and event.payload["answer"] == "截图见附件"
    assert Attachment.objects.filter(ticket=ticket, original_name="sms.png").exists()
    # Not waiting any more: a clear message, the text kept.
    again = client.post(f"/portal/case/{ticket.number}/answer/", {"answer": "还有一点"}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409
    assert "no longer waiting" in again.content.decode()


def test_dissatisfied_rating_is_the_callback_and_reopens(client, org, users):
    ticket, code = file_ticket(client)
    _to_callback(ticket, users)
    lookup(client, code)
    page = client.get(f"/portal/case/{ticket.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Basically satisfied" in page
    response = client.post(f"/portal/case/{ticket.number}/rate/", {"rating": "dissatisfied", "comment": "钱还没到账"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == State.AWAITING_DISPATCH and ticket.satisfaction == "dissatisfied"
    assert ticket.reopen_count == 1
    event = TicketEvent.objects.filter(ticket=ticket, type=EventType.CALLED_BACK).get()
    assert event.actor.username == PORTAL_USERNAME and event.payload["note"] == "钱还没到账"
    # Once only.
    twice = client.post(f"/portal/case/{ticket.number}/rate/", {"rating": "satisfied"}, HTTP_ACCEPT_LANGUAGE="en")
    assert twice.status_code == 409
    assert PortalTicket.objects.get(ticket=ticket).rating == "dissatisfied"


def test_satisfied_rating_closes_and_late_rating_is_kept(client, org, users):
    ticket, code = file_ticket(client)
    _to_callback(ticket, users)
    lookup(client, code)
    assert client.post(f"/portal/case/{ticket.number}/rate/", {"rating": "basically_satisfied"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED and ticket.satisfaction == "neutral"
    # An inquiry closes with the reply: no callback; the rating is kept with the portal record.
    inquiry, code2 = file_ticket(client, kind="inquiry", category="inquiry-tariff", el_account_phone=None,
                                 el_month=None, el_amount=None, phone="13700137000")
    d = users["dispatcher"]
    t.ticket_review(ticket_id=inquiry.pk, actor=d, valid=True)
    t.ticket_dispatch(ticket_id=inquiry.pk, actor=d)
    t.ticket_acknowledge(ticket_id=inquiry.pk, actor=users["handler"])
    t.ticket_handle(ticket_id=inquiry.pk, actor=users["handler"], notes="explained")
    t.ticket_reply(ticket_id=inquiry.pk, actor=d, text="套餐资费见说明。")
    lookup(client, code2, phone="13700137000")
    assert client.post(f"/portal/case/{inquiry.number}/rate/", {"rating": "satisfied", "comment": "清楚"}).status_code == 302
    shown = portal_rating(ticket_id=inquiry.pk)  # what the staff's ticket page shows
    assert (shown.rating, shown.comment) == ("satisfied", "清楚")
    client.force_login(d)
    page = client.get(f"/tickets/{inquiry.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Rating given on the portal" in page and "清楚" in page


def test_rating_needs_a_choice(client, org, users):
    ticket, code = file_ticket(client)
    _to_callback(ticket, users)
    lookup(client, code)
    response = client.post(f"/portal/case/{ticket.number}/rate/", {"rating": "", "comment": "留着"},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 422
    assert "留着" in response.content.decode()


def test_no_state_change_on_get(client, org):
    ticket, code = file_ticket(client)
    lookup(client, code)
    assert client.get(f"/portal/case/{ticket.number}/rate/").status_code == 405
    assert client.get(f"/portal/case/{ticket.number}/answer/").status_code == 405
    assert client.get("/portal/file/check-phone/").status_code == 405


def test_csrf_is_required(org):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/portal/file/", form()).status_code == 403
    assert strict.post("/portal/track/", {"code": "x", "phone": PHONE}).status_code == 403


def test_case_page_queries_fixed_whatever_the_timeline(client, org, users):
    ticket, code = file_ticket(client)
    lookup(client, code)
    url = f"/portal/case/{ticket.number}/"

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    short = count()
    t.ticket_review(ticket_id=ticket.pk, actor=users["dispatcher"], valid=True)
    for i in range(30):
        t.ticket_urge(ticket_id=ticket.pk, actor=users["supervisor"], note=f"n{i}")
        t.ticket_request_info(ticket_id=ticket.pk, actor=users["dispatcher"], question=f"q{i}")
        t.ticket_info_received(ticket_id=ticket.pk, actor=users["dispatcher"], answer=f"a{i}")
    assert TicketEvent.objects.filter(ticket=ticket).count() > 90
    long = count()
    assert short == long <= 4, (short, long)


def test_oversized_upload_refused_unread(client, org, settings):
    settings.PORTAL_MAX_FILE_BYTES = 1024  # three files of 1 KB plus 1 MB of form
    big = SimpleUploadedFile("big.txt", b"x" * (2 * 1024 * 1024), "text/plain")
    response = client.post("/portal/file/", form(files=big), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413 and "too large" in response.content.decode()
    assert Ticket.objects.count() == 0
    small = SimpleUploadedFile("note.txt", b"x" * 2000, "text/plain")
    too_big = client.post("/portal/file/", form(files=small), HTTP_ACCEPT_LANGUAGE="en")
    assert too_big.status_code == 422 and "larger than" in too_big.content.decode()


def test_codes_never_logged(client, org, caplog):
    caplog.set_level("DEBUG")
    ticket, code = file_ticket(client)
    lookup(client, "AAAAA-AAAAA")
    lookup(client, code, phone="13700137000")
    lookup(client, code)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert normalize_code(code) not in logged and code not in logged
    assert normalize_code(code) not in str(list(Message.objects.values_list("context", "body")))


def test_language_switch_and_admin_inspection(client, org, django_user_model):
    response = client.post("/language/", {"language": "en", "next": "/portal/"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert "How can we help?" in client.get("/portal/").content.decode()
    ticket, _code = file_ticket(client)
    admin_client = client.__class__()
    admin_client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-1",
                                                                        org_unit=org["province"]))
    page = admin_client.get("/admin/portal/portalticket/")
    assert page.status_code == 200 and ticket.number in page.content.decode()
    assert admin_client.get("/admin/portal/portalticket/add/").status_code == 403
