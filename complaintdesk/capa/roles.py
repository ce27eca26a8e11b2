"""Who may do what with root causes and corrective actions, by role (accounts/roles.py style).
Pure Python."""

from complaintdesk.accounts.roles import Role

# The accountability note (责任追究: penalty, disciplinary or accountability decision) names
# people and sanctions: only department heads, supervisors, leaders and administrators read
# it, wherever it is shown (ticket page, API, exports). Handlers, intake agents and
# dispatchers do not.
ACCOUNTABILITY_ROLES = frozenset({Role.DEPT_HEAD, Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
# Who raises a corrective or preventive action: the centre's reviewers and supervisors,
# leaders, department heads (for their own department's actions) and administrators.
RAISE_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.DEPT_HEAD, Role.ADMIN})
# Who verifies the effect of an action and closes it: not the people who carried it out.
VERIFY_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
