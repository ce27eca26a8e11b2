"""`complaintdesk demo`: load the demo organisation once, then hand out logins and a fresh token."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from complaintdesk.accounts.models import ApiToken, User
from complaintdesk.accounts.services import api_token_issue
from complaintdesk.demo import catalogue as cat
from complaintdesk.demo.loader import DEMO_PASSWORD, INTEGRATION_USERNAME, load_demo
from complaintdesk.org.models import OrgUnit

TOKEN_NAME = "demo"  # noqa: S105 (the token's label, not a secret)


@dataclass(frozen=True)
class DemoInfo:
    password: str
    # (username, role, display name) of every demo login, in the catalogue's order.
    logins: list[tuple[str, str, str]]
    # A bearer token of the integration account; "" when the database has no such account.
    token: str


def demo_prepare(*, tickets: int = 2000, out) -> DemoInfo:
    """Load the demo into an empty database; in any case issue a fresh demo API token.

    A database that already holds an organisation (an earlier demo run, or real data) is
    left as it is. Earlier tokens named "demo" of the integration account are revoked, so
    only the token printed last works.
    """
    if OrgUnit.objects.exists():
        out.write("The database already holds an organisation: nothing loaded.\n")
    else:
        load_demo(tickets=tickets, out=out)
    token = _demo_token_refresh(out)
    usernames = [s.username for s in cat.STAFF if s.username != INTEGRATION_USERNAME]
    found = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
    logins = [(name, found[name].role, found[name].display_name) for name in usernames if name in found]
    return DemoInfo(password=DEMO_PASSWORD, logins=logins, token=token)


def _demo_token_refresh(out) -> str:
    user = User.objects.filter(username=INTEGRATION_USERNAME, is_active=True).first()
    if user is None:
        out.write(f"No active “{INTEGRATION_USERNAME}” account: no demo API token issued.\n")
        return ""
    with transaction.atomic():
        ApiToken.objects.filter(user=user, name=TOKEN_NAME, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        return api_token_issue(user=user, name=TOKEN_NAME)
