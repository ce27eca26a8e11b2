"""Rows → the facts the pure capa workflow reads."""

from complaintdesk.capa.models import CorrectiveAction
from complaintdesk.capa.vocabulary import ActionState
from complaintdesk.capa.workflow import ActionFacts


def facts_of(action: CorrectiveAction) -> ActionFacts:
    """The org unit must be loaded (select_related)."""
    return ActionFacts(
        state=ActionState(action.state), owner_id=action.owner_id,
        owner_department_id=action.owner_department_id, raised_by_id=action.raised_by_id,
        org_unit_path=action.org_unit.path,
    )
