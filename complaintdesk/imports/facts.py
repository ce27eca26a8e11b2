"""Who sees which import batch: one definition for the selectors and the services' locks."""

from django.db.models import Q

from complaintdesk.accounts.roles import Role


def batch_scope(viewer) -> Q | None:
    """None: every batch (administrators); else the condition. Supervisors see the batches
    uploaded in their org unit's subtree, everyone else their own."""
    if viewer.is_superuser or viewer.role == Role.ADMIN:
        return None
    own = Q(created_by_id=viewer.pk)
    if viewer.role == Role.SUPERVISOR and viewer.org_unit_id:
        return own | Q(created_by__org_unit__path__startswith=viewer.org_unit.path)
    return own
