"""Incoming and outgoing e-mail against real servers: dovecot (IMAP) and aiosmtpd (SMTP),
started by the fixtures in mailkit.py. Each message becomes a ticket or a customer message
exactly once; a crash between the commit and the IMAP flag gives no second ticket."""

import base64
import datetime as dt
import os
import signal
import subprocess
import sys
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from mailkit import imap_server, make_mailbox, smtp_server  # noqa: F401 (fixtures)

from complaintdesk.mail.models import IncomingMail, OutgoingMail
from complaintdesk.mail.parsing import (
    decode_header_value,
    find_phone,
    html_to_text,
    parse_mail,
    without_quote,
)
from complaintdesk.mail.services import incoming
from complaintdesk.mail.services.imap import HANDLED_KEYWORD, ImapSession
from complaintdesk.mail.services.incoming import incoming_register_again, mailbox_poll
from complaintdesk.notifications.models import Message
from complaintdesk.notifications.services import outbox_send_due
from complaintdesk.sla.models import ClockRule, Policy, TicketClock
from complaintdesk.sla.services.policies import sla_config_changed
from complaintdesk.tickets.models import Attachment, Ticket, TicketEvent
from complaintdesk.tickets.services import transitions as t

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
CUSTOMER = "wang.fang@customer.example.com"
ROOT = Path(__file__).resolve().parent.parent


