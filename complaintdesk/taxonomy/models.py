from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from complaintdesk.core.choices import LabelledEnum
from complaintdesk.core.i18n import pick
from complaintdesk.tickets.vocabulary import Kind, Severity


class Category(MP_Node):
    """A node of the category tree of one ticket kind (投诉目录树).

    Required elements are inherited down the tree: a leaf asks for its own and all its
    ancestors' elements. The owning department and default severity are taken from the
    nearest node that sets them.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices())
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    owning_department = models.ForeignKey(
        "org.Department", verbose_name=_("owning department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="owned_categories",
    )
    default_severity = models.CharField(
        _("default severity"), max_length=20, choices=Severity.choices(), blank=True,
    )
    requires_approval = models.BooleanField(
        _("leader must approve the plan"), default=False,
    )
    active = models.BooleanField(_("active"), default=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return pick(self.name, self.name_en)


class ElementType(LabelledEnum):
    TEXT = "text"
    CHOICE = "choice"
    NUMBER = "number"
    AMOUNT = "amount"
    DATE = "date"
    PHONE = "phone"

    @classmethod
    def _labels(cls):
        return {
            cls.TEXT: _("Text"),
            cls.CHOICE: _("Choice"),
            cls.NUMBER: _("Number"),
            cls.AMOUNT: _("Amount"),
            cls.DATE: _("Date"),
            cls.PHONE: _("Phone number"),
        }


class RequiredElement(models.Model):
    """A typed field a ticket of this category (and its subtree) must fill (受理要素)."""

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="elements")
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    type = models.CharField(_("type"), max_length=10, choices=ElementType.choices())
    # For choice elements: [{"value": "...", "label": "...", "label_en": "..."}]
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("required element")
        verbose_name_plural = _("required elements")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "key"], name="element_key_unique_per_category")
        ]

    def __str__(self):
        return self.display_label

    @property
    def display_label(self) -> str:
        return pick(self.label, self.label_en)
