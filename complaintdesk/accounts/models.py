import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import DEPARTMENT_ROLES, Role


class User(AbstractUser):
    """A staff account (工号) with one role, an org unit and, for department roles, a department."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices(), default=Role.INTAKE_AGENT)
    employee_no = models.CharField(_("employee number"), max_length=20, unique=True, null=True, blank=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    org_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("org unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="staff",
    )
    department = models.ForeignKey(
        "org.Department", verbose_name=_("department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="staff",
    )
    # Set by an administrator; a role can require it too (RoleTotpRequirement).
    totp_required = models.BooleanField(
        _("sign-in code required"), default=False,
        help_text=_("Sign-in also asks for a code from an authenticator app (TOTP)."),
    )

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")

    def __str__(self):
        return self.display_name or self.username

    def clean(self):
        # A department role without a department could see and do nothing: refuse it early.
        super().clean()
        if self.role in DEPARTMENT_ROLES and not self.department_id:
            raise ValidationError({"department": _("Department handlers and heads need a department.")})
        if self.role not in (Role.ADMIN,) and not self.org_unit_id:
            raise ValidationError({"org_unit": _("Staff other than administrators need an org unit.")})


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for an integration, acting as its staff account.

    Only the SHA-256 of the token is stored: a leaked database does not leak working tokens.
    """

    user = models.ForeignKey(User, verbose_name=_("staff account"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_raw_token() -> str:
        return "cd_" + secrets.token_urlsafe(32)


class RoleTotpRequirement(models.Model):
    """A role whose staff must sign in with a code from an authenticator app (TOTP)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices(), unique=True)

    class Meta:
        verbose_name = _("role that needs a sign-in code")
        verbose_name_plural = _("roles that need a sign-in code")

    def __str__(self):
        return self.get_role_display()
