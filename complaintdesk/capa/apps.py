from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CapaConfig(AppConfig):
    name = "complaintdesk.capa"
    label = "capa"
    verbose_name = _("root causes and corrective actions")
