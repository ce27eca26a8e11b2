"""The vocabulary of root causes and corrective and preventive actions (纠正和预防措施,
domain.md; 003). Pure Python: the workflow table uses it without the ORM."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class ActionKind(LabelledEnum):
    CORRECTIVE = "corrective"  # removes the cause of a problem that happened
    PREVENTIVE = "preventive"  # removes the cause of a problem that could happen

    @classmethod
    def _labels(cls):
        return {cls.CORRECTIVE: _("Corrective action"), cls.PREVENTIVE: _("Preventive action")}


class ActionSource(LabelledEnum):
    """What the action was raised from."""

    TICKET = "ticket"
    CATEGORY_TREND = "category_trend"
    REPORT = "report"

    @classmethod
    def _labels(cls):
        return {
            cls.TICKET: _("A ticket"),
            cls.CATEGORY_TREND: _("A category trend"),
            cls.REPORT: _("A report"),
        }


class ActionState(LabelledEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    AWAITING_VERIFICATION = "awaiting_verification"
    VERIFIED = "verified"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls):
        return {
            cls.OPEN: _("Open, not started"),
            cls.IN_PROGRESS: _("In progress"),
            cls.AWAITING_VERIFICATION: _("Awaiting verification of effect"),
            cls.VERIFIED: _("Verified effective, awaiting closure"),
            cls.CLOSED: _("Closed"),
            cls.CANCELLED: _("Cancelled"),
        }


# The states in which the action still has work or a decision ahead of it; its deadline counts.
ACTION_OPEN_STATES = frozenset({ActionState.OPEN, ActionState.IN_PROGRESS,
                                ActionState.AWAITING_VERIFICATION, ActionState.VERIFIED})


class Step(LabelledEnum):
    """What can be done to an action once raised (one writer each, capa/services/actions.py)."""

    NOTE_PROGRESS = "note_progress"
    SUBMIT = "submit"
    VERIFY_EFFECTIVE = "verify_effective"
    VERIFY_INEFFECTIVE = "verify_ineffective"
    CLOSE = "close"
    CANCEL = "cancel"

    @classmethod
    def _labels(cls):
        return {
            cls.NOTE_PROGRESS: _("Note progress"),
            cls.SUBMIT: _("Submit for verification"),
            cls.VERIFY_EFFECTIVE: _("Verify: effective"),
            cls.VERIFY_INEFFECTIVE: _("Verify: not effective"),
            cls.CLOSE: _("Close the action"),
            cls.CANCEL: _("Cancel the action"),
        }


class ActionEventType(LabelledEnum):
    RAISED = "raised"
    PROGRESS_NOTED = "progress_noted"
    SUBMITTED = "submitted"
    VERIFIED_EFFECTIVE = "verified_effective"
    VERIFIED_INEFFECTIVE = "verified_ineffective"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    ESCALATED = "escalated"  # past its deadline: the people above the owner were told
    TICKET_LINKED = "ticket_linked"

    @classmethod
    def _labels(cls):
        return {
            cls.RAISED: _("Raised"),
            cls.PROGRESS_NOTED: _("Progress noted"),
            cls.SUBMITTED: _("Submitted for verification"),
            cls.VERIFIED_EFFECTIVE: _("Verified effective"),
            cls.VERIFIED_INEFFECTIVE: _("Verified not effective"),
            cls.CLOSED: _("Closed"),
            cls.CANCELLED: _("Cancelled"),
            cls.ESCALATED: _("Overdue: escalated"),
            cls.TICKET_LINKED: _("Ticket linked"),
        }
