"""The ONLY writer of bulletins. Same lifecycle as the reports (monthly/workflow.py): drafted
from the period's records, edited by the owner (title, introduction, a comment per line, lines
left out, lines added by hand), submitted, approved by a leader who is not the owner, then
published: frozen, and every unit it names is told (its supervisors, leaders and department
heads; with none there, the supervisors nearest up the tree). Each step locks the row and
checks the version; each is recorded."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import Role
from complaintdesk.bulletins.models import Bulletin, BulletinLine, BulletinStep
from complaintdesk.bulletins.services.bulletin_records import bulletin_records
from complaintdesk.bulletins.vocabulary import LineKind
from complaintdesk.core.errors import Forbidden, ValidationFailed
from complaintdesk.monthly import workflow
from complaintdesk.monthly.services.lifecycle import document_locked, document_step, in_unit_scope
from complaintdesk.monthly.services.people import nearest_up, staff_of_units
from complaintdesk.monthly.vocabulary import DocAction, DocState
from complaintdesk.notifications.services import staff_notify_many
from complaintdesk.org.models import OrgUnit
from complaintdesk.tickets.selectors import visible_tickets

TITLE_LIMIT = 200
TEXT_LIMIT = 20_000
COMMENT_LIMIT = 2_000
MANUAL_TICKETS = 50
UNIT_ROLES = (Role.SUPERVISOR, Role.LEADER, Role.DEPT_HEAD)


def bulletin_draft(*, actor, org_unit: OrgUnit, period: workflow.Period, now: dt.datetime | None = None) -> Bulletin:
    """A new draft for `org_unit`'s subtree over `period`, its lines from the records."""
    now = now or timezone.now()
    if actor.role not in workflow.AUTHOR_ROLES and not actor.is_superuser:
        raise Forbidden(_("Only supervisors and leaders write bulletins."))
    if not in_unit_scope(actor, org_unit):
        raise ValidationFailed.on("org_unit", _("Choose an org unit within your own."))
    records = bulletin_records(unit=org_unit, period=period)
    title = gettext("Bulletin %(unit)s %(start)s – %(end)s") % {
        "unit": org_unit.name, "start": period.start.isoformat(), "end": period.end.isoformat()}
    with transaction.atomic():
        bulletin = Bulletin.objects.create(org_unit=org_unit, period_start=period.start, period_end=period.end,
                                           title=title[:TITLE_LIMIT], owner=actor, created_at=now, updated_at=now)
        BulletinLine.objects.bulk_create([
            BulletinLine(bulletin=bulletin, kind=r["kind"], org_unit_id=r["org_unit_id"], tickets=r["tickets"],
                         count=r["count"], position=i) for i, r in enumerate(records)])
        BulletinStep.objects.create(bulletin=bulletin, action=DocAction.GENERATE, actor=actor, at=now,
                                    from_state="", to_state=DocState.DRAFT)
    return bulletin


def _locked(actor, bulletin_id: int, version: int | None, action: DocAction) -> Bulletin:
    return document_locked(
        Bulletin, actor=actor, pk=bulletin_id, version=version, action=action,
        not_found=_("No such bulletin."),
        changed=_("Someone else changed this bulletin meanwhile (now version %(version)s, %(state)s). "
                  "Reload it and try again."))


def _step(bulletin: Bulletin, *, action: DocAction, actor, now, fields: list[str], note: str = "") -> Bulletin:
    return document_step(bulletin, BulletinStep, action=action, actor=actor, now=now, fields=fields, note=note)


