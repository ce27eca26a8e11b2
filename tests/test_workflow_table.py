"""The pure workflow table against an expectation written out by hand (no database).

EXPECTED below is written from the rules of domain.md ("The flow") and the docstring of
tickets/workflow.py, NOT from workflow.TABLE:

- review (valid / invalid) and dispatch: the centre (dispatcher, supervisor);
- intake agents register, resolve on the spot, reply and call back;
- department roles (handler, dept_head) acknowledge, transfer, return, co-handle, give
  assisting input, submit the plan and handle;
- leaders approve / reject plans; the centre audits and closes without a callback;
- urge: dispatcher, supervisor, leader; supervise: supervisor, leader; in every open state;
- archive: dispatcher, supervisor, admin, from closed; reopen: dispatcher, supervisor;
- nothing at all on an archived ticket.
- deadline actions (issue 3), none of which changes the state: whoever talks to the customer
  (intake agent, dispatcher, supervisor; in the department states dispatched, in_progress,
  awaiting_approval and awaiting_audit also the department roles) asks the customer for
  information and records the answer, in every open state; the same people record a time
  agreed with the customer while the handling is not done yet (up to awaiting_approval);
  the department roles report progress from in_progress until the audit (in_progress,
  awaiting_approval, awaiting_audit).
- cross-ticket actions (issue 9, screening/), none of which changes the state: whoever talks
  to the customer sets the source tier, in every open state (the admin too, in the admin site); they and the supervisors and
  leaders set the special complainant type; they and the department roles record a special
  case's history check (the department roles in the department states only); dispatcher, supervisor and leader unlink a wrong repeat, in every
  state a path reaches but archived (also closed).
- FULL (complaint): review → dispatch → acknowledge → handle → audit → reply → callback.
- SHORT (inquiry): no audit, no callback; the reply closes the ticket.
- SALES (sales lead): routed to the region's sales lead, who reports the outcome (that
  closes it); "no review, audit, reply or callback".

Where the table and this reading differ, the cell is listed in DISAGREEMENTS with the
reason; the exhaustive test fails on any other difference (and on a listed one that goes
away, so the list stays true). tests/test_transition_matrix.py drives the services with the
same expectation (`expected_cell`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from complaintdesk.accounts.roles import Role
from complaintdesk.tickets import workflow
from complaintdesk.tickets.vocabulary import Action, Kind, Satisfaction, State
from complaintdesk.tickets.workflow import ActorFacts, Path, TicketFacts

R, S, A = Role, State, Action
P = Path

# -- role groups, as the rules name them ---------------------------------------------------
AGENT = frozenset({R.INTAKE_AGENT})
CENTRE = frozenset({R.DISPATCHER, R.SUPERVISOR})
DEPT = frozenset({R.HANDLER, R.DEPT_HEAD})
LEADER = frozenset({R.LEADER})
URGE_BY = frozenset({R.DISPATCHER, R.SUPERVISOR, R.LEADER})
SUPERVISE_BY = frozenset({R.SUPERVISOR, R.LEADER})
ARCHIVE_BY = frozenset({R.DISPATCHER, R.SUPERVISOR, R.ADMIN})

SAME = "same state"  # target of actions that keep the state (urge, co-handle, ...)

# Every open state of a path allows urging and supervising.
OPEN = {A.URGE: (URGE_BY, SAME), A.SUPERVISE: (SUPERVISE_BY, SAME)}

# The deadline actions, as the rules in the docstring name them.
CONTACT = frozenset({R.INTAKE_AGENT, R.DISPATCHER, R.SUPERVISOR})
ASK_CENTRE = {A.REQUEST_INFO: (CONTACT, SAME), A.INFO_RECEIVED: (CONTACT, SAME)}
ASK_DEPT = {A.REQUEST_INFO: (CONTACT | DEPT, SAME), A.INFO_RECEIVED: (CONTACT | DEPT, SAME)}
AGREE_CENTRE = {A.SET_AGREED_TIME: (CONTACT, SAME)}
AGREE_DEPT = {A.SET_AGREED_TIME: (CONTACT | DEPT, SAME)}
PROGRESS = {A.REPORT_PROGRESS: (DEPT, SAME)}

# -- the expectation: path -> state -> {action: (roles, target)} ---------------------------
# Targets of choosing transitions are given for the plain case (audit of a complete
# handling, a satisfied callback); the other branches are tested below.
# States a path never reaches are listed with no actions at all.
EXPECTED: dict[Path, dict[State, dict[Action, tuple[frozenset, object]]]] = {
    P.FULL: {
        S.REGISTERED: {
            A.RESOLVE_ON_SPOT: (AGENT, S.CLOSED),
            A.REVIEW_VALID: (CENTRE, S.AWAITING_DISPATCH),
            A.REVIEW_INVALID: (CENTRE, S.CLOSED),
            **ASK_CENTRE,
            **AGREE_CENTRE,
            **OPEN,
        },
        S.AWAITING_DISPATCH: {
            A.DISPATCH: (CENTRE, S.DISPATCHED),
            **ASK_CENTRE,
            **AGREE_CENTRE,
            **OPEN,
        },
        S.DISPATCHED: {
            A.ACKNOWLEDGE: (DEPT, S.IN_PROGRESS),
            A.TRANSFER: (DEPT, S.DISPATCHED),
            A.RETURN: (DEPT, S.AWAITING_DISPATCH),
            **ASK_DEPT,
            **AGREE_DEPT,
            **OPEN,
        },
        S.IN_PROGRESS: {
            A.TRANSFER: (DEPT, S.DISPATCHED),
            A.RETURN: (DEPT, S.AWAITING_DISPATCH),
            A.CO_HANDLE: (DEPT, SAME),
            A.ASSIST_INPUT: (DEPT, SAME),
            A.SUBMIT_PLAN: (DEPT, S.AWAITING_APPROVAL),
            A.HANDLE: (DEPT, S.AWAITING_AUDIT),
            **ASK_DEPT,
            **AGREE_DEPT,
            **PROGRESS,
            **OPEN,
        },
        S.AWAITING_APPROVAL: {
            A.APPROVE_PLAN: (LEADER, S.IN_PROGRESS),
            A.REJECT_PLAN: (LEADER, S.IN_PROGRESS),
            **ASK_DEPT,
            **AGREE_DEPT,
            **PROGRESS,
            **OPEN,
        },
        S.AWAITING_AUDIT: {
            A.AUDIT_APPROVE: (CENTRE, S.AWAITING_REPLY),
            A.AUDIT_REJECT: (CENTRE, S.IN_PROGRESS),
            **ASK_DEPT,
            **PROGRESS,
            **OPEN,
        },
        S.AWAITING_REPLY: {
            A.REPLY: (AGENT, S.AWAITING_CALLBACK),
            **ASK_CENTRE,
            **OPEN,
        },
        S.AWAITING_CALLBACK: {
            A.CALLBACK: (AGENT, S.CLOSED),
            # A failed call keeps the state; the last allowed one closes (test_callbacks.py).
            A.CALLBACK_ATTEMPT: (AGENT, S.AWAITING_CALLBACK),
            A.CLOSE: (CENTRE, S.CLOSED),
            **ASK_CENTRE,
            **OPEN,
        },
        S.CLOSED: {
            A.ARCHIVE: (ARCHIVE_BY, S.ARCHIVED),
            A.REOPEN: (CENTRE, S.AWAITING_DISPATCH),
        },
        S.ARCHIVED: {},
    },
    P.SHORT: {
        S.REGISTERED: {
            A.RESOLVE_ON_SPOT: (AGENT, S.CLOSED),
            A.REVIEW_VALID: (CENTRE, S.AWAITING_DISPATCH),
            A.REVIEW_INVALID: (CENTRE, S.CLOSED),
            **ASK_CENTRE,
            **AGREE_CENTRE,
            **OPEN,
        },
        S.AWAITING_DISPATCH: {
            A.DISPATCH: (CENTRE, S.DISPATCHED),
            **ASK_CENTRE,
            **AGREE_CENTRE,
            **OPEN,
        },
        S.DISPATCHED: {
            A.ACKNOWLEDGE: (DEPT, S.IN_PROGRESS),
            A.TRANSFER: (DEPT, S.DISPATCHED),
            A.RETURN: (DEPT, S.AWAITING_DISPATCH),
            **ASK_DEPT,
            **AGREE_DEPT,
            **OPEN,
        },
        S.IN_PROGRESS: {
            A.TRANSFER: (DEPT, S.DISPATCHED),
            A.RETURN: (DEPT, S.AWAITING_DISPATCH),
            A.CO_HANDLE: (DEPT, SAME),
            A.ASSIST_INPUT: (DEPT, SAME),
            A.HANDLE: (DEPT, S.AWAITING_REPLY),  # no audit
            **ASK_DEPT,
            **AGREE_DEPT,
            **PROGRESS,
            **OPEN,
        },
        S.AWAITING_APPROVAL: {},  # never reached: no plan approval
        S.AWAITING_AUDIT: {},  # never reached: no audit
        S.AWAITING_REPLY: {
            A.REPLY: (AGENT, S.CLOSED),  # no callback: the reply closes
            **ASK_CENTRE,
            **OPEN,
        },
        S.AWAITING_CALLBACK: {},  # never reached
        S.CLOSED: {
            A.ARCHIVE: (ARCHIVE_BY, S.ARCHIVED),
            A.REOPEN: (CENTRE, S.AWAITING_DISPATCH),
        },
        S.ARCHIVED: {},
    },
    P.SALES: {
        S.REGISTERED: {
            # No review: routed straight on to the region's sales lead.
            A.DISPATCH: (CENTRE, S.DISPATCHED),
            **ASK_CENTRE,
            **AGREE_CENTRE,
            **OPEN,
        },
        S.AWAITING_DISPATCH: {},  # never reached: dispatched from registered
        S.DISPATCHED: {
            A.ACKNOWLEDGE: (DEPT, S.IN_PROGRESS),
            A.TRANSFER: (DEPT, S.DISPATCHED),
            A.RETURN: (DEPT, S.REGISTERED),  # back to where it is dispatched from
            **ASK_DEPT,
            **AGREE_DEPT,
            **OPEN,
        },
        S.IN_PROGRESS: {
            A.TRANSFER: (DEPT, S.DISPATCHED),
            A.RETURN: (DEPT, S.REGISTERED),
            A.CO_HANDLE: (DEPT, SAME),
            A.ASSIST_INPUT: (DEPT, SAME),
            A.HANDLE: (DEPT, S.CLOSED),  # the sales lead reports the outcome
            **ASK_DEPT,
            **AGREE_DEPT,
            **PROGRESS,
            **OPEN,
        },
        S.AWAITING_APPROVAL: {},
        S.AWAITING_AUDIT: {},
        S.AWAITING_REPLY: {},
        S.AWAITING_CALLBACK: {},
        S.CLOSED: {
            A.ARCHIVE: (ARCHIVE_BY, S.ARCHIVED),
            A.REOPEN: (CENTRE, S.REGISTERED),
        },
        S.ARCHIVED: {},
    },
}

# The cross-ticket actions, added to every state as the rules above say (a state a path never
# reaches has no actions at all, and neither has an archived ticket).
UNLINK_BY = frozenset({R.DISPATCHER, R.SUPERVISOR, R.LEADER})
for _states in EXPECTED.values():
    for _state, _cell in _states.items():
        if not _cell:
            continue
        _cell[A.UNLINK_REPEAT] = (UNLINK_BY, SAME)
        if _state not in (S.CLOSED, S.ARCHIVED):
            _cell[A.SET_SOURCE] = (CONTACT | {R.ADMIN}, SAME)
            _cell[A.SET_SPECIAL_TYPE] = (CONTACT | SUPERVISE_BY, SAME)
            in_department = _state in (S.DISPATCHED, S.IN_PROGRESS, S.AWAITING_APPROVAL, S.AWAITING_AUDIT)
            _cell[A.GATHER_HISTORY] = (CONTACT | DEPT if in_department else CONTACT, SAME)
            # The regulator's deadline (issue 10 §3): the contact staff, supervisors and leaders.
            _cell[A.EXTEND_REGULATOR_DEADLINE] = (CONTACT | SUPERVISE_BY | {R.LEADER}, SAME)

KIND_OF_PATH = {P.FULL: Kind.COMPLAINT, P.SHORT: Kind.INQUIRY, P.SALES: Kind.SALES_LEAD}


# -- where workflow.TABLE and the reading above differ --------------------------------------

@dataclass(frozen=True)
class Disagreement:
    why: str
    paths: tuple
    states: tuple
    actions: tuple
    roles: tuple
    table_allows: bool
    target: object = None  # the table's target, when EXPECTED has none for the cell

    def cells(self):
        return set(itertools.product(self.paths, self.states, self.actions, self.roles))


_NEVER_REACHED = {
    P.SHORT: (S.AWAITING_APPROVAL, S.AWAITING_AUDIT, S.AWAITING_CALLBACK),
    P.SALES: (S.AWAITING_DISPATCH, S.AWAITING_APPROVAL, S.AWAITING_AUDIT, S.AWAITING_REPLY,
              S.AWAITING_CALLBACK),
}

DISAGREEMENTS = [
    # -- probably intended, to confirm ---------------------------------------------------
    Disagreement(
        "The table lets the centre (dispatcher, supervisor) resolve on the spot, reply and "
        "call back too (INTAKE / REPLIERS); the rule names intake agents only. Plausible "
        "(000: the centre owns the reply), but not what the rule says.",
        (P.FULL, P.SHORT), (S.REGISTERED,), (A.RESOLVE_ON_SPOT,), (R.DISPATCHER, R.SUPERVISOR), True,
    ),
    Disagreement(
        "Reply by the centre: see resolve on the spot.",
        (P.FULL, P.SHORT), (S.AWAITING_REPLY,), (A.REPLY,), (R.DISPATCHER, R.SUPERVISOR), True,
    ),
    Disagreement(
        "Callback by the centre: see resolve on the spot.",
        (P.FULL,), (S.AWAITING_CALLBACK,), (A.CALLBACK, A.CALLBACK_ATTEMPT), (R.DISPATCHER, R.SUPERVISOR), True,
    ),
    Disagreement(
        "Transfer and co-handle are open to the centre too (TRANSFERRERS = DEPT | CENTRE); the "
        "rule gives them to department roles. Lets the centre re-route a ticket a department "
        "sits on; the rule would make the centre wait for a return.",
        (P.FULL, P.SHORT, P.SALES), (S.DISPATCHED, S.IN_PROGRESS), (A.TRANSFER,),
        (R.DISPATCHER, R.SUPERVISOR), True,
    ),
    Disagreement(
        "Co-handle by the centre: see transfer.",
        (P.FULL, P.SHORT), (S.IN_PROGRESS,), (A.CO_HANDLE,), (R.DISPATCHER, R.SUPERVISOR), True,
    ),
    Disagreement(
        "A sales lead is dispatched by the intake agent too (INTAKE on SALES/registered, "
        "'the intake agent who takes the lead sends it straight on'); the rule: dispatch by "
        "the centre.",
        (P.SALES,), (S.REGISTERED,), (A.DISPATCH,), (R.INTAKE_AGENT,), True,
    ),
    # -- likely defects ------------------------------------------------------------------
    Disagreement(
        "The module docstring says SALES has 'no review', yet SALES/registered allows "
        "review_invalid for the centre.",
        (P.SALES,), (S.REGISTERED,), (A.REVIEW_INVALID,), tuple(CENTRE), True, S.CLOSED,
    ),
    Disagreement(
        "SALES/in_progress has no co-handle and no assisting input, although "
        "_department_stage's docstring says 'Acknowledge, transfer, return, co-handle: the "
        "same on every path with departments' and the SALES docstring does not exclude them.",
        (P.SALES,), (S.IN_PROGRESS,), (A.CO_HANDLE, A.ASSIST_INPUT), tuple(DEPT), False,
    ),
]

def _disagreement_index():
    index = {}
    for d in DISAGREEMENTS:
        for cell in d.cells():
            assert cell not in index, f"cell listed twice: {cell}"
            index[cell] = d
    return index


DISAGREEING = _disagreement_index()


def expected_cell(path: Path, state: State, action: Action, role: Role):
    """(allowed, target) for one cell as the table is known to stand: EXPECTED, with the
    listed disagreements taken the table's way. Shared with the service matrix test."""
    roles, target = EXPECTED[path][state].get(action, (frozenset(), None))
    allowed = role in roles
    d = DISAGREEING.get((path, state, action, role))
    if d is not None:
        allowed = d.table_allows
        target = target if target is not None else d.target
    if target == SAME:
        target = state
    return allowed, (target if allowed else None)


