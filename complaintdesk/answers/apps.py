from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnswersConfig(AppConfig):
    name = "complaintdesk.answers"
    label = "answers"
    verbose_name = _("Reply templates and answer library")
    default_auto_field = "django.db.models.BigAutoField"
