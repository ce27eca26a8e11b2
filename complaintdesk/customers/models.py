from django.db import models
from django.utils.translation import gettext_lazy as _


class Segment(models.TextChoices):
    NEW = "new", _("New customer")
    REGULAR = "regular", _("Regular customer")
    VIP = "vip", _("VIP customer")
    NEAR_CONTRACT_END = "near_contract_end", _("Near contract end")
    UNKNOWN = "unknown", _("Unknown")


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=100, blank=True)
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices, default=Segment.UNKNOWN)
    org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("org unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="customers",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self):
        return self.name or f"#{self.pk}"


class CustomerPhone(models.Model):
    """A normalised phone number (E.164): the key that finds a customer's earlier tickets."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone number"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("customer phone")
        verbose_name_plural = _("customer phones")

    def __str__(self):
        return self.number
