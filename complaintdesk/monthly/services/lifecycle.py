"""The ONLY writer of reports: each step is one transaction that locks the report row
(SELECT … FOR UPDATE; BEGIN IMMEDIATE on SQLite), checks the version the form was built on,
the state and the actor (monthly/workflow.py), writes the change with `version + 1` and
appends a ReportStep. Notifications go into the outbox in the same transaction.

Published reports are frozen: no step is possible on them (the table has none), and their
figures are never gathered again.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import Role
from complaintdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from complaintdesk.monthly import workflow
from complaintdesk.monthly.models import Report, ReportStep
from complaintdesk.monthly.services.people import nearest_up
from complaintdesk.monthly.services.report_figures import report_figures
from complaintdesk.monthly.vocabulary import DocAction, DocState, ReportKind
from complaintdesk.notifications.services import staff_notify_many
from complaintdesk.org.models import OrgUnit

TEXT_LIMIT = 20_000
TEXT_FIELDS = ("analysis", "hot_issues", "difficulties", "suggestions")
NOTE_LIMIT = 2_000


def in_unit_scope(viewer, unit: OrgUnit) -> bool:
    """Reports are the unit's: a viewer reads and writes those of their own unit's subtree
    (administrators: every unit)."""
    if viewer.role == Role.ADMIN or viewer.is_superuser:
        return True
    mine = getattr(viewer, "org_unit", None)
    return mine is not None and unit.path.startswith(mine.path)


def _actor(viewer, owner_id: int) -> workflow.Actor:
    return workflow.Actor(role=viewer.role, is_owner=viewer.pk == owner_id, is_superuser=viewer.is_superuser)


def report_generate(*, actor, kind: str, org_unit: OrgUnit, period: workflow.Period | None = None,
                    owner=None, now: dt.datetime | None = None) -> tuple[Report, bool]:
    """The draft of `org_unit`'s report for `period` (default: the last period that has
    ended), with its figures gathered now. A report that exists already is returned as it
    is (created = False): one report per unit, kind and period."""
    now = now or timezone.now()
    if kind not in {k.value for k in ReportKind}:
        raise ValidationFailed.on("kind", _("Choose a monthly or a half-year report."))
    if actor is not None:
        if actor.role not in workflow.AUTHOR_ROLES and not actor.is_superuser:
            raise Forbidden(_("Only supervisors and leaders write reports."))
        if not in_unit_scope(actor, org_unit):
            raise ValidationFailed.on("org_unit", _("Choose an org unit within your own."))
    owner = owner or actor
    if period is None:
        period = workflow.last_finished_period(kind, timezone.localtime(now).date())
    existing = Report.objects.filter(kind=kind, org_unit=org_unit, period_start=period.start).first()
    if existing is not None:
        return existing, False
    figures = report_figures(unit=org_unit, period=period, now=now)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                kind=kind, org_unit=org_unit, period_start=period.start, period_end=period.end,
                due_on=period.due, owner=owner, figures=figures, figures_as_of=now,
                created_at=now, updated_at=now)
            ReportStep.objects.create(report=report, action=DocAction.GENERATE, actor=actor, at=now,
                                      from_state="", to_state=DocState.DRAFT)
    except IntegrityError:
        # Generated at the same moment by someone else (or the reminder job): theirs stands.
        return Report.objects.get(kind=kind, org_unit=org_unit, period_start=period.start), False
    return report, True


def document_locked(model, *, actor, pk: int, version: int | None, action: DocAction, not_found: str,
                    changed: str):
    """A report or bulletin (both follow workflow.TABLE) locked for one step: "not found" when
    the viewer may not read it, a conflict on a stale version or a step its state refuses, a
    refusal when the viewer may not take the step. `changed` names %(version)s and %(state)s."""
    doc = model.objects.select_for_update().select_related("org_unit").filter(pk=pk).first()
    if doc is None or not in_unit_scope(actor, doc.org_unit) or (
            actor.role not in workflow.DRAFT_READERS and not actor.is_superuser):
        raise NotFound(not_found)
    if version is not None and doc.version != version:
        raise Conflict(changed % {"version": doc.version, "state": DocState(doc.state).label},
                       extra={"state": doc.state, "version": doc.version})
    refusal = workflow.check(doc.state, action, _actor(actor, doc.owner_id))
    if refusal is not None:
        code, reason = refusal
        if code == "state":
            raise Conflict(reason, extra={"state": doc.state, "version": doc.version})
        raise Forbidden(reason)
    return doc


def document_step(doc, step_model, *, action: DocAction, actor, now, fields: list[str], note: str = ""):
    """Move a locked report or bulletin one step on: its new state and version saved, the step
    recorded in `step_model` (whose foreign key to the document is named like the document)."""
    before = doc.state
    doc.state = workflow.TABLE[DocState(before)][action].target
    doc.version += 1
    doc.updated_at = now
    doc.save(update_fields=[*fields, "state", "version", "updated_at"])
    step_model.objects.create(**{doc._meta.model_name: doc}, action=action, actor=actor, at=now,
                              from_state=before, to_state=doc.state, note=note)
    return doc


def _locked(actor, report_id: int, version: int | None, action: DocAction) -> Report:
    return document_locked(
        Report, actor=actor, pk=report_id, version=version, action=action,
        not_found=_("No such report."),
        changed=_("Someone else changed this report meanwhile (now version %(version)s, %(state)s). "
                  "Reload it and try again."))


def _step(report: Report, *, action: DocAction, actor, now, fields: list[str], note: str = "") -> Report:
    return document_step(report, ReportStep, action=action, actor=actor, now=now, fields=fields, note=note)


def report_refresh(*, actor, report_id: int, version: int, now: dt.datetime | None = None) -> Report:
    """Gather the draft's figures again (tickets changed since it was generated)."""
    now = now or timezone.now()
    with transaction.atomic():
        report = _locked(actor, report_id, version, DocAction.REFRESH)
        period = workflow.Period(ReportKind(report.kind), report.period_start, report.period_end, report.due_on)
        report.figures = report_figures(unit=report.org_unit, period=period, now=now)
        report.figures_as_of = now
        return _step(report, action=DocAction.REFRESH, actor=actor, now=now, fields=["figures", "figures_as_of"])


