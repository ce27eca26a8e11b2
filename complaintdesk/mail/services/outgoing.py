"""E-mail to the customer about a ticket: the acknowledgement of a ticket that came by
e-mail, the reply (`ticket_reply`) and a request for information (`ticket_request_info`).

Every message goes through the outbox (notifications/: retries, the SMTP backend of
EMAIL_*), inside the transaction of the step that causes it, so it exists if and only if the
step committed. Its Message-ID is made here, before sending, and kept (`OutgoingMail`): the
customer's answer names it in In-Reply-To / References and so comes back to the ticket. The
subject carries the ticket number (the other way back), the headers thread the message
under the customer's own one (In-Reply-To, References). Only tickets that came by e-mail
are answered by e-mail: the address is the one their message came from.

Imports no ticket service: `tickets/services/notify.py` calls `mail_customer_on_event`.
"""

import datetime as dt
import secrets

from django.conf import settings

from complaintdesk.mail.models import IncomingMail, OutgoingMail
from complaintdesk.mail.vocabulary import HANDLED_ON_TICKET, OutgoingKind
from complaintdesk.notifications.services import message_enqueue
from complaintdesk.notifications.vocabulary import MessageChannel
from complaintdesk.tickets.vocabulary import EventType

MAX_REFERENCES = 20
# Step → (template, kind, payload key of the text the customer is sent).
CUSTOMER_MAIL_EVENTS = {
    EventType.REPLIED: ("customer_mail_reply", OutgoingKind.REPLY, "text"),
    EventType.INFO_REQUESTED: ("customer_info_request", OutgoingKind.INFO_REQUEST, "question"),
}


def new_message_id(ticket_id: int) -> str:
    # Random, so nobody can forge an answer "in reply to" a message they never received.
    return f"<{secrets.token_hex(12)}.t{ticket_id}@{settings.MAIL_DOMAIN}>"


def _enqueue(*, ticket, thread: IncomingMail, kind: str, template: str, context: dict,
             dedupe_key: str, at: dt.datetime, automatic: bool) -> OutgoingMail | None:
    message_id = new_message_id(ticket.pk)
    references = [*thread.references, thread.message_id][-MAX_REFERENCES:]
    headers = {
        "Message-ID": message_id,
        "In-Reply-To": thread.message_id,
        "References": " ".join(references),
        "X-Complaintdesk-Ticket": ticket.number,
    }
    if automatic:
        # RFC 3834: an automatic answer, so that the customer's auto-responder stays quiet.
        headers["Auto-Submitted"] = "auto-replied"
    mailbox = thread.mailbox
    if mailbox.address:
        headers["From"] = mailbox.address
        headers["Reply-To"] = mailbox.address
    to = thread.reply_address or thread.from_address
    message = message_enqueue(
        dedupe_key=dedupe_key, template=template, channel=MessageChannel.EMAIL, to_email=to,
        language=thread.language or settings.LANGUAGE_CODE,
        context={**context, "email_headers": headers},
    )
    if message is None:
        return None  # already queued for this step
    return OutgoingMail.objects.create(ticket=ticket, message_id=message_id, kind=kind, to_address=to,
                                       in_reply_to=thread.message_id, outbox=message, created_at=at)


def mail_acknowledge(*, ticket, thread: IncomingMail, at: dt.datetime) -> OutgoingMail | None:
    """"We have registered your case <number>", threaded under the customer's message."""
    return _enqueue(ticket=ticket, thread=thread, kind=OutgoingKind.ACKNOWLEDGEMENT,
                    template="customer_ticket_received", context={"ticket_number": ticket.number},
                    dedupe_key=f"mail-ack:{thread.pk}", at=at, automatic=True)


def mail_customer_on_event(*, ticket, event: str, payload: dict, at: dt.datetime,
                           event_id: int | None) -> OutgoingMail | None:
    """The customer's copy of a reply or a request for information, for a ticket that came by
    e-mail. One indexed query for any other ticket; nothing for other steps."""
    spec = CUSTOMER_MAIL_EVENTS.get(event)
    if spec is None:
        return None
    template, kind, key = spec
    thread = (IncomingMail.objects.filter(ticket_id=ticket.pk, status__in=HANDLED_ON_TICKET)
              .select_related("mailbox").order_by("-id").first())
    if thread is None:
        return None
    text = str(payload.get(key) or "")
    stamp = event_id or int(at.timestamp() * 1000)
    return _enqueue(ticket=ticket, thread=thread, kind=kind, template=template,
                    context={"ticket_number": ticket.number, "text": text,
                             "subject": thread.subject or ticket.title},
                    dedupe_key=f"mail-{kind}:{ticket.pk}:{stamp}", at=at, automatic=False)
