"""Special cases (003 特殊案件; 000 特殊投诉客户): who signs off the plan and the one-working-day
history check. The upward report of every step is tickets/services/notify.py's (special and
major cases)."""

from __future__ import annotations

import datetime as dt

from complaintdesk.org.models import OrgUnit
from complaintdesk.screening.models import SpecialCaseLeader
from complaintdesk.screening.services.repeats import ancestor_paths
from complaintdesk.sla.calendar import Duration, Unit, deadline
from complaintdesk.sla.services.calendars import calendar_for_unit

HISTORY_WITHIN = Duration(1, Unit.WORKING_DAYS)


def special_leader_id(*, org_unit_id: int) -> int | None:
    """The leader named for the nearest unit up the tree (the ticket's own first); None when
    no unit names one (then any leader in scope signs, as for other plans)."""
    path = OrgUnit.objects.filter(pk=org_unit_id).values_list("path", flat=True).first()
    if path is None:
        return None
    rows = dict(SpecialCaseLeader.objects.filter(org_unit__path__in=ancestor_paths(path), leader__is_active=True)
                .values_list("org_unit__path", "leader_id"))
    for unit_path in reversed(ancestor_paths(path)):
        if unit_path in rows:
            return rows[unit_path]
    return None


def history_due_at(*, org_unit_id: int, registered_at: dt.datetime) -> dt.datetime | None:
    """One working day after registration on the org unit's calendar (cached, no query once
    built); None when the calendar does not cover that year."""
    info = calendar_for_unit(org_unit_id)
    return deadline(info.calendar, registered_at, HISTORY_WITHIN).at
