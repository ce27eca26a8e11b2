"""Tracking codes and keyed hashes of what the portal must not keep in the clear."""

import hmac
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: read aloud or typed from a phone screen without mistakes.
ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 10  # 25**10 ≈ 9.5e13 codes; with the lookup limits, guessing is hopeless


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """What the customer typed, forgiving spaces, dashes, lower case and full-width letters."""
    text = "".join(ch for ch in (raw or "") if ch.isalnum())
    return text.upper()[:40]


def display_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def _keys() -> list[str]:
    # The current key first; fallbacks keep old codes working after a key rotation.
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def keyed_hash(value: str, *, purpose: str, secret: str | None = None) -> str:
    return salted_hmac(f"complaintdesk.portal.{purpose}", value, secret=secret or settings.SECRET_KEY,
                       algorithm="sha256").hexdigest()


def keyed_hashes(value: str, *, purpose: str) -> list[str]:
    return [keyed_hash(value, purpose=purpose, secret=key) for key in _keys()]


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
