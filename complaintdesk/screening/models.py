"""The rules of the intake screening, all edited in the admin: how repeat and over-the-head
complaints are recognised (RepeatRule), which phrases mark a complainant as special
(SpecialPhrase), 000's six special complainant types with their handling hints (SpecialType),
and who signs off a special case's plan (SpecialCaseLeader)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.i18n import pick
from complaintdesk.screening.vocabulary import PhraseMeaning
from complaintdesk.tickets.vocabulary import Kind, Severity


class RepeatRule(models.Model):
    """How a new ticket is compared with the customer's earlier ones. One row per ticket kind,
    and a row without a kind for the kinds that have none of their own."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices(), blank=True, unique=True,
                            help_text=_("Empty: every kind without a rule of its own."))
    active = models.BooleanField(_("active"), default=True,
                                 help_text=_("Inactive: tickets of this kind are not checked."))
    category_level = models.PositiveSmallIntegerField(
        _("same matter at category level"), default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("Two tickets are about the same matter when their categories share the "
                    "ancestor at this level of the tree (1 = the top level)."),
    )
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("Counted from the earlier ticket's registration, open or closed."),
    )
    over_the_head_raise = models.PositiveSmallIntegerField(
        _("over the head: raise severity by"), default=1, validators=[MaxValueValidator(3)],
        help_text=_("Steps up the scale simple → general → complex → major."),
    )
    over_the_head_min_severity = models.CharField(
        _("over the head: at least"), max_length=20, choices=Severity.choices(), blank=True,
        help_text=_("Empty: no floor."),
    )

    class Meta:
        verbose_name = _("repeat complaint rule")
        verbose_name_plural = _("repeat complaint rules")

    def __str__(self):
        return str(Kind(self.kind).label) if self.kind else str(_("Every other kind"))


class SpecialPhrase(models.Model):
    """A phrase whose presence in a complaint marks it as a special case (matched as typed,
    letters case-insensitively)."""

    phrase = models.CharField(_("phrase"), max_length=60, unique=True)
    meaning = models.CharField(_("meaning"), max_length=20, choices=PhraseMeaning.choices())
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("special complainant phrase")
        verbose_name_plural = _("special complainant phrases")
        ordering = ["meaning", "phrase"]

    def __str__(self):
        return self.phrase


class SpecialType(models.Model):
    """One of 000's six special complainant types (六种特殊投诉客户), with how to handle it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    hints = models.TextField(_("handling hints"), blank=True)
    hints_en = models.TextField(_("handling hints in English"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("special complainant type")
        verbose_name_plural = _("special complainant types")
        ordering = ["position", "id"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return pick(self.name, self.name_en)

    @property
    def display_hints(self) -> str:
        return pick(self.hints, self.hints_en)


class SpecialCaseLeader(models.Model):
    """The leader who signs off the plans of special cases in an org unit's subtree (003: the
    provincial general manager). The nearest unit up the tree that names one decides; with
    none, any leader in scope may sign."""

    org_unit = models.OneToOneField("org.OrgUnit", verbose_name=_("org unit"), on_delete=models.CASCADE,
                                    related_name="+")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("leader"), on_delete=models.PROTECT,
                               related_name="+", limit_choices_to={"role": "leader"})

    class Meta:
        verbose_name = _("special case leader")
        verbose_name_plural = _("special case leaders")

    def __str__(self):
        return f"{self.org_unit} → {self.leader}"
