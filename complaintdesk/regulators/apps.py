from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegulatorsConfig(AppConfig):
    name = "complaintdesk.regulators"
    label = "regulators"
    verbose_name = _("regulator transfers")
