"""Clock and escalation vocabulary, pure Python (shared by models, services and the API)."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class ClockType(LabelledEnum):
    """The clocks of a ticket (domain.md "Deadlines and escalation")."""

    DISPATCH = "dispatch"  # first report → dispatched to a department (001: 5 minutes)
    ACKNOWLEDGE = "acknowledge"  # dispatched → acknowledged by the department
    HANDLE = "handle"  # dispatched → handled: the handling deadline (处理时限)
    PROGRESS = "progress"  # repeating: the department reports progress (001: within 24 h, daily by 17:00)
    REPLY = "reply"  # audit approved → the customer is told the result
    CALLBACK = "callback"  # replied → called back
    TICKET = "ticket"  # registered → closed: the ticket deadline (工单时限)
    # The transferring regulator's own deadline (regulators/): its rule comes from the
    # regulator's profile, not from a deadline policy; it runs beside ours.
    REGULATOR = "regulator"

    @classmethod
    def _labels(cls):
        return {
            cls.DISPATCH: _("Dispatch"),
            cls.ACKNOWLEDGE: _("Acknowledge"),
            cls.HANDLE: _("Handling deadline"),
            cls.PROGRESS: _("Progress update"),
            cls.REPLY: _("Reply to customer"),
            cls.CALLBACK: _("Callback"),
            cls.TICKET: _("Ticket deadline"),
            cls.REGULATOR: _("Regulator's deadline"),
        }

    @classmethod
    def policy_choices(cls) -> list[tuple[str, str]]:
        """The clocks a deadline policy may define (the regulator's comes from its profile)."""
        return [(value, label) for value, label in cls.choices() if value != cls.REGULATOR]


class DurationUnit(LabelledEnum):
    CALENDAR_MINUTES = "calendar_minutes"
    CALENDAR_HOURS = "calendar_hours"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"

    @classmethod
    def _labels(cls):
        return {
            cls.CALENDAR_MINUTES: _("calendar minutes"),
            cls.CALENDAR_HOURS: _("calendar hours"),
            cls.WORKING_HOURS: _("working hours"),
            cls.WORKING_DAYS: _("working days"),
        }


class ClockState(LabelledEnum):
    RUNNING = "running"
    PAUSED = "paused"  # waiting on the customer: the time does not count
    MET = "met"  # stopped before its deadline
    MISSED = "missed"  # stopped after its deadline

    @classmethod
    def _labels(cls):
        return {
            cls.RUNNING: _("Running"),
            cls.PAUSED: _("Paused"),
            cls.MET: _("Met"),
            cls.MISSED: _("Missed"),
        }


class EscalationTarget(LabelledEnum):
    """Who an escalation level notifies."""

    ASSIGNEE = "assignee"
    SUPERVISOR = "supervisor"
    DEPT_HEAD = "dept_head"
    LEADER = "leader"

    @classmethod
    def _labels(cls):
        return {
            cls.ASSIGNEE: _("The assignee and their department"),
            cls.SUPERVISOR: _("Supervisor"),
            cls.DEPT_HEAD: _("Department head"),
            cls.LEADER: _("Leader"),
        }


class SlaStatus(LabelledEnum):
    """A ticket's standing against its clocks, kept on the ticket for fast list filters."""

    OK = "ok"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"

    @classmethod
    def _labels(cls):
        return {cls.OK: _("On time"), cls.AT_RISK: _("At risk"), cls.OVERDUE: _("Overdue")}


class LedgerReason(LabelledEnum):
    """Why a case is in the complaint ledger: a deadline was missed, or the customer went over
    the company's head (越级投诉, screening/services/repeats.py)."""

    BREACH = "breach"
    OVER_THE_HEAD = "over_the_head"

    @classmethod
    def _labels(cls):
        return {cls.BREACH: _("Deadline missed"), cls.OVER_THE_HEAD: _("Over-the-head complaint")}


class DossierNoteKind(LabelledEnum):
    """What is written on a case dossier: the head's instruction (批示: the decision on how the
    case is to be settled) or a follow-up note (what was done since)."""

    INSTRUCTION = "instruction"
    FOLLOW_UP = "follow_up"

    @classmethod
    def _labels(cls):
        return {cls.INSTRUCTION: _("Instruction (批示)"), cls.FOLLOW_UP: _("Follow-up note")}


# Who writes what on a dossier (role values; accounts/roles.py): the instruction is the
# department head's or a leader's decision; anyone working the case may add a follow-up.
DOSSIER_NOTE_ROLES = {
    DossierNoteKind.INSTRUCTION: frozenset({"dept_head", "leader"}),
    DossierNoteKind.FOLLOW_UP: frozenset({"dept_head", "leader", "supervisor", "dispatcher", "handler"}),
}


def dossier_note_allowed(role: str, kind: str) -> bool:
    """The guard the dossier page (which forms to show) and the writer share."""
    try:
        return role in DOSSIER_NOTE_ROLES[DossierNoteKind(kind)]
    except ValueError:
        return False