def _all_cells():
    return itertools.product(Path, State, Action, Role)


# -- the exhaustive check ------------------------------------------------------------------

def test_expected_table_is_complete_and_well_formed():
    for path in Path:
        assert set(EXPECTED[path]) == set(State), path
        assert EXPECTED[path][S.ARCHIVED] == {}
        for state, row in EXPECTED[path].items():
            for action, (roles, target) in row.items():
                assert roles, (path, state, action)
                assert target is SAME or target in State, (path, state, action)
    # Each path's kinds map to it.
    for path, kind in KIND_OF_PATH.items():
        assert workflow.PATH_OF_KIND[kind] is path


@pytest.mark.parametrize("path", list(Path), ids=str)
def test_every_cell_matches_the_expectation(path):
    kind = KIND_OF_PATH[path]
    differ = set()
    for state, action, role in itertools.product(State, Action, Role):
        expected = role in EXPECTED[path][state].get(action, (frozenset(), None))[0]
        if workflow.role_may(role, kind, state, action) != expected:
            differ.add((path, state, action, role))
    known = {cell for cell in DISAGREEING if cell[0] is path}
    unexpected = sorted(differ - known)
    gone = sorted(known - differ)
    assert not unexpected, f"table differs from EXPECTED (not a listed disagreement): {unexpected}"
    assert not gone, f"listed disagreements no longer hold, update DISAGREEMENTS: {gone}"


