"""Control thresholds (管控阀值): each active threshold's KPI is computed over the current
report month for its org unit's subtree; a figure past it is told to the unit's heads (its
leaders, else its supervisors) once per threshold and month — the `ThresholdAlert` unique
key decides, so two workers or two runs never tell twice."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation

from complaintdesk.accounts.models import User
from complaintdesk.accounts.roles import Role
from complaintdesk.notifications.services import staff_notify_many
from complaintdesk.org.models import OrgUnit
from complaintdesk.stats import kpis
from complaintdesk.stats.models import ControlThreshold, CustomerBase, DailyCount, ThresholdAlert
from complaintdesk.stats.vocabulary import MEASURES, BaseKind


def _report_month(today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1) if today.day >= 26 else today.replace(day=1)
    first = (month - dt.timedelta(days=1)).replace(day=26)
    return month, first, month.replace(day=25)


def _value(threshold: ControlThreshold, unit: OrgUnit, first: dt.date, last: dt.date, month: dt.date):
    sub = Q(org_unit__path__startswith=unit.path)
    rows = DailyCount.objects.filter(sub, day__gte=first, day__lte=last)
    kpi = kpis.KPI_BY_CODE.get(threshold.kpi)
    if kpi is not None:
        totals = {k: v or 0 for k, v in rows.aggregate(**{m: Sum(m) for m in MEASURES}).items()}
        v = kpi.compute(totals)
        if v.value is None:
            return None, kpi.label
        return (v.value * 100 if kpi.unit == "rate" else v.value), kpi.label
    if threshold.kpi.startswith("per_"):
        kind = BaseKind(threshold.kpi[4:])
        base = CustomerBase.objects.filter(org_unit=unit, month=month, kind=kind).values_list("value", flat=True).first()
        complaints = rows.filter(kind="complaint").aggregate(n=Sum("registered"))["n"] or 0
        return kpis.per_base(complaints, float(base) if base else None, kind).value, kind.label
    return None, threshold.kpi


def thresholds_check(*, today: dt.date | None = None) -> int:
    """Check every active threshold over the current report month; returns the alerts raised."""
    today = today or timezone.localdate()
    month, first, last = _report_month(today)
    raised = 0
    for t in ControlThreshold.objects.filter(active=True).select_related("org_unit"):
        value, label = _value(t, t.org_unit, first, last, month)
        if not kpis.crossed(value, t.threshold, t.direction):
            continue
        try:
            with transaction.atomic():
                alert = ThresholdAlert.objects.create(threshold=t, month=month, value=value)
                heads = list(User.objects.filter(org_unit=t.org_unit, role=Role.LEADER, is_active=True))
                if not heads:
                    heads = list(User.objects.filter(org_unit=t.org_unit, role=Role.SUPERVISOR, is_active=True))
                with translation.override(settings.LANGUAGE_CODE):
                    context = {"unit": t.org_unit.name, "kpi": str(label),
                               "period": f"{first.isoformat()} – {last.isoformat()}",
                               "value": f"{value:.2f}", "threshold": f"{t.threshold:g}"}
                staff_notify_many([{"dedupe_key": f"kpi:{t.pk}:{month:%Y-%m}:{u.pk}", "template": "kpi_threshold_crossed",
                                    "recipient_user": u, "context": context} for u in heads])
                alert.told.set(heads)
                raised += 1
        except IntegrityError:
            continue  # told already (this month, by this or another worker)
    return raised