def mail(*, subject="甲市城区信号差", body="我家在甲市城区，手机4G信号很差，联系电话13912345678。",
         sender=f"王芳 <{CUSTOMER}>", to="complaints@desk.example.cn", headers=None, html=None,
         attachments=(), charset="utf-8", message_id=None, raw_subject=None) -> tuple[bytes, str]:
    """A message as a mail client sends it; `raw_subject` goes into the header byte for byte."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now() - dt.timedelta(minutes=5))
    message_id = message_id or make_msgid(domain="customer.example.com")
    msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body, charset=charset)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, data, maintype, subtype in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    raw = msg.as_bytes()
    if raw_subject is not None:
        raw = raw.replace(b"Subject: " + subject.encode(), b"Subject: " + raw_subject, 1)
    return raw, message_id


@pytest.fixture
def box(imap_server, monkeypatch, org):  # noqa: F811
    return make_mailbox(imap_server, monkeypatch, org)


def poll(box):
    result = mailbox_poll(mailbox=box)
    assert not result.error, result.error
    return result.counts


def handled(imap_server, box):  # noqa: F811
    return {uid: HANDLED_KEYWORD in flags for uid, flags in imap_server.flags(box.folder).items()}


# -- reading a message (pure) ----------------------------------------------------------------

def test_encoded_words_in_gb2312_with_a_gbk_character_and_big5():
    # 镕 is in GBK, not in GB2312: clients still label such subjects GB2312.
    gbk = base64.b64encode("朱镕基路营业厅投诉".encode("gbk")).decode()
    assert decode_header_value(f"=?GB2312?B?{gbk}?=") == "朱镕基路营业厅投诉"
    big5 = base64.b64encode("網路斷線".encode("big5")).decode()
    assert decode_header_value(f"=?big5?B?{big5}?= =?utf-8?q?_ok?=") == "網路斷線 ok"
    # Undeclared 8-bit GBK bytes in a header (kept as surrogates by the parser).
    raw = b"Subject: " + "话费多扣".encode("gbk") + b"\r\nFrom: a@b.cn\r\n\r\nx\r\n"
    assert parse_mail(raw).subject == "话费多扣"


def test_bodies_in_gbk_and_big5_and_html_reduced_to_text():
    raw, _mid = mail(body="镕基路营业厅态度差，电话13912345678", charset="gbk")
    assert parse_mail(raw).text == "镕基路营业厅态度差，电话13912345678"
    raw, _mid = mail(body="網路斷線三天", charset="big5")
    assert parse_mail(raw).text == "網路斷線三天"
    markup = ("<html><head><style>p{color:red}</style><title>x</title></head><body>"
              "<p>信号&nbsp;很差&amp;断线</p><script>alert('x')</script><ul><li>一</li><li>二</li></ul>"
              "<img src=x onerror=alert(1)><a href='javascript:alert(1)'>链接</a></body></html>")
    text = html_to_text(markup)
    assert text == "信号 很差&断线\n\n- 一\n\n- 二\n\n链接"
    assert "<" not in text and "alert" not in text
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "a@b.cn", "x"
    msg.set_content(markup, subtype="html")
    parsed = parse_mail(msg.as_bytes())
    assert parsed.html and parsed.text == text


def test_quotes_phones_and_thread_ids():
    assert without_quote("好的，已收到。\n\n在 2026年12月1日 写道：\n> 原文\n> 更多") == "好的，已收到。"
    assert without_quote("Thanks.\nOn Mon, 1 Dec 2026, desk wrote:\n> old") == "Thanks."
    assert without_quote("> only quoted") == "> only quoted"
    assert find_phone("座机 010-62345678，手机 139 1234 5678") == "139 1234 5678"
    assert find_phone("订单号 12345678901234") == ""
    raw, mid = mail(headers={"In-Reply-To": "<a@x>", "References": "<r1@x> <a@x>"},
                    subject="Re: 回复: 信号差 [case TS202612040000007]")
    parsed = parse_mail(raw)
    assert parsed.message_id == mid and parsed.thread_ids == ["<a@x>", "<r1@x>"]
    assert parsed.ticket_numbers == ["TS202612040000007"] and parsed.title.startswith("信号差")


# -- incoming: new tickets ----------------------------------------------------------------------

def test_a_new_message_becomes_a_ticket_once(imap_server, box):  # noqa: F811
    gbk_subject = "=?GB2312?B?" + base64.b64encode("镕基路信号差".encode("gbk")).decode() + "?="
    raw, mid = mail(subject="PLACEHOLDER", raw_subject=gbk_subject.encode(), attachments=[
        ("照片.png", PNG, "image", "png"), ("virus.exe", b"MZ\x90\x00", "application", "octet-stream"),
        ("fake.pdf", b"not a pdf", "application", "pdf")])
    imap_server.append(box.folder, raw)
    assert poll(box) == {"registered": 1}
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.channel, ticket.kind, ticket.category.code) == (
        "镕基路信号差", "email", "complaint", "network-weak")
    assert ticket.contact_phone == "+8613912345678" and ticket.customer.name == "王芳"
    assert ticket.description == "我家在甲市城区，手机4G信号很差，联系电话13912345678。"
    assert ticket.org_unit_id == box.org_unit_id
    assert [a.original_name for a in Attachment.objects.filter(ticket=ticket)] == ["照片.png"]
    record = IncomingMail.objects.get()
    assert (record.message_id, record.status, record.ticket_id) == (mid, "registered", ticket.pk)
    assert sorted(r["name"] for r in record.refused_attachments) == ["fake.pdf", "virus.exe"]
    assert handled(imap_server, box) == {1: True}
    # The acknowledgement is queued, threaded under the customer's message.
    ack = OutgoingMail.objects.get(ticket=ticket)
    assert ack.kind == "acknowledgement" and ack.in_reply_to == mid and ack.to_address == CUSTOMER
    headers = ack.outbox.context["email_headers"]
    assert headers["In-Reply-To"] == mid and headers["Auto-Submitted"] == "auto-replied"
    assert ack.outbox.language == "zh-hans"
    # Polling again finds nothing new; the same message delivered twice is one ticket.
    assert poll(box) == {}
    imap_server.append(box.folder, raw)
    assert poll(box) == {"already_handled": 1}
    assert Ticket.objects.count() == 1 and handled(imap_server, box) == {1: True, 2: True}


def test_automatic_mail_bounces_and_loops_are_ignored_and_counted(imap_server, box):  # noqa: F811
    ours = make_msgid(domain="desk")
    samples = [
        mail(headers={"Auto-Submitted": "auto-replied"}),
        mail(headers={"Precedence": "bulk"}),
        mail(headers={"List-Id": "<news.example.com>"}),
        mail(headers={"X-Autoreply": "yes"}),
        mail(sender="MAILER-DAEMON@mx.example.com", subject="Undelivered Mail Returned to Sender"),
        mail(sender="complaints@desk.example.cn"),  # our own address: a loop
        mail(headers={"X-Complaintdesk-Sender": "localhost"}),  # our own message came back
        mail(message_id=ours),
    ]
    OutgoingMail.objects.create(ticket=_a_ticket(box), message_id=ours, kind="reply", to_address=CUSTOMER,
                                created_at=timezone.now())
    for raw, _mid in samples:
        imap_server.append(box.folder, raw)
    counts = poll(box)
    assert counts == {"ignored": 8, "ignored:auto_submitted": 1, "ignored:bulk": 1, "ignored:list": 1,
                      "ignored:auto_reply": 1, "ignored:bounce": 1, "ignored:own_message": 3}
    assert Ticket.objects.count() == 1  # only the one made above
    assert all(handled(imap_server, box).values())
    assert not Message.objects.exists()  # nothing answered automatic mail


def _a_ticket(box):
    from complaintdesk.mail.services.incoming import mail_account
    from complaintdesk.tickets.services.intake import TicketDraft, ticket_register

    ticket, _ = ticket_register(actor=mail_account(), draft=TicketDraft(
        kind="complaint", category="network-weak", channel="email", title="x", description="y",
        phone="13912345678", org_unit=box.org_unit.code))
    return ticket


def test_held_without_a_phone_then_registered_again(imap_server, box):  # noqa: F811
    raw, _mid = mail(body="信号很差，请尽快处理。")
    imap_server.append(box.folder, raw)
    assert poll(box) == {"held": 1}
    record = IncomingMail.objects.get()
    assert record.reason == "no_phone" and not Ticket.objects.exists() and handled(imap_server, box) == {1: True}
    record.phone = "13912345678"
    record.save(update_fields=["phone"])
    record = incoming_register_again(record_id=record.pk)
    assert record.status == "registered" and record.ticket.contact_phone == "+8613912345678"


def test_a_category_with_required_elements_holds_the_message_with_the_reasons(imap_server, monkeypatch, org):  # noqa: F811
    from complaintdesk.taxonomy.models import Category

    box = make_mailbox(imap_server, monkeypatch, org, category=Category.objects.get(code="billing-overcharge"))
    imap_server.append(box.folder, mail()[0])
    assert poll(box) == {"held": 1}
    record = IncomingMail.objects.get()
    assert record.reason == "invalid" and "elements.month" in record.detail
    assert not Ticket.objects.exists()


def test_a_missing_password_variable_is_reported_and_nothing_happens(imap_server, box, monkeypatch):  # noqa: F811
    monkeypatch.delenv(box.password_env)
    imap_server.append(box.folder, mail()[0])
    result = mailbox_poll(mailbox=box)
    assert box.password_env in result.error and not result.counts
    box.refresh_from_db()
    assert box.password_env in box.last_error and not Ticket.objects.exists()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_and_starttls_with_a_checked_certificate(imap_server, monkeypatch, org, settings, security):  # noqa: F811
    if not imap_server.ca_file:
        pytest.skip("no openssl to make the test server's certificate")
    port = imap_server.imaps_port if security == "ssl" else imap_server.port
    box = make_mailbox(imap_server, monkeypatch, org, security=security, port=port)
    imap_server.append(box.folder, mail()[0])
    # Without trusting the server's certificate the connection is refused, nothing is read.
    result = mailbox_poll(mailbox=box)
    assert "CERTIFICATE_VERIFY_FAILED" in result.error and not Ticket.objects.exists()
    settings.MAIL_CA_FILE = imap_server.ca_file
    assert poll(box) == {"registered": 1}
    logins = [line for line in imap_server.log().splitlines() if "imap-login: Info: Login:" in line]
    assert ", TLS" in logins[-1]  # the server's own word: the session was encrypted


# -- exactly once across crashes -------------------------------------------------------------

class Died(BaseException):
    """The poller's process ending at this point (not an Exception: nothing catches it)."""


