"""What choosing a regulator at registration would give, before anything is registered: the
deadline counted on the org unit's calendar, the admissibility hints, the regulator's own
steps. Read-only; the registration decides again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from complaintdesk.core.errors import FieldError
from complaintdesk.org.models import OrgUnit
from complaintdesk.regulators.models import RegulatorDeadline
from complaintdesk.regulators.services.transfers import TransferPlan, plan_rule, transfer_clean
from complaintdesk.regulators.vocabulary import Party
from complaintdesk.sla.services.clocks import own_schedule


@dataclass(frozen=True)
class Preview:
    plan: TransferPlan | None
    due_at: dt.datetime | None = None
    calendar_missing: bool = False
    start: dt.datetime | None = None
    stated: bool = False
    errors: list = field(default_factory=list)
    steps: list = field(default_factory=list)


def transfer_preview(*, viewer, regulator: str, matter: str, urgency: str, transferred_at: dt.datetime | None,
                     matter_date: dt.date | None, stated_due: dt.datetime | None, org_unit: str) -> Preview:
    now = timezone.now()
    errors: list[FieldError] = []
    plan = transfer_clean(regulator=regulator, matter=matter, urgency=urgency, transferred_at=transferred_at,
                          matter_date=matter_date, tier="", now=now, errors=errors)
    if plan is None:
        return Preview(plan=None, errors=errors)
    unit_id = OrgUnit.objects.filter(code=org_unit).values_list("pk", flat=True).first() if org_unit else None
    start = plan.transferred_at or now
    if stated_due is not None and timezone.is_naive(stated_due):
        stated_due = timezone.make_aware(stated_due)
    plan_schedule = own_schedule(org_unit_id=unit_id or viewer.org_unit_id,
                                 own=plan_rule(plan, start=start, stated_due=stated_due))
    steps = list(RegulatorDeadline.objects.filter(profile=plan.profile, party=Party.REGULATOR).order_by("amount"))
    return Preview(plan=plan, due_at=plan_schedule.due, calendar_missing=plan_schedule.calendar_missing,
                   start=start, stated=stated_due is not None, errors=errors, steps=steps)
