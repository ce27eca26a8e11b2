"""Notification vocabulary, pure Python (shared by the models, the services and the API)."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class MessageChannel(LabelledEnum):
    IN_APP = "in_app"  # staff: shown in their notification list, nothing is sent
    EMAIL = "email"  # staff or customers, through Django's mail API
    SMS = "sms"  # customers, and staff who chose it, through the configured SMS gateway

    @classmethod
    def _labels(cls):
        return {cls.IN_APP: _("In-app"), cls.EMAIL: _("Email"), cls.SMS: _("SMS")}


class MessageStatus(LabelledEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a sender; back to pending if that sender dies
    SENT = "sent"  # delivered (in-app messages: visible in the list)
    FAILED = "failed"  # gave up: see last_error; an administrator may retry it

    @classmethod
    def _labels(cls):
        return {
            cls.PENDING: _("Pending"),
            cls.SENDING: _("Sending"),
            cls.SENT: _("Sent"),
            cls.FAILED: _("Failed"),
        }


class StaffEvent(LabelledEnum):
    """What a staff notification is about: the unit of the per-user settings (which channels
    bring it) and of the quiet-hours rule (breaches come through them)."""

    DISPATCHED_IN = "dispatched_in"  # a ticket dispatched to my department or to me
    TRANSFERRED_IN = "transferred_in"  # a ticket transferred to my department or to me
    RETURNED = "returned"  # a ticket I dispatched came back as wrongly dispatched
    URGED = "urged"  # someone urged a ticket my department holds
    SUPERVISED = "supervised"  # someone supervises a ticket my department holds
    AUDIT_REJECTED = "audit_rejected"  # the centre did not accept our handling
    PLAN_SUBMITTED = "plan_submitted"  # a plan waits for my approval
    PLAN_DECIDED = "plan_decided"  # a leader approved or rejected our plan
    DEADLINE_WARNING = "deadline_warning"  # a clock runs out soon
    BREACH = "breach"  # a clock has run out
    ESCALATION = "escalation"  # a breach was escalated to my level
    CASE_STEP = "case_step"  # a step of a special or major case in my scope (003: report every step)
    MENTIONED = "mentioned"  # someone @mentioned me in an internal note (desk/)
    CAPA = "capa"  # a corrective action given to me, waiting for my verification, or overdue (capa/)
    REPORT_STEP = "report_step"  # a report or bulletin waits for me, was decided, or is due soon
    BULLETIN = "bulletin"  # a bulletin names my unit (003 监督与通报)
    THRESHOLD_CROSSED = "threshold_crossed"  # a KPI of my unit is past its control threshold (stats/)
    CUSTOMER_ANSWERED = "customer_answered"  # the customer wrote about a ticket we hold (mail/, portal/)

    @classmethod
    def _labels(cls):
        return {
            cls.DISPATCHED_IN: _("A ticket is dispatched to me or my department"),
            cls.TRANSFERRED_IN: _("A ticket is transferred to me or my department"),
            cls.RETURNED: _("A ticket I dispatched is returned"),
            cls.URGED: _("A ticket we hold is urged"),
            cls.SUPERVISED: _("A ticket we hold is supervised"),
            cls.AUDIT_REJECTED: _("Our handling is rejected at audit"),
            cls.PLAN_SUBMITTED: _("A plan waits for my approval"),
            cls.PLAN_DECIDED: _("Our plan is approved or rejected"),
            cls.DEADLINE_WARNING: _("A deadline is near"),
            cls.BREACH: _("A deadline is missed"),
            cls.ESCALATION: _("A missed deadline is escalated to me"),
            cls.CASE_STEP: _("A step of a special or major case"),
            cls.MENTIONED: _("Someone mentions me in a note"),
            cls.CAPA: _("A corrective action of mine or for me to verify"),
            cls.REPORT_STEP: _("A report or bulletin waits for me, is decided or is due"),
            cls.BULLETIN: _("A bulletin names my unit"),
            cls.THRESHOLD_CROSSED: _("A key figure of my unit is past its control threshold"),
            cls.CUSTOMER_ANSWERED: _("The customer writes about a ticket we hold"),
        }


# Events that reach people during their quiet hours too: a missed deadline cannot wait.
URGENT_EVENTS = frozenset({StaffEvent.BREACH, StaffEvent.ESCALATION})
# Until a user chooses, every staff event arrives in-app only.
DEFAULT_CHANNELS = (MessageChannel.IN_APP,)