def test_a_crash_between_commit_and_flag_gives_no_second_ticket(imap_server, box, monkeypatch):  # noqa: F811
    imap_server.append(box.folder, mail()[0])

    def die(self, uid):
        raise Died()

    with monkeypatch.context() as m:
        m.setattr(ImapSession, "mark_handled", die)
        with pytest.raises(Died):
            mailbox_poll(mailbox=box)
    assert Ticket.objects.count() == 1  # committed
    assert handled(imap_server, box) == {1: False}  # but not marked on the server
    assert poll(box) == {"already_handled": 1}
    assert Ticket.objects.count() == 1 and handled(imap_server, box) == {1: True}


def test_a_crash_before_the_commit_leaves_nothing_and_the_next_poll_registers_once(imap_server, box, monkeypatch):  # noqa: F811
    imap_server.append(box.folder, mail()[0])

    def die(**kwargs):
        raise Died()

    with monkeypatch.context() as m:
        m.setattr(incoming, "mail_acknowledge", die)  # inside the transaction, after the ticket
        with pytest.raises(Died):
            mailbox_poll(mailbox=box)
    assert not Ticket.objects.exists() and not IncomingMail.objects.exists()
    assert handled(imap_server, box) == {1: False}
    assert poll(box) == {"registered": 1}
    assert Ticket.objects.count() == 1 and handled(imap_server, box) == {1: True}


