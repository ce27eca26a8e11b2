"""Intake for many tickets at once (file imports, issue 10 §1): the checks of
`ticket_register` without its writes, for a dry run that must say exactly which rows would be
refused and why. Kept apart from intake.py, which is the one path every ticket is written by."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import FieldError, ValidationFailed
from complaintdesk.taxonomy.models import Category
from complaintdesk.taxonomy.selectors import category_chain, effective_elements
from complaintdesk.tickets.services import intake
from complaintdesk.tickets.services.intake import TicketDraft


def ticket_draft_check(*, actor, draft: TicketDraft, incomplete_ok: bool = False) -> list[FieldError]:
    """The problems `ticket_register` would refuse this draft for (empty: it would register).
    The same validation function, so a dry run and the import never disagree on a row."""
    try:
        clean = intake._validate(draft, actor, incomplete_ok)  # noqa: SLF001 - the one validation
    except ValidationFailed as exc:
        return list(exc.fields)
    if clean["org_unit"] is None and actor.org_unit_id is None:
        # _create's last check (the customer's org unit is not known before it is created).
        return [FieldError("org_unit", _("Name the org unit that owns this ticket."), "required")]
    return []


def missing_elements(*, category_code: str, elements: dict) -> list[str]:
    """The required elements of the category that the draft leaves empty (what a row
    registered incomplete is flagged for)."""
    category = Category.objects.filter(code=category_code, active=True).first()
    if category is None:
        return []
    return [e.key for e in effective_elements(category_chain(category))
            if e.required and (elements.get(e.key) is None or str(elements.get(e.key)).strip() == "")]
