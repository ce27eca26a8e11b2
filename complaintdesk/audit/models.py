from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.audit.vocabulary import AccessKind


class PersonalDataAccess(models.Model):
    """Who read or exported which customers' personal data (names, phones, complaint texts):
    one row per request, however many customers it showed. Append-only: written by
    audit/services.py, shown read-only in the admin, never updated.

    Customers are kept as ids in `subjects` (",12,57,", so one LIKE finds a customer's
    accesses on SQLite and PostgreSQL alike) and the ticket as a plain id, not as foreign keys:
    the log outlives the rows and never blocks their deletion."""

    at = models.DateTimeField(_("accessed at"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff account"),
                              on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("access"), max_length=30, choices=AccessKind.choices())
    ticket_id = models.BigIntegerField(_("ticket id"), null=True, blank=True)
    subjects = models.TextField(_("customer ids"), blank=True)
    count = models.PositiveIntegerField(_("customers"), default=0)
    full_phones = models.BooleanField(_("phone numbers in full"), default=False)
    path = models.CharField(_("request"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        indexes = [models.Index(fields=["actor", "at"], name="pda_actor_time")]

    def __str__(self):
        return f"{self.actor_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def customer_ids(self) -> list[int]:
        return [int(x) for x in self.subjects.split(",") if x]


class ChainAnchor(models.Model):
    """A day's anchor of the ticket events' hash chains: the head (seq, hash) of every chain
    that grew that day, chained to the previous day's anchor. Deleting the last events of a
    ticket leaves its own chain intact; the anchor then names a head that is gone. Written
    by the daily job (audit/tasks.py), checked by `complaintdesk audit_verify`."""

    day = models.DateField(_("day"), unique=True)
    created_at = models.DateTimeField(_("anchored at"))
    heads = models.JSONField(_("chain heads"), default=dict)
    previous = models.CharField(_("previous digest"), max_length=64, blank=True)
    digest = models.CharField(_("digest"), max_length=64)

    class Meta:
        verbose_name = _("chain anchor")
        verbose_name_plural = _("chain anchors")

    def __str__(self):
        return f"{self.day} {self.digest[:12]}"
