"""The reminder job's work (003: 每月28日前上报): for each unit's report owner, once the period
has ended the draft is generated (owner: them), and from two working days before the due
date until it the owner is reminded while the report is not published. Idempotent: the
draft is unique per unit, kind and period, and the reminder's dedupe key is per owner and
period, so running it every hour, or on two workers, tells each owner once."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.monthly import workflow
from complaintdesk.monthly.models import Report, ReportOwner
from complaintdesk.monthly.services.lifecycle import _title, report_generate
from complaintdesk.monthly.vocabulary import DocState
from complaintdesk.notifications.services import staff_notify_many
from complaintdesk.sla.services.calendars import calendar_for_unit

log = logging.getLogger(__name__)


def _candidates(kind: str, today: dt.date) -> list[workflow.Period]:
    """The periods whose due date is today or later and whose reminder may be due: the last
    one that ended and the one running now."""
    finished = workflow.last_finished_period(kind, today)
    current = workflow.period_for(kind, today)
    return [p for p in {finished, current} if p.due >= today]


def report_reminders_run(*, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    generated = reminded = 0
    for row in ReportOwner.objects.filter(active=True).select_related("org_unit", "owner"):
        if not row.owner.is_active:
            continue
        for period in _candidates(row.kind, today):
            report = None
            if period.end < today:
                report, created = report_generate(actor=None, kind=row.kind, org_unit=row.org_unit, period=period,
                                                  owner=row.owner, now=now)
                generated += created
            else:
                report = Report.objects.filter(kind=row.kind, org_unit=row.org_unit,
                                               period_start=period.start).first()
            day, missing = workflow.reminder_day(calendar_for_unit(row.org_unit_id).calendar, period.due)
            if not (day <= today <= period.due) or (report is not None and report.state == DocState.PUBLISHED):
                continue
            note = str(_("The working calendar is missing before the due date: the reminder counted calendar "
                         "days instead of working days.")) if missing else ""
            context = {"report": report and _title(report) or f"{row.org_unit.name} {period.start}–{period.end}",
                       "actor": "", "note": note, "due": period.due.isoformat()}
            if report is not None:
                context["report_id"] = report.pk
            reminded += staff_notify_many([{
                "dedupe_key": f"report_due:{row.kind}:{row.org_unit_id}:{period.start}:{row.owner_id}",
                "template": "report_due", "recipient_user": row.owner, "context": context}])
            if missing:
                log.warning("report reminder for unit %s: calendar missing before %s", row.org_unit_id, period.due)
    return {"generated": generated, "reminded": reminded}
