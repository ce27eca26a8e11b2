"""The ticket workflow as a pure table: which action, in which state, for which kind of
ticket, by which role, leads where. No ORM here: services and the UI ask these functions,
so the buttons a page shows and the refusals the API gives come from one place.

Three paths share the table (domain.md "The flow"):
- FULL (complaint, grievance, fault): review → dispatch → acknowledge → handle → audit →
  reply → callback → close; leader approval of the plan where the category or severity asks.
- SHORT (inquiry, suggestion): no audit and no callback; the reply closes the ticket.
- SALES (sales lead, 002): routed by region to that region's sales lead, who reports the
  outcome; no review (the centre may only close junk as invalid), no co-handling, audit,
  reply or callback.

Four cross-ticket actions keep the state too (screening/): set_source (the source tier, the
regulator's reference and deadline), unlink_repeat (a wrong repeat link, with a reason; also
when closed), set_special_type (000's six types) and gather_history (003: a special case's
history checklist, special tickets only).

Four deadline actions keep the state (their effect is on the clocks, sla/services/clocks.py):
- request_info / info_received: the customer is asked for more information (the clocks
  pause) / has answered (they resume); in every open state, by whoever talks to the customer
  (the centre; in the department states also the department holding the ticket).
- set_agreed_time: a time agreed with the customer replaces the handling deadline; in every
  state before the handling is done, by the same people.
- report_progress: the department reports progress (the progress clock restarts); once it has
  acknowledged, until the audit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from complaintdesk.accounts.roles import CENTRE_ROLES, DEPARTMENT_ROLES, Role
from complaintdesk.tickets.vocabulary import (
    CALLBACK_FAILURES,
    OPEN_STATES,
    Action,
    CallbackOutcome,
    EventType,
    Kind,
    Satisfaction,
    Severity,
    State,
)


class Path(StrEnum):
    FULL = "full"
    SHORT = "short"
    SALES = "sales"


PATH_OF_KIND: dict[Kind, Path] = {
    Kind.COMPLAINT: Path.FULL,
    Kind.GRIEVANCE: Path.FULL,
    Kind.FAULT: Path.FULL,
    Kind.INQUIRY: Path.SHORT,
    Kind.SUGGESTION: Path.SHORT,
    Kind.SALES_LEAD: Path.SALES,
}


@dataclass(frozen=True)
class TicketFacts:
    """What the rules need to know about a ticket; built by services from the rows."""

    kind: Kind
    state: State
    org_unit_path: str = ""
    lead_department_id: int | None = None
    lead_assignee_id: int | None = None
    assisting_department_ids: frozenset[int] = frozenset()
    requires_approval: bool = False
    plan_submitted: bool = False
    plan_approved: bool = False
    partial: bool = False
    owner_id: int | None = None
    waiting_on_customer: bool = False
    special: bool = False
    linked: bool = False  # a repeat complaint linked to the first ticket of its chain
    callback_attempts: int = 0  # failed callback calls of this round (the customer not reached)
    callback_max_attempts: int = 3  # settings.CALLBACK_MAX_ATTEMPTS: then "callback failed"
    source_tier: str = "direct"


@dataclass(frozen=True)
class ActorFacts:
    user_id: int
    role: Role
    department_id: int | None = None
    org_unit_path: str | None = None


Target = State | None | Callable[[TicketFacts, Mapping], State]


@dataclass(frozen=True)
class Transition:
    roles: frozenset[Role]
    event: EventType
    # None keeps the state (urge, co-handle...); a callable picks by facts and payload.
    target: Target = None
    guard: Callable[[TicketFacts, ActorFacts], bool] | None = None
    guard_reason: str = ""


def resolve_target(transition: Transition, ticket: TicketFacts, payload: Mapping) -> State:
    target = transition.target
    if target is None:
        return ticket.state
    if callable(target):
        return target(ticket, payload)
    return target


# -- guards: plain functions returning bool, shared by the API and the pages -----------------

def plan_needed(ticket: TicketFacts, actor: ActorFacts | None = None) -> bool:
    return ticket.requires_approval and not ticket.plan_approved


def plan_settled(ticket: TicketFacts, actor: ActorFacts | None = None) -> bool:
    return not plan_needed(ticket)


def actor_assists(ticket: TicketFacts, actor: ActorFacts) -> bool:
    return actor.department_id is not None and actor.department_id in ticket.assisting_department_ids


def not_waiting(ticket: TicketFacts, actor: ActorFacts | None = None) -> bool:
    return not ticket.waiting_on_customer


def is_linked(ticket: TicketFacts, actor: ActorFacts | None = None) -> bool:
    return ticket.linked


def is_special(ticket: TicketFacts, actor: ActorFacts | None = None) -> bool:
    return ticket.special


def is_transfer(ticket: TicketFacts, actor: ActorFacts | None = None) -> bool:
    """Transferred from above (a regulator, 12345, the media, leadership)."""
    return ticket.source_tier not in ("", "direct")


def waiting(ticket: TicketFacts, actor: ActorFacts | None = None) -> bool:
    return ticket.waiting_on_customer


def callback_attempts_left(ticket: TicketFacts, actor: ActorFacts | None = None) -> bool:
    return ticket.callback_attempts < ticket.callback_max_attempts


def callback_gives_up(ticket: TicketFacts, outcome: str) -> bool:
    """This attempt ends the callback: the customer refused it, or it is the last failed call
    allowed. Asked to call again at a time, the customer was reached: that does not count."""
    if outcome == CallbackOutcome.REFUSED:
        return True
    return outcome in CALLBACK_FAILURES and ticket.callback_attempts + 1 >= ticket.callback_max_attempts


def _after_callback_attempt(ticket: TicketFacts, payload: Mapping) -> State:
    return State.CLOSED if callback_gives_up(ticket, payload.get("outcome", "")) else ticket.state


def _after_audit_approve(ticket: TicketFacts, payload: Mapping) -> State:
    # Partial completion is audited too (000); the department then goes on with the rest.
    return State.IN_PROGRESS if ticket.partial else State.AWAITING_REPLY


def _after_callback(ticket: TicketFacts, payload: Mapping) -> State:
    # A dissatisfied customer reopens the case (003): it goes back to the centre to dispatch.
    if payload.get("satisfaction") == Satisfaction.DISSATISFIED:
        return State.AWAITING_DISPATCH
    return State.CLOSED


def requires_approval(*, category_requires: bool, severity: Severity, special: bool) -> bool:
    """Major and special cases need a leader's sign-off on the plan (003 special cases)."""
    return category_requires or severity == Severity.MAJOR or special