def test_cell_count():
    cells = list(_all_cells())
    assert len(cells) == len(Path) * len(State) * len(Action) * len(Role) == 3 * 10 * 32 * 7


@pytest.mark.parametrize("path", list(Path), ids=str)
def test_targets_of_allowed_cells(path):
    """Plain facts (no partial handling, nothing to approve) and a satisfied callback."""
    kind = KIND_OF_PATH[path]
    payload = {"satisfaction": Satisfaction.SATISFIED}
    for state, action, role in itertools.product(State, Action, Role):
        allowed, target = expected_cell(path, state, action, role)
        if not allowed:
            continue
        t = workflow.transition_for(kind, state, action)
        facts = TicketFacts(kind=kind, state=state)
        assert workflow.resolve_target(t, facts, payload) == target, (path, state, action, role)


def test_archived_is_read_only_for_everyone():
    for kind, action, role in itertools.product(Kind, Action, Role):
        assert not workflow.role_may(role, kind, S.ARCHIVED, action)
        assert workflow.transition_for(kind, S.ARCHIVED, action) is None
    admin = ActorFacts(user_id=1, role=R.ADMIN)
    assert workflow.allowed_actions(admin, TicketFacts(kind=Kind.COMPLAINT, state=S.ARCHIVED)) == []
    assert workflow.is_read_only(S.ARCHIVED)


