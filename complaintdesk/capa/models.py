"""Root causes of tickets and corrective and preventive actions (CAPA).

The data lives here, not in new Ticket columns: a ticket's root cause is a one-to-one row
(`TicketRootCause`), the actions are their own rows linked to tickets and categories.
Changes are written only by capa/services; each is also a ticket event (root cause) or an
action event (`ActionEvent`, append-only like TicketEvent)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from complaintdesk.capa.vocabulary import (
    ACTION_OPEN_STATES,
    ActionEventType,
    ActionKind,
    ActionSource,
    ActionState,
)
from complaintdesk.core.i18n import pick
from complaintdesk.tickets.vocabulary import Cause

USER = settings.AUTH_USER_MODEL


class RootCause(MP_Node):
    """A node of the root-cause tree (原因分析), edited in the admin. A node may name the
    coarse cause of the ticket vocabulary it refines (inherited down the tree), so that
    statistics by cause and by root cause agree."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    cause = models.CharField(_("cause"), max_length=30, choices=Cause.choices(), blank=True,
                             help_text=_("The coarse cause this root cause belongs to; empty: the parent's."))
    active = models.BooleanField(_("active"), default=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return pick(self.name, self.name_en)


class TicketRootCause(models.Model):
    """A ticket's root cause and accountability note (责任追究). The coarse cause and the
    responsible department and person stay on the ticket (ticket_handle writes them)."""

    ticket = models.OneToOneField("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE,
                                  related_name="root_cause_record")
    root_cause = models.ForeignKey(RootCause, verbose_name=_("root cause"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    analysis = models.TextField(_("cause analysis"), blank=True)
    # Visible only to capa.roles.ACCOUNTABILITY_ROLES (selectors, API and pages check it).
    accountability = models.TextField(_("penalty or accountability note"), blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("ticket root cause")
        verbose_name_plural = _("ticket root causes")

    def __str__(self):
        return f"{self.ticket_id}: {self.root_cause or ''}"


class CorrectiveAction(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=ActionKind.choices())
    source = models.CharField(_("raised from"), max_length=20, choices=ActionSource.choices())
    source_note = models.CharField(_("source reference"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT,
                                 related_name="+")
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    owner_department = models.ForeignKey("org.Department", verbose_name=_("owner's department"), null=True,
                                         blank=True, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(USER, verbose_name=_("raised by"), null=True, on_delete=models.PROTECT,
                                  related_name="+")
    raised_at = models.DateTimeField(_("raised at"))
    due_at = models.DateTimeField(_("deadline"))
    state = models.CharField(_("state"), max_length=30, choices=ActionState.choices(), default=ActionState.OPEN)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"))
    submitted_at = models.DateTimeField(_("submitted for verification at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(USER, verbose_name=_("verified by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    effective = models.BooleanField(_("effective"), null=True, blank=True)
    # When the work that proved effective was submitted; on time = by the deadline.
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_on_time = models.BooleanField(_("closed on time"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    tickets = models.ManyToManyField("tickets.Ticket", verbose_name=_("tickets"), blank=True, related_name="+")
    categories = models.ManyToManyField("taxonomy.Category", verbose_name=_("categories"), blank=True,
                                        related_name="+")

    class Meta:
        verbose_name = _("corrective or preventive action")
        verbose_name_plural = _("corrective and preventive actions")
        indexes = [
            # The overdue scan reads only open, not yet escalated actions by deadline.
            models.Index(fields=["due_at"], name="capa_due_unescalated",
                         condition=Q(state__in=sorted(ACTION_OPEN_STATES), escalated_at__isnull=True)),
            models.Index(fields=["owner_department", "state"], name="capa_department_state"),
            models.Index(fields=["raised_at"], name="capa_raised_at"),
            models.Index(fields=["due_at", "id"], name="capa_due_order"),  # the worklist's order
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"CA-{self.pk:05d}" if self.pk else ""


class ActionEvent(models.Model):
    """The append-only log of an action: its timeline and the raw material of its figures."""

    action = models.ForeignKey(CorrectiveAction, verbose_name=_("action"), on_delete=models.CASCADE,
                               related_name="events")
    type = models.CharField(_("type"), max_length=30, choices=ActionEventType.choices())
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(_("occurred at"))
    from_state = models.CharField(_("from state"), max_length=30, blank=True)
    to_state = models.CharField(_("to state"), max_length=30, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)

    class Meta:
        verbose_name = _("action event")
        verbose_name_plural = _("action events")
        indexes = [models.Index(fields=["action", "id"], name="capa_event_order"),
                   models.Index(fields=["type", "created_at"], name="capa_event_type_time")]

    def __str__(self):
        return f"{self.action_id} {self.type}"