# -- the table ----------------------------------------------------------------------------

R = Role
INTAKE = frozenset({R.INTAKE_AGENT, R.DISPATCHER, R.SUPERVISOR})
CENTRE = frozenset({R.DISPATCHER, R.SUPERVISOR})
DEPT = frozenset({R.HANDLER, R.DEPT_HEAD})
TRANSFERRERS = DEPT | CENTRE
REPLIERS = frozenset({R.INTAKE_AGENT, R.DISPATCHER, R.SUPERVISOR})
URGERS = frozenset({R.DISPATCHER, R.SUPERVISOR, R.LEADER})
SUPERVISORS = frozenset({R.SUPERVISOR, R.LEADER})
ARCHIVERS = frozenset({R.DISPATCHER, R.SUPERVISOR, R.ADMIN})
UNLINKERS = frozenset({R.DISPATCHER, R.SUPERVISOR, R.LEADER})
# Who talks to the customer: the centre; in the department states also the department.
CONTACT = frozenset({R.INTAKE_AGENT, R.DISPATCHER, R.SUPERVISOR})
DEPARTMENT_STATES = frozenset({State.DISPATCHED, State.IN_PROGRESS, State.AWAITING_APPROVAL,
                               State.AWAITING_AUDIT})
# Before the handling is done an agreed time still matters; progress is reported from the
# acknowledgement until the audit.
AGREED_TIME_STATES = frozenset({State.REGISTERED, State.AWAITING_DISPATCH, State.DISPATCHED,
                                State.IN_PROGRESS, State.AWAITING_APPROVAL})
PROGRESS_STATES = frozenset({State.IN_PROGRESS, State.AWAITING_APPROVAL, State.AWAITING_AUDIT})

A, S, E = Action, State, EventType


