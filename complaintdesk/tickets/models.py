from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.sla.vocabulary import SlaStatus
from complaintdesk.tickets.vocabulary import (
    AssignmentRole,
    Cause,
    Channel,
    EventType,
    Kind,
    Resolution,
    Satisfaction,
    Severity,
    SourceTier,
    State,
)

USER = settings.AUTH_USER_MODEL


class Ticket(models.Model):
    """One case from first contact to archive (工单). Its `state` is written only by
    tickets/services/transitions.py; `version` grows with every change so a stale form is
    detected."""

    # NULL for the instant between INSERT and the number derived from the id (NULLs don't clash).
    number = models.CharField(_("number"), max_length=32, unique=True, null=True, editable=False)  # noqa: DJ001
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices())
    state = models.CharField(_("state"), max_length=20, choices=State.choices(), default=State.REGISTERED)
    version = models.PositiveIntegerField(_("version"), default=1)
    category = models.ForeignKey("taxonomy.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=30, choices=Channel.choices())
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices(), default=Severity.GENERAL)
    special = models.BooleanField(
        _("special case"), default=False,
        help_text=_("Threats of media exposure, lawsuits or regulator complaints; follows the special-case rules."),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    product = models.CharField(_("product or service"), max_length=200, blank=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets")
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    # Territorial ownership (属地归口): the org unit where the customer belongs owns the case.
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="tickets")
    # First-contact responsibility (首问责任制): stays accountable until the ticket closes.
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="owned_tickets")
    elements = models.JSONField(_("required elements"), default=dict, blank=True)
    first_reported_at = models.DateTimeField(_("first reported at"))
    agreed_time = models.DateTimeField(_("agreed time"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))

    # Current holder, kept in step with the lead Assignment so lists need no join.
    lead_department = models.ForeignKey("org.Department", verbose_name=_("lead department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lead_assignee = models.ForeignKey(USER, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    requires_approval = models.BooleanField(_("plan needs approval"), default=False)
    plan = models.TextField(_("plan"), blank=True)
    plan_approved = models.BooleanField(_("plan approved"), default=False)
    partial = models.BooleanField(_("partially completed"), default=False)
    handling_notes = models.TextField(_("handling notes"), blank=True)
    cause = models.CharField(_("cause"), max_length=30, choices=Cause.choices(), blank=True)
    responsible_department = models.ForeignKey("org.Department", verbose_name=_("responsible department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    responsible_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    reply_text = models.TextField(_("reply to customer"), blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices(), blank=True)
    resolution = models.CharField(_("resolution"), max_length=30, choices=Resolution.choices(), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Kept in step by the deadline services (sla/): lists filter on them without a join.
    sla_status = models.CharField(_("deadline status"), max_length=10, default=SlaStatus.OK,
                                  choices=SlaStatus.choices())
    waiting_on_customer = models.BooleanField(_("waiting on the customer"), default=False)
    calendar_missing = models.BooleanField(_("calendar missing"), default=False)

    # Where the ticket came from, and for a transfer from above the body's own reference and
    # reply deadline (screening/: a higher tier after a direct ticket is over the head).
    source_tier = models.CharField(_("source tier"), max_length=30, choices=SourceTier.choices(),
                                   default=SourceTier.DIRECT)
    regulator_ref = models.CharField(_("regulator's reference"), max_length=64, blank=True)
    regulator_due_at = models.DateTimeField(_("regulator's reply deadline"), null=True, blank=True)
    # A repeat complaint points at the first ticket of its chain (screening/services/repeats.py);
    # the first ticket counts its repeats for the reports.
    repeat_of = models.ForeignKey("self", verbose_name=_("repeat of"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="repeats")
    over_the_head = models.BooleanField(_("over the head"), default=False)
    repeat_count = models.PositiveIntegerField(_("repeat complaints"), default=0)
    # The department that handled the first ticket: the default of the dispatch.
    routed_department = models.ForeignKey("org.Department", verbose_name=_("routed to"), null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    # Special complainants (000, 003): the phrases that marked the ticket at registration
    # ([{"phrase", "meaning"}]), the type staff chose, and when the history was gathered.
    special_matches = models.JSONField(_("matched phrases"), default=list, blank=True)
    special_type = models.ForeignKey("screening.SpecialType", verbose_name=_("special complainant type"),
                                     null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    history_gathered_at = models.DateTimeField(_("history gathered at"), null=True, blank=True)
    # The callback round (tickets/services/transitions.py: ticket_callback_attempt): failed calls
    # so far and when to call again (the callback worklist's order).
    callback_attempts = models.PositiveSmallIntegerField(_("failed callback attempts"), default=0)
    callback_due_at = models.DateTimeField(_("call again at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["org_unit", "-id"], name="ticket_org_recent"),
            models.Index(fields=["state", "-id"], name="ticket_state_recent"),
            models.Index(fields=["lead_department", "state", "-id"], name="ticket_dept_state_recent"),
            models.Index(fields=["category", "-id"], name="ticket_category_recent"),
            models.Index(fields=["customer", "-id"], name="ticket_customer_recent"),
            # The repeat look-up at registration: a customer's tickets of the last N days.
            models.Index(fields=["customer", "created_at"], name="ticket_customer_time"),
            # A search by a whole phone number matches the contact phone exactly: without an
            # index that branch of the search read every ticket (W3: 480 ms at 100k).
            models.Index(fields=["contact_phone"], name="ticket_contact_phone"),
            models.Index(fields=["-id"], name="ticket_over_the_head",
                         condition=models.Q(over_the_head=True)),
            models.Index(fields=["sla_status", "-id"], name="ticket_sla_recent",
                         condition=~models.Q(sla_status="ok")),
            # The tickets closed in a report period (monthly/): without it that read was the
            # whole table (345 ms at 100k); closed_at is written once, at close.
            models.Index(fields=["closed_at"], name="ticket_closed_at",
                         condition=models.Q(closed_at__isnull=False)),
        ]

    def __str__(self):
        return self.number or f"#{self.pk}"


class Assignment(models.Model):
    """A department's part in a ticket: the lead, or an assisting department (会办).

    `active` is true while the department holds it; transfers, returns and closing end it.
    """

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey("org.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="assignments")
    assignee = models.ForeignKey(USER, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=10, choices=AssignmentRole.choices())
    active = models.BooleanField(_("active"), default=True)
    dispatched_at = models.DateTimeField(_("dispatched at"))
    dispatched_by = models.ForeignKey(USER, verbose_name=_("dispatched by"), on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(USER, verbose_name=_("acknowledged by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    input = models.TextField(_("assisting input"), blank=True)
    input_at = models.DateTimeField(_("input given at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(fields=["department", "active", "-ticket"], name="assignment_dept_open"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=models.Q(active=True, role="lead"),
                name="one_active_lead_per_ticket",
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} → {self.department_id} ({self.role})"


class TicketEvent(models.Model):
    """The append-only, typed log: audit trail, timeline and raw material of reports.

    Nothing updates or deletes a row (the admin shows them read-only); payload keys are
    stable per type so reports can rely on them."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices())
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("occurred at"))
    from_state = models.CharField(_("from state"), max_length=20, blank=True)
    to_state = models.CharField(_("to state"), max_length=20, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    # The hash chain (audit/chain.py), written only by tickets/services/events.py: the event's
    # place in its ticket's chain and HMAC(previous hash, own content). Empty = not chained.
    seq = models.PositiveIntegerField(_("sequence number"), null=True, blank=True, editable=False)
    hash = models.CharField(_("chain hash"), max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "id"], name="event_ticket_order"),
                   models.Index(fields=["type", "created_at"], name="event_type_time")]
        # Two writers appending to one chain at once (a missing row lock) fail here instead
        # of forking the chain.
        constraints = [models.UniqueConstraint(fields=["ticket", "seq"], name="event_chain_seq_unique")]

    def __str__(self):
        return f"{self.ticket_id} {self.type}"


def attachment_path(instance, filename):
    # Stored under a content hash, never the uploader's file name (no path tricks, no clashes).
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(USER, verbose_name=_("uploaded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class IdempotencyKey(models.Model):
    """Makes a retried create return the first ticket (Idempotency-Key header)."""

    user = models.ForeignKey(USER, verbose_name=_("staff account"), on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=200)
    request_hash = models.CharField(_("request hash"), max_length=64)
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")]

    def __str__(self):
        return self.key
