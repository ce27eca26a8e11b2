from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentState(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class MemberSource(models.TextChoices):
    LEAD = "lead", _("lead ticket")
    HAND = "hand", _("added by hand")
    SUGGESTION = "suggestion", _("from the suggestions")