def test_every_kind_follows_its_path():
    """One kind per path is checked cell by cell; the others must share its rows."""
    for kind in Kind:
        rep = KIND_OF_PATH[workflow.PATH_OF_KIND[kind]]
        for state, action in itertools.product(State, Action):
            assert workflow.transition_for(kind, state, action) is workflow.transition_for(rep, state, action)


# -- targets that depend on facts or payload -----------------------------------------------

def _target(kind, state, action, payload=None, **facts):
    t = workflow.transition_for(kind, state, action)
    assert t is not None, (kind, state, action)
    return workflow.resolve_target(t, TicketFacts(kind=kind, state=state, **facts), payload or {})


@pytest.mark.parametrize(
    ("satisfaction", "target"),
    [
        (Satisfaction.DISSATISFIED, S.AWAITING_DISPATCH),
        (Satisfaction.SATISFIED, S.CLOSED),
        (Satisfaction.NEUTRAL, S.CLOSED),
    ],
)
def test_callback_target_by_satisfaction(satisfaction, target):
    assert _target(Kind.COMPLAINT, S.AWAITING_CALLBACK, A.CALLBACK, {"satisfaction": satisfaction}) == target


def test_audit_approve_of_a_partial_goes_back_to_the_department():
    assert _target(Kind.COMPLAINT, S.AWAITING_AUDIT, A.AUDIT_APPROVE, partial=True) == S.IN_PROGRESS
    assert _target(Kind.COMPLAINT, S.AWAITING_AUDIT, A.AUDIT_APPROVE, partial=False) == S.AWAITING_REPLY
    assert _target(Kind.COMPLAINT, S.AWAITING_AUDIT, A.AUDIT_REJECT, partial=True) == S.IN_PROGRESS


