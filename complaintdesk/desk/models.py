"""Links between tickets. One row per link; "related" is stored once (lower id first) and
read from both sides, "duplicate of" points from the duplicate to the ticket it repeats."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.desk.vocabulary import LinkType


class TicketLink(models.Model):
    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE,
                               related_name="links_out")
    other = models.ForeignKey("tickets.Ticket", verbose_name=_("other ticket"), on_delete=models.CASCADE,
                              related_name="links_in")
    type = models.CharField(_("link type"), max_length=20, choices=LinkType.choices())
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    # Set when the duplicate was merged into `other` (the link then can no longer be removed).
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "other"], name="ticket_link_unique"),
            models.CheckConstraint(condition=~models.Q(ticket=models.F("other")), name="ticket_link_not_self"),
        ]
        indexes = [models.Index(fields=["other", "ticket"], name="ticket_link_other")]

    def __str__(self):
        return f"{self.ticket_id} {self.type} {self.other_id}"
