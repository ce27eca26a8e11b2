"""The outbox, for inspection: every row read-only; failed messages can be retried."""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from complaintdesk.notifications import services
from complaintdesk.notifications.models import Message, NotificationSetting
from complaintdesk.notifications.vocabulary import MessageStatus


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "id", "created_at", "channel", "template", "recipient", "status", "attempts",
        "next_attempt_at", "sent_at",
    )
    list_filter = ("status", "channel")  # not template: a DISTINCT over the whole table
    list_select_related = ("recipient_user",)
    search_fields = ("dedupe_key", "to_phone")
    ordering = ("-id",)
    show_full_result_count = False
    actions = ("retry_now",)
    fieldsets = (
        (None, {"fields": ("dedupe_key", "channel", "template", "language", "context")}),
        (_("Recipient"), {"fields": ("recipient_user", "to_phone", "to_email")}),
        (_("Delivery"), {"fields": (
            "status", "attempts", "next_attempt_at", "claimed_at", "last_error", "provider_id",
            "created_at", "sent_at", "read_at",
        )}),
        (_("Rendered"), {"fields": ("subject", "body")}),
    )

    @admin.display(description=_("recipient"))
    def recipient(self, obj):
        return obj.recipient_label

    def get_readonly_fields(self, request, obj=None):
        return flatten_fieldsets(self.fieldsets)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description=_("Retry the selected failed messages now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        ids = list(queryset.filter(status=MessageStatus.FAILED).values_list("id", flat=True))
        count = services.message_retry(message_ids=ids, now=timezone.now())
        self.message_user(
            request,
            ngettext("%(count)d failed message will be sent again.",
                     "%(count)d failed messages will be sent again.", count) % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(NotificationSetting)
class NotificationSettingAdmin(admin.ModelAdmin):
    """Read-only here: each staff member chooses on their own settings page (/inbox/settings/),
    where the choices are checked; the admin shows what was chosen, e.g. to explain why a
    message went by text."""

    list_display = ("user", "sms_phone", "quiet_from", "quiet_to", "updated_at")
    search_fields = ("user__username", "user__display_name")
    readonly_fields = ("user", "channels", "sms_phone", "quiet_from", "quiet_to", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
