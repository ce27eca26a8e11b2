"""Sign-in codes (TOTP, RFC 6238) for staff, on django-otp's TOTPDevice.

A staff member may enrol (an authenticator app scans a QR code made here, by segno, as SVG:
nothing leaves the server; the secret waits in the session until a first right code saves the
device, so showing the page writes nothing); an administrator can require it for a role (RoleTotpRequirement)
or an account (User.totp_required). Whoever has a confirmed device is asked for the code at
every sign-in; whoever must have one and has none enrols during sign-in. Codes are checked by
django-otp under a row lock (a code works once) with its growing delay after wrong codes.
"""

import base64
import enum
import time
from dataclasses import dataclass

import django_otp
import segno
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from complaintdesk.accounts.models import RoleTotpRequirement, User


class CodeCheck(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    WAIT = "wait"  # too many wrong codes just now: django-otp's delay is running


@dataclass(frozen=True)
class CodeVerdict:
    result: CodeCheck
    device: TOTPDevice | None = None
    wait_seconds: int = 0


def totp_device(user: User) -> TOTPDevice | None:
    """The staff member's confirmed device, if enrolled."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def totp_required(user: User) -> bool:
    return user.totp_required or RoleTotpRequirement.objects.filter(role=user.role).exists()


def totp_enrolment_device(*, user: User, key: str) -> TOTPDevice:
    """The device being enrolled, not saved: its secret is kept in the session until a first
    right code confirms it (showing the page changes nothing; reloading it keeps the secret
    the app already scanned)."""
    return TOTPDevice(user=user, key=key, name="authenticator", confirmed=True)


def totp_new_key() -> str:
    return default_key()


def totp_code_check(*, user: User, device: TOTPDevice, code: str) -> CodeVerdict:
    code = "".join(code.split())
    allowed, info = device.verify_is_allowed()
    if not allowed and info and info.get("locked_until"):
        wait = max(1, int((info["locked_until"] - timezone.now()).total_seconds() + 0.999))
        return CodeVerdict(CodeCheck.WAIT, wait_seconds=wait)
    if not code.isdigit() or len(code) != device.digits:
        return CodeVerdict(CodeCheck.WRONG)
    verified = django_otp.verify_token(user, device.persistent_id, code)
    return CodeVerdict(CodeCheck.OK, verified) if verified else CodeVerdict(CodeCheck.WRONG)


def totp_enrolment_confirm(*, user: User, device: TOTPDevice, code: str) -> CodeVerdict:
    """The first right code saves the device (unsaved until now); any other device of the
    user goes. A wrong code changes nothing (the sign-in step counts it with axes)."""
    code = "".join(code.split())
    if not code.isdigit() or len(code) != device.digits:
        return CodeVerdict(CodeCheck.WRONG)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(int(code), device.tolerance):
        return CodeVerdict(CodeCheck.WRONG)
    device.last_t = totp.t()  # this code is used: it will not work again
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one enrolment at a time
        TOTPDevice.objects.filter(user=user).delete()
        device.save()
    return CodeVerdict(CodeCheck.OK, device)


def totp_remove(*, user: User) -> int:
    count, _ = TOTPDevice.objects.filter(user=user).delete()
    return count


def totp_secret(device: TOTPDevice) -> str:
    """The secret in base32, grouped by four, for typing into an app that cannot scan."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (no script, no outside service)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=2, title=gettext("QR code for your authenticator app")
    )
