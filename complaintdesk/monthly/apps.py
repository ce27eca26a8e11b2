from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonthlyConfig(AppConfig):
    name = "complaintdesk.monthly"
    verbose_name = _("Monthly and half-year reports")
    default_auto_field = "django.db.models.BigAutoField"
