from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "complaintdesk.incidents"
    label = "incidents"
    verbose_name = _("incidents and near-duplicates")