def test_path_specific_targets():
    assert _target(Kind.INQUIRY, S.AWAITING_REPLY, A.REPLY) == S.CLOSED
    assert _target(Kind.SUGGESTION, S.AWAITING_REPLY, A.REPLY) == S.CLOSED
    assert _target(Kind.COMPLAINT, S.AWAITING_REPLY, A.REPLY) == S.AWAITING_CALLBACK
    assert _target(Kind.SALES_LEAD, S.IN_PROGRESS, A.HANDLE) == S.CLOSED
    assert _target(Kind.INQUIRY, S.IN_PROGRESS, A.HANDLE) == S.AWAITING_REPLY
    assert _target(Kind.COMPLAINT, S.IN_PROGRESS, A.HANDLE) == S.AWAITING_AUDIT
    assert _target(Kind.SALES_LEAD, S.IN_PROGRESS, A.RETURN) == S.REGISTERED
    assert _target(Kind.SALES_LEAD, S.CLOSED, A.REOPEN) == S.REGISTERED
    assert _target(Kind.FAULT, S.CLOSED, A.REOPEN) == S.AWAITING_DISPATCH
    assert _target(Kind.COMPLAINT, S.IN_PROGRESS, A.URGE) == S.IN_PROGRESS


# -- guards ----------------------------------------------------------------------------------

