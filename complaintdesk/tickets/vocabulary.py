"""The ticket vocabulary of the glossary (domain.md): kinds, states, actions, and the values
that handling records. Pure Python so the workflow table can use it without the ORM."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class Kind(LabelledEnum):
    COMPLAINT = "complaint"
    GRIEVANCE = "grievance"
    INQUIRY = "inquiry"
    SUGGESTION = "suggestion"
    FAULT = "fault"
    SALES_LEAD = "sales_lead"

    @classmethod
    def _labels(cls):
        return {
            cls.COMPLAINT: _("Complaint"),
            cls.GRIEVANCE: _("Grievance"),
            cls.INQUIRY: _("Inquiry"),
            cls.SUGGESTION: _("Suggestion"),
            cls.FAULT: _("Fault"),
            cls.SALES_LEAD: _("Sales lead"),
        }


class State(LabelledEnum):
    REGISTERED = "registered"
    AWAITING_DISPATCH = "awaiting_dispatch"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    AWAITING_APPROVAL = "awaiting_approval"
    AWAITING_AUDIT = "awaiting_audit"
    AWAITING_REPLY = "awaiting_reply"
    AWAITING_CALLBACK = "awaiting_callback"
    CLOSED = "closed"
    ARCHIVED = "archived"

    @classmethod
    def _labels(cls):
        return {
            cls.REGISTERED: _("Registered, awaiting review"),
            cls.AWAITING_DISPATCH: _("Awaiting dispatch"),
            cls.DISPATCHED: _("Dispatched, awaiting acknowledgement"),
            cls.IN_PROGRESS: _("In progress"),
            cls.AWAITING_APPROVAL: _("Awaiting plan approval"),
            cls.AWAITING_AUDIT: _("Awaiting audit"),
            cls.AWAITING_REPLY: _("Awaiting reply to customer"),
            cls.AWAITING_CALLBACK: _("Awaiting callback"),
            cls.CLOSED: _("Closed"),
            cls.ARCHIVED: _("Archived"),
        }


OPEN_STATES = frozenset(State) - {State.CLOSED, State.ARCHIVED}


class Action(LabelledEnum):
    RESOLVE_ON_SPOT = "resolve_on_spot"
    REVIEW_VALID = "review_valid"
    REVIEW_INVALID = "review_invalid"
    DISPATCH = "dispatch"
    ACKNOWLEDGE = "acknowledge"
    TRANSFER = "transfer"
    RETURN = "return"
    CO_HANDLE = "co_handle"
    ASSIST_INPUT = "assist_input"
    URGE = "urge"
    SUPERVISE = "supervise"
    SUBMIT_PLAN = "submit_plan"
    APPROVE_PLAN = "approve_plan"
    REJECT_PLAN = "reject_plan"
    HANDLE = "handle"
    AUDIT_APPROVE = "audit_approve"
    AUDIT_REJECT = "audit_reject"
    REPLY = "reply"
    CALLBACK = "callback"
    CLOSE = "close"
    ARCHIVE = "archive"
    REOPEN = "reopen"
    # Deadline actions that keep the state (sla/: clocks pause, resume, restart, move).
    REQUEST_INFO = "request_info"
    INFO_RECEIVED = "info_received"
    REPORT_PROGRESS = "report_progress"
    SET_AGREED_TIME = "set_agreed_time"
    # Cross-ticket facts that keep the state (screening/: repeats, source, special cases).
    SET_SOURCE = "set_source"
    UNLINK_REPEAT = "unlink_repeat"
    SET_SPECIAL_TYPE = "set_special_type"
    GATHER_HISTORY = "gather_history"
    # A callback call that did not reach the customer (or was put off): the state stays, or the
    # ticket closes as "callback failed" after the last allowed attempt.
    CALLBACK_ATTEMPT = "callback_attempt"
    EXTEND_REGULATOR_DEADLINE = "extend_regulator_deadline"

    @classmethod
    def _labels(cls):
        return {
            cls.RESOLVE_ON_SPOT: _("Resolve on the spot"),
            cls.REVIEW_VALID: _("Review: valid"),
            cls.REVIEW_INVALID: _("Review: invalid"),
            cls.DISPATCH: _("Dispatch"),
            cls.ACKNOWLEDGE: _("Acknowledge"),
            cls.TRANSFER: _("Transfer"),
            cls.RETURN: _("Return"),
            cls.CO_HANDLE: _("Co-handle"),
            cls.ASSIST_INPUT: _("Give assisting input"),
            cls.URGE: _("Urge"),
            cls.SUPERVISE: _("Supervise"),
            cls.SUBMIT_PLAN: _("Submit plan for approval"),
            cls.APPROVE_PLAN: _("Approve plan"),
            cls.REJECT_PLAN: _("Reject plan"),
            cls.HANDLE: _("Handle"),
            cls.AUDIT_APPROVE: _("Audit: accept"),
            cls.AUDIT_REJECT: _("Audit: reject"),
            cls.REPLY: _("Reply to customer"),
            cls.CALLBACK: _("Callback"),
            cls.CLOSE: _("Close"),
            cls.ARCHIVE: _("Archive"),
            cls.REOPEN: _("Reopen"),
            cls.REQUEST_INFO: _("Ask the customer for information"),
            cls.INFO_RECEIVED: _("Customer information received"),
            cls.REPORT_PROGRESS: _("Report progress"),
            cls.SET_AGREED_TIME: _("Record a time agreed with the customer"),
            cls.SET_SOURCE: _("Set the source tier"),
            cls.UNLINK_REPEAT: _("Unlink from the first ticket"),
            cls.SET_SPECIAL_TYPE: _("Set the special complainant type"),
            cls.GATHER_HISTORY: _("Record the special case's history check"),
            cls.CALLBACK_ATTEMPT: _("Record a callback attempt"),
            cls.EXTEND_REGULATOR_DEADLINE: _("Extend the regulator's deadline"),
        }


class Severity(LabelledEnum):
    SIMPLE = "simple"
    GENERAL = "general"
    COMPLEX = "complex"
    MAJOR = "major"

    @classmethod
    def _labels(cls):
        return {
            cls.SIMPLE: _("Simple"),
            cls.GENERAL: _("General"),
            cls.COMPLEX: _("Complex"),
            cls.MAJOR: _("Major"),
        }


class Channel(LabelledEnum):
    HOTLINE = "hotline"
    COUNTER = "counter"
    LETTER = "letter"
    EMAIL = "email"
    WEB_PORTAL = "web_portal"
    APP = "app"
    REGULATOR_TRANSFER = "regulator_transfer"
    UPPER_LEVEL_TRANSFER = "upper_level_transfer"
    MEDIA = "media"

    @classmethod
    def _labels(cls):
        return {
            cls.HOTLINE: _("Hotline"),
            cls.COUNTER: _("Counter"),
            cls.LETTER: _("Letter"),
            cls.EMAIL: _("Email"),
            cls.WEB_PORTAL: _("Web portal"),
            cls.APP: _("App"),
            cls.REGULATOR_TRANSFER: _("Regulator / consumer association transfer"),
            cls.UPPER_LEVEL_TRANSFER: _("Upper-level transfer"),
            cls.MEDIA: _("Media"),
        }


class Cause(LabelledEnum):
    PRODUCT_QUALITY = "product_quality"
    SERVICE = "service"
    SALES = "sales"
    NETWORK = "network"
    POLICY = "policy"
    THIRD_PARTY = "third_party"
    CUSTOMER_MISUNDERSTANDING = "customer_misunderstanding"

    @classmethod
    def _labels(cls):
        return {
            cls.PRODUCT_QUALITY: _("Product quality"),
            cls.SERVICE: _("Service"),
            cls.SALES: _("Sales"),
            cls.NETWORK: _("Network"),
            cls.POLICY: _("Policy"),
            cls.THIRD_PARTY: _("Third party"),
            cls.CUSTOMER_MISUNDERSTANDING: _("Customer misunderstanding"),
        }


class Satisfaction(LabelledEnum):
    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"

    @classmethod
    def _labels(cls):
        return {
            cls.SATISFIED: _("Satisfied"),
            cls.NEUTRAL: _("Neutral"),
            cls.DISSATISFIED: _("Dissatisfied"),
        }


class Resolution(LabelledEnum):
    ON_SPOT = "on_spot"
    INVALID = "invalid"
    RESOLVED = "resolved"
    CLOSED_WITHOUT_CALLBACK = "closed_without_callback"
    CALLBACK_FAILED = "callback_failed"  # the customer could not be reached after N attempts
    DUPLICATE = "duplicate"  # merged into the ticket it duplicates (desk/, issue 12 §5)

    @classmethod
    def _labels(cls):
        return {
            cls.DUPLICATE: _("Duplicate: merged into another ticket"),
            cls.ON_SPOT: _("Resolved on the spot"),
            cls.INVALID: _("Invalid"),
            cls.RESOLVED: _("Resolved"),
            cls.CLOSED_WITHOUT_CALLBACK: _("Closed without callback"),
            cls.CALLBACK_FAILED: _("Callback failed"),
        }


class AssignmentRole(LabelledEnum):
    LEAD = "lead"
    ASSISTING = "assisting"

    @classmethod
    def _labels(cls):
        return {cls.LEAD: _("Lead"), cls.ASSISTING: _("Assisting")}


class EventType(LabelledEnum):
    """Typed events of the append-only log; actions map onto these one to one, plus a few
    that are not transitions (attachments, element changes)."""

    REGISTERED = "registered"
    RESOLVED_ON_SPOT = "resolved_on_spot"
    REVIEWED_VALID = "reviewed_valid"
    REVIEWED_INVALID = "reviewed_invalid"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    TRANSFERRED = "transferred"
    RETURNED = "returned"
    CO_HANDLING_REQUESTED = "co_handling_requested"
    ASSIST_INPUT_GIVEN = "assist_input_given"
    URGED = "urged"
    SUPERVISED = "supervised"
    PLAN_SUBMITTED = "plan_submitted"
    PLAN_APPROVED = "plan_approved"
    PLAN_REJECTED = "plan_rejected"
    HANDLED = "handled"
    AUDIT_APPROVED = "audit_approved"
    AUDIT_REJECTED = "audit_rejected"
    REPLIED = "replied"
    CALLED_BACK = "called_back"
    CLOSED = "closed"
    ARCHIVED = "archived"
    REOPENED = "reopened"
    ATTACHMENT_ADDED = "attachment_added"
    INFO_REQUESTED = "info_requested"
    INFO_RECEIVED = "info_received"
    PROGRESS_REPORTED = "progress_reported"
    AGREED_TIME_SET = "agreed_time_set"
    SOURCE_SET = "source_set"
    REPEAT_UNLINKED = "repeat_unlinked"
    SPECIAL_TYPE_SET = "special_type_set"
    HISTORY_GATHERED = "history_gathered"
    IMPORTED = "imported"  # registered from a file import: the batch, row and source id
    ROOT_CAUSE_RECORDED = "root_cause_recorded"  # capa/: the payload never holds the accountability note
    CAPA_RAISED = "capa_raised"  # capa/: a corrective or preventive action raised from the ticket
    CALLBACK_ATTEMPTED = "callback_attempted"
    # A message from the customer that changes nothing (mail/: an e-mail answering the ticket).
    CUSTOMER_MESSAGE = "customer_message"
    DOSSIER_INSTRUCTED = "dossier_instructed"  # sla/: the head's instruction (批示) on the case dossier
    DOSSIER_FOLLOWED_UP = "dossier_followed_up"  # sla/: a follow-up note on the case dossier
    # desk/ (issue 12 §5): staff-only notes, links between tickets, merging a duplicate.
    NOTE_ADDED = "note_added"  # an internal note (payload: text, mentions); never on the portal
    TICKET_LINKED = "ticket_linked"  # payload: link type, the other ticket
    TICKET_UNLINKED = "ticket_unlinked"
    MERGED_INTO = "merged_into"  # the duplicate, closed into its survivor
    DUPLICATE_MERGED = "duplicate_merged"  # the survivor: a duplicate was merged into it
    REGULATOR_DEADLINE_EXTENDED = "regulator_deadline_extended"

    @classmethod
    def _labels(cls):
        return {
            cls.REGISTERED: _("Registered"),
            cls.RESOLVED_ON_SPOT: _("Resolved on the spot"),
            cls.REVIEWED_VALID: _("Reviewed: valid"),
            cls.REVIEWED_INVALID: _("Reviewed: invalid"),
            cls.DISPATCHED: _("Dispatched"),
            cls.ACKNOWLEDGED: _("Acknowledged"),
            cls.TRANSFERRED: _("Transferred"),
            cls.RETURNED: _("Returned"),
            cls.CO_HANDLING_REQUESTED: _("Co-handling requested"),
            cls.ASSIST_INPUT_GIVEN: _("Assisting input given"),
            cls.URGED: _("Urged"),
            cls.SUPERVISED: _("Put under supervision"),
            cls.PLAN_SUBMITTED: _("Plan submitted"),
            cls.PLAN_APPROVED: _("Plan approved"),
            cls.PLAN_REJECTED: _("Plan rejected"),
            cls.HANDLED: _("Handled"),
            cls.AUDIT_APPROVED: _("Audit accepted"),
            cls.AUDIT_REJECTED: _("Audit rejected"),
            cls.REPLIED: _("Replied to customer"),
            cls.CALLED_BACK: _("Called back"),
            cls.CLOSED: _("Closed"),
            cls.ARCHIVED: _("Archived"),
            cls.REOPENED: _("Reopened"),
            cls.ATTACHMENT_ADDED: _("Attachment added"),
            cls.INFO_REQUESTED: _("Information asked of the customer"),
            cls.INFO_RECEIVED: _("Information received from the customer"),
            cls.PROGRESS_REPORTED: _("Progress reported"),
            cls.AGREED_TIME_SET: _("Time agreed with the customer"),
            cls.SOURCE_SET: _("Source tier set"),
            cls.REPEAT_UNLINKED: _("Unlinked from the first ticket"),
            cls.SPECIAL_TYPE_SET: _("Special complainant type set"),
            cls.HISTORY_GATHERED: _("Special case: history gathered"),
            cls.IMPORTED: _("Imported from a file"),
            cls.ROOT_CAUSE_RECORDED: _("Root cause recorded"),
            cls.CAPA_RAISED: _("Corrective action raised"),
            cls.CALLBACK_ATTEMPTED: _("Callback attempt"),
            cls.CUSTOMER_MESSAGE: _("Message from the customer"),
            cls.DOSSIER_INSTRUCTED: _("Instruction on the case dossier (批示)"),
            cls.DOSSIER_FOLLOWED_UP: _("Follow-up note on the case dossier"),
            cls.NOTE_ADDED: _("Internal note"),
            cls.TICKET_LINKED: _("Linked to another ticket"),
            cls.TICKET_UNLINKED: _("Link to another ticket removed"),
            cls.MERGED_INTO: _("Merged into another ticket as a duplicate"),
            cls.DUPLICATE_MERGED: _("A duplicate was merged into this ticket"),
            cls.REGULATOR_DEADLINE_EXTENDED: _("Regulator's deadline extended"),
        }


class SourceTier(LabelledEnum):
    """Where a ticket came from (domain.md "Two tiers everywhere"): the customer directly, or
    transferred down from a body above: a government hotline, a regulator's appeal line, the
    consumer association, the media or leadership. Every tier but DIRECT is a higher tier."""

    DIRECT = "direct"
    HOTLINE_12345 = "12345"  # government service hotline
    MARKET_12315 = "12315"  # market regulation / consumer complaints
    MIIT_12300 = "12300"  # MIIT telecom user appeals
    NFRA_12378 = "12378"  # NFRA banking and insurance consumers
    POST_12305 = "12305"  # State Post Bureau
    CONSUMER_ASSOCIATION = "consumer_association"
    MEDIA = "media"
    LEADERSHIP = "leadership"  # leadership / an upper level of the organisation

    @classmethod
    def _labels(cls):
        return {
            cls.DIRECT: _("Direct (from the customer)"),
            cls.HOTLINE_12345: _("12345 government hotline"),
            cls.MARKET_12315: _("12315 market regulator"),
            cls.MIIT_12300: _("12300 MIIT telecom appeals"),
            cls.NFRA_12378: _("12378 NFRA (banking and insurance)"),
            cls.POST_12305: _("12305 State Post Bureau"),
            cls.CONSUMER_ASSOCIATION: _("Consumer association"),
            cls.MEDIA: _("Media"),
            cls.LEADERSHIP: _("Leadership / upper level"),
        }


HIGHER_TIERS = frozenset(SourceTier) - {SourceTier.DIRECT}


class TicketFlag(LabelledEnum):
    """The flags a ticket carries in the API and on badges, computed in one place
    (tickets/flags.py). INCIDENT is part of the vocabulary already, but set only once a
    ticket can belong to an incident (issue 9 §3, helper "incidents")."""

    REPEAT = "repeat"
    OVER_THE_HEAD = "over_the_head"
    SPECIAL = "special"
    INCIDENT = "incident"

    @classmethod
    def _labels(cls):
        return {
            cls.REPEAT: _("Repeat complaint"),
            cls.OVER_THE_HEAD: _("Over the head"),
            cls.SPECIAL: _("Special case"),
            cls.INCIDENT: _("Incident"),
        }


class CallbackOutcome(LabelledEnum):
    """How one callback call went. ANSWERED is the call in which the satisfaction is recorded
    (the callback action); the others are attempts (the callback_attempt action)."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    SWITCHED_OFF = "switched_off"
    REFUSED = "refused"
    WRONG_NUMBER = "wrong_number"
    CALL_AGAIN = "call_again"  # the customer picked up and asked to be called at another time

    @classmethod
    def _labels(cls):
        return {
            cls.ANSWERED: _("Answered"),
            cls.NO_ANSWER: _("No answer"),
            cls.SWITCHED_OFF: _("Phone switched off"),
            cls.REFUSED: _("Refused the callback"),
            cls.WRONG_NUMBER: _("Wrong number"),
            cls.CALL_AGAIN: _("Asked to be called again at a time"),
        }


# Outcomes that count towards the limit of attempts: the customer was not reached.
CALLBACK_FAILURES = frozenset({CallbackOutcome.NO_ANSWER, CallbackOutcome.SWITCHED_OFF,
                               CallbackOutcome.WRONG_NUMBER})


class CallbackTopic(LabelledEnum):
    """What a callback talked about (002: opinions, suggestions, renewal of the contract),
    besides the satisfaction with the case."""

    CASE_RESULT = "case_result"
    OPINION = "opinion"
    SUGGESTION = "suggestion"
    RENEWAL = "renewal"
    OTHER_NEED = "other_need"

    @classmethod
    def _labels(cls):
        return {
            cls.CASE_RESULT: _("The result of the case"),
            cls.OPINION: _("Opinions on the service"),
            cls.SUGGESTION: _("Suggestions"),
            cls.RENEWAL: _("Contract renewal"),
            cls.OTHER_NEED: _("Another need of the customer"),
        }
