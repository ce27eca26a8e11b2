from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class Role(LabelledEnum):
    INTAKE_AGENT = "intake_agent"
    DISPATCHER = "dispatcher"
    HANDLER = "handler"
    DEPT_HEAD = "dept_head"
    SUPERVISOR = "supervisor"
    LEADER = "leader"
    ADMIN = "admin"

    @classmethod
    def _labels(cls):
        return {
            cls.INTAKE_AGENT: _("Intake agent"),
            cls.DISPATCHER: _("Dispatcher / reviewer"),
            cls.HANDLER: _("Department handler"),
            cls.DEPT_HEAD: _("Department head"),
            cls.SUPERVISOR: _("Supervisor"),
            cls.LEADER: _("Leader"),
            cls.ADMIN: _("Administrator"),
        }


# Roles that work inside one department and see only what is dispatched to it.
DEPARTMENT_ROLES = frozenset({Role.HANDLER, Role.DEPT_HEAD})
# Roles of the centre and management: they see their org unit's subtree.
CENTRE_ROLES = frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER})
# Roles that see customers' phone numbers in full: they call the customer or register and
# route the case. Department roles see them in full only on the tickets their department
# holds (tickets/facts.py sees_full_phones); leaders, assisting departments and everyone else
# see them masked (docs/security.md §7).
FULL_PHONE_ROLES = frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