def bulletin_edit(*, actor, bulletin_id: int, version: int, title: str, intro: str,
                  lines: dict[int, dict], now: dt.datetime | None = None) -> Bulletin:
    """`lines`: line id → {"comment": str, "included": bool} for the lines the form shows."""
    now = now or timezone.now()
    title = (title or "").replace("\x00", "").strip()
    intro = (intro or "").replace("\x00", "").strip()
    if not title:
        raise ValidationFailed.on("title", _("Give the bulletin a title."))
    if len(title) > TITLE_LIMIT:
        raise ValidationFailed.on("title", _("Keep the title to at most %(n)s characters.") % {"n": TITLE_LIMIT})
    if len(intro) > TEXT_LIMIT:
        raise ValidationFailed.on("intro", _("Keep the introduction to at most %(n)s characters.") % {"n": TEXT_LIMIT})
    for values in lines.values():
        if len(values.get("comment") or "") > COMMENT_LIMIT:
            raise ValidationFailed.on("comment", _("Keep each comment to at most %(n)s characters.") % {
                "n": COMMENT_LIMIT})
    with transaction.atomic():
        bulletin = _locked(actor, bulletin_id, version, DocAction.EDIT)
        rows = list(bulletin.lines.filter(pk__in=list(lines)))
        for row in rows:
            row.comment = (lines[row.pk].get("comment") or "").replace("\x00", "").strip()
            row.included = bool(lines[row.pk].get("included"))
        BulletinLine.objects.bulk_update(rows, ["comment", "included"])
        bulletin.title, bulletin.intro = title, intro
        return _step(bulletin, action=DocAction.EDIT, actor=actor, now=now, fields=["title", "intro"])


_NUMBERS = re.compile(r"[\s,，;；、]+")


def bulletin_add_line(*, actor, bulletin_id: int, version: int, kind: str, org_unit_code: str, numbers: str,
                      comment: str, now: dt.datetime | None = None) -> Bulletin:
    """A line the records do not hold (a violation found by an inspection, say), with the
    tickets behind it by number: each must exist, be in the bulletin's unit and be one the
    editor may see."""
    now = now or timezone.now()
    if kind not in {k.value for k in LineKind}:
        raise ValidationFailed.on("kind", _("Choose what the line is about."))
    wanted = [n for n in _NUMBERS.split(numbers or "") if n][: MANUAL_TICKETS + 1]
    if not wanted:
        raise ValidationFailed.on("numbers", _("Name at least one ticket by its number."))
    if len(wanted) > MANUAL_TICKETS:
        raise ValidationFailed.on("numbers", _("Name at most %(n)s tickets in one line.") % {"n": MANUAL_TICKETS})
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        raise ValidationFailed.on("comment", _("Keep each comment to at most %(n)s characters.") % {"n": COMMENT_LIMIT})
    with transaction.atomic():
        bulletin = _locked(actor, bulletin_id, version, DocAction.EDIT)
        unit = OrgUnit.objects.filter(code=org_unit_code, path__startswith=bulletin.org_unit.path).first()
        if unit is None:
            raise ValidationFailed.on("org_unit", _("Choose an org unit within the bulletin's."))
        found = {t.number: t for t in visible_tickets(actor).filter(
            number__in=wanted, org_unit__path__startswith=bulletin.org_unit.path).only("id", "number")}
        unknown = [n for n in wanted if n not in found]
        if unknown:
            raise ValidationFailed.on("numbers", _("No ticket %(numbers)s in this bulletin's units that you may see.")
                                      % {"numbers": ", ".join(unknown[:5])})
        refs = [{"id": found[n].pk, "number": n} for n in dict.fromkeys(wanted)]
        last = bulletin.lines.order_by("-position").values_list("position", flat=True).first()
        BulletinLine.objects.create(bulletin=bulletin, kind=kind, org_unit=unit, tickets=refs, count=len(refs),
                                    comment=comment, manual=True, position=(last or 0) + 1)
        return _step(bulletin, action=DocAction.EDIT, actor=actor, now=now, fields=[],
                     note=gettext("Line added: %(kind)s, %(unit)s") % {"kind": LineKind(kind).label,
                                                                        "unit": unit.name})