def _department_stage(path: Path, handle: Transition) -> dict:
    """Acknowledge, transfer, return (and co-handle, except for sales leads): the department
    stage shared by the paths."""
    back = S.REGISTERED if path is Path.SALES else S.AWAITING_DISPATCH
    dispatched = {
        A.ACKNOWLEDGE: Transition(DEPT, E.ACKNOWLEDGED, S.IN_PROGRESS),
        A.TRANSFER: Transition(TRANSFERRERS, E.TRANSFERRED, S.DISPATCHED),
        A.RETURN: Transition(DEPT, E.RETURNED, back),
    }
    in_progress = {
        A.TRANSFER: Transition(TRANSFERRERS, E.TRANSFERRED, S.DISPATCHED),
        A.RETURN: Transition(DEPT, E.RETURNED, back),
        A.HANDLE: handle,
    }
    if path is not Path.SALES:
        in_progress |= {
            A.CO_HANDLE: Transition(TRANSFERRERS, E.CO_HANDLING_REQUESTED),
            A.ASSIST_INPUT: Transition(
                DEPT, E.ASSIST_INPUT_GIVEN, guard=actor_assists,
                guard_reason="not_assisting",
            ),
        }
    return {S.DISPATCHED: dispatched, S.IN_PROGRESS: in_progress}


def _build() -> dict[Path, dict[State, dict[Action, Transition]]]:
    review = {
        A.RESOLVE_ON_SPOT: Transition(INTAKE, E.RESOLVED_ON_SPOT, S.CLOSED),
        A.REVIEW_VALID: Transition(CENTRE, E.REVIEWED_VALID, S.AWAITING_DISPATCH),
        A.REVIEW_INVALID: Transition(CENTRE, E.REVIEWED_INVALID, S.CLOSED),
    }
    dispatch = {A.DISPATCH: Transition(CENTRE, E.DISPATCHED, S.DISPATCHED)}
    closed_common = {
        A.ARCHIVE: Transition(ARCHIVERS, E.ARCHIVED, S.ARCHIVED),
    }

    full = {
        S.REGISTERED: dict(review),
        S.AWAITING_DISPATCH: dict(dispatch),
        **_department_stage(
            Path.FULL,
            Transition(
                DEPT, E.HANDLED, S.AWAITING_AUDIT, guard=plan_settled,
                guard_reason="plan_not_approved",
            ),
        ),
        S.AWAITING_APPROVAL: {
            A.APPROVE_PLAN: Transition(frozenset({R.LEADER}), E.PLAN_APPROVED, S.IN_PROGRESS),
            A.REJECT_PLAN: Transition(frozenset({R.LEADER}), E.PLAN_REJECTED, S.IN_PROGRESS),
        },
        S.AWAITING_AUDIT: {
            A.AUDIT_APPROVE: Transition(CENTRE, E.AUDIT_APPROVED, _after_audit_approve),
            A.AUDIT_REJECT: Transition(CENTRE, E.AUDIT_REJECTED, S.IN_PROGRESS),
        },
        S.AWAITING_REPLY: {A.REPLY: Transition(REPLIERS, E.REPLIED, S.AWAITING_CALLBACK)},
        S.AWAITING_CALLBACK: {
            A.CALLBACK: Transition(REPLIERS, E.CALLED_BACK, _after_callback),
            A.CALLBACK_ATTEMPT: Transition(REPLIERS, E.CALLBACK_ATTEMPTED, _after_callback_attempt,
                                           guard=callback_attempts_left,
                                           guard_reason="callback_attempts_used"),
            A.CLOSE: Transition(CENTRE, E.CLOSED, S.CLOSED),
        },
        S.CLOSED: {
            **closed_common,
            A.REOPEN: Transition(CENTRE, E.REOPENED, S.AWAITING_DISPATCH),
        },
    }
    full[S.IN_PROGRESS][A.SUBMIT_PLAN] = Transition(
        DEPT, E.PLAN_SUBMITTED, S.AWAITING_APPROVAL, guard=plan_needed,
        guard_reason="plan_not_needed",
    )

    short = {
        S.REGISTERED: dict(review),
        S.AWAITING_DISPATCH: dict(dispatch),
        **_department_stage(Path.SHORT, Transition(DEPT, E.HANDLED, S.AWAITING_REPLY)),
        S.AWAITING_REPLY: {A.REPLY: Transition(REPLIERS, E.REPLIED, S.CLOSED)},
        S.CLOSED: {
            **closed_common,
            A.REOPEN: Transition(CENTRE, E.REOPENED, S.AWAITING_DISPATCH),
        },
    }

    sales = {
        S.REGISTERED: {
            # Routed by region: the intake agent who takes the lead sends it straight on.
            A.DISPATCH: Transition(INTAKE, E.DISPATCHED, S.DISPATCHED),
            A.REVIEW_INVALID: Transition(CENTRE, E.REVIEWED_INVALID, S.CLOSED),
        },
        # The sales lead reports the outcome: that closes the lead.
        **_department_stage(Path.SALES, Transition(DEPT, E.HANDLED, S.CLOSED)),
        S.CLOSED: {
            **closed_common,
            A.REOPEN: Transition(CENTRE, E.REOPENED, S.REGISTERED),
        },
    }

    # Urging and supervising are possible in every open state a path goes through, and so
    # are the deadline actions (each where it makes sense, see the module docstring).
    for table in (full, short, sales):
        for state in OPEN_STATES & table.keys():
            row = table[state]
            row[A.URGE] = Transition(URGERS, E.URGED)
            row[A.SUPERVISE] = Transition(SUPERVISORS, E.SUPERVISED)
            talkers = CONTACT | DEPT if state in DEPARTMENT_STATES else CONTACT
            row[A.REQUEST_INFO] = Transition(talkers, E.INFO_REQUESTED, guard=not_waiting,
                                             guard_reason="already_waiting")
            row[A.INFO_RECEIVED] = Transition(talkers, E.INFO_RECEIVED, guard=waiting,
                                              guard_reason="not_waiting")
            if state in AGREED_TIME_STATES:
                row[A.SET_AGREED_TIME] = Transition(talkers, E.AGREED_TIME_SET)
            if state in PROGRESS_STATES:
                row[A.REPORT_PROGRESS] = Transition(DEPT, E.PROGRESS_REPORTED)
            # Cross-ticket facts (screening/): where it came from, the special complainant's
            # type and the history check 003 asks for within a working day.
            # The admin too: the source tier is also corrected in the admin site.
            row[A.SET_SOURCE] = Transition(CONTACT | {R.ADMIN}, E.SOURCE_SET)
            row[A.SET_SPECIAL_TYPE] = Transition(CONTACT | SUPERVISORS, E.SPECIAL_TYPE_SET)
            row[A.GATHER_HISTORY] = Transition(talkers, E.HISTORY_GATHERED, guard=is_special,
                                               guard_reason="not_special")
            # A regulator's deadline extended (NFRA: complex 30 days, especially complex 60
            # with a senior manager's approval); the service checks the profile's steps.
            row[A.EXTEND_REGULATOR_DEADLINE] = Transition(
                CONTACT | SUPERVISORS | {R.LEADER}, E.REGULATOR_DEADLINE_EXTENDED,
                guard=is_transfer, guard_reason="not_transfer")
        # A wrong link is undone by the centre and management, also once the ticket is closed.
        for state in table.keys() - {S.ARCHIVED}:
            table[state][A.UNLINK_REPEAT] = Transition(UNLINKERS, E.REPEAT_UNLINKED, guard=is_linked,
                                                       guard_reason="not_linked")
    return {Path.FULL: full, Path.SHORT: short, Path.SALES: sales}