def report_edit(*, actor, report_id: int, version: int, texts: dict[str, str],
                now: dt.datetime | None = None) -> Report:
    """The owner's free-text sections (analysis, hot issues, difficulties, suggestions)."""
    now = now or timezone.now()
    clean = {}
    for name in TEXT_FIELDS:
        value = (texts.get(name) or "").replace("\x00", "").strip()
        if len(value) > TEXT_LIMIT:
            raise ValidationFailed.on(name, _("Keep this section to at most %(n)s characters.") % {"n": TEXT_LIMIT})
        clean[name] = value
    with transaction.atomic():
        report = _locked(actor, report_id, version, DocAction.EDIT)
        for name, value in clean.items():
            setattr(report, name, value)
        return _step(report, action=DocAction.EDIT, actor=actor, now=now, fields=list(TEXT_FIELDS))


def report_submit(*, actor, report_id: int, version: int, now: dt.datetime | None = None) -> Report:
    now = now or timezone.now()
    with transaction.atomic():
        report = _locked(actor, report_id, version, DocAction.SUBMIT)
        if not report.analysis.strip():
            raise ValidationFailed.on("analysis", _("Write the analysis before submitting the report."))
        _step(report, action=DocAction.SUBMIT, actor=actor, now=now, fields=[])
        _tell(report, "report_submitted", [u for u in nearest_up(report.org_unit, [Role.LEADER])
                                          if u.pk != report.owner_id], actor=actor, now=now)
        return report


def report_approve(*, actor, report_id: int, version: int, now: dt.datetime | None = None) -> Report:
    now = now or timezone.now()
    with transaction.atomic():
        report = _locked(actor, report_id, version, DocAction.APPROVE)
        report.approved_by, report.approved_at = actor, now
        _step(report, action=DocAction.APPROVE, actor=actor, now=now, fields=["approved_by", "approved_at"])
        _tell(report, "report_approved", [report.owner], actor=actor, now=now)
        return report


def report_return(*, actor, report_id: int, version: int, note: str, now: dt.datetime | None = None) -> Report:
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise ValidationFailed.on("note", _("Say why the report goes back to its owner."))
    if len(note) > NOTE_LIMIT:
        raise ValidationFailed.on("note", _("Keep the reason to at most %(n)s characters.") % {"n": NOTE_LIMIT})
    with transaction.atomic():
        report = _locked(actor, report_id, version, DocAction.RETURN)
        report.approved_by, report.approved_at = None, None
        _step(report, action=DocAction.RETURN, actor=actor, now=now, fields=["approved_by", "approved_at"], note=note)
        _tell(report, "report_returned", [report.owner], actor=actor, now=now, note=note)
        return report


def report_publish(*, actor, report_id: int, version: int, now: dt.datetime | None = None) -> Report:
    """Publish the approved report: from now on it is frozen (its figures are those the
    leader approved; nothing gathers them again)."""
    now = now or timezone.now()
    with transaction.atomic():
        report = _locked(actor, report_id, version, DocAction.PUBLISH)
        report.published_at = now
        return _step(report, action=DocAction.PUBLISH, actor=actor, now=now, fields=["published_at"])


def _tell(report: Report, template: str, users, *, actor, now, note: str = "") -> int:
    context = {"report_id": report.pk, "report": _title(report), "actor": (actor.display_name or actor.username)
               if actor else "", "note": note}
    stamp = f"{report.pk}:{report.version}"
    return staff_notify_many([
        {"dedupe_key": f"report:{stamp}:{template}:{u.pk}", "template": template, "recipient_user": u,
         "context": context}
        for u in {u.pk: u for u in users if u is not None and (actor is None or u.pk != actor.pk)}.values()])


def _title(report: Report) -> str:
    # Data, not a translated phrase: the unit's name and the period (the template says the rest).
    unit = report.org_unit.name
    return f"{unit} {report.period_start.isoformat()}–{report.period_end.isoformat()}"
