"""Bulletins (通报, 003 监督与通报): a published notice of the period's serious delays, audit
rejections, repeat and over-the-head complaints and violations, per unit, sent to the units
it names. The lines and the tickets behind them are drafted from the records and kept with
the bulletin: once published nothing writes them again."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.bulletins.vocabulary import LineKind
from complaintdesk.monthly.vocabulary import DocAction, DocState

USER = settings.AUTH_USER_MODEL


class Bulletin(models.Model):
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("issued for"), on_delete=models.PROTECT,
                                 related_name="+")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    state = models.CharField(_("state"), max_length=20, choices=DocState.choices(), default=DocState.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    owner = models.ForeignKey(USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(USER, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        indexes = [models.Index(fields=["-period_end", "-id"], name="bulletin_recent")]

    def __str__(self):
        return self.title


class BulletinLine(models.Model):
    bulletin = models.ForeignKey(Bulletin, verbose_name=_("bulletin"), on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=20, choices=LineKind.choices())
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("org unit concerned"), on_delete=models.PROTECT,
                                 related_name="+")
    # The tickets behind the line, as they were drafted: [{"id", "number"}].
    tickets = models.JSONField(_("tickets"), default=list, blank=True)
    count = models.PositiveIntegerField(_("number of tickets"), default=0)
    comment = models.TextField(_("comment"), blank=True)
    included = models.BooleanField(_("included"), default=True)
    manual = models.BooleanField(_("added by the editor"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("bulletin line")
        verbose_name_plural = _("bulletin lines")
        indexes = [models.Index(fields=["bulletin", "position"], name="bulletin_line_order"),
                   models.Index(fields=["org_unit"], name="bulletin_line_unit")]

    def __str__(self):
        return f"{self.bulletin_id} {self.kind} {self.org_unit_id}"


class BulletinStep(models.Model):
    """Each step of a bulletin, append-only."""

    bulletin = models.ForeignKey(Bulletin, verbose_name=_("bulletin"), on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("step"), max_length=20, choices=DocAction.choices())
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("at"))
    from_state = models.CharField(_("from state"), max_length=20, blank=True)
    to_state = models.CharField(_("to state"), max_length=20)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("bulletin step")
        verbose_name_plural = _("bulletin steps")
        indexes = [models.Index(fields=["bulletin", "id"], name="bulletin_step_order")]

    def __str__(self):
        return f"{self.bulletin_id} {self.action}"
