from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """Everyday ticket tools (issue 12 §5): internal notes with @mentions, links between
    tickets and merging a duplicate, bulk actions from a worklist, the staff picker."""

    name = "complaintdesk.desk"
    label = "desk"
    verbose_name = _("Ticket tools")
