"""Which customers and segment callbacks a viewer may see (shared by the services and the
selectors of customers).

A customer is visible to the administrator; to the centre and management for customers of
their org unit's subtree; and to anyone who may see one of the customer's tickets
(`visible_tickets`). Segment callbacks are the centre's work: the centre and management see
those of the customers they may see, department roles none.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from complaintdesk.accounts.roles import CENTRE_ROLES, Role
from complaintdesk.customers.models import CallbackTask, Customer


def visible_customers(viewer) -> QuerySet:
    from complaintdesk.tickets.selectors import visible_tickets

    customers = Customer.objects.all()
    if viewer.role == Role.ADMIN:
        return customers
    has_ticket = Exists(visible_tickets(viewer).filter(customer_id=OuterRef("pk")))
    if viewer.role in CENTRE_ROLES and viewer.org_unit_id:
        return customers.filter(Q(org_unit__path__startswith=viewer.org_unit.path) | has_ticket)
    return customers.filter(has_ticket)


def callback_tasks_visible(viewer) -> QuerySet:
    tasks = CallbackTask.objects.all()
    if viewer.role == Role.ADMIN:
        return tasks
    if viewer.role in CENTRE_ROLES:
        return tasks.filter(customer_id__in=visible_customers(viewer).values("pk"))
    return tasks.none()


def may_call_back(viewer) -> bool:
    return viewer.role == Role.ADMIN or viewer.role in CENTRE_ROLES
