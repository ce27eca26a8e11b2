from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from complaintdesk.core.i18n import pick


class OrgUnitLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    BUSINESS_HALL = "business_hall", _("Business hall")


class OrgUnit(MP_Node):
    """An org unit in the tree province → city → county / business hall.

    A materialised path (treebeard) makes "this unit and everything under it" one indexed
    prefix match: that is how a viewer's scope and the org-unit filter are read.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=OrgUnitLevel.choices)
    # The region's sales lead: sales-lead tickets of customers in this subtree go to them.
    sales_lead = models.ForeignKey(
        "accounts.User",
        verbose_name=_("regional sales lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # Dispatch to an org unit (派单到县市营业部, issue 12 §5): its default department picks the
    # ticket up; failing that, its head (a department account) does, by name.
    default_department = models.ForeignKey(
        "org.Department", verbose_name=_("default department"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("The department that picks up tickets dispatched to this org unit."),
    )
    head = models.ForeignKey(
        "accounts.User", verbose_name=_("head of the unit"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("Picks up tickets dispatched to this org unit when it names no default department."),
    )

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return pick(self.name, self.name_en)


class Department(models.Model):
    """A department within an org unit; categories name their owning department."""

    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    is_centre = models.BooleanField(
        _("customer service centre"),
        default=False,
        help_text=_("The centre reviews, dispatches, audits, replies and calls back."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return pick(self.name, self.name_en)
