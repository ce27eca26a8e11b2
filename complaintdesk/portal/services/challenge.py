"""The filing challenge: a small sum, asked in words, whose answer is checked offline.

The form carries a signed token (django.core.signing, the server's key) with a random nonce,
the time it was issued and an HMAC of the answer, so the page does not give the answer away
and no server-side state is needed until a ticket is filed. A token is refused when it is
forged, older than MAX_AGE, answered sooner than MIN_SECONDS after it was issued (scripts
post at once; people read and type), or already used: the nonce is stored, inside the
filing's transaction, so one solved challenge files one ticket. Works without JavaScript
and reads well with a screen reader. It only stops unsophisticated bots; the rate limits
(services/throttle.py) bound what a determined one can do.
"""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.portal.codes import keyed_hash, same
from complaintdesk.portal.models import ChallengeUse

SALT = "complaintdesk.portal.challenge"
MAX_AGE = dt.timedelta(hours=2)
FIELD = "challenge_answer"


def min_seconds() -> float:
    return float(getattr(settings, "PORTAL_CHALLENGE_MIN_SECONDS", 3))


@dataclass(frozen=True)
class Challenge:
    token: str
    a: int
    b: int

    @property
    def question(self) -> str:
        return _("What is %(a)d plus %(b)d? Write the answer in digits.") % {"a": self.a, "b": self.b}


def challenge_new(*, now: dt.datetime | None = None) -> Challenge:
    now = now or timezone.now()
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    nonce = secrets.token_hex(12)
    token = signing.dumps(
        {"n": nonce, "t": int(now.timestamp()), "a": a, "b": b,
         "h": keyed_hash(f"{nonce}:{a + b}", purpose="challenge")},
        salt=SALT, compress=True,
    )
    return Challenge(token=token, a=a, b=b)


def challenge_read(token: str) -> Challenge | None:
    """The challenge a token asked (to ask it again with the form), or None if forged."""
    try:
        data = signing.loads(token or "", salt=SALT)
        return Challenge(token=token, a=int(data["a"]), b=int(data["b"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def challenge_check(*, token: str, answer: str, now: dt.datetime | None = None) -> str:
    """The nonce of a correctly answered, fresh challenge; ValidationFailed otherwise."""
    now = now or timezone.now()
    try:
        data = signing.loads(token or "", salt=SALT)
        nonce, issued, digest = str(data["n"]), int(data["t"]), str(data["h"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationFailed.on(FIELD, _("The check question has expired; answer the new one.")) from None
    age = now.timestamp() - issued
    if age > MAX_AGE.total_seconds() or age < -60:
        raise ValidationFailed.on(FIELD, _("The check question has expired; answer the new one."))
    text = (answer or "").strip()
    try:
        value = int(text)  # also full-width digits typed with a Chinese input method
    except ValueError:
        raise ValidationFailed.on(FIELD, _("Answer the check question in digits."), "required" if not text else "invalid") from None
    if not same(keyed_hash(f"{nonce}:{value}", purpose="challenge"), digest):
        raise ValidationFailed.on(FIELD, _("That is not the right answer to the check question."))
    if age < min_seconds():
        raise ValidationFailed.on(FIELD, _("That was very fast. Please check the form and send it again."))
    if ChallengeUse.objects.filter(nonce=nonce).exists():
        raise ValidationFailed.on(FIELD, _("This form was already sent. Answer the new check question to send another."))
    return nonce


def challenge_use(*, nonce: str, now: dt.datetime | None = None) -> None:
    """Mark the nonce used; call inside the filing's transaction (a twin request fails here)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            ChallengeUse.objects.create(nonce=nonce, expires_at=now + MAX_AGE)
    except IntegrityError:
        raise ValidationFailed.on(FIELD, _("This form was already sent. Answer the new check question to send another.")) from None
    ChallengeUse.objects.filter(expires_at__lt=now).delete()
