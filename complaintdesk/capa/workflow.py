"""The corrective-action workflow as a pure table, like tickets/workflow.py: which step, in
which state, by whom, leads where. No ORM: the services, the pages (which forms to show) and
the API ask the same functions.

    open ──note_progress──▶ in_progress ──submit──▶ awaiting_verification
                              ▲   │ note_progress              │
                              │   ▼                            ├─verify_effective──▶ verified ──close──▶ closed
                              └───────── verify_ineffective ───┘
    open / in_progress ──cancel──▶ cancelled

Who: the owner (or the head of the owner's department) carries the action out and submits
it; a verifier (supervisor, leader, administrator) in the action's org unit subtree judges
its effect and closes it, but never an action they own themselves; whoever raised it or a
verifier may cancel it before it is submitted.

Root causes (on a ticket): recorded by whoever may handle the ticket now (the holding
department) or audit it (the centre); the accountability note only by the roles that may
read it (capa/roles.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from complaintdesk.accounts.roles import Role
from complaintdesk.capa.roles import ACCOUNTABILITY_ROLES, RAISE_ROLES, VERIFY_ROLES
from complaintdesk.capa.vocabulary import ActionEventType, ActionState, Step
from complaintdesk.tickets import workflow as ticket_workflow
from complaintdesk.tickets.vocabulary import Action


class Who(StrEnum):
    OWNER = "owner"
    VERIFIER = "verifier"
    MANAGER = "manager"  # the raiser or a verifier


@dataclass(frozen=True)
class Move:
    target: ActionState
    who: Who
    event: ActionEventType


S, E = ActionState, ActionEventType
TABLE: dict[ActionState, dict[Step, Move]] = {
    S.OPEN: {
        Step.NOTE_PROGRESS: Move(S.IN_PROGRESS, Who.OWNER, E.PROGRESS_NOTED),
        Step.CANCEL: Move(S.CANCELLED, Who.MANAGER, E.CANCELLED),
    },
    S.IN_PROGRESS: {
        Step.NOTE_PROGRESS: Move(S.IN_PROGRESS, Who.OWNER, E.PROGRESS_NOTED),
        Step.SUBMIT: Move(S.AWAITING_VERIFICATION, Who.OWNER, E.SUBMITTED),
        Step.CANCEL: Move(S.CANCELLED, Who.MANAGER, E.CANCELLED),
    },
    S.AWAITING_VERIFICATION: {
        Step.VERIFY_EFFECTIVE: Move(S.VERIFIED, Who.VERIFIER, E.VERIFIED_EFFECTIVE),
        Step.VERIFY_INEFFECTIVE: Move(S.IN_PROGRESS, Who.VERIFIER, E.VERIFIED_INEFFECTIVE),
    },
    S.VERIFIED: {
        Step.CLOSE: Move(S.CLOSED, Who.VERIFIER, E.CLOSED),
    },
    S.CLOSED: {},
    S.CANCELLED: {},
}


@dataclass(frozen=True)
class ActionFacts:
    state: ActionState
    owner_id: int
    owner_department_id: int | None
    raised_by_id: int | None
    org_unit_path: str


@dataclass(frozen=True)
class Refusal:
    code: str  # not_in_state | not_owner | not_verifier | own_action | not_manager
    state: ActionState
    step: Step


def _in_org_scope(actor: ticket_workflow.ActorFacts, action: ActionFacts) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return bool(actor.org_unit_path) and action.org_unit_path.startswith(actor.org_unit_path)


def is_owner(actor: ticket_workflow.ActorFacts, action: ActionFacts) -> bool:
    """The owner, or the head of the owner's department (who answers for its work)."""
    if actor.user_id == action.owner_id:
        return True
    return (actor.role == Role.DEPT_HEAD and actor.department_id is not None
            and actor.department_id == action.owner_department_id)


def is_verifier(actor: ticket_workflow.ActorFacts, action: ActionFacts) -> bool:
    return actor.role in VERIFY_ROLES and _in_org_scope(actor, action)


def check(actor: ticket_workflow.ActorFacts, action: ActionFacts, step: Step) -> Refusal | None:
    """None when the actor may take the step now; otherwise why not."""
    move = TABLE[action.state].get(step)
    if move is None:
        return Refusal("not_in_state", action.state, step)
    if move.who == Who.OWNER and not is_owner(actor, action):
        return Refusal("not_owner", action.state, step)
    if move.who == Who.VERIFIER:
        if not is_verifier(actor, action):
            return Refusal("not_verifier", action.state, step)
        if actor.user_id == action.owner_id:
            # Separation of duties: whoever did the work does not judge its effect.
            return Refusal("own_action", action.state, step)
    if move.who == Who.MANAGER and not (actor.user_id == action.raised_by_id or is_verifier(actor, action)):
        return Refusal("not_manager", action.state, step)
    return None


def allowed_steps(actor: ticket_workflow.ActorFacts, action: ActionFacts) -> list[Step]:
    return [s for s in Step if check(actor, action, s) is None]


def is_open(state: ActionState) -> bool:
    return state not in (ActionState.CLOSED, ActionState.CANCELLED)


def may_raise(role: Role) -> bool:
    return role in RAISE_ROLES


# -- root causes on a ticket -------------------------------------------------------------------

# The ticket actions during which the root cause is recorded: handling by the department and
# the centre's audit (their guards, e.g. a pending plan approval, do not matter here).
ROOT_CAUSE_ACTIONS = (Action.HANDLE, Action.AUDIT_APPROVE)


def may_record_root_cause(actor: ticket_workflow.ActorFacts, ticket: ticket_workflow.TicketFacts) -> bool:
    return any(
        ticket_workflow.role_may(actor.role, ticket.kind, ticket.state, action)
        and ticket_workflow.in_scope(actor, ticket, action)
        for action in ROOT_CAUSE_ACTIONS
    )


def sees_accountability(role: Role) -> bool:
    return role in ACCOUNTABILITY_ROLES


def may_view(actor: ticket_workflow.ActorFacts, action: ActionFacts) -> bool:
    """The same rule as selectors.visible_actions, for one action in memory: administrators
    all; the owner and the raiser their own; department roles their department's; the
    centre and management their org unit's subtree."""
    if actor.role == Role.ADMIN or actor.user_id in (action.owner_id, action.raised_by_id):
        return True
    if actor.role in (Role.HANDLER, Role.DEPT_HEAD):
        return actor.department_id is not None and actor.department_id == action.owner_department_id
    return _in_org_scope(actor, action)
