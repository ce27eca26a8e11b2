from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.models import ApiToken, RoleTotpRequirement, User, hash_token

_DESK_FIELDS = ("role", "employee_no", "display_name", "org_unit", "department", "totp_required")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Complaint desk"), {"fields": _DESK_FIELDS}))
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Complaint desk"), {"classes": ("wide",), "fields": _DESK_FIELDS}),
    )
    list_display = (
        "username", "display_name", "employee_no", "role", "org_unit", "department", "is_active",
    )
    list_filter = ("role", "department", "is_staff", "is_superuser", "is_active", "totp_required")
    list_select_related = ("org_unit", "department")
    search_fields = (*BaseUserAdmin.search_fields, "employee_no", "display_name")
    autocomplete_fields = ("org_unit", "department")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    autocomplete_fields = ("user",)
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "user")
        return ("name", "user", "prefix", "key_hash", "created_at", "revoked_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", "prefix", "key_hash", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            raw = ApiToken.new_raw_token()
            obj.key_hash = hash_token(raw)
            obj.prefix = raw[:8]
            super().save_model(request, obj, form, change)
            messages.success(
                request,
                _("New API token for %(name)s: %(token)s — copy it now, it will not be shown again.")
                % {"name": obj.name, "token": raw},
            )
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, _("Tokens revoked: %(count)d") % {"count": count})


@admin.register(RoleTotpRequirement)
class RoleTotpRequirementAdmin(admin.ModelAdmin):
    """Roles whose staff must sign in with a code (TOTP); one account: User.totp_required.
    A lost phone: delete the staff member's device under "TOTP devices"; they enrol again."""

    list_display = ("role",)
