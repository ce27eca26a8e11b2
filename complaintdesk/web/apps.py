from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WebConfig(AppConfig):
    name = "complaintdesk.web"
    label = "web"
    default = True

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from complaintdesk.web.middleware import note_signed_in

        # Not business logic: the idle-timeout clock of a session starts at sign-in.
        user_logged_in.connect(note_signed_in, dispatch_uid="web.idle_timeout")


class DeskAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with our site (complaintdesk/web/admin_site.py): INSTALLED_APPS
    names this class instead of "django.contrib.admin"."""

    default = False
    default_site = "complaintdesk.web.admin_site.DeskAdminSite"
