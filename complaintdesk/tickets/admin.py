"""Tickets are inspected here, never edited: every change goes through the workflow services,
and the event log is append-only."""

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.translation import gettext_lazy as _

from complaintdesk.search.admin import FullTextSearchMixin
from complaintdesk.tickets.models import Assignment, Attachment, Ticket, TicketEvent


class ReadOnlyMixin:
    """No add, change or delete: users with the view permission see every field read-only."""

    def get_readonly_fields(self, request, obj=None):
        if self.fieldsets:
            return flatten_fieldsets(self.fieldsets)
        return self.fields or [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AssignmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Assignment
    fields = (
        "department", "role", "active", "assignee", "dispatched_at", "dispatched_by",
        "acknowledged_at", "acknowledged_by", "input", "input_at", "ended_at",
    )
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "department", "assignee", "dispatched_by", "acknowledged_by"
        )


class TicketEventInline(ReadOnlyMixin, admin.TabularInline):
    model = TicketEvent
    fields = ("created_at", "type", "actor", "from_state", "to_state", "payload")
    ordering = ("id",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class AttachmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Attachment
    fields = ("original_name", "content_type", "size", "sha256", "uploaded_by", "created_at")
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


@admin.register(Ticket)
class TicketAdmin(FullTextSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "number", "kind", "state", "category", "channel", "severity", "org_unit",
        "lead_department", "created_at",
    )
    list_filter = ("state", "kind", "channel", "severity")
    list_select_related = ("category", "org_unit", "lead_department")
    search_fields = ("number",)  # the box searches the full-text index (FullTextSearchMixin)
    ordering = ("-id",)
    show_full_result_count = False
    date_hierarchy = None  # a date drill-down scans the whole table
    raw_id_fields = (
        "category", "customer", "org_unit", "owner", "lead_department", "lead_assignee",
        "responsible_department",
    )
    fieldsets = (
        (None, {"fields": (
            "number", "kind", "state", "version", "category", "channel", "severity", "special",
            "title", "description", "product", "elements",
        )}),
        (_("Customer"), {"fields": ("customer", "contact_phone", "org_unit")}),
        (_("Responsibility"), {"fields": (
            "owner", "lead_department", "lead_assignee", "first_reported_at", "agreed_time",
            "created_at", "updated_at",
        )}),
        (_("Handling"), {"fields": (
            "requires_approval", "plan", "plan_approved", "partial", "handling_notes", "cause",
            "responsible_department", "responsible_person",
        )}),
        (_("Reply and close"), {"fields": (
            "reply_text", "satisfaction", "resolution", "reopen_count", "closed_at",
        )}),
    )
    inlines = [AssignmentInline, TicketEventInline, AttachmentInline]


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "ticket", "type", "actor", "from_state", "to_state", "created_at")
    list_filter = ("type",)
    list_select_related = ("ticket", "actor")
    search_fields = ("=ticket__number",)
    ordering = ("-id",)
    show_full_result_count = False
    raw_id_fields = ("ticket", "actor")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("original_name", "ticket", "content_type", "size", "uploaded_by", "created_at")
    list_select_related = ("ticket", "uploaded_by")
    search_fields = ("=ticket__number", "original_name", "=sha256")
    ordering = ("-id",)
    show_full_result_count = False
    raw_id_fields = ("ticket", "uploaded_by")
    # No `file` link: the admin does not hand out attachment files.
    fields = ("ticket", "original_name", "content_type", "size", "sha256", "uploaded_by", "created_at")
