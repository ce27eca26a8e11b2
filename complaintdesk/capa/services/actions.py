"""The only writers of corrective and preventive actions: raising one, and one function per
step of capa/workflow.py.

Each call is one transaction: the action's row locked (`SELECT … FOR UPDATE`; on SQLite the
transaction is BEGIN IMMEDIATE), visibility → NotFound, a stale `version` → Conflict, the
pure table → Conflict (state) or Forbidden (who), the step's own fields, `version + 1`, one
ActionEvent, and the messages to the people it concerns in the same transaction (the outbox
rolls back with it).

Deadlines are on the working calendar (sla/calendar.py) of the owner's department, else of
the action's org unit: a number of working days from now, or a chosen working day (the
deadline is the end of that day's working hours). A year the calendar does not know is
refused with its reason, never counted as ordinary weekdays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.models import User
from complaintdesk.accounts.roles import Role
from complaintdesk.capa import workflow
from complaintdesk.capa.facts import facts_of
from complaintdesk.capa.models import ActionEvent, CorrectiveAction
from complaintdesk.capa.vocabulary import (
    ActionEventType,
    ActionKind,
    ActionSource,
    Step,
)
from complaintdesk.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from complaintdesk.notifications.services import staff_notify_many
from complaintdesk.sla.calendar import Duration, Unit, deadline
from complaintdesk.sla.services.calendars import (
    CalendarInfo,
    calendar_for_department,
    calendar_for_unit,
)
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.facts import actor_facts
from complaintdesk.tickets.models import Ticket
from complaintdesk.tickets.selectors import visible_tickets
from complaintdesk.tickets.services.events import event_append
from complaintdesk.tickets.vocabulary import EventType

MAX_WORKING_DAYS = 250
TITLE_LIMIT = 200
TEXT_LIMIT = 5000

REFUSALS = {
    "not_owner": _("Only the owner of the action or the head of the owner's department may do this."),
    "not_verifier": _("Only a supervisor, leader or administrator over this action's org unit may do this."),
    "own_action": _("You own this action: someone else verifies its effect and closes it."),
    "not_manager": _("Only whoever raised the action, or a supervisor, leader or administrator over it, may cancel it."),
}


def _text(value, field: str, *, required=None, limit=TEXT_LIMIT) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationFailed.on(field, _("Text must not contain NUL characters."))
    if required and not text:
        raise ValidationFailed.on(field, required, "required")
    if len(text) > limit:
        raise ValidationFailed.on(field, _("At most %(n)d characters.") % {"n": limit})
    return text


def _missing_calendar(field: str, years) -> ValidationFailed:
    return ValidationFailed.on(field, _(
        "The working calendar does not cover %(years)s yet: an administrator must enter that year "
        "before a deadline can be counted in working days.") % {"years": ", ".join(str(y) for y in years)},
        "calendar_missing")


def action_deadline(*, info: CalendarInfo, at: dt.datetime, working_days: int | None = None,
                    due_date: dt.date | None = None) -> dt.datetime:
    """The deadline: `working_days` from `at`, or the end of the working day `due_date`."""
    if (working_days is None) == (due_date is None):
        raise ValidationFailed(_("Give either a number of working days or a date."), fields=[
            FieldError("working_days", _("Give either a number of working days or a date."), "required"),
            FieldError("due_date", _("Give either a number of working days or a date."), "required")])
    calendar = info.calendar
    if working_days is not None:
        if isinstance(working_days, bool) or not 1 <= int(working_days) <= MAX_WORKING_DAYS:
            raise ValidationFailed.on("working_days", _("Between 1 and %(n)d working days.") % {"n": MAX_WORKING_DAYS})
        result = deadline(calendar, at, Duration(int(working_days), Unit.WORKING_DAYS))
        if result.at is None:
            raise _missing_calendar("working_days", result.missing_years)
        return result.at
    today = at.astimezone(calendar.tz).date()
    if due_date <= today:
        raise ValidationFailed.on("due_date", _("The deadline must be a day after today."))
    if due_date > today + dt.timedelta(days=730):
        raise ValidationFailed.on("due_date", _("The deadline must be within two years."))
    if info.always_open:
        return dt.datetime.combine(due_date + dt.timedelta(days=1), dt.time(0), tzinfo=calendar.tz)
    start = dt.datetime.combine(due_date, dt.time(0), tzinfo=calendar.tz)
    result = deadline(calendar, start, Duration(0, Unit.WORKING_DAYS))
    if result.at is None:
        raise _missing_calendar("due_date", result.missing_years)
    if result.at.astimezone(calendar.tz).date() != due_date:
        raise ValidationFailed.on("due_date", _(
            "%(date)s is not a working day on the calendar %(calendar)s; the next one is %(next)s.") % {
            "date": due_date.isoformat(), "calendar": info.name,
            "next": result.at.astimezone(calendar.tz).date().isoformat()})
    return result.at


def action_message(action: CorrectiveAction, template: str, recipients, actor_name: str, key: str) -> list[dict]:
    context = {"number": action.number, "title": action.title, "actor": actor_name,
               "due_at": action.due_at.isoformat()}
    return [{"recipient_user": user, "template": template, "context": context,
             "dedupe_key": f"capa:{action.pk}:{key}:{user.pk}"} for user in recipients]


def action_raise(*, actor, kind: str, title: str, description: str, owner: str,
                 working_days: int | None = None, due_date: dt.date | None = None,
                 ticket_id: int | None = None, category: str = "", source_note: str = "",
                 at: dt.datetime | None = None) -> CorrectiveAction:
    """Raise a corrective or preventive action from a ticket (`ticket_id`), a category trend
    (`category`, the trend named in `source_note`) or a report (`source_note` names it).
    `owner`: the username of the active staff account who carries it out."""
    at = at or timezone.now()
    who = actor_facts(actor)
    if not workflow.may_raise(who.role):
        raise Forbidden(_("Your role may not raise corrective actions."), code="refused_role")
    errors: list[FieldError] = []
    try:
        kind = ActionKind(kind)
    except ValueError:
        errors.append(FieldError("kind", _("Choose corrective or preventive."), "required" if not kind else "invalid"))
    title = _text(title, "title", required=_("Give the action a title."), limit=TITLE_LIMIT)
    description = _text(description, "description", required=_("Describe what is to be done."))
    source_note = _text(source_note, "source_note", limit=200)
    owner_row = (User.objects.select_related("department").filter(username=(owner or "").strip(), is_active=True)
                 .first() if owner else None)
    if owner_row is None:
        errors.append(FieldError("owner", _("No active staff account has this name."), "required" if not owner else "invalid"))
    elif who.role == Role.DEPT_HEAD and owner_row.department_id != who.department_id:
        errors.append(FieldError("owner", _("A department head gives actions to the staff of their own department.")))
    ticket = category_row = None
    if ticket_id is not None:
        ticket = visible_tickets(actor).select_related("org_unit", "category").filter(pk=ticket_id).first()
        if ticket is None:
            errors.append(FieldError("ticket", _("No such ticket.")))
    if category:
        category_row = Category.objects.filter(code=category).first()
        if category_row is None:
            errors.append(FieldError("category", _("No category has this code.")))
    if ticket_id is None and not category and not source_note:
        errors.append(FieldError("source_note", _("Name the report or trend the action comes from."), "required"))
    if errors:
        raise ValidationFailed(_("Check the fields named."), fields=errors)
    if ticket is not None:
        source, org_unit = ActionSource.TICKET, ticket.org_unit
    else:
        source = ActionSource.CATEGORY_TREND if category_row is not None else ActionSource.REPORT
        org_unit = actor.org_unit or (owner_row.org_unit if owner_row.org_unit_id else None)
        if org_unit is None:
            raise ValidationFailed.on("owner", _("Neither you nor the owner belongs to an org unit."))
    info = calendar_for_department(owner_row.department_id) or calendar_for_unit(org_unit.pk)
    due_at = action_deadline(info=info, at=at, working_days=working_days, due_date=due_date)
    with transaction.atomic():
        if ticket is not None:
            # The ticket's event joins its hash chain: its row lock orders the appends.
            Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket.pk).first()
        action = CorrectiveAction.objects.create(
            kind=kind, source=source, source_note=source_note, title=title, description=description,
            org_unit=org_unit, owner=owner_row, owner_department=owner_row.department, raised_by=actor,
            raised_at=at, due_at=due_at, updated_at=at,
        )
        categories = [c for c in (category_row, ticket.category if ticket is not None else None) if c is not None]
        if categories:
            action.categories.add(*{c.pk for c in categories})
        if ticket is not None:
            action.tickets.add(ticket)
            event_append(ticket=ticket, type=EventType.CAPA_RAISED, actor=actor, at=at,
                         from_state=ticket.state, to_state=ticket.state,
                         payload={"capa": action.number, "title": title})
        ActionEvent.objects.create(
            action=action, type=ActionEventType.RAISED, actor=actor, created_at=at, to_state=action.state,
            payload={"kind": kind, "source": source, "source_note": source_note, "title": title,
                     "owner": owner_row.username, "due_at": due_at.isoformat(),
                     "ticket": ticket.number if ticket is not None else None,
                     "categories": [c.code for c in categories]})
        if owner_row.pk != actor.pk:
            staff_notify_many(action_message(action, "capa_assigned", [owner_row], str(actor), "assigned"))
    return action


def action_link_ticket(*, action_id: int, actor, ticket_number: str, expected_version: int | None = None,
                       at: dt.datetime | None = None) -> CorrectiveAction:
    """Link one more ticket (another case of the same matter) to an open action: by the
    owner, whoever raised it or a verifier; the ticket gets a `capa_raised` event too."""
    at = at or timezone.now()
    number = (ticket_number or "").strip()
    ticket = visible_tickets(actor).filter(number=number).first() if number else None
    if ticket is None:
        raise ValidationFailed.on("ticket", _("No such ticket."), "required" if not number else "invalid")
    with transaction.atomic():
        action = _locked(action_id, actor, expected_version)
        who, facts = actor_facts(actor), facts_of(action)
        if not workflow.is_open(facts.state) or not (
                workflow.is_owner(who, facts) or workflow.is_verifier(who, facts) or actor.pk == action.raised_by_id):
            raise Forbidden(_("You may not link tickets to this action now."), code="refused_link")
        if action.tickets.filter(pk=ticket.pk).exists():
            raise ValidationFailed.on("ticket", _("This ticket is already linked."))
        Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket.pk).first()
        action.tickets.add(ticket)
        action.version += 1
        action.updated_at = at
        action.save(update_fields=["version", "updated_at"])
        event_append(ticket=ticket, type=EventType.CAPA_RAISED, actor=actor, at=at,
                     from_state=ticket.state, to_state=ticket.state,
                     payload={"capa": action.number, "title": action.title, "linked": True})
        ActionEvent.objects.create(action=action, type=ActionEventType.TICKET_LINKED, actor=actor, created_at=at,
                                   from_state=action.state, to_state=action.state,
                                   payload={"linked_ticket": ticket.number})
    return action


def _locked(action_id: int, actor, expected_version: int | None) -> CorrectiveAction:
    action = (CorrectiveAction.objects.select_for_update(of=("self",)).select_related("org_unit")
              .filter(pk=action_id).first())
    if action is None or not workflow.may_view(actor_facts(actor), facts_of(action)):
        raise NotFound(_("No such corrective action."))
    if expected_version is not None and expected_version != action.version:
        raise Conflict(
            _("Someone else changed this action after you opened it (version %(yours)d, now %(now)d). "
              "Reload it to see its current state.") % {"yours": expected_version, "now": action.version},
            code="version_conflict", extra={"state": action.state, "version": action.version})
    return action


def _step(*, action_id: int, actor, step: Step, expected_version: int | None, payload: dict,
          apply: Callable[[CorrectiveAction, dt.datetime], set[str]] | None = None,
          notify: Callable[[CorrectiveAction], list[dict]] | None = None,
          at: dt.datetime | None = None) -> CorrectiveAction:
    at = at or timezone.now()
    with transaction.atomic():
        action = _locked(action_id, actor, expected_version)
        facts = facts_of(action)
        refusal = workflow.check(actor_facts(actor), facts, step)
        if refusal is not None:
            if refusal.code == "not_in_state":
                raise Conflict(
                    _("This action is now “%(state)s”: “%(step)s” is no longer possible. Reload it to see "
                      "its current state.") % {"state": facts.state.label, "step": step.label},
                    code="state_conflict", extra={"state": action.state, "version": action.version})
            raise Forbidden(REFUSALS.get(refusal.code, _("You may not do this now.")), code=f"refused_{refusal.code}")
        move = workflow.TABLE[facts.state][step]
        fields = apply(action, at) if apply is not None else set()
        from_state = action.state
        action.state = move.target
        action.version += 1
        action.updated_at = at
        action.save(update_fields=sorted(fields | {"state", "version", "updated_at"}))
        ActionEvent.objects.create(action=action, type=move.event, actor=actor, created_at=at,
                                   from_state=from_state, to_state=move.target, payload=payload)
        if notify is not None:
            staff_notify_many(notify(action))
    return action


def action_note_progress(*, action_id: int, actor, text: str, expected_version: int | None = None,
                         at: dt.datetime | None = None) -> CorrectiveAction:
    """A progress note by the owner; the first one starts the action."""
    text = _text(text, "text", required=_("Write the progress made."))
    return _step(action_id=action_id, actor=actor, step=Step.NOTE_PROGRESS, expected_version=expected_version,
                 payload={"text": text}, at=at)


def action_submit(*, action_id: int, actor, text: str, expected_version: int | None = None,
                  at: dt.datetime | None = None) -> CorrectiveAction:
    """The owner says the work is done and what was done; a verifier judges its effect."""
    text = _text(text, "text", required=_("Say what was done."))

    def apply(action, at):
        action.submitted_at = at
        return {"submitted_at"}

    def notify(action):
        # Whoever raised it, and the supervisors of the action's own org unit, verify it.
        people = User.objects.filter(is_active=True, role=Role.SUPERVISOR, org_unit_id=action.org_unit_id)
        recipients = {u.pk: u for u in people}
        if action.raised_by_id:
            recipients.setdefault(action.raised_by_id, action.raised_by)
        recipients.pop(actor.pk, None)
        recipients.pop(action.owner_id, None)
        return action_message(action, "capa_submitted", recipients.values(), str(actor), f"submitted:{action.version}")

    return _step(action_id=action_id, actor=actor, step=Step.SUBMIT, expected_version=expected_version,
                 payload={"text": text}, apply=apply, notify=notify, at=at)


def action_verify(*, action_id: int, actor, effective: bool, note: str = "", expected_version: int | None = None,
                  at: dt.datetime | None = None) -> CorrectiveAction:
    """Verification of effect (效果验证): effective → awaiting closure; not effective → back to
    the owner with the reason."""
    if effective:
        note = _text(note, "note", required=_("Say how the effect was checked."))
    else:
        note = _text(note, "note", required=_("Say why the action did not work."))

    def apply(action, at):
        action.verified_at, action.verified_by, action.effective = at, actor, effective
        fields = {"verified_at", "verified_by", "effective"}
        if effective:
            action.completed_at = action.submitted_at
            fields.add("completed_at")
        return fields

    return _step(action_id=action_id, actor=actor,
                 step=Step.VERIFY_EFFECTIVE if effective else Step.VERIFY_INEFFECTIVE,
                 expected_version=expected_version, payload={"note": note, "effective": effective},
                 apply=apply, at=at)


def action_close(*, action_id: int, actor, note: str = "", expected_version: int | None = None,
                 at: dt.datetime | None = None) -> CorrectiveAction:
    note = _text(note, "note")

    def apply(action, at):
        action.closed_at = at
        action.closed_on_time = action.completed_at is not None and action.completed_at <= action.due_at
        return {"closed_at", "closed_on_time"}

    return _step(action_id=action_id, actor=actor, step=Step.CLOSE, expected_version=expected_version,
                 payload={"note": note}, apply=apply, at=at)


def action_cancel(*, action_id: int, actor, reason: str, expected_version: int | None = None,
                  at: dt.datetime | None = None) -> CorrectiveAction:
    reason = _text(reason, "reason", required=_("Say why the action is cancelled."))

    def apply(action, at):
        action.cancelled_at = at
        return {"cancelled_at"}

    return _step(action_id=action_id, actor=actor, step=Step.CANCEL, expected_version=expected_version,
                 payload={"reason": reason}, apply=apply, at=at)
