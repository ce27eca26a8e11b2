"""Regulator profiles (as data, edited in the admin) and the transfer record of a ticket that
came from one.

A profile holds what one transferring body's rules say: the deadline of our answer (a matrix
by matter and urgency where the body has one, 12345), on calendar or working days; the steps
it allows the deadline to be extended by (NFRA: complex 30 days, especially complex 60 with a
senior manager's approval); the regulator's own steps (shown, not run); admissibility limits
(MIIT: billing disputes older than 5 months); and the layout of the reply sheet it expects."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.i18n import pick
from complaintdesk.regulators.vocabulary import AgeUnit, DayBasis, Party, Urgency
from complaintdesk.tickets.vocabulary import SourceTier

TRANSFER_TIERS = [(v, label) for v, label in SourceTier.choices() if v != SourceTier.DIRECT]


def default_ladder():
    return [{"after_minutes": 0, "notify": "supervisor"}, {"after_minutes": 1440, "notify": "leader"}]


class RegulatorProfile(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    source_tier = models.CharField(_("source tier"), max_length=30, choices=TRANSFER_TIERS,
                                   help_text=_("The tier a ticket transferred by this body has."))
    basis = models.CharField(_("legal basis"), max_length=200, blank=True,
                             help_text=_("The rule the figures come from; check the official text."))
    amount = models.PositiveSmallIntegerField(
        _("deadline of our answer"), validators=[MaxValueValidator(366)],
        help_text=_("Used where the matrix below has no figure for the matter and urgency."))
    day_basis = models.CharField(_("counted in"), max_length=20, choices=DayBasis.choices(),
                                 default=DayBasis.CALENDAR_DAYS)
    max_total = models.PositiveSmallIntegerField(
        _("at most, with extensions"), null=True, blank=True, validators=[MaxValueValidator(366)],
        help_text=_("The longest deadline extensions may reach (NFRA: 60 days). Empty: no extensions."))
    warn_share = models.DecimalField(_("warn at share of the time"), max_digits=3, decimal_places=2, default=0.8,
                                     validators=[MinValueValidator(0), MaxValueValidator(1)])
    ladder = models.JSONField(_("escalation ladder"), default=default_ladder, blank=True,
                              help_text=_("After the regulator's deadline is missed: minutes after it and whom to notify."))
    sheet_title = models.CharField(_("reply sheet title"), max_length=60, blank=True)
    sheet_columns = models.JSONField(
        _("reply sheet columns"), default=list, blank=True,
        help_text=_('The columns of the reply sheet in order: [{"field": "regulator_ref", "header": "转办编号", '
                    '"header_en": "Transfer no."}, ...].'))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("regulator profile")
        verbose_name_plural = _("regulator profiles")
        ordering = ["code"]

    def __str__(self):
        return pick(self.name, self.name_en)

    @property
    def display_name(self):
        return pick(self.name, self.name_en)


class RegulatorMatter(models.Model):
    """A type of matter the body distinguishes (12345: enquiry, complaint…; MIIT: user
    service, network quality, billing dispute)."""

    profile = models.ForeignKey(RegulatorProfile, verbose_name=_("regulator"), on_delete=models.CASCADE,
                                related_name="matters")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("regulator's matter type")
        verbose_name_plural = _("regulator's matter types")
        ordering = ["profile", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["profile", "code"], name="one_matter_code_per_regulator")]

    def __str__(self):
        return pick(self.name, self.name_en)

    @property
    def display_name(self):
        return pick(self.name, self.name_en)


class RegulatorDeadline(models.Model):
    """One cell of the deadline matrix: matter × urgency → days. An empty matter or urgency
    is the figure for every matter (urgency) without one of its own."""

    profile = models.ForeignKey(RegulatorProfile, verbose_name=_("regulator"), on_delete=models.CASCADE,
                                related_name="deadlines")
    party = models.CharField(_("whose deadline"), max_length=20, choices=Party.choices(), default=Party.COMPANY)
    matter = models.ForeignKey(RegulatorMatter, verbose_name=_("matter"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    urgency = models.CharField(_("urgency"), max_length=20, choices=Urgency.choices(), blank=True)
    amount = models.PositiveSmallIntegerField(_("days"), validators=[MaxValueValidator(366)],
                                              help_text=_("0 working days: the same working day."))
    day_basis = models.CharField(_("counted in"), max_length=20, choices=DayBasis.choices())
    step = models.CharField(_("what is due"), max_length=100, blank=True)
    step_en = models.CharField(_("what is due (English)"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("regulator's deadline")
        verbose_name_plural = _("regulator's deadlines")
        ordering = ["profile", "party", "matter", "urgency"]
        constraints = [
            # One figure of ours per cell; the regulator's own steps may be several.
            models.UniqueConstraint(fields=["profile", "matter", "urgency"], name="one_deadline_per_cell",
                                    condition=models.Q(matter__isnull=False, party="company")),
            models.UniqueConstraint(fields=["profile", "urgency"], name="one_default_deadline_per_urgency",
                                    condition=models.Q(matter__isnull=True, party="company")),
        ]

    def __str__(self):
        return f"{self.amount} {self.day_basis}"


class RegulatorExtension(models.Model):
    """A step by which our deadline may be extended, counted from the transfer."""

    profile = models.ForeignKey(RegulatorProfile, verbose_name=_("regulator"), on_delete=models.CASCADE,
                                related_name="extensions")
    step = models.PositiveSmallIntegerField(_("step"), validators=[MinValueValidator(1), MaxValueValidator(9)])
    total = models.PositiveSmallIntegerField(_("deadline after this step"), validators=[MaxValueValidator(366)],
                                             help_text=_("Days from the transfer, in the profile's unit."))
    requires_approval = models.BooleanField(_("needs approval"), default=False,
                                            help_text=_("A leader approves it (NFRA: a senior manager)."))
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("deadline extension step")
        verbose_name_plural = _("deadline extension steps")
        ordering = ["profile", "step"]
        constraints = [models.UniqueConstraint(fields=["profile", "step"], name="one_extension_per_step")]

    def __str__(self):
        return pick(self.name, self.name_en)

    @property
    def display_name(self):
        return pick(self.name, self.name_en)


class AdmissibilityRule(models.Model):
    """A matter older than this is not admissible under the body's rule: a hint at
    registration, never enforced (the staff decide)."""

    profile = models.ForeignKey(RegulatorProfile, verbose_name=_("regulator"), on_delete=models.CASCADE,
                                related_name="admissibility_rules")
    matter = models.ForeignKey(RegulatorMatter, verbose_name=_("matter"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+",
                               help_text=_("Empty: every matter without a rule of its own."))
    max_age = models.PositiveSmallIntegerField(_("older than"), validators=[MinValueValidator(1)])
    age_unit = models.CharField(_("unit"), max_length=10, choices=AgeUnit.choices())
    message = models.CharField(_("hint"), max_length=200)
    message_en = models.CharField(_("English hint"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("admissibility rule")
        verbose_name_plural = _("admissibility rules")
        constraints = [
            models.UniqueConstraint(fields=["profile", "matter"], name="one_admissibility_rule_per_matter",
                                    condition=models.Q(matter__isnull=False)),
            models.UniqueConstraint(fields=["profile"], name="one_default_admissibility_rule",
                                    condition=models.Q(matter__isnull=True)),
        ]

    def __str__(self):
        return f"> {self.max_age} {self.age_unit}"


class RegulatorTransfer(models.Model):
    """A ticket's transfer from a regulator: which profile, matter and urgency, when it came,
    the rule its deadline was counted by (copied: a later edit of the profile does not move a
    deadline already given) and the extensions granted. The deadline itself is the ticket's
    REGULATOR clock (sla/) and `Ticket.regulator_due_at`."""

    ticket = models.OneToOneField("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE,
                                  related_name="regulator_transfer")
    profile = models.ForeignKey(RegulatorProfile, verbose_name=_("regulator"), on_delete=models.PROTECT,
                                related_name="transfers")
    matter = models.ForeignKey(RegulatorMatter, verbose_name=_("matter"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    urgency = models.CharField(_("urgency"), max_length=20, choices=Urgency.choices(), blank=True)
    transferred_at = models.DateTimeField(_("transferred at"))
    matter_date = models.DateField(_("matter arose on"), null=True, blank=True)
    amount = models.PositiveSmallIntegerField(_("days"))
    day_basis = models.CharField(_("counted in"), max_length=20, choices=DayBasis.choices())
    stated_due_at = models.DateTimeField(_("deadline stated by the regulator"), null=True, blank=True)
    extension_step = models.PositiveSmallIntegerField(_("extension step"), default=0)
    hints = models.JSONField(_("admissibility hints"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("regulator transfer")
        verbose_name_plural = _("regulator transfers")
        indexes = [models.Index(fields=["profile", "transferred_at"], name="transfer_profile_time")]

    def __str__(self):
        return f"{self.profile.code} {self.ticket_id}"
