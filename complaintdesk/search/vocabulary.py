from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class WordSource(LabelledEnum):
    ADMIN = "admin"
    CATEGORY = "category"
    ELEMENT = "element"

    @classmethod
    def _labels(cls):
        return {
            cls.ADMIN: _("Added in the admin"),
            cls.CATEGORY: _("Category name"),
            cls.ELEMENT: _("Required-element label"),
        }
