"""django-axes ships no Chinese catalogue: its admin labels, marked here so that our catalogue
(which LOCALE_PATHS puts first) translates them. Never imported; read by makemessages only."""

from django.utils.translation import gettext_noop

AXES_LABELS = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("Username"),
    gettext_noop("IP Address"),
    gettext_noop("User Agent"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Logout Time"),
    gettext_noop("Failed Logins"),
    gettext_noop("Locked Out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Not set"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Session key hash (sha256)"),
)
