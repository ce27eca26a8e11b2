"""Sign-in throttling: django-axes with one limit per staff number and another per address.

django-axes keeps every failed sign-in as a row in the database (AccessAttempt), so all gunicorn
workers, and every machine on the same database, count the same failures. It compares a single
number with a single limit (AXES_FAILURE_LIMIT); we want two: a staff number is locked after
SIGNIN_LOCKOUT_ACCOUNT_FAILURES failures from anywhere, an address after
SIGNIN_LOCKOUT_IP_FAILURES whatever staff numbers it tries (higher, because a call centre signs
in from behind one NAT address). SignInThrottle therefore scales each count to the account
limit, so that "scaled count ≥ AXES_FAILURE_LIMIT" holds exactly when one of the two real
limits is reached.
"""

import datetime as dt

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone


def _limits() -> dict[str, int]:
    return {
        "username": settings.SIGNIN_LOCKOUT_ACCOUNT_FAILURES,
        "ip_address": settings.SIGNIN_LOCKOUT_IP_FAILURES,
    }


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or — behind N trusted reverse proxies (TRUSTED_PROXIES = N) — the address the
    nearest proxy saw; never a header the client could forge. None where there is none (a
    request made in code, as force_login does): the column is an IP address on PostgreSQL."""
    hops = int(getattr(settings, "TRUSTED_PROXIES", 0))
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


class SignInThrottle(AxesDatabaseHandler):
    def _recent(self, request, credentials) -> list[tuple[str, int, dt.datetime | None]]:
        """(parameter, failures, last failure) per lock-out parameter, within the cool-off."""
        username = get_client_username(request, credentials)
        values = {"username": username, "ip_address": request.axes_ip_address}
        threshold = get_cool_off_threshold(request)
        rows = []
        for parameter in settings.AXES_LOCKOUT_PARAMETERS:
            if values[parameter] is None:  # no staff number given: nothing to count per account
                rows.append((parameter, 0, None))
                continue
            agg = AccessAttempt.objects.filter(
                **{parameter: values[parameter]}, attempt_time__gte=threshold
            ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            rows.append((parameter, agg["failures"] or 0, agg["last"]))
        return rows

    def get_failures(self, request, credentials=None) -> int:
        base = settings.AXES_FAILURE_LIMIT
        limits = _limits()
        return max(
            (failures * base // limits[parameter] for parameter, failures, _last in self._recent(request, credentials)),
            default=0,
        )

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A good sign-in forgives the account's own failures from this address only: not the
        # address's failures on other accounts (one valid account must not reset a spraying
        # attacker's count) and not failures from elsewhere (someone else may be guessing).
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


def signin_lockout_ends(request, credentials=None) -> dt.datetime | None:
    """When the lock-out that refuses this sign-in ends (None: not locked out)."""
    AxesProxyHandler.update_request(request)
    cool_off = get_cool_off(request)
    limits = _limits()
    ends = [
        last + cool_off
        for parameter, failures, last in SignInThrottle()._recent(request, credentials)
        if last is not None and failures >= limits[parameter]
    ]
    return max(ends) if ends else None


def signin_retry_after(request, credentials=None) -> int:
    """Seconds until the lock-out ends (at least 1), for the Retry-After header."""
    ends = signin_lockout_ends(request, credentials)
    if ends is None:
        return 1
    return max(1, int((ends - timezone.now()).total_seconds() + 0.999))
