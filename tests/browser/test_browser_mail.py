"""A reply threading back, in a real browser against real mail servers (dovecot for IMAP,
aiosmtpd for SMTP; tests/mailkit.py): a complaint arrives by e-mail, the staff member replies
on the ticket page, the reply goes out by SMTP with threading headers, the customer's answer
is put into the IMAP mailbox, the poll puts it on the ticket, and the ticket page shows it."""

import datetime as dt
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from browserkit import tr
from django.utils import timezone
from mailkit import imap_server, make_mailbox, smtp_server  # noqa: F401 (fixtures)
from playwright.sync_api import expect

from complaintdesk.mail.models import OutgoingMail
from complaintdesk.mail.services.incoming import mailbox_poll
from complaintdesk.notifications.services import outbox_send_due
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.services import transitions as t
from complaintdesk.tickets.vocabulary import Action, EventType

CUSTOMER = "li.lei@customer.example.com"


def customer_mail(subject: str, body: str, **headers) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"李雷 <{CUSTOMER}>", "complaints@desk.example.cn", subject
    msg["Message-ID"] = make_msgid(domain="customer.example.com")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_reply_threads_back_onto_the_ticket(people, org, users, imap_server, smtp_server, monkeypatch, lang):  # noqa: F811
    box = make_mailbox(imap_server, monkeypatch, org)
    imap_server.append(box.folder, customer_mail("家里手机没信号", "甲市城区家里手机完全没有信号，电话13912345678。"))
    assert mailbox_poll(mailbox=box).counts == {"registered": 1}
    ticket = Ticket.objects.get()
    d, h = users["dispatcher"], users["network_handler"]
    t.ticket_review(ticket_id=ticket.pk, actor=d, valid=True)
    t.ticket_dispatch(ticket_id=ticket.pk, actor=d)
    t.ticket_acknowledge(ticket_id=ticket.pk, actor=h)
    t.ticket_handle(ticket_id=ticket.pk, actor=h, notes="基站故障已修复", cause="network")
    t.ticket_audit(ticket_id=ticket.pk, actor=d, approve=True)

    # The staff member replies on the ticket page.
    me = people(lang).login("agent")
    me.goto(f"/tickets/{ticket.pk}/")
    reply = tr(lang, Action.REPLY.label)
    box_form = me.action_box(reply)
    box_form.locator("summary").click()
    box_form.locator("textarea").first.fill("您好，基站故障已修复，信号已恢复。")
    me.act(reply)

    # The worker sends it by SMTP, threaded under the customer's message.
    outbox_send_due(now=timezone.now() + dt.timedelta(seconds=1))
    sent = OutgoingMail.objects.get(ticket=ticket, kind="reply")
    [message] = [m for _f, _to, m in smtp_server.messages() if m["Message-ID"] == sent.message_id]
    assert ticket.number in message["Subject"] and message["In-Reply-To"] == sent.in_reply_to

    # The customer answers in their mail client; the poll puts it on the ticket.
    imap_server.append(box.folder, customer_mail(
        "Re: " + message["Subject"].strip(), "谢谢，现在信号正常了。\n\n> 您好，基站故障已修复",
        In_Reply_To=message["Message-ID"], References=f"{message['References']} {message['Message-ID']}"))
    assert mailbox_poll(mailbox=box).counts == {"appended": 1}
    assert Ticket.objects.count() == 1

    me.goto(f"/tickets/{ticket.pk}/")
    entry = me.page.locator(f'li[data-event="{EventType.CUSTOMER_MESSAGE}"]')
    expect(entry).to_contain_text(tr(lang, EventType.CUSTOMER_MESSAGE.label))
    expect(entry).to_contain_text("谢谢，现在信号正常了。")
    expect(entry).not_to_contain_text("基站故障已修复")  # the quoted reply is left out
    me.axe("ticket page with a customer's e-mail")
    me.shot(f"mail-reply-threaded-{lang}")
    me.guard.check()
