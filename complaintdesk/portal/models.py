"""The portal's own tables: the tracking code of a ticket filed on the portal (hashed), the
customer's rating, single-use challenge nonces and the shared rate-limit counters.

Nothing here duplicates the ticket: state, timeline and attachments stay in tickets/."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PortalTicket(models.Model):
    """A ticket filed on the portal and the secret that lets the customer track it.

    Only a keyed hash of the tracking code is stored (HMAC with the server's SECRET_KEY),
    under a unique index: the lookup is one indexed equality, and a copy of the database
    alone does not let anyone try codes offline (10 symbols of 31 is ~50 bits, too few
    against an unkeyed hash on a GPU). The phone is kept the same way, for the second check.
    """

    ticket = models.OneToOneField("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE,
                                  related_name="portal")
    code_hash = models.CharField(_("tracking code hash"), max_length=64, unique=True, editable=False)
    phone_hash = models.CharField(_("phone hash"), max_length=64, editable=False)
    email = models.EmailField(_("email address"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("filed at"))
    # The customer's own evaluation, given once after the reply.
    rating = models.CharField(_("customer's rating"), max_length=20, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket filed on the portal")
        verbose_name_plural = _("tickets filed on the portal")

    def __str__(self):
        return str(self.ticket_id)


class ChallengeUse(models.Model):
    """A solved filing challenge, kept until it expires so one answer files one ticket."""

    nonce = models.CharField(_("nonce"), max_length=32, unique=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("used challenge")
        verbose_name_plural = _("used challenges")

    def __str__(self):
        return self.nonce


class RateCounter(models.Model):
    """A fixed-window counter per (limit, client) in the database, so every web process
    shares it. `key` holds a keyed hash of the IP address or phone, never the value."""

    key = models.CharField(_("key"), max_length=80, unique=True)
    count = models.PositiveIntegerField(_("count"), default=0)
    expires_at = models.DateTimeField(_("window ends at"), db_index=True)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")

    def __str__(self):
        return self.key