TABLE = _build()

# Actions a department takes on the ticket it holds; the rest are taken by the centre and
# management within their org unit's subtree.
DEPARTMENT_SIDE = frozenset(
    {A.ACKNOWLEDGE, A.TRANSFER, A.RETURN, A.CO_HANDLE, A.SUBMIT_PLAN, A.HANDLE,
     A.REPORT_PROGRESS}
)


def transition_for(kind: Kind, state: State, action: Action) -> Transition | None:
    return TABLE[PATH_OF_KIND[kind]].get(state, {}).get(action)


def role_may(role: Role, kind: Kind, state: State, action: Action) -> bool:
    t = transition_for(kind, state, action)
    return t is not None and role in t.roles


def in_org_scope(actor: ActorFacts, ticket: TicketFacts) -> bool:
    if actor.role == Role.ADMIN:
        return True
    if not actor.org_unit_path:
        return False
    return ticket.org_unit_path.startswith(actor.org_unit_path)


def holds_ticket(actor: ActorFacts, ticket: TicketFacts) -> bool:
    """The actor's department holds the lead assignment; a ticket dispatched to a named
    staff account is acted on by that person or their department head."""
    if actor.department_id is None or actor.department_id != ticket.lead_department_id:
        return False
    if ticket.lead_assignee_id is None:
        return True
    return actor.user_id == ticket.lead_assignee_id or actor.role == Role.DEPT_HEAD


