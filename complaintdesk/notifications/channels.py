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


def send_email(*, to: str, subject: str, body: str) -> str:
    """Send one plain-text email; returns its Message-ID (the provider id of an email)."""
    # One line: a newline in a subject would be a header injection (Django refuses it).
    subject = " ".join(subject.split())
    message = EmailMessage(subject=subject, body=body, to=[to])
    message_id = message.message()["Message-ID"] or ""
    message.extra_headers["Message-ID"] = message_id
    message.send(fail_silently=False)
    return str(message_id)
