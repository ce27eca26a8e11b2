from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    name = "complaintdesk.bulletins"
    verbose_name = _("Bulletins")
    default_auto_field = "django.db.models.BigAutoField"
