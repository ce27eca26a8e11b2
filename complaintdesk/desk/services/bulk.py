"""Bulk dispatch, urge and close from a worklist selection (issue 12 §5).

Each ticket goes through the one writer of state on its own (its own transaction, lock,
checks and event), exactly as if it had been acted on from its page; a ticket that cannot
take the action (state, role, scope, a field) is named with the reason and the others go
ahead. Two people acting on the same selection at once: the writer's row lock and state
check let each ticket move once; the second person's result lists it as refused."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import DomainError, ValidationFailed
from complaintdesk.desk.vocabulary import BulkAction
from complaintdesk.tickets.selectors import visible_tickets
from complaintdesk.tickets.services import transitions

BULK_MAX = 100


@dataclass
class BulkResult:
    action: BulkAction
    done: list[str] = field(default_factory=list)  # ticket numbers
    refused: list[tuple[str, str]] = field(default_factory=list)  # (number, reason)


def _reason(exc: DomainError) -> str:
    fields = [str(f.reason) for f in getattr(exc, "fields", None) or []]
    return " ".join(fields) if fields else str(exc.message)


def bulk_apply(*, actor, action: str, ticket_ids: list[int], department: str = "", org_unit: str = "",
               assignee: str = "", note: str = "", reason: str = "") -> BulkResult:
    try:
        chosen = BulkAction(action)
    except ValueError:
        raise ValidationFailed.on("action", _("Choose dispatch, urge or close."),
                                  "required" if not action else "invalid") from None
    ids = list(dict.fromkeys(int(i) for i in ticket_ids))
    if not ids:
        raise ValidationFailed.on("tickets", _("Select at least one ticket."), "required")
    if len(ids) > BULK_MAX:
        raise ValidationFailed.on("tickets", _("Select at most %(n)d tickets at once.") % {"n": BULK_MAX})
    if chosen == BulkAction.CLOSE and not (reason or "").strip():
        # Said once for the whole selection rather than once per ticket.
        raise ValidationFailed.on("reason", _("Say why the tickets are closed without a callback."), "required")
    # One query: the numbers of the selected tickets the actor may see (the rest: not found).
    numbers = dict(visible_tickets(actor).filter(pk__in=ids).values_list("pk", "number"))
    result = BulkResult(action=chosen)
    for pk in ids:
        number = numbers.get(pk)
        if number is None:
            result.refused.append((f"#{pk}", gettext("No such ticket.")))
            continue
        try:
            if chosen == BulkAction.DISPATCH:
                transitions.ticket_dispatch(ticket_id=pk, actor=actor, department=department,
                                            org_unit=org_unit, assignee=assignee, note=note)
            elif chosen == BulkAction.URGE:
                transitions.ticket_urge(ticket_id=pk, actor=actor, note=note)
            else:
                transitions.ticket_close(ticket_id=pk, actor=actor, reason=reason)
        except DomainError as exc:
            result.refused.append((number or f"#{pk}", _reason(exc)))
        else:
            result.done.append(number or f"#{pk}")
    return result
