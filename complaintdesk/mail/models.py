"""Mailboxes (configuration as data), the record of every message read from them and of every
message we sent to a customer. The records are what makes "each message once" hold: an
incoming message is handled once per mailbox (unique Message-ID), and a reply is matched to
its ticket through the Message-IDs we sent or received."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.mail.vocabulary import IncomingStatus, OutgoingKind, Security
from complaintdesk.tickets.vocabulary import Channel, Kind


class Mailbox(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True)
    host = models.CharField(_("IMAP host"), max_length=200)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    security = models.CharField(_("encryption"), max_length=10, choices=Security.choices(), default=Security.SSL)
    username = models.CharField(_("user name"), max_length=200)
    # The secret itself never enters the database: only the name of the environment
    # variable of the poller's process that holds it.
    password_env = models.CharField(
        _("password environment variable"), max_length=100,
        help_text=_("Name of the environment variable that holds the password, e.g. MAIL_PASSWORD_COMPLAINTS."),
    )
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    address = models.EmailField(
        _("address"), blank=True,
        help_text=_("The mailbox's own address: our replies are sent from it, so that the customer's answer comes back here."),
    )
    kind = models.CharField(_("ticket kind"), max_length=20, choices=Kind.choices(), default=Kind.COMPLAINT)
    category = models.ForeignKey("taxonomy.Category", verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="+")
    channel = models.CharField(_("channel"), max_length=30, choices=Channel.choices(), default=Channel.EMAIL)
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT,
                                 related_name="+")
    acknowledge = models.BooleanField(
        _("acknowledge receipt"), default=True,
        help_text=_("Answer each new ticket with its number (an automatic reply, never to automatic mail)."),
    )
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self):
        return self.name


def raw_path(instance, filename):
    return f"mail/{instance.mailbox_id}/{filename}"


class IncomingMail(models.Model):
    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT, related_name="incoming")
    message_id = models.CharField(_("Message-ID"), max_length=255)
    uid = models.BigIntegerField(_("IMAP UID"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=IncomingStatus.choices())
    reason = models.CharField(_("reason"), max_length=30, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    reply_address = models.CharField(_("answer to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    references = models.JSONField(_("references"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    phone = models.CharField(
        _("phone"), max_length=40, blank=True,
        help_text=_("Found in the message; for a held message, enter it and register it again."),
    )
    refused_attachments = models.JSONField(_("refused attachments"), default=list, blank=True)
    raw = models.FileField(_("message"), upload_to=raw_path, max_length=200, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("incoming e-mail")
        verbose_name_plural = _("incoming e-mails")
        constraints = [
            # Each message once per mailbox, also with two pollers at the same moment.
            models.UniqueConstraint(fields=["mailbox", "message_id"], name="incoming_mail_once"),
        ]
        indexes = [
            models.Index(fields=["message_id"], name="incoming_mail_msgid_idx"),
            models.Index(fields=["ticket", "-id"], name="incoming_mail_ticket_idx"),
            models.Index(fields=["mailbox", "status"], name="incoming_mail_status_idx"),
        ]

    def __str__(self):
        return f"{self.from_address}: {self.subject}"


class OutgoingMail(models.Model):
    """A message to a customer about a ticket, with the Message-ID it carries: their answer
    names it in In-Reply-To / References and so finds the ticket."""

    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE,
                               related_name="+")
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OutgoingKind.choices())
    to_address = models.CharField(_("to"), max_length=254)
    in_reply_to = models.CharField(_("in reply to"), max_length=255, blank=True)
    outbox = models.ForeignKey("notifications.Message", verbose_name=_("outbox message"), null=True,
                               blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [models.Index(fields=["ticket", "to_address"], name="outgoing_mail_ticket_idx")]

    def __str__(self):
        return f"{self.to_address}: {self.message_id}"