# -- answers on tickets ----------------------------------------------------------------------

def test_an_answer_to_our_message_is_a_customer_message_on_the_ticket(imap_server, box):  # noqa: F811
    imap_server.append(box.folder, mail()[0])
    poll(box)
    ticket = Ticket.objects.get()
    ack = OutgoingMail.objects.get(ticket=ticket)
    raw, _mid = mail(subject=f"Re: 我们已受理您的工单 {ticket.number}", body="补充：晚上信号更差。\n\n在 昨天 写道：\n> 原文",
                     headers={"In-Reply-To": ack.message_id, "References": ack.message_id})
    imap_server.append(box.folder, raw)
    assert poll(box) == {"appended": 1}
    event = TicketEvent.objects.filter(ticket=ticket, type="customer_message").get()
    assert event.payload["text"] == "补充：晚上信号更差。" and event.payload["channel"] == "email"
    assert Ticket.objects.count() == 1 and ticket.state == Ticket.objects.get().state


def test_an_answer_to_a_request_for_information_resumes_the_clocks(imap_server, box, users, smtp_server):  # noqa: F811
    policy = Policy.objects.create(name="p", name_en="p")
    ClockRule.objects.create(policy=policy, clock="ticket", amount=Decimal(48), unit="calendar_hours")
    sla_config_changed()
    imap_server.append(box.folder, mail()[0])
    poll(box)
    ticket = Ticket.objects.get()
    clock = TicketClock.objects.get(ticket=ticket, clock="ticket")
    assert clock.state == "running"
    due = clock.due_at
    t.ticket_request_info(ticket_id=ticket.pk, actor=users["dispatcher"], question="请告诉我们具体的街道地址。")
    assert Ticket.objects.get().waiting_on_customer
    assert TicketClock.objects.get(pk=clock.pk).state == "paused"
    question = OutgoingMail.objects.get(ticket=ticket, kind="info_request")
    outbox_send_due(now=timezone.now() + dt.timedelta(seconds=1))
    sent = {m["Message-ID"]: m for _f, _to, m in smtp_server.messages()}
    assert question.message_id in sent
    out = sent[question.message_id]
    assert ticket.number in out["Subject"] and out["In-Reply-To"] == question.in_reply_to
    assert "请告诉我们具体的街道地址。" in out.get_content()
    # The customer answers with their client's Re: and quotes.
    raw, _mid = mail(subject=out["Subject"].strip(), body="地址是甲市人民路8号。\n-----原始邮件-----\n请告诉我们",
                     headers={"In-Reply-To": question.message_id, "References": out["References"] + " " + question.message_id})
    imap_server.append(box.folder, raw)
    assert poll(box) == {"info_received": 1}
    ticket.refresh_from_db()
    assert not ticket.waiting_on_customer
    event = TicketEvent.objects.filter(ticket=ticket, type="info_received").get()
    assert event.payload["answer"] == "地址是甲市人民路8号。"
    clock.refresh_from_db()
    assert clock.state == "running" and clock.due_at > due  # moved by the wait


