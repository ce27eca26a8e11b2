"""Sign-in codes (TOTP, RFC 6238) for staff, on django-otp's TOTPDevice.

A staff member may enrol (an authenticator app scans a QR code made here, by segno, as SVG:
nothing leaves the server); an administrator can require it for a role (RoleTotpRequirement)
or an account (User.totp_required). Whoever has a confirmed device is asked for the code at
every sign-in; whoever must have one and has none enrols during sign-in. Codes are checked by
django-otp under a row lock (a code works once) with its growing delay after wrong codes.
"""

import base64
import enum
from dataclasses import dataclass

import django_otp
import segno
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

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


def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The device being enrolled: kept (same secret) until confirmed, so that reloading the
    page does not invalidate what the app already scanned."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


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
    """The first right code confirms the device; any other device of the user goes."""
    verdict = totp_code_check(user=user, device=device, code=code)
    if verdict.result is CodeCheck.OK:
        with transaction.atomic():
            TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        verdict.device.confirmed = True
    return verdict


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