def bulletin_submit(*, actor, bulletin_id: int, version: int, now: dt.datetime | None = None) -> Bulletin:
    now = now or timezone.now()
    with transaction.atomic():
        bulletin = _locked(actor, bulletin_id, version, DocAction.SUBMIT)
        if not bulletin.lines.filter(included=True).exists():
            raise ValidationFailed.on("lines", _("A bulletin needs at least one line: there is nothing to publish."))
        _step(bulletin, action=DocAction.SUBMIT, actor=actor, now=now, fields=[])
        _tell(bulletin, "bulletin_submitted", [u for u in nearest_up(bulletin.org_unit, [Role.LEADER])
                                              if u.pk != bulletin.owner_id], actor=actor)
        return bulletin


def bulletin_approve(*, actor, bulletin_id: int, version: int, now: dt.datetime | None = None) -> Bulletin:
    now = now or timezone.now()
    with transaction.atomic():
        bulletin = _locked(actor, bulletin_id, version, DocAction.APPROVE)
        bulletin.approved_by, bulletin.approved_at = actor, now
        _step(bulletin, action=DocAction.APPROVE, actor=actor, now=now, fields=["approved_by", "approved_at"])
        _tell(bulletin, "bulletin_approved", [bulletin.owner], actor=actor)
        return bulletin


def bulletin_return(*, actor, bulletin_id: int, version: int, note: str, now: dt.datetime | None = None) -> Bulletin:
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise ValidationFailed.on("note", _("Say why the bulletin goes back to its owner."))
    if len(note) > COMMENT_LIMIT:
        raise ValidationFailed.on("note", _("Keep the reason to at most %(n)s characters.") % {"n": COMMENT_LIMIT})
    with transaction.atomic():
        bulletin = _locked(actor, bulletin_id, version, DocAction.RETURN)
        bulletin.approved_by, bulletin.approved_at = None, None
        _step(bulletin, action=DocAction.RETURN, actor=actor, now=now, fields=["approved_by", "approved_at"],
              note=note)
        _tell(bulletin, "bulletin_returned", [bulletin.owner], actor=actor, note=note)
        return bulletin


def bulletin_publish(*, actor, bulletin_id: int, version: int, now: dt.datetime | None = None) -> int:
    """Publish and tell every unit named in an included line; returns how many were told."""
    now = now or timezone.now()
    with transaction.atomic():
        bulletin = _locked(actor, bulletin_id, version, DocAction.PUBLISH)
        bulletin.published_at = now
        _step(bulletin, action=DocAction.PUBLISH, actor=actor, now=now, fields=["published_at"])
        lines = list(bulletin.lines.filter(included=True).select_related("org_unit"))
        per_unit: dict[int, int] = {}
        units = {}
        for line in lines:
            per_unit[line.org_unit_id] = per_unit.get(line.org_unit_id, 0) + 1
            units[line.org_unit_id] = line.org_unit
        staff = staff_of_units(per_unit, UNIT_ROLES)
        items = []
        for unit_id, n in per_unit.items():
            people = staff.get(unit_id) or nearest_up(units[unit_id], [Role.SUPERVISOR])
            for user in people:
                if user.pk == actor.pk:
                    continue
                items.append({"dedupe_key": f"bulletin:{bulletin.pk}:{unit_id}:{user.pk}", "template": "bulletin_published",
                              "recipient_user": user,
                              "context": {"bulletin_id": bulletin.pk, "report": bulletin.title, "actor": _name(actor),
                                          "note": units[unit_id].name, "lines": n}})
        return staff_notify_many(items)


def _name(user) -> str:
    return (user.display_name or user.username) if user else ""


def _tell(bulletin: Bulletin, template: str, users, *, actor, note: str = "") -> int:
    context = {"bulletin_id": bulletin.pk, "report": bulletin.title, "actor": _name(actor), "note": note}
    return staff_notify_many([
        {"dedupe_key": f"bulletin:{bulletin.pk}:{bulletin.version}:{template}:{u.pk}", "template": template,
         "recipient_user": u, "context": context}
        for u in {u.pk: u for u in users if u is not None and u.pk != actor.pk}.values()])