def test_whoever_holds_the_ticket_hears_of_the_customers_message(imap_server, box, users):  # noqa: F811
    imap_server.append(box.folder, mail()[0])
    poll(box)
    ticket = Ticket.objects.get()
    d = users["dispatcher"]
    t.ticket_review(ticket_id=ticket.pk, actor=d, valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=d, assignee="net")
    ack = OutgoingMail.objects.get(ticket=ticket)
    imap_server.append(box.folder, mail(body="晚上八点以后完全没有信号。", headers={"In-Reply-To": ack.message_id})[0])
    assert poll(box) == {"appended": 1}
    told = Message.objects.get(template="ticket_customer_answered")
    assert told.recipient_user == users["network_handler"] and told.channel == "in_app"
    assert "晚上八点以后完全没有信号。" in told.body and ticket.number in told.subject


def test_a_ticket_number_in_the_subject_counts_only_from_a_known_address(imap_server, box):  # noqa: F811
    imap_server.append(box.folder, mail()[0])
    poll(box)
    ticket = Ticket.objects.get()
    imap_server.append(box.folder, mail(subject=f"关于工单{ticket.number}的补充", body="还有一点：周末也断线。")[0])
    imap_server.append(box.folder, mail(subject=f"关于工单{ticket.number}", sender="someone@else.example.com",
                                        body="我也有同样问题，电话13800138000")[0])
    assert poll(box) == {"appended": 1, "registered": 1}
    assert TicketEvent.objects.filter(ticket=ticket, type="customer_message").count() == 1
    assert Ticket.objects.count() == 2


# -- outgoing ----------------------------------------------------------------------------------

def test_the_reply_goes_by_smtp_threaded_and_the_answer_comes_back(imap_server, box, users, smtp_server):  # noqa: F811
    raw, first_mid = mail()
    imap_server.append(box.folder, raw)
    poll(box)
    ticket = Ticket.objects.get()
    d, h = users["dispatcher"], users["network_handler"]
    t.ticket_review(ticket_id=ticket.pk, actor=d, valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=d)
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=h)
    t.ticket_handle(ticket_id=ticket.pk, actor=h, notes="基站已调整", cause="network")
    t.ticket_audit(ticket_id=ticket.pk, actor=d, approve=True)
    t.ticket_reply(ticket_id=ticket.pk, actor=d, text="您好，基站已调整，信号已恢复。")
    assert outbox_send_due(now=timezone.now() + dt.timedelta(seconds=1)) >= 2
    by_kind = {o.kind: o for o in OutgoingMail.objects.filter(ticket=ticket)}
    sent = {m["Message-ID"]: (rcpt, m) for _f, rcpt, m in smtp_server.messages()}
    rcpt, reply = sent[by_kind["reply"].message_id]
    assert rcpt == [CUSTOMER]
    # (The stdlib parser keeps the space before a folded encoded-word: hence the strip.)
    assert reply["Subject"].strip() == f"回复：甲市城区信号差 [工单 {ticket.number}]"  # the customer wrote in Chinese
    assert reply["In-Reply-To"] == first_mid and first_mid in reply["References"]
    assert reply["From"] == box.address and reply["X-Complaintdesk-Sender"] == "localhost"
    assert "Auto-Submitted" not in reply  # a person's reply, unlike the acknowledgement
    assert "您好，基站已调整，信号已恢复。" in reply.get_content()
    _rcpt, ack = sent[by_kind["acknowledgement"].message_id]
    assert ack["Auto-Submitted"] == "auto-replied" and ticket.number in ack["Subject"]
    # The customer answers the reply: it lands on the ticket (awaiting callback), no new ticket.
    answer, _mid = mail(subject="Re: " + reply["Subject"].strip(), body="谢谢，确实好了。",
                        headers={"In-Reply-To": reply["Message-ID"], "References": f"{reply['References']} {reply['Message-ID']}"})
    imap_server.append(box.folder, answer)
    # Our own reply, if a copy lands in the mailbox (Bcc, a forwarding rule), is a loop: ignored.
    imap_server.append(box.folder, reply.as_bytes())
    assert poll(box) == {"appended": 1, "ignored": 1, "ignored:own_message": 1}
    assert TicketEvent.objects.filter(ticket=ticket, type="customer_message").get().payload["text"] == "谢谢，确实好了。"


