"""What the registration form shows before a ticket is registered (a read, no writes): the
matched phrases, the repeat it would be, and the special types to choose from."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from complaintdesk.customers.models import CustomerPhone
from complaintdesk.screening.models import SpecialType
from complaintdesk.screening.services.repeats import RepeatFinding, repeat_find
from complaintdesk.screening.services.rules import (
    PhraseMatch,
    repeat_rule_for,
    special_phrases_match,
    special_types,
)
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.selectors import visible_tickets


@dataclass(frozen=True)
class ScreeningPreview:
    phrases: list[PhraseMatch]
    repeat: RepeatFinding | None
    first_visible: bool  # may the viewer see the first ticket (its number is shown only then)
    window_days: int


def special_type_options() -> list[SpecialType]:
    return special_types()


def screening_preview(*, viewer, phone: str, kind: str, category: str, source_tier: str,
                      title: str, description: str) -> ScreeningPreview:
    """What registering would find, without writing anything: the same phrase match and the
    same repeat look-up as `ticket_register`. `phone` is normalised (or empty)."""
    phrases = special_phrases_match(title, description)
    finding, visible, window = None, False, 0
    rule = repeat_rule_for(kind) if kind else None
    node = Category.objects.filter(code=category, active=True).only("path").first() if category and phone else None
    if rule is not None and node is not None:
        customer_id = CustomerPhone.objects.filter(number=phone).values_list("customer_id", flat=True).first()
        if customer_id is not None:
            finding = repeat_find(customer_id=customer_id, category_path=node.path, steplen=Category.steplen,
                                  source_tier=source_tier or "direct", rule=rule, at=timezone.now())
            window = rule.window_days
    if finding is not None:
        visible = visible_tickets(viewer).filter(pk=finding.first_id).exists()
    return ScreeningPreview(phrases=phrases, repeat=finding, first_visible=visible, window_days=window)
