"""What a bulletin line is about (003 监督与通报: serious delays, mistakes and violations)."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class LineKind(LabelledEnum):
    SERIOUS_DELAY = "serious_delay"  # a missed deadline escalated into the complaint ledger
    AUDIT_REJECTION = "audit_rejection"  # the centre did not accept the handling
    REPEAT = "repeat"  # repeat complaints registered in the period
    OVER_THE_HEAD = "over_the_head"  # the customer went over the company's head
    VIOLATION = "violation"  # a penalty or accountability recorded (capa/), or added by the editor

    @classmethod
    def _labels(cls):
        return {
            cls.SERIOUS_DELAY: _("Serious delays"),
            cls.AUDIT_REJECTION: _("Handling rejected at audit"),
            cls.REPEAT: _("Repeat complaints"),
            cls.OVER_THE_HEAD: _("Over-the-head complaints"),
            cls.VIOLATION: _("Violations"),
        }
