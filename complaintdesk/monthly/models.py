"""Monthly and half-year reports (月报 / 半年报, 003 统计上报).

A report belongs to an org unit (its whole subtree) and a period. Its figures are gathered
into `figures` (JSON, every value and every name it shows, in both languages where the name
is data) when the draft is generated or refreshed; from publication on nothing writes them
again, so a published report never changes when tickets change later.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.monthly.vocabulary import DocAction, DocState, ReportKind

USER = settings.AUTH_USER_MODEL


class Report(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices())
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT,
                                 related_name="+")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due_on = models.DateField(_("due by"))
    state = models.CharField(_("state"), max_length=20, choices=DocState.choices(), default=DocState.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    figures_as_of = models.DateTimeField(_("figures as of"))
    # The owner's free text (003: analysis and suggestions; the half-year report also names
    # the hot issues and the difficulties of the hard cases).
    analysis = models.TextField(_("analysis"), blank=True)
    hot_issues = models.TextField(_("hot issues"), blank=True)
    difficulties = models.TextField(_("hard cases and their difficulties"), blank=True)
    suggestions = models.TextField(_("suggestions"), blank=True)
    approved_by = models.ForeignKey(USER, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            # One report per unit, kind and period: generating twice finds the first.
            models.UniqueConstraint(fields=["kind", "org_unit", "period_start"], name="report_one_per_period"),
        ]
        indexes = [models.Index(fields=["-period_end", "-id"], name="report_recent")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.period_start}–{self.period_end}"


class ReportStep(models.Model):
    """Each step of a report's lifecycle, append-only: who, when, from which state to which,
    the reason of a return."""

    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("step"), max_length=20, choices=DocAction.choices())
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("at"))
    from_state = models.CharField(_("from state"), max_length=20, blank=True)
    to_state = models.CharField(_("to state"), max_length=20)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("report step")
        verbose_name_plural = _("report steps")
        indexes = [models.Index(fields=["report", "id"], name="report_step_order")]

    def __str__(self):
        return f"{self.report_id} {self.action}"


class ReportOwner(models.Model):
    """Who writes an org unit's reports (003: the 客服岗 of each unit): reminded two working
    days before each due date, owner of the drafts the reminder job generates."""

    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.CASCADE,
                                 related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices())
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("report owner")
        verbose_name_plural = _("report owners")
        constraints = [models.UniqueConstraint(fields=["org_unit", "kind"], name="report_owner_one_per_unit")]

    def __str__(self):
        return f"{self.org_unit_id} {self.kind} → {self.owner_id}"
