"""The outbox: one row per message to a staff member or a customer.

Producers (the deadline scan, the workflow's side effects) insert rows through
`services.message_enqueue`; background jobs deliver them with `services.outbox_send_due`.
`dedupe_key` is unique, so a producer that runs twice for one event adds nothing the
second time.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaintdesk.notifications.vocabulary import MessageChannel, MessageStatus


class Message(models.Model):
    dedupe_key = models.CharField(
        _("deduplication key"), max_length=200, unique=True,
        help_text=_("One message per event: a second message with the same key is not created."),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices())
    template = models.CharField(_("template"), max_length=50)
    context = models.JSONField(_("context"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    language = models.CharField(_("language"), max_length=10)
    # Staff recipient (in-app and staff email). Its own index is the inbox index below.
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff recipient"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="messages", db_index=False,
    )
    to_phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    to_email = models.EmailField(_("email address"), blank=True)
    # Filled when the message is rendered (at send time; in-app messages at once).
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices(), default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed by a sender at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            # The sender's range query: due pending messages, oldest first. Sent and failed
            # rows (nearly all of the table) are not in this index.
            models.Index(fields=["next_attempt_at", "id"], condition=Q(status="pending"),
                         name="message_due_idx"),
            # Messages a crashed sender left behind.
            models.Index(fields=["claimed_at"], condition=Q(status="sending"),
                         name="message_sending_idx"),
            # A user's list, newest first (also serves the foreign key).
            models.Index(fields=["recipient_user", "-id"], name="message_inbox_idx"),
            # The unread badge and the unread filter.
            models.Index(fields=["recipient_user", "-id"],
                         condition=Q(channel="in_app", read_at__isnull=True),
                         name="message_unread_idx"),
        ]

    def __str__(self):
        return f"{self.template} → {self.recipient_label}"

    @property
    def recipient_label(self) -> str:
        if self.channel == MessageChannel.SMS:
            return self.to_phone
        if self.channel == MessageChannel.EMAIL and self.to_email:
            return self.to_email
        return str(self.recipient_user) if self.recipient_user_id else ""


class NotificationSetting(models.Model):
    """One staff member's choices: which channels bring each kind of notification, and the
    quiet hours during which only in-app messages (and breaches) arrive. No row: in-app only,
    no quiet hours (vocabulary.DEFAULT_CHANNELS)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff account"), primary_key=True,
        on_delete=models.CASCADE, related_name="notification_setting",
    )
    # StaffEvent value → list of MessageChannel values; an event not named here takes the
    # default. One JSON column so that a batch of recipients costs one query, not one per event.
    channels = models.JSONField(_("channels per event"), default=dict, blank=True)
    sms_phone = models.CharField(_("mobile for text messages (E.164)"), max_length=20, blank=True)
    quiet_from = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_to = models.TimeField(_("quiet hours until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(self.user)
