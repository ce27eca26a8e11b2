"""The statistics roll-up and what the KPIs need besides it.

`DailyCount`: one row per local registration day × the dimensions of the tickets registered
that day, with a counter per measure (vocabulary.MEASURES). Written only by
services/rollup.py, which recomputes whole days (delete + insert in one transaction) for the
days of the tickets touched since its watermark (`RollupState`). A report sums these rows and
never reads the ticket table."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.stats.vocabulary import BaseKind, ThresholdDirection


def _dim_fk(model, label):
    # No database constraint: a row of the roll-up is recomputed from the tickets, and a
    # delete elsewhere must never wait on (or fail because of) these derived rows.
    return models.ForeignKey(model, verbose_name=label, null=True, blank=True, on_delete=models.DO_NOTHING,
                             db_constraint=False, related_name="+")


class DailyCount(models.Model):
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=20)
    category = _dim_fk("taxonomy.Category", _("category"))
    cause = models.CharField(_("cause"), max_length=30, blank=True)
    responsible_department = _dim_fk("org.Department", _("responsible department"))
    lead_department = _dim_fk("org.Department", _("lead department"))
    org_unit = _dim_fk("org.OrgUnit", _("org unit"))
    channel = models.CharField(_("channel"), max_length=30)
    source_tier = models.CharField(_("source tier"), max_length=30)
    severity = models.CharField(_("severity"), max_length=20)
    state = models.CharField(_("state"), max_length=20)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, blank=True)

    registered = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    closed_on_time = models.PositiveIntegerField(default=0)
    acknowledged = models.PositiveIntegerField(default=0)
    acknowledged_in_time = models.PositiveIntegerField(default=0)
    called_back = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    dissatisfied = models.PositiveIntegerField(default=0)
    on_spot = models.PositiveIntegerField(default=0)
    repeat = models.PositiveIntegerField(default=0)
    over_the_head = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)
    audit_rejected = models.PositiveIntegerField(default=0)
    redispatched = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)
    handling_minutes = models.BigIntegerField(default=0)
    calendar_missing = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        indexes = [
            models.Index(fields=["day"], name="stats_daily_day"),
            models.Index(fields=["org_unit", "day"], name="stats_daily_unit_day"),
            models.Index(fields=["lead_department", "day"], name="stats_daily_dept_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.kind} {self.registered}"


class RollupState(models.Model):
    """One row (pk 1): how far the roll-up has read the event log and the deadline breaches,
    and when it last finished (the "as of" time every statistics page shows)."""

    event_mark = models.BigIntegerField(_("last event read"), default=0)
    breach_mark = models.DateTimeField(_("breaches read up to"), null=True, blank=True)
    ledger_mark = models.BigIntegerField(_("last ledger entry read"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roll-up state")
        verbose_name_plural = _("roll-up state")

    def __str__(self):
        return f"roll-up as of {self.refreshed_at}"


class CustomerBase(models.Model):
    """The customer base of an org unit in a month (万投比 and the regulators' rates), entered
    in the admin or imported. A unit's rate uses the bases of the unit itself: a province's
    base is entered for the province, not summed from its cities (the figures from the
    business rarely add up)."""

    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.CASCADE,
                                 related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    kind = models.CharField(_("base"), max_length=20, choices=BaseKind.choices(), default=BaseKind.CUSTOMERS)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer base")
        verbose_name_plural = _("customer bases")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "month", "kind"], name="customer_base_unique"),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="customer_base_positive"),
        ]

    def __str__(self):
        return f"{self.org_unit} {self.month:%Y-%m} {self.kind}"


class ControlThreshold(models.Model):
    """A control threshold (管控阀值) of one KPI for one org unit (and its subtree): a figure
    past it is coloured and the unit's head told, once per unit, KPI and month."""

    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.CASCADE,
                                 related_name="+")
    kpi = models.CharField(_("KPI"), max_length=40)
    threshold = models.FloatField(_("threshold"), help_text=_("A share as a percentage (e.g. 95), or hours."))
    direction = models.CharField(_("direction"), max_length=10, choices=ThresholdDirection.choices())
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("control threshold")
        verbose_name_plural = _("control thresholds")
        constraints = [models.UniqueConstraint(fields=["org_unit", "kpi"], name="control_threshold_unique")]

    def __str__(self):
        return f"{self.org_unit} {self.kpi} {self.direction} {self.threshold}"


class ThresholdAlert(models.Model):
    """A threshold crossed in a month, told once (the unique key keeps a second worker or a
    second run from telling twice)."""

    threshold = models.ForeignKey(ControlThreshold, verbose_name=_("control threshold"), on_delete=models.CASCADE,
                                  related_name="alerts")
    month = models.DateField(_("month"))
    value = models.FloatField(_("value"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    told = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("told"), blank=True, related_name="+")

    class Meta:
        verbose_name = _("threshold alert")
        verbose_name_plural = _("threshold alerts")
        constraints = [models.UniqueConstraint(fields=["threshold", "month"], name="threshold_alert_once")]

    def __str__(self):
        return f"{self.threshold} {self.month:%Y-%m}"