def test_staff_notification_emails_carry_the_ticket_number_and_a_thread_anchor(smtp_server, make_ticket, users):  # noqa: F811
    from complaintdesk.notifications.services import notification_setting_save

    handler = users["handler"]
    handler.email = "handler@desk.example.cn"
    handler.save(update_fields=["email"])
    notification_setting_save(user=handler, channels={"dispatched_in": ["in_app", "email"]})
    ticket = make_ticket()
    d = users["dispatcher"]
    t.ticket_review(ticket_id=ticket.pk, actor=d, valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=d, assignee="handler")
    outbox_send_due(now=timezone.now() + dt.timedelta(seconds=1))
    [(_f, rcpt, message)] = smtp_server.messages()
    assert rcpt == ["handler@desk.example.cn"] and ticket.number in message["Subject"]
    assert message["References"] == f"<ticket.{ticket.pk}@localhost>"
    assert message["Auto-Submitted"] == "auto-generated"


def test_the_command_polls_every_active_mailbox(imap_server, box, capsys):  # noqa: F811
    imap_server.append(box.folder, mail()[0])
    imap_server.append(box.folder, mail(headers={"Precedence": "junk"})[0])
    call_command("mail_poll")
    out = capsys.readouterr().out
    assert f"{box.name}: ignored 1, ignored:bulk 1, registered 1" in out


# -- a real kill between the commit and the flag ---------------------------------------------

CHILD = """
import os, sys
import django
django.setup()
from complaintdesk.mail.models import Mailbox
from complaintdesk.mail.services import imap
from complaintdesk.mail.services.incoming import mailbox_poll

def stop_here(self, uid):
    # Called once the message's transaction has committed, before the IMAP flag is set:
    # say so and wait for the SIGKILL that the test sends now.
    print("committed", flush=True)
    sys.stdin.readline()
    raise SystemExit("not killed")

imap.ImapSession.mark_handled = stop_here
mailbox_poll(mailbox=Mailbox.objects.get(pk=int(os.environ["MAILBOX_ID"])))
"""


def _child_env(box) -> dict:
    from django.db import connection

    s = connection.settings_dict  # during the test: the test database
    if connection.vendor == "sqlite":
        url = f"sqlite:///{s['NAME']}"
    else:
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "complaintdesk.config.settings",
            "TASK_QUEUE_URL": "immediate", "MAILBOX_ID": str(box.pk), "PYTHONPATH": str(ROOT)}


@pytest.mark.django_db(transaction=True)
def test_a_poller_killed_between_commit_and_flag_leaves_one_ticket(imap_server, box):  # noqa: F811
    imap_server.append(box.folder, mail()[0])
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=_child_env(box), text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = child.stdout.readline()
        assert line.strip() == "committed", child.stderr.read()
        assert Ticket.objects.count() == 1  # committed, seen from this test's own connection
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert handled(imap_server, box) == {1: False}
    assert poll(box) == {"already_handled": 1}
    assert Ticket.objects.count() == 1 and handled(imap_server, box) == {1: True}


