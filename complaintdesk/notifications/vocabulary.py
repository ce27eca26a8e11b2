"""Notification vocabulary, pure Python (shared by the models, the services and the API)."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class MessageChannel(LabelledEnum):
    IN_APP = "in_app"  # staff: shown in their notification list, nothing is sent
    EMAIL = "email"  # staff or customers, through Django's mail API
    SMS = "sms"  # customers, through the configured SMS gateway

    @classmethod
    def _labels(cls):
        return {cls.IN_APP: _("In-app"), cls.EMAIL: _("Email"), cls.SMS: _("SMS")}


class MessageStatus(LabelledEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a sender; back to pending if that sender dies
    SENT = "sent"  # delivered (in-app messages: visible in the list)
    FAILED = "failed"  # gave up: see last_error; an administrator may retry it

    @classmethod
    def _labels(cls):
        return {
            cls.PENDING: _("Pending"),
            cls.SENDING: _("Sending"),
            cls.SENT: _("Sent"),
            cls.FAILED: _("Failed"),
        }
