"""API authentication: bearer tokens for integrations, the session (with CSRF) for staff."""

from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer, SessionAuth

from complaintdesk.accounts.models import ApiToken, hash_token
from complaintdesk.core.queries import unique_or_none


class BearerToken(HttpBearer):
    openapi_description = "Authorization: Bearer <token> (issue one with `complaintdesk issue_token`)."

    def authenticate(self, request, token):
        if not token or len(token) > 200:
            return None
        row = unique_or_none(
            ApiToken.objects.select_related("user__org_unit")
            .filter(key_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
        )
        if row is None:
            return None
        request.user = row.user
        return row.user


class StaffSession(SessionAuth):
    """Django's session; ninja checks the CSRF token on unsafe methods."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user


AUTH_FAILED = _("Sign in, or send a valid token as “Authorization: Bearer <token>”.")
