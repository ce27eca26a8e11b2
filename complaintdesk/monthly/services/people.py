"""Who a report or bulletin step concerns, read in one query per step."""

from __future__ import annotations

from collections.abc import Iterable

from complaintdesk.accounts.models import User
from complaintdesk.org.models import OrgUnit


def ancestor_paths(path: str, steplen: int = OrgUnit.steplen) -> list[str]:
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


def nearest_up(unit: OrgUnit, roles: Iterable[str]) -> list[User]:
    """Active staff of `roles` in `unit`, else in the nearest unit up the tree that has some."""
    paths = ancestor_paths(unit.path)
    users = list(User.objects.filter(is_active=True, role__in=list(roles), org_unit__path__in=paths)
                 .select_related("org_unit"))
    for path in reversed(paths):
        here = [u for u in users if u.org_unit.path == path]
        if here:
            return here
    return []


def staff_of_units(unit_ids: Iterable[int], roles: Iterable[str]) -> dict[int, list[User]]:
    """Active staff of `roles` whose own org unit is one of `unit_ids`, by unit."""
    by_unit: dict[int, list[User]] = {}
    for user in User.objects.filter(is_active=True, role__in=list(roles), org_unit_id__in=list(unit_ids)):
        by_unit.setdefault(user.org_unit_id, []).append(user)
    return by_unit
