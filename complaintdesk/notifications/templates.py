"""The message templates: a subject and a text per key, bilingual through gettext.

A producer names a template and gives its context (JSON values); the sender renders it in the
message's language when it sends. Each context key has a kind that says how its value is
written in that language:

    text      any value, as given (ticket numbers, names)
    int       a whole number
    datetime  an aware datetime (stored as ISO 8601), shown in local time "YYYY-MM-DD HH:MM"
    duration  a timedelta (stored as ISO 8601) or a number of seconds, shown as "2 h 30 min"
    clock     a ClockType value ("handle", "reply"...), shown as its label
    target    an EscalationTarget value ("supervisor", "dept_head"...), shown as its label
    tier      a SourceTier value ("direct", "12315"...), shown as its label
    event     a ticket EventType value ("dispatched", "handled"...), shown as its label

Pure Python: no ORM.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime, parse_duration
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaintdesk.notifications.vocabulary import MessageChannel, StaffEvent
from complaintdesk.sla.vocabulary import ClockType, EscalationTarget
from complaintdesk.tickets.vocabulary import EventType, SourceTier

STAFF = frozenset({MessageChannel.IN_APP, MessageChannel.EMAIL, MessageChannel.SMS})
CUSTOMER = frozenset({MessageChannel.SMS, MessageChannel.EMAIL})
KINDS = frozenset({"text", "int", "datetime", "duration", "clock", "target", "tier", "event"})


class RenderError(Exception):
    """The context does not fit the template; permanent: the message fails, no retry."""


@dataclass(frozen=True)
class MessageTemplate:
    key: str
    subject: str  # lazy gettext; python-format placeholders named after the context keys
    body: str
    fields: Mapping[str, str]  # context key → kind (see the module docstring)
    channels: frozenset
    # Staff templates: the event the user's notification settings are chosen by.
    event: StaffEvent | None = None

    def __post_init__(self):
        assert set(self.fields.values()) <= KINDS, self.fields


_CLOCK = {"ticket_number": "text", "clock": "clock", "due_at": "datetime"}
# What a workflow notification says: which ticket, its title, who acted, their note.
_STEP = {"ticket_number": "text", "title": "text", "actor": "text", "note": "text"}


def _staff(key, event, subject, body, fields=None) -> MessageTemplate:
    return MessageTemplate(key=key, subject=subject, body=body, fields=fields or _STEP,
                           channels=STAFF, event=event)


# Sent by tickets/services/notify.py when a workflow step concerns someone (issue: the
# messages must reach the people they concern, not only the outbox).
_WORKFLOW_TEMPLATES = [
    _staff("ticket_dispatched_in", StaffEvent.DISPATCHED_IN,
           gettext_lazy("Ticket %(ticket_number)s dispatched to you"),
           gettext_lazy("%(actor)s dispatched ticket %(ticket_number)s “%(title)s” to you. %(note)s")),
    _staff("ticket_transferred_in", StaffEvent.TRANSFERRED_IN,
           gettext_lazy("Ticket %(ticket_number)s transferred to you"),
           gettext_lazy("%(actor)s transferred ticket %(ticket_number)s “%(title)s” to you. "
                        "Reason: %(note)s")),
    _staff("ticket_returned", StaffEvent.RETURNED,
           gettext_lazy("Ticket %(ticket_number)s was returned"),
           gettext_lazy("%(actor)s returned ticket %(ticket_number)s “%(title)s” as wrongly "
                        "dispatched. Reason: %(note)s")),
    _staff("ticket_customer_answered", StaffEvent.CUSTOMER_ANSWERED,
           gettext_lazy("Ticket %(ticket_number)s: the customer wrote"),
           gettext_lazy("The customer wrote about ticket %(ticket_number)s “%(title)s”: %(note)s")),
    _staff("ticket_urged", StaffEvent.URGED,
           gettext_lazy("Ticket %(ticket_number)s is urged"),
           gettext_lazy("%(actor)s urges ticket %(ticket_number)s “%(title)s”. %(note)s")),
    # desk/: an @mention in an internal note (issue 12 §5).
    _staff("ticket_mentioned", StaffEvent.MENTIONED,
           gettext_lazy("%(actor)s mentioned you on ticket %(ticket_number)s"),
           gettext_lazy("%(actor)s mentioned you in a note on ticket %(ticket_number)s “%(title)s”: %(note)s")),
    _staff("ticket_supervised", StaffEvent.SUPERVISED,
           gettext_lazy("Ticket %(ticket_number)s is under supervision"),
           gettext_lazy("%(actor)s supervises ticket %(ticket_number)s “%(title)s”. %(note)s")),
    _staff("ticket_audit_rejected", StaffEvent.AUDIT_REJECTED,
           gettext_lazy("Ticket %(ticket_number)s: handling not accepted"),
           gettext_lazy("%(actor)s did not accept the handling of ticket %(ticket_number)s "
                        "“%(title)s”. %(note)s")),
    _staff("ticket_plan_submitted", StaffEvent.PLAN_SUBMITTED,
           gettext_lazy("Ticket %(ticket_number)s: a plan waits for your approval"),
           gettext_lazy("%(actor)s submitted a plan for ticket %(ticket_number)s “%(title)s”: "
                        "%(note)s")),
    _staff("ticket_plan_approved", StaffEvent.PLAN_DECIDED,
           gettext_lazy("Ticket %(ticket_number)s: plan approved"),
           gettext_lazy("%(actor)s approved the plan for ticket %(ticket_number)s “%(title)s”. "
                        "%(note)s")),
    _staff("ticket_plan_rejected", StaffEvent.PLAN_DECIDED,
           gettext_lazy("Ticket %(ticket_number)s: plan rejected"),
           gettext_lazy("%(actor)s rejected the plan for ticket %(ticket_number)s “%(title)s”. "
                        "%(note)s")),
    # 003: every step of a special (major) case is reported upward at once.
    _staff("special_case_step", StaffEvent.CASE_STEP,
           gettext_lazy("Special case %(ticket_number)s: %(step)s"),
           gettext_lazy("Special case %(ticket_number)s “%(title)s”: %(step)s by %(actor)s. "
                        "%(note)s"),
           {**_STEP, "step": "event"}),
    _staff("major_case_step", StaffEvent.CASE_STEP,
           gettext_lazy("Major case %(ticket_number)s: %(step)s"),
           gettext_lazy("Major case %(ticket_number)s “%(title)s”: %(step)s by %(actor)s. "
                        "%(note)s"),
           {**_STEP, "step": "event"}),
    # Sent by stats/services/thresholds.py: a unit's KPI is past its control threshold (管控阀值).
    _staff("kpi_threshold_crossed", StaffEvent.THRESHOLD_CROSSED,
           gettext_lazy("%(unit)s: %(kpi)s past its control threshold"),
           gettext_lazy("%(unit)s, %(period)s: %(kpi)s is %(value)s, past the control threshold of "
                        "%(threshold)s. The figures are on the statistics page."),
           {"unit": "text", "kpi": "text", "period": "text", "value": "text", "threshold": "text"}),
]

# Sent by capa/services (corrective and preventive actions).
_CAPA = {"number": "text", "title": "text", "actor": "text", "due_at": "datetime"}
_CAPA_TEMPLATES = [
    _staff("capa_assigned", StaffEvent.CAPA,
           gettext_lazy("Corrective action %(number)s is yours"),
           gettext_lazy("%(actor)s raised corrective action %(number)s “%(title)s” and made you its "
                        "owner; due by %(due_at)s."), _CAPA),
    _staff("capa_submitted", StaffEvent.CAPA,
           gettext_lazy("Corrective action %(number)s waits for verification"),
           gettext_lazy("%(actor)s submitted corrective action %(number)s “%(title)s” for the "
                        "verification of its effect (deadline %(due_at)s)."), _CAPA),
    _staff("capa_overdue", StaffEvent.CAPA,
           gettext_lazy("Corrective action %(number)s is overdue"),
           gettext_lazy("Corrective action %(number)s “%(title)s” (owner %(actor)s) was due by "
                        "%(due_at)s and is not closed."), _CAPA),
]

_REPORT = {"report": "text", "actor": "text", "note": "text"}
_REPORT_TEMPLATES = [
    _staff("report_submitted", StaffEvent.REPORT_STEP,
           gettext_lazy("Report %(report)s waits for your approval"),
           gettext_lazy("%(actor)s submitted the report %(report)s for your approval."), _REPORT),
    _staff("report_approved", StaffEvent.REPORT_STEP,
           gettext_lazy("Report %(report)s approved"),
           gettext_lazy("%(actor)s approved the report %(report)s: you may publish it."), _REPORT),
    _staff("report_returned", StaffEvent.REPORT_STEP,
           gettext_lazy("Report %(report)s returned to you"),
           gettext_lazy("%(actor)s returned the report %(report)s. Reason: %(note)s"), _REPORT),
    _staff("report_due", StaffEvent.REPORT_STEP,
           gettext_lazy("Report %(report)s is due on %(due)s"),
           gettext_lazy("The report %(report)s is due on %(due)s and is not published yet. %(note)s"),
           {**_REPORT, "due": "text"}),
    _staff("bulletin_submitted", StaffEvent.REPORT_STEP,
           gettext_lazy("Bulletin %(report)s waits for your approval"),
           gettext_lazy("%(actor)s submitted the bulletin %(report)s for your approval."), _REPORT),
    _staff("bulletin_approved", StaffEvent.REPORT_STEP,
           gettext_lazy("Bulletin %(report)s approved"),
           gettext_lazy("%(actor)s approved the bulletin %(report)s: you may publish it."), _REPORT),
    _staff("bulletin_returned", StaffEvent.REPORT_STEP,
           gettext_lazy("Bulletin %(report)s returned to you"),
           gettext_lazy("%(actor)s returned the bulletin %(report)s. Reason: %(note)s"), _REPORT),
    _staff("bulletin_published", StaffEvent.BULLETIN,
           gettext_lazy("Bulletin: %(report)s"),
           gettext_lazy("A bulletin names your unit: %(report)s, with %(lines)s line(s) and the tickets behind "
                        "them. %(note)s"),
           {**_REPORT, "lines": "int"}),
]

TEMPLATES: dict[str, MessageTemplate] = {
    t.key: t
    for t in [
        # To the assignee (or the department holding the ticket) before a clock runs out.
        MessageTemplate(
            key="clock_warning",
            subject=gettext_lazy("Ticket %(ticket_number)s: %(clock)s due soon"),
            body=gettext_lazy(
                "Ticket %(ticket_number)s — %(clock)s: due at %(due_at)s, %(time_left)s left."
            ),
            fields={**_CLOCK, "time_left": "duration"},
            channels=STAFF,
            event=StaffEvent.DEADLINE_WARNING,
        ),
        # To the supervisor when a clock has run out.
        MessageTemplate(
            key="clock_breached",
            subject=gettext_lazy("Ticket %(ticket_number)s is overdue: %(clock)s"),
            body=gettext_lazy(
                "Ticket %(ticket_number)s — %(clock)s: was due at %(due_at)s, overdue by "
                "%(overdue)s."
            ),
            fields={**_CLOCK, "overdue": "duration"},
            channels=STAFF,
            event=StaffEvent.BREACH,
        ),
        # To the people of an escalation level (department head, leader...).
        MessageTemplate(
            key="escalated",
            subject=gettext_lazy("Ticket %(ticket_number)s escalated to level %(level)s"),
            body=gettext_lazy(
                "Ticket %(ticket_number)s has been escalated to level %(level)s (%(target)s). "
                "%(clock)s: was due at %(due_at)s, overdue by %(overdue)s."
            ),
            fields={**_CLOCK, "level": "int", "target": "target", "overdue": "duration"},
            channels=STAFF,
            event=StaffEvent.ESCALATION,
        ),
        *_WORKFLOW_TEMPLATES,
        *_CAPA_TEMPLATES,
        # To the owner (first-contact responsibility) of the first ticket of a repeat chain.
        MessageTemplate(
            key="repeat_registered",
            subject=gettext_lazy("Repeat complaint %(ticket_number)s on your ticket %(first_number)s"),
            body=gettext_lazy(
                "The customer of ticket %(first_number)s has complained again about the same "
                "matter: ticket %(ticket_number)s (%(tier)s) is linked to it."
            ),
            fields={"ticket_number": "text", "first_number": "text", "tier": "tier"},
            channels=STAFF,
            event=StaffEvent.CASE_STEP,
        ),
        # To the supervisors in scope when a customer went over the company's head.
        MessageTemplate(
            key="over_the_head_registered",
            subject=gettext_lazy("Over-the-head complaint %(ticket_number)s (%(tier)s)"),
            body=gettext_lazy(
                "Ticket %(ticket_number)s came from %(tier)s although the customer had already "
                "complained directly (ticket %(first_number)s). It is in the complaint ledger."
            ),
            fields={"ticket_number": "text", "first_number": "text", "tier": "tier"},
            channels=STAFF,
            event=StaffEvent.CASE_STEP,
        ),
        # Reports and bulletins (monthly/, bulletins/): the approver, the owner, the units named.
        *_REPORT_TEMPLATES,
        # To the customer once the ticket is registered.
        MessageTemplate(
            key="customer_ticket_received",
            subject=gettext_lazy("We have registered your case %(ticket_number)s"),
            body=gettext_lazy(
                "We have registered your case. Ticket number: %(ticket_number)s. Please quote "
                "it whenever you contact us."
            ),
            fields={"ticket_number": "text"},
            channels=CUSTOMER,
        ),
        # To the customer when the result has been given.
        MessageTemplate(
            key="customer_reply",
            subject=gettext_lazy("Your case %(ticket_number)s has been handled"),
            body=gettext_lazy(
                "Your case %(ticket_number)s has been handled and we have told you the result. "
                "If you are not satisfied, contact us and quote the ticket number."
            ),
            fields={"ticket_number": "text"},
            channels=CUSTOMER,
        ),
        # To a customer who wrote by e-mail (mail/): the reply itself, in their thread.
        MessageTemplate(
            key="customer_mail_reply",
            subject=gettext_lazy("Re: %(subject)s [case %(ticket_number)s]"),
            body=gettext_lazy(
                "%(text)s\n\nCase %(ticket_number)s. If you are not satisfied, answer this "
                "e-mail and keep the case number in the subject."
            ),
            fields={"ticket_number": "text", "text": "text", "subject": "text"},
            channels=CUSTOMER,
        ),
        # To a customer who wrote by e-mail: a question about their case; the answer by
        # e-mail resumes the ticket's deadlines.
        MessageTemplate(
            key="customer_info_request",
            subject=gettext_lazy("Re: %(subject)s [case %(ticket_number)s]: we need more information"),
            body=gettext_lazy(
                "To handle your case %(ticket_number)s we need more information:\n\n%(text)s\n\n"
                "Please answer this e-mail; keep the case number in the subject."
            ),
            fields={"ticket_number": "text", "text": "text", "subject": "text"},
            channels=CUSTOMER,
        ),
    ]
}


def get_template(key: str) -> MessageTemplate | None:
    return TEMPLATES.get(key)


def render(*, template: str, context: Mapping, language: str) -> tuple[str, str]:
    """(subject, text) in `language`. Raises RenderError, with a message in the active
    language, for an unknown template, missing context keys or values of the wrong kind."""
    spec = TEMPLATES.get(template)
    if spec is None:
        raise RenderError(_("Unknown message template “%(template)s”.") % {"template": template})
    if not isinstance(context, Mapping):
        raise RenderError(_("The message context is not an object."))
    missing = sorted(k for k in spec.fields if k not in context)
    if missing:
        raise RenderError(
            _("Template “%(template)s” needs the context keys: %(keys)s.")
            % {"template": template, "keys": ", ".join(missing)}
        )
    # Errors are worded in the active language (the sender's), the message in its own.
    try:
        with translation.override(language):
            values = {key: _format(key, kind, context[key]) for key, kind in spec.fields.items()}
            return str(spec.subject) % values, str(spec.body) % values
    except _WrongValue as exc:
        raise RenderError(
            _("Context key “%(key)s” must be %(expected)s, not %(value)s.")
            % {"key": exc.key, "expected": _EXPECTED[exc.kind], "value": repr(exc.value)[:100]}
        ) from None
    except (KeyError, ValueError, TypeError) as exc:
        # A translation whose placeholders differ from the template's.
        raise RenderError(
            _("Template “%(template)s” could not be filled in: %(error)s")
            % {"template": template, "error": exc}
        ) from None


class _WrongValue(Exception):
    def __init__(self, key, kind, value):
        super().__init__(key)
        self.key, self.kind, self.value = key, kind, value


_EXPECTED = {
    "int": gettext_lazy("a whole number"),
    "datetime": gettext_lazy("a date and time with its time zone"),
    "duration": gettext_lazy("a duration"),
}


def _format(key: str, kind: str, value) -> str:
    if kind == "text":
        return "" if value is None else str(value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise _WrongValue(key, kind, value)
        try:
            return str(int(value))
        except ValueError:
            raise _WrongValue(key, kind, value) from None
    if kind == "datetime":
        moment = value if isinstance(value, dt.datetime) else _parse(parse_datetime, value)
        if moment is None or timezone.is_naive(moment):
            raise _WrongValue(key, kind, value)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    if kind == "duration":
        if isinstance(value, dt.timedelta):
            seconds = value.total_seconds()
        elif isinstance(value, int | float) and not isinstance(value, bool):
            seconds = float(value)
        else:
            length = _parse(parse_duration, value)
            if length is None:
                raise _WrongValue(key, kind, value)
            seconds = length.total_seconds()
        return format_duration(seconds)
    if kind == "clock":
        return _label(ClockType, value)
    if kind == "target":
        return _label(EscalationTarget, value)
    if kind == "tier":
        return _label(SourceTier, value)
    if kind == "event":
        return _label(EventType, value)
    raise AssertionError(kind)


def _parse(parser, value):
    if not isinstance(value, str):
        return None
    try:
        return parser(value)
    except ValueError:
        return None


def _label(enum, value) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value)


def format_duration(seconds: float) -> str:
    """'2 d 3 h', '3 h 5 min', '12 min' in the active language; the sign is dropped (the
    template says whether it is time left or time overdue)."""
    minutes = round(abs(seconds) / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}
