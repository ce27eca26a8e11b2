from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.incidents.vocabulary import IncidentState, MemberSource

USER = settings.AUTH_USER_MODEL


class TicketSignature(models.Model):
    """A ticket's MinHash signature (incidents/minhash.py), written at registration inside the
    intake transaction and again whenever its title or description changes (`text_hash`)."""

    ticket = models.OneToOneField("tickets.Ticket", verbose_name=_("ticket"), primary_key=True,
                                  on_delete=models.CASCADE, related_name="signature")
    signature = models.BinaryField(_("signature"))
    text_hash = models.CharField(_("text hash"), max_length=16)

    class Meta:
        verbose_name = _("near-duplicate signature")
        verbose_name_plural = _("near-duplicate signatures")

    def __str__(self):
        return str(self.ticket_id)


class SignatureBand(models.Model):
    """One LSH band key of a ticket's signature: tickets sharing a key are candidates. The
    (key, ticket) index makes a lookup an index-only probe per band."""

    key = models.BigIntegerField(_("band key"))
    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE,
                               related_name="+", db_index=False)

    class Meta:
        verbose_name = _("signature band")
        verbose_name_plural = _("signature bands")
        indexes = [
            models.Index(fields=["key", "ticket"], name="band_key_ticket"),
            models.Index(fields=["ticket"], name="band_ticket"),
        ]

    def __str__(self):
        return f"{self.ticket_id}:{self.key}"


class Incident(models.Model):
    """Tickets that are one event seen by many customers (a network outage, a parcel-hub
    delay): a lead ticket and its members, answered and closed together."""

    number = models.CharField(_("number"), max_length=32, unique=True, null=True, editable=False)  # noqa: DJ001
    title = models.CharField(_("title"), max_length=200)
    lead = models.ForeignKey("tickets.Ticket", verbose_name=_("lead ticket"), on_delete=models.PROTECT,
                             related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=IncidentState.choices,
                             default=IncidentState.OPEN)
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["state", "-id"], name="incident_state_recent")]

    def __str__(self):
        return self.number or f"#{self.pk}"


class IncidentMember(models.Model):
    """A ticket's membership of an incident; a ticket belongs to at most one incident."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE,
                                 related_name="members")
    ticket = models.OneToOneField("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE,
                                  related_name="incident_membership")
    source = models.CharField(_("added"), max_length=12, choices=MemberSource.choices)
    added_by = models.ForeignKey(USER, verbose_name=_("added by"), on_delete=models.PROTECT,
                                 related_name="+")
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("incident member")
        verbose_name_plural = _("incident members")
        indexes = [models.Index(fields=["incident", "id"], name="incident_member_order")]

    def __str__(self):
        return f"{self.incident_id} ∋ {self.ticket_id}"