# -- admin --------------------------------------------------------------------------------------

def test_the_admin_configures_mailboxes_and_registers_a_held_message_again(client, imap_server, box, org, users):  # noqa: F811
    from complaintdesk.taxonomy.models import Category

    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    admin_client = client

    for url in ("/admin/mail/mailbox/", "/admin/mail/mailbox/add/", f"/admin/mail/mailbox/{box.pk}/change/",
                "/admin/mail/incomingmail/", "/admin/mail/outgoingmail/"):
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/admin/mail/incomingmail/add/").status_code == 403
    form = {"name": "投诉邮箱", "active": "on", "address": "ts@desk.example.cn", "host": "imap.example.cn",
            "port": "993", "security": "ssl", "username": "ts", "password_env": "MAIL_PASSWORD_TS",
            "folder": "INBOX", "kind": "inquiry", "category": Category.objects.get(code="network-weak").pk,
            "channel": "email", "org_unit": org["province"].pk, "acknowledge": "on"}
    def zh(text):
        with translation.override("zh-hans"):
            return gettext(text)

    refused = admin_client.post("/admin/mail/mailbox/add/", form)
    assert refused.status_code == 200 and zh("This category belongs to another ticket kind.") in refused.content.decode()
    refused = admin_client.post("/admin/mail/mailbox/add/", {**form, "kind": "complaint", "password_env": "s3cret pw!"})
    assert zh("Letters, digits and underscores only: the name of a variable, never the password.") in refused.content.decode()
    assert admin_client.post("/admin/mail/mailbox/add/", {**form, "kind": "complaint"}).status_code == 302
    # A held message: the phone is entered, the action registers it.
    imap_server.append(box.folder, mail(body="信号很差。")[0])
    poll(box)
    record = IncomingMail.objects.get()
    assert record.status == "held"
    page = admin_client.get(f"/admin/mail/incomingmail/{record.pk}/change/").content.decode()
    assert 'name="phone"' in page
    IncomingMail.objects.filter(pk=record.pk).update(phone="13912345678")
    response = admin_client.post("/admin/mail/incomingmail/", {"action": "register_again", "_selected_action": [record.pk]},
                                 follow=True)
    assert "已受理 1 封邮件。" in response.content.decode()
    record.refresh_from_db()
    assert record.status == "registered" and record.ticket is not None
    changelist = admin_client.get("/admin/mail/mailbox/").content.decode()
    assert box.name in changelist


def test_a_message_over_the_size_limit_is_held_without_being_read(imap_server, box, settings):  # noqa: F811
    settings.MAIL_MAX_BYTES = 2000
    imap_server.append(box.folder, mail(attachments=[("大图.png", PNG * 40, "image", "png")])[0])
    assert poll(box) == {"held": 1}
    record = IncomingMail.objects.get()
    assert record.reason == "too_large" and record.size > 2000 and not record.raw
    assert record.subject == "甲市城区信号差" and not Ticket.objects.exists()
    assert handled(imap_server, box) == {1: True}


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_make_one_ticket_per_message(imap_server, box):  # noqa: F811
    import threading

    from django.db import connection

    for i in range(3):
        imap_server.append(box.folder, mail(body=f"第{i}封：信号差，电话1391234567{i}。")[0])
    start, results, errors = threading.Barrier(2), [], []

    def poller():
        try:
            start.wait()
            results.append(mailbox_poll(mailbox=box))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and all(not r.error for r in results), (errors, [r.error for r in results])
    assert Ticket.objects.count() == 3 and IncomingMail.objects.count() == 3
    registered = sum(r.counts.get("registered", 0) for r in results)
    assert registered == 3  # each message registered by exactly one of the two
    assert all(handled(imap_server, box).values())
