"""Which top-level pages each role sees in the navigation bar.

Only a convenience: every page checks access itself (the selectors scope every read), so a
link left out here hides nothing that the viewer could not reach anyway.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import Role


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    roles: frozenset[str] | None = None  # None: every signed-in staff member


_ALL_ITEMS = (
    NavItem("worklists", _("Worklists"), "workbench:home"),
    NavItem("search", _("Search"), "search:search"),
    NavItem(
        "register", _("Register a ticket"), "workbench:register",
        frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN}),
    ),
    NavItem(
        "incidents", _("Incidents"), "workbench:incidents",
        frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN}),
    ),
    NavItem(
        "callbacks", _("Segment callbacks"), "workbench:callbacks",
        frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN}),
    ),
    NavItem(
        "ticket_callbacks", _("Ticket callbacks"), "workbench:ticket_callbacks",
        frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.SUPERVISOR}),
    ),
    NavItem(
        "ledger", _("Complaint ledger"), "workbench:ledger",
        frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.DEPT_HEAD, Role.ADMIN}),
    ),
    NavItem(
        "regulators", _("Regulators' reply sheets"), "regulators:export",
        frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN}),
    ),
    NavItem(
        "dashboard", _("Dashboard"), "reports:dashboard",
        frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN, Role.DEPT_HEAD}),
    ),
    NavItem(
        "capa", _("Corrective actions"), "capa:worklist",
        frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN, Role.DEPT_HEAD, Role.HANDLER}),
    ),
    NavItem(
        "monthly_reports", _("Reports"), "monthly:list",
        frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN, Role.DEPT_HEAD}),
    ),
    NavItem(
        "bulletins", _("Bulletins"), "bulletins:list",
        frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN, Role.DEPT_HEAD}),
    ),
    NavItem("imports", _("Imports"), "imports:home", frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})),
    NavItem(
        "statistics", _("Statistics"), "stats:statistics",
        frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN, Role.DEPT_HEAD}),
    ),
    NavItem("admin", _("Administration"), "admin:index", frozenset({Role.ADMIN})),
)


def nav_items(user) -> list[dict]:
    """The links for this user, in order; pages not installed (yet) are left out."""
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    for item in _ALL_ITEMS:
        if item.roles is not None and user.role not in item.roles and not user.is_superuser:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"key": item.key, "label": item.label, "url": url})
    return items