BILLING, NETWORK = 10, 20
PROVINCE, CITY_A, CITY_B = "0001", "00010001", "00010002"


def handler(user_id=1, department=BILLING, role=R.HANDLER):
    return ActorFacts(user_id=user_id, role=role, department_id=department, org_unit_path=PROVINCE)


def centre(role=R.DISPATCHER, unit=PROVINCE, user_id=50):
    return ActorFacts(user_id=user_id, role=role, department_id=99, org_unit_path=unit)


def held(state=S.IN_PROGRESS, kind=Kind.COMPLAINT, **facts):
    values = dict(kind=kind, state=state, org_unit_path=CITY_A, lead_department_id=BILLING)
    values.update(facts)
    return TicketFacts(**values)


def code(actor, ticket, action):
    refusal = workflow.check(actor, ticket, action)
    return None if refusal is None else refusal.code


def test_handle_waits_for_a_required_plan_approval():
    assert code(handler(), held(requires_approval=True), A.HANDLE) == "plan_not_approved"
    assert code(handler(), held(requires_approval=True, plan_submitted=True), A.HANDLE) == "plan_not_approved"
    assert code(handler(), held(requires_approval=True, plan_approved=True), A.HANDLE) is None
    assert code(handler(), held(requires_approval=False), A.HANDLE) is None
    assert A.HANDLE not in workflow.allowed_actions(handler(), held(requires_approval=True))


def test_submit_plan_only_when_an_approval_is_needed():
    assert code(handler(), held(requires_approval=False), A.SUBMIT_PLAN) == "plan_not_needed"
    assert code(handler(), held(requires_approval=True, plan_approved=True), A.SUBMIT_PLAN) == "plan_not_needed"
    assert code(handler(), held(requires_approval=True), A.SUBMIT_PLAN) is None
    assert code(handler(role=R.DEPT_HEAD), held(requires_approval=True), A.SUBMIT_PLAN) is None


def test_short_and_sales_paths_have_no_plan_step():
    for kind in (Kind.INQUIRY, Kind.SALES_LEAD):
        ticket = held(kind=kind, requires_approval=True)
        assert code(handler(), ticket, A.SUBMIT_PLAN) == "not_in_state"
        assert code(handler(), ticket, A.HANDLE) is None


def test_assist_input_only_for_an_assisting_department():
    ticket = held(assisting_department_ids=frozenset({NETWORK}))
    assert code(handler(2, NETWORK), ticket, A.ASSIST_INPUT) is None
    assert code(handler(3, NETWORK, R.DEPT_HEAD), ticket, A.ASSIST_INPUT) is None
    # The lead department consolidates instead; an uninvolved one is out of scope.
    assert code(handler(1, BILLING), ticket, A.ASSIST_INPUT) == "not_assisting"
    assert code(handler(2, BILLING, R.DEPT_HEAD), ticket, A.ASSIST_INPUT) == "not_assisting"
    assert code(handler(4, 30), ticket, A.ASSIST_INPUT) == "scope"
    assert code(handler(1, BILLING), held(), A.ASSIST_INPUT) == "not_assisting"
    # An assisting department does not hold the ticket: it may not act as the lead.
    for action in (A.HANDLE, A.TRANSFER, A.RETURN, A.CO_HANDLE, A.SUBMIT_PLAN):
        assert code(handler(2, NETWORK), ticket, action) == "scope", action
    assert workflow.allowed_actions(handler(2, NETWORK), ticket) == [A.ASSIST_INPUT]
    assert A.ASSIST_INPUT not in workflow.allowed_actions(handler(1, BILLING), ticket)


