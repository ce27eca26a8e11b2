"""Working calendars, deadline policies, each ticket's clocks, and the complaint ledger."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.i18n import pick
from complaintdesk.sla.vocabulary import (
    ClockState,
    ClockType,
    DossierNoteKind,
    DurationUnit,
    LedgerReason,
)
from complaintdesk.tickets.vocabulary import Channel, Kind, Severity


def default_hours():
    return [["08:30", "12:00"], ["13:30", "17:30"]]


class Calendar(models.Model):
    """Business hours of an org unit (and its subtree); `always_open` for a 24/7 hotline."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    always_open = models.BooleanField(_("open 24/7"), default=False)
    hours = models.JSONField(_("business hours"), default=default_hours, blank=True,
                             help_text=_('Open intervals of a working day, e.g. [["08:30", "12:00"], ["13:30", "17:30"]].'))
    time_zone = models.CharField(_("time zone"), max_length=60, default="Asia/Shanghai")
    is_default = models.BooleanField(_("default calendar"), default=False,
                                     help_text=_("Used where no org unit up the tree names a calendar."))
    org_units = models.ManyToManyField("org.OrgUnit", verbose_name=_("org units"), blank=True,
                                       related_name="calendars",
                                       help_text=_("These units and everything under them use this calendar."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")

    def __str__(self):
        return pick(self.name, self.name_en)


class CalendarYear(models.Model):
    """An admin-entered year of official holidays and make-up working days (调休), for a year
    chinese-calendar does not cover yet (or to correct one)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    holidays = models.JSONField(_("public holidays"), default=list, blank=True,
                                help_text=_("Dates off, as YYYY-MM-DD."))
    workdays = models.JSONField(_("make-up working days"), default=list, blank=True,
                                help_text=_("Weekend dates that are working days, as YYYY-MM-DD."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


class DayKindChoice(models.TextChoices):
    WORKDAY = "workday", _("Working day")
    REST = "rest", _("Rest day")


class CalendarOverride(models.Model):
    """One date made a working day or a rest day, for every unit or one org unit's subtree."""

    day = models.DateField(_("date"))
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="calendar_overrides")
    kind = models.CharField(_("kind of day"), max_length=10, choices=DayKindChoice.choices)
    hours = models.JSONField(_("hours that day"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        constraints = [models.UniqueConstraint(fields=["day", "org_unit"], name="one_override_per_day_and_unit")]
        ordering = ["day"]

    def __str__(self):
        return f"{self.day} {self.kind}"


class Policy(models.Model):
    """A set of clocks for the tickets it matches. The best match wins per clock: a policy
    may set only some clocks and leave the rest to broader policies."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices(), blank=True)
    category = models.ForeignKey("taxonomy.Category", verbose_name=_("category (and its subtree)"),
                                 null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices(), blank=True)
    channel = models.CharField(_("channel"), max_length=30, choices=Channel.choices(), blank=True)
    priority = models.SmallIntegerField(_("priority"), default=0,
                                        help_text=_("Among matching policies the higher priority wins, then the more specific."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")

    def __str__(self):
        return pick(self.name, self.name_en)


class ClockRule(models.Model):
    """One clock of a policy: its duration and its escalation ladder."""

    policy = models.ForeignKey(Policy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="rules")
    clock = models.CharField(_("clock"), max_length=20, choices=ClockType.policy_choices())
    amount = models.DecimalField(_("amount"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=20, choices=DurationUnit.choices())
    # Progress clocks repeat: every `amount unit`, or daily by `daily_at` (001: 17:00 each day).
    daily_at = models.TimeField(_("daily by"), null=True, blank=True)
    warn_share = models.DecimalField(_("warn at share of the time"), max_digits=3, decimal_places=2, default=0.8,
                                     help_text=_("0.8: the assignee is warned when 80% of the time is used."))
    # [{"after_minutes": 0, "notify": "supervisor"}, {"after_minutes": 1440, "notify": "dept_head"}, ...]
    ladder = models.JSONField(_("escalation ladder"), default=list, blank=True,
                              help_text=_("Levels after the breach: minutes after the deadline and whom to notify."))

    class Meta:
        verbose_name = _("clock rule")
        verbose_name_plural = _("clock rules")
        constraints = [models.UniqueConstraint(fields=["policy", "clock"], name="one_rule_per_clock_and_policy")]

    def __str__(self):
        return f"{self.clock}: {self.amount} {self.unit}"


class TicketClock(models.Model):
    """One clock of one ticket in one cycle (reopening starts a new cycle with new clocks)."""

    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="clocks")
    clock = models.CharField(_("clock"), max_length=20, choices=ClockType.choices())
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=0)
    rule = models.ForeignKey(ClockRule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=ClockState.choices(), default=ClockState.RUNNING)
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    calendar_missing = models.BooleanField(_("calendar missing"), default=False)
    # Why the deadline is what it is: policy, rule, calendar, pauses, agreed time (stable keys).
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    next_escalation_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket clock")
        verbose_name_plural = _("ticket clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "clock", "cycle"], name="one_clock_per_ticket_cycle"),
        ]
        # The scan's range queries: partial indexes hold only running clocks still to act on,
        # so "nothing due" costs the same with 1,000 or 1,000,000 open tickets.
        indexes = [
            models.Index(fields=["warn_at"], name="clock_warn_due",
                         condition=models.Q(state="running", warned_at__isnull=True, warn_at__isnull=False)),
            models.Index(fields=["due_at"], name="clock_breach_due",
                         condition=models.Q(state="running", breached_at__isnull=True, due_at__isnull=False)),
            models.Index(fields=["next_escalation_at"], name="clock_escalation_due",
                         condition=models.Q(next_escalation_at__isnull=False)),
            models.Index(fields=["ticket", "state"], name="clock_ticket_state"),
            # The statistics roll-up finds the breaches since its last run (the scan writes no
            # event); partial, so registering a ticket (clocks not breached) never touches it.
            models.Index(fields=["breached_at"], name="clock_breached",
                         condition=models.Q(breached_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.clock}#{self.cycle}"


class LedgerEntry(models.Model):
    """The complaint ledger (投诉台账): one line per escalated or unresolved case (001)."""

    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="ledger_entries")
    # The breached clock; none for an entry opened for another reason (over the head).
    clock = models.OneToOneField(TicketClock, verbose_name=_("clock"), null=True, blank=True, on_delete=models.CASCADE, related_name="ledger_entry")
    reason = models.CharField(_("reason"), max_length=20, choices=LedgerReason.choices(), default=LedgerReason.BREACH)
    opened_at = models.DateTimeField(_("entered at"))
    level = models.PositiveSmallIntegerField(_("escalation level"), default=1)
    summary = models.TextField(_("summary"))
    department = models.ForeignKey("org.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint ledger entry")
        verbose_name_plural = _("complaint ledger")
        indexes = [models.Index(fields=["org_unit", "-opened_at"], name="ledger_unit_recent")]

    def __str__(self):
        return f"{self.ticket_id} @ {self.opened_at:%Y-%m-%d}"


class CaseDossier(models.Model):
    """The case dossier (投诉处理档案) opened when a case is escalated to the supervisor (001):
    a snapshot of the ticket, its history and the people involved at that moment."""

    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="dossiers")
    ledger_entry = models.OneToOneField(LedgerEntry, verbose_name=_("ledger entry"), on_delete=models.CASCADE, related_name="dossier")
    opened_at = models.DateTimeField(_("opened at"))
    snapshot = models.JSONField(_("snapshot"), default=dict)

    class Meta:
        verbose_name = _("case dossier")
        verbose_name_plural = _("case dossiers")

    def __str__(self):
        return f"{self.ticket_id} dossier"


class DossierNote(models.Model):
    """An instruction (批示) or a follow-up note on a ledger entry's case dossier; append-only,
    each also an event of the ticket (sla/services/dossier_notes.py: dossier_note_add)."""

    ledger_entry = models.ForeignKey(LedgerEntry, verbose_name=_("ledger entry"), on_delete=models.CASCADE,
                                     related_name="notes")
    kind = models.CharField(_("kind"), max_length=20, choices=DossierNoteKind.choices())
    text = models.TextField(_("text"), max_length=4000)
    author = models.ForeignKey("accounts.User", verbose_name=_("written by"), on_delete=models.PROTECT,
                               related_name="+")
    created_at = models.DateTimeField(_("written at"))
    event = models.OneToOneField("tickets.TicketEvent", verbose_name=_("event"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("dossier note")
        verbose_name_plural = _("dossier notes")
        indexes = [models.Index(fields=["ledger_entry", "id"], name="dossier_note_entry")]

    def __str__(self):
        return f"{self.ledger_entry_id} {self.kind}"
