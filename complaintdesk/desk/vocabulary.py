"""Vocabulary of the ticket tools, pure Python."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class LinkType(LabelledEnum):
    RELATED = "related"  # two tickets about connected matters
    DUPLICATE_OF = "duplicate_of"  # `ticket` repeats `other`; merging closes it into `other`

    @classmethod
    def _labels(cls):
        return {cls.RELATED: _("Related"), cls.DUPLICATE_OF: _("Duplicate of")}


class BulkAction(LabelledEnum):
    DISPATCH = "dispatch"
    URGE = "urge"
    CLOSE = "close"

    @classmethod
    def _labels(cls):
        return {cls.DISPATCH: _("Dispatch"), cls.URGE: _("Urge"), cls.CLOSE: _("Close")}
