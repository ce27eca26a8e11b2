"""Reads of bulletins, scoped: authors and approvers see those of their unit's subtree (drafts
included); once published, a bulletin is also read by the staff of every unit it names (and
of the units above them). The tickets behind each line are linked only where the viewer may
see them (one query for the whole bulletin)."""

from __future__ import annotations

from django.db.models import Q

from complaintdesk.accounts.roles import Role
from complaintdesk.bulletins.models import Bulletin, BulletinLine
from complaintdesk.core.errors import NotFound
from complaintdesk.monthly import workflow
from complaintdesk.monthly.vocabulary import DocState
from complaintdesk.tickets.selectors import visible_tickets

PAGE = 50


def may_read_bulletins(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False)) and (
        viewer.role in workflow.PUBLISHED_READERS or viewer.is_superuser)


def visible_bulletins(viewer):
    qs = Bulletin.objects.select_related("org_unit", "owner")
    if not may_read_bulletins(viewer):
        return qs.none()
    if viewer.role == Role.ADMIN or viewer.is_superuser:
        return qs
    if viewer.org_unit_id is None:
        return qs.none()
    path = viewer.org_unit.path
    named = BulletinLine.objects.filter(included=True, org_unit__path__startswith=path).values("bulletin_id")
    published_to_me = Q(state=DocState.PUBLISHED, pk__in=named)
    if viewer.role in workflow.DRAFT_READERS:
        return qs.filter(Q(org_unit__path__startswith=path) | published_to_me)
    return qs.filter(published_to_me | Q(state=DocState.PUBLISHED, org_unit__path__startswith=path))


def bulletin_list(viewer) -> list[Bulletin]:
    return list(visible_bulletins(viewer).order_by("-period_end", "-id")[:PAGE])


def bulletin_get(viewer, pk: int) -> Bulletin:
    bulletin = visible_bulletins(viewer).filter(pk=pk).first()
    if bulletin is None:
        raise NotFound("bulletin")
    return bulletin


def bulletin_lines(viewer, bulletin: Bulletin) -> list[dict]:
    """The lines (the left-out ones too while a draft: the editor may take them back) with
    the tickets behind each, those the viewer may open linked. Three queries."""
    lines = list(bulletin.lines.select_related("org_unit").order_by("position", "id"))
    if bulletin.state == DocState.PUBLISHED:
        lines = [line for line in lines if line.included]
    ids = {t["id"] for line in lines for t in line.tickets}
    open_ids = set(visible_tickets(viewer).filter(pk__in=ids).values_list("id", flat=True)) if ids else set()
    return [{"line": line,
             "tickets": [{**t, "visible": t["id"] in open_ids} for t in line.tickets],
             "hidden": sum(1 for t in line.tickets if t["id"] not in open_ids),
             "more": max(0, line.count - len(line.tickets))} for line in lines]


def bulletin_steps(bulletin: Bulletin):
    return list(bulletin.steps.select_related("actor").order_by("id"))