def in_scope(actor: ActorFacts, ticket: TicketFacts, action: Action) -> bool:
    if actor.role in DEPARTMENT_ROLES:
        if action == Action.ASSIST_INPUT:
            # In scope for any department on the ticket; the guard then says "not assisting"
            # to the lead department, which consolidates instead.
            return actor_assists(ticket, actor) or holds_ticket(actor, ticket)
        return holds_ticket(actor, ticket)
    if actor.role in CENTRE_ROLES or actor.role == Role.ADMIN:
        # First-contact responsibility: whoever registered a ticket stays accountable for it,
        # even when it belongs to another org unit (a counter agent serving a visitor).
        return in_org_scope(actor, ticket) or (
            ticket.owner_id is not None and ticket.owner_id == actor.user_id
        )
    return False


@dataclass(frozen=True)
class Refusal:
    code: str  # not_in_state | role | scope | guard reason
    state: State
    action: Action
    detail: dict = field(default_factory=dict)


def check(actor: ActorFacts, ticket: TicketFacts, action: Action) -> Refusal | None:
    """None when the actor may take the action now; otherwise why not."""
    t = transition_for(ticket.kind, ticket.state, action)
    if t is None:
        return Refusal("not_in_state", ticket.state, action)
    if actor.role not in t.roles:
        return Refusal("role", ticket.state, action)
    if not in_scope(actor, ticket, action):
        return Refusal("scope", ticket.state, action)
    if t.guard is not None and not t.guard(ticket, actor):
        return Refusal(t.guard_reason or "guard", ticket.state, action)
    return None


def allowed_actions(actor: ActorFacts, ticket: TicketFacts) -> list[Action]:
    return [a for a in Action if check(actor, ticket, a) is None]


def is_open(state: State) -> bool:
    return state in OPEN_STATES


def is_read_only(state: State) -> bool:
    return state == State.ARCHIVED


# -- notes, links and merges (desk/, issue 12 §5) --------------------------------------------
# Outside the table: a note or a link keeps every state, and a merge closes only the
# duplicate. The services ask these functions as they ask `check`.

# Merging decides that two tickets are one case: the centre's call (as review and dispatch are).
MERGERS = frozenset({R.DISPATCHER, R.SUPERVISOR})
# Links and notes: anyone on the case; the services also require that the actor sees the tickets.
LINKERS = frozenset({R.INTAKE_AGENT, R.DISPATCHER, R.SUPERVISOR, R.LEADER, R.HANDLER, R.DEPT_HEAD})
NOTE_ROLES = LINKERS


def note_refusal(actor: ActorFacts, ticket: TicketFacts) -> Refusal | None:
    """An internal note: any staff member on the case, until the ticket is archived."""
    if is_read_only(ticket.state):
        return Refusal("not_in_state", ticket.state, Action.URGE)
    if actor.role not in NOTE_ROLES:
        return Refusal("role", ticket.state, Action.URGE)
    return None


def link_refusal(actor: ActorFacts, ticket: TicketFacts, other: TicketFacts, *, same: bool) -> Refusal | None:
    if same:
        return Refusal("link_self", ticket.state, Action.URGE)
    for t in (ticket, other):
        if is_read_only(t.state):
            return Refusal("not_in_state", t.state, Action.URGE)
    if actor.role not in LINKERS:
        return Refusal("role", ticket.state, Action.URGE)
    return None


def merge_refusal(actor: ActorFacts, duplicate: TicketFacts, survivor: TicketFacts, *,
                  same: bool) -> Refusal | None:
    """Merging `duplicate` into `survivor`: both open, two different tickets, by the centre,
    each within the actor's scope (org subtree, or registered by them)."""
    if same:
        return Refusal("merge_self", duplicate.state, Action.CLOSE)
    if not is_open(duplicate.state):
        return Refusal("not_in_state", duplicate.state, Action.CLOSE)
    if not is_open(survivor.state):
        return Refusal("survivor_closed", survivor.state, Action.CLOSE)
    if actor.role not in MERGERS:
        return Refusal("role", duplicate.state, Action.CLOSE)
    for t in (duplicate, survivor):
        if not (in_org_scope(actor, t) or (t.owner_id is not None and t.owner_id == actor.user_id)):
            return Refusal("scope", t.state, Action.CLOSE)
    return None
