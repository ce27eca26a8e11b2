"""How a rendered message leaves the building.

SMS goes through a gateway named by `settings.SMS_GATEWAY` (a dotted path to a class whose
instances have `send(to_phone, text) -> provider id`); the default only logs, so a fresh
install sends nothing to real phones. Email goes through Django's mail API
(`EMAIL_BACKEND`). In-app messages are not sent: they are shown in the recipient's list.
"""

import logging
import uuid
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class PermanentDeliveryError(Exception):
    """Raise from a gateway when retrying cannot help (e.g. the provider rejects the number):
    the message fails at once instead of being retried."""


@runtime_checkable
class SmsGateway(Protocol):
    def send(self, to_phone: str, text: str) -> str:
        """Hand one SMS to the provider; return the provider's message id. Raise on failure
        (any exception is retried later; PermanentDeliveryError is not). Must time out on
        its own: a sender waits for it."""
        ...


class LoggingSmsGateway:
    """Writes the SMS to the log instead of sending it: the safe default on an intranet."""

    def send(self, to_phone: str, text: str) -> str:
        provider_id = f"log-{uuid.uuid4().hex[:12]}"
        log.info("SMS %s to %s: %s", provider_id, to_phone, text)
        return provider_id


def sms_gateway() -> SmsGateway:
    gateway = import_string(settings.SMS_GATEWAY)()
    if not isinstance(gateway, SmsGateway):
        raise TypeError(f"{settings.SMS_GATEWAY} has no send(to_phone, text) method")
    return gateway


def send_email(*, to: str, subject: str, body: str, headers: dict | None = None) -> str:
    """Send one plain-text email; returns its Message-ID (the provider id of an email).

    `headers`: extra headers (threading: Message-ID, In-Reply-To, References; a "From" here
    is the sender). Every message carries X-Complaintdesk-Sender (MAIL_DOMAIN), by which the
    mail poll knows our own messages when they come back (a loop), and is marked
    Auto-Submitted (RFC 3834) unless the headers say otherwise: auto-responders stay quiet."""
    # One line: a newline in a subject would be a header injection (Django refuses it).
    subject = " ".join(subject.split())
    extra = {str(k): " ".join(str(v).split()) for k, v in (headers or {}).items() if v}
    from_email = extra.pop("From", None) or None
    extra.setdefault("X-Complaintdesk-Sender", settings.MAIL_DOMAIN)
    message = EmailMessage(subject=subject, body=body, to=[to], from_email=from_email, headers=extra)
    message_id = extra.get("Message-ID") or message.message()["Message-ID"] or ""
    message.extra_headers["Message-ID"] = message_id
    message.send(fail_silently=False)
    return str(message_id)


def thread_headers(context: dict) -> dict:
    """The headers of an outbox e-mail: those its producer set (`email_headers` in the
    context: a customer's thread), else, for a message about a ticket, a References anchor of
    that ticket so that a mail client shows a ticket's notifications as one thread."""
    given = context.get("email_headers")
    if isinstance(given, dict):
        return given
    if context.get("ticket_id"):
        return {"References": f"<ticket.{context['ticket_id']}@{settings.MAIL_DOMAIN}>",
                "X-Complaintdesk-Ticket": str(context.get("ticket_number") or ""),
                "Auto-Submitted": "auto-generated"}
    return {"Auto-Submitted": "auto-generated"}
