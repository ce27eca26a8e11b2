"""The portal's pure rules: what customers may file, how their answers map onto the domain,
and what of a ticket they see — its state in customer words and the public steps of its
event log. No ORM (the facts come in as plain values), so the services, the selectors and
the tests share one definition."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.tickets.vocabulary import EventType, Kind, Satisfaction, State

PORTAL_USERNAME = "portal"
# What a customer may file (domain.md: complaints, and the inquiries, suggestions and fault
# reports of 002); a grievance is the centre's classification, a sales lead an internal one.
CUSTOMER_KINDS = (Kind.COMPLAINT, Kind.FAULT, Kind.INQUIRY, Kind.SUGGESTION)


class Rating:
    """The three answers a customer gives, and the satisfaction each is recorded as."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    TO_SATISFACTION = {
        SATISFIED: Satisfaction.SATISFIED,
        BASICALLY_SATISFIED: Satisfaction.NEUTRAL,
        DISSATISFIED: Satisfaction.DISSATISFIED,
    }

    @classmethod
    def choices(cls):
        return [(cls.SATISFIED, _("Satisfied")), (cls.BASICALLY_SATISFIED, _("Basically satisfied")),
                (cls.DISSATISFIED, _("Dissatisfied"))]


def rating_possible(*, state: str, reply_text: str, rated: bool) -> bool:
    """Once, after the reply: while the callback is due, or after the ticket closed."""
    return not rated and bool(reply_text) and state in (State.AWAITING_CALLBACK, State.CLOSED, State.ARCHIVED)


class PublicStatus:
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    WAITING_ON_YOU = "waiting_on_you"
    REPLIED = "replied"
    CLOSED = "closed"

    LABELS = {
        RECEIVED: _("Received, being checked"),
        IN_PROGRESS: _("Being handled"),
        WAITING_ON_YOU: _("Waiting for information from you"),
        REPLIED: _("Replied"),
        CLOSED: _("Closed"),
    }
    EXPLANATIONS = {
        RECEIVED: _("We have received your case and are checking it."),
        IN_PROGRESS: _("The department responsible is working on your case."),
        WAITING_ON_YOU: _("We need more information from you to go on. Please answer below."),
        REPLIED: _("We have replied. Please tell us whether you are satisfied."),
        CLOSED: _("Your case is closed. Thank you for telling us."),
    }


def public_status(state: str, waiting_on_customer: bool) -> str:
    if state in (State.CLOSED, State.ARCHIVED):
        return PublicStatus.CLOSED
    if waiting_on_customer:
        return PublicStatus.WAITING_ON_YOU
    if state == State.REGISTERED:
        return PublicStatus.RECEIVED
    if state == State.AWAITING_CALLBACK:
        return PublicStatus.REPLIED
    return PublicStatus.IN_PROGRESS


class Step:
    RECEIVED = "received"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    INFO_REQUESTED = "info_requested"
    INFO_SENT = "info_sent"
    FILE_SENT = "file_sent"
    REPLY = "reply"
    RATED = "rated"
    REOPENED = "reopened"
    CLOSED = "closed"

    LABELS = {
        RECEIVED: _("Received"),
        ACCEPTED: _("Accepted for handling"),
        IN_PROGRESS: _("Being handled"),
        INFO_REQUESTED: _("We asked you for more information"),
        INFO_SENT: _("Information received from you"),
        FILE_SENT: _("File received from you"),
        REPLY: _("Our reply"),
        RATED: _("Your evaluation received"),
        REOPENED: _("Handled again"),
        CLOSED: _("Closed"),
    }


@dataclass
class PublicStep:
    step: str
    at: dt.datetime
    text: str = ""

    @property
    def label(self):
        return Step.LABELS[self.step]

    # Formatted here: the template's date filter costs ~0.1 ms a call, and a timeline is long.
    @property
    def when(self) -> str:
        return timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M")

    @property
    def iso(self) -> str:
        return self.at.isoformat()


def public_timeline(events: list[dict]) -> list[PublicStep]:
    """Customer-visible steps from the event log (dicts: type, created_at, to_state, payload,
    by_portal). Only texts written FOR the customer are shown: the question asked of them,
    the reply, the polite answer to an invalid complaint; and what they sent themselves."""
    steps: list[PublicStep] = []

    def add(step, at, text=""):
        if step == Step.IN_PROGRESS and steps and steps[-1].step == Step.IN_PROGRESS:
            return  # dispatch, acknowledgement, transfer...: one "being handled" per round
        steps.append(PublicStep(step, at, text))

    for e in events:
        kind, at, payload = e["type"], e["created_at"], e["payload"] or {}
        if kind == EventType.REGISTERED:
            add(Step.RECEIVED, at)
        elif kind == EventType.REVIEWED_VALID:
            add(Step.ACCEPTED, at)
        elif kind in (EventType.DISPATCHED, EventType.ACKNOWLEDGED, EventType.TRANSFERRED):
            add(Step.IN_PROGRESS, at)
        elif kind == EventType.INFO_REQUESTED:
            add(Step.INFO_REQUESTED, at, str(payload.get("question", "")))
        elif kind == EventType.INFO_RECEIVED:
            add(Step.INFO_SENT, at, str(payload.get("answer", "")) if e["by_portal"] else "")
        elif kind == EventType.ATTACHMENT_ADDED and e["by_portal"]:
            add(Step.FILE_SENT, at, str(payload.get("name", "")))
        elif kind == EventType.REPLIED:
            add(Step.REPLY, at, str(payload.get("text", "")))
        elif kind in (EventType.RESOLVED_ON_SPOT, EventType.REVIEWED_INVALID):
            add(Step.REPLY, at, str(payload.get("answer", "")))
        elif kind == EventType.CALLED_BACK:
            add(Step.RATED if e["by_portal"] else Step.CLOSED if e["to_state"] == State.CLOSED else Step.REOPENED, at)
            if e["by_portal"] and e["to_state"] != State.CLOSED:
                add(Step.REOPENED, at)
        elif kind == EventType.REOPENED:
            add(Step.REOPENED, at)
        if e["to_state"] == State.CLOSED and kind != EventType.ATTACHMENT_ADDED and (
                not steps or steps[-1].step != Step.CLOSED):
            add(Step.CLOSED, at)
    return steps


