"""Rate limits per client IP and per phone, counted in the database so that every gunicorn
process (and every machine behind the same database) shares them.

Fixed windows: a counter row per (limit, client) with the end of its window. A hit adds one
in a single UPDATE when the window is still open, else starts a new window. Keys hold a
keyed hash of the IP or phone, never the value. Limits can be changed in settings
(PORTAL_RATE_LIMITS: name → (count, seconds)).
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from complaintdesk.portal.codes import keyed_hash
from complaintdesk.portal.models import RateCounter

DEFAULT_LIMITS = {
    # Filing: attempts per IP; tickets filed per phone.
    "file_ip": (20, 3600),
    "file_phone": (5, 86400),
    # Lookups: attempts per IP and per phone. 20 an hour against ~1e14 codes: useless to guess.
    "lookup_ip": (20, 3600),
    "lookup_phone": (10, 3600),
    # Answers, ratings and the form helpers (phone check, category search) per IP.
    "act_ip": (30, 3600),
    "helper_ip": (300, 3600),
}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds


def _limit(name: str) -> tuple[int, int]:
    limits = {**DEFAULT_LIMITS, **getattr(settings, "PORTAL_RATE_LIMITS", {})}
    return limits[name]


def _key(name: str, subject: str) -> str:
    return f"{name}:{keyed_hash(subject, purpose='throttle')[:48]}"


def rate_peek(*, name: str, subject: str, now: dt.datetime | None = None) -> Verdict:
    """Would one more hit be allowed? Counts nothing."""
    now = now or timezone.now()
    limit, _seconds = _limit(name)
    row = RateCounter.objects.filter(key=_key(name, subject), expires_at__gt=now).values("count", "expires_at").first()
    if row is None or row["count"] < limit:
        return Verdict(True)
    return Verdict(False, _retry(row["expires_at"], now))


def rate_hit(*, name: str, subject: str, now: dt.datetime | None = None) -> Verdict:
    """Count one hit; refused (and still counted) once the window holds `limit` hits."""
    now = now or timezone.now()
    limit, seconds = _limit(name)
    key = _key(name, subject)
    ends = now + dt.timedelta(seconds=seconds)
    with transaction.atomic():
        # Within the open window, else restart an expired one, else create the row.
        if not (RateCounter.objects.filter(key=key, expires_at__gt=now).update(count=F("count") + 1)
                or RateCounter.objects.filter(key=key, expires_at__lte=now).update(count=1, expires_at=ends)):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, count=1, expires_at=ends)
            except IntegrityError:  # a concurrent first hit created it
                RateCounter.objects.filter(key=key).update(count=F("count") + 1)
            # New rows are rare: the moment to forget windows long closed.
            RateCounter.objects.filter(expires_at__lt=now - dt.timedelta(days=1)).delete()
        row = RateCounter.objects.filter(key=key).values("count", "expires_at").get()
    if row["count"] <= limit:
        return Verdict(True)
    return Verdict(False, _retry(row["expires_at"], now))


def _retry(ends: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((ends - now).total_seconds() + 0.999))


def client_ip(request) -> str:
    """REMOTE_ADDR, or — behind N trusted reverse proxies (PORTAL_TRUSTED_PROXIES = N) —
    the address the nearest proxy saw; never a header the client could forge."""
    hops = int(getattr(settings, "PORTAL_TRUSTED_PROXIES", 0))
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