# -- scope ---------------------------------------------------------------------------------

def test_handler_of_another_department_is_out_of_scope():
    for state, action in ((S.DISPATCHED, A.ACKNOWLEDGE), (S.IN_PROGRESS, A.HANDLE),
                          (S.IN_PROGRESS, A.TRANSFER), (S.DISPATCHED, A.RETURN)):
        ticket = held(state=state)
        assert code(handler(9, NETWORK), ticket, action) == "scope", action
        assert code(handler(9, NETWORK, R.DEPT_HEAD), ticket, action) == "scope", action
        assert code(handler(1, BILLING), ticket, action) is None, action
        assert code(handler(9, None), ticket, action) == "scope", action
    # Nothing is held once the department is done with it.
    assert code(handler(), held(state=S.IN_PROGRESS, lead_department_id=None), A.HANDLE) == "scope"


def test_centre_user_outside_the_org_unit_subtree_is_out_of_scope():
    ticket = held(state=S.AWAITING_DISPATCH, lead_department_id=None)
    assert code(centre(unit=PROVINCE), ticket, A.DISPATCH) is None
    assert code(centre(unit=CITY_A), ticket, A.DISPATCH) is None
    assert code(centre(unit=CITY_B), ticket, A.DISPATCH) == "scope"
    assert code(centre(unit=None), ticket, A.DISPATCH) == "scope"
    assert code(centre(R.SUPERVISOR, CITY_B), ticket, A.SUPERVISE) == "scope"
    assert code(centre(R.LEADER, CITY_B), held(state=S.AWAITING_APPROVAL), A.APPROVE_PLAN) == "scope"
    assert code(centre(R.LEADER, PROVINCE), held(state=S.AWAITING_APPROVAL), A.APPROVE_PLAN) is None
    registered = held(state=S.REGISTERED, lead_department_id=None)
    assert code(centre(R.INTAKE_AGENT, CITY_B), registered, A.RESOLVE_ON_SPOT) == "scope"
    # The administrator archives anywhere.
    assert code(ActorFacts(user_id=7, role=R.ADMIN), held(state=S.CLOSED), A.ARCHIVE) is None


def test_named_assignee_or_the_department_head_only():
    ticket = held(state=S.DISPATCHED, lead_assignee_id=1)
    assert code(handler(1, BILLING), ticket, A.ACKNOWLEDGE) is None
    assert code(handler(2, BILLING, R.DEPT_HEAD), ticket, A.ACKNOWLEDGE) is None
    assert code(handler(3, BILLING), ticket, A.ACKNOWLEDGE) == "scope"
    assert workflow.allowed_actions(handler(3, BILLING), ticket) == []
    in_progress = held(state=S.IN_PROGRESS, lead_assignee_id=1)
    assert code(handler(3, BILLING), in_progress, A.HANDLE) == "scope"
    assert code(handler(1, BILLING), in_progress, A.HANDLE) is None
    # A head of another department gains nothing from being a head.
    assert code(handler(4, NETWORK, R.DEPT_HEAD), ticket, A.ACKNOWLEDGE) == "scope"


def test_role_is_checked_before_scope_and_state_before_role():
    ticket = held(state=S.DISPATCHED)
    assert code(centre(R.LEADER, CITY_B), ticket, A.ACKNOWLEDGE) == "role"
    assert code(handler(9, NETWORK), ticket, A.HANDLE) == "not_in_state"


def test_waiting_on_the_customer_guards_the_deadline_actions():
    ticket = held()
    waiting = held(waiting_on_customer=True)
    assert code(handler(), ticket, A.REQUEST_INFO) is None
    assert code(handler(), waiting, A.REQUEST_INFO) == "already_waiting"
    assert code(handler(), ticket, A.INFO_RECEIVED) == "not_waiting"
    assert code(handler(), waiting, A.INFO_RECEIVED) is None
    assert code(centre(), waiting, A.INFO_RECEIVED) is None
    # Another department neither asks nor reports.
    assert code(handler(9, NETWORK), ticket, A.REQUEST_INFO) == "scope"
    assert code(handler(9, NETWORK), ticket, A.REPORT_PROGRESS) == "scope"
    assert code(handler(), ticket, A.REPORT_PROGRESS) is None
    assert code(centre(), ticket, A.REPORT_PROGRESS) == "role"
    assert code(handler(), held(state=S.AWAITING_REPLY), A.SET_AGREED_TIME) == "not_in_state"
