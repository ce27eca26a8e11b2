"""Tickets are inspected here, never edited: every change goes through the workflow services,
and the event log is append-only."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import DomainError
from complaintdesk.screening.services.source import source_clean
from complaintdesk.search.admin import FullTextSearchMixin
from complaintdesk.tickets.models import Assignment, Attachment, Ticket, TicketEvent
from complaintdesk.tickets.services.transitions import ticket_set_source


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


class TicketSourceForm(forms.ModelForm):
    """The one part of a ticket the admin edits: its source (issue 9 §2). Checked as the API
    checks it; saved through the service (an event, the version checked)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        errors = []
        source_clean(tier=data.get("source_tier") or "", ref=data.get("regulator_ref") or "",
                     due_at=data.get("regulator_due_at"), channel=self.instance.channel,
                     first_reported_at=self.instance.first_reported_at, errors=errors)
        for e in errors:
            self.add_error(e.field if e.field in self.fields else None, str(e.reason))
        return data


@admin.register(Ticket)
class TicketAdmin(FullTextSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "number", "kind", "state", "category", "channel", "severity", "org_unit",
        "lead_department", "created_at",
    )
    list_filter = ("state", "kind", "channel", "source_tier", "over_the_head", "severity")
    list_select_related = ("category", "org_unit", "lead_department")
    search_fields = ("number",)  # the box searches the full-text index (FullTextSearchMixin)
    ordering = ("-id",)
    show_full_result_count = False
    date_hierarchy = None  # a date drill-down scans the whole table
    raw_id_fields = (
        "category", "customer", "org_unit", "owner", "lead_department", "lead_assignee",
        "responsible_department", "repeat_of", "routed_department", "special_type",
    )
    fieldsets = (
        (None, {"fields": (
            "number", "kind", "state", "version", "category", "channel", "severity", "special",
            "title", "description", "product", "elements",
        )}),
        (_("Source"), {"fields": ("source_tier", "regulator_ref", "regulator_due_at", "expected_version", "repeat_of",
                                  "over_the_head", "repeat_count", "routed_department")}),
        (_("Special case"), {"fields": ("special_type", "special_matches", "history_gathered_at")}),
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
    form = TicketSourceForm
    EDITABLE = ("source_tier", "regulator_ref", "regulator_due_at", "expected_version")

    def get_readonly_fields(self, request, obj=None):
        return [f for f in flatten_fieldsets(self.fieldsets) if f not in self.EDITABLE]

    def has_change_permission(self, request, obj=None):
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            ticket_set_source(ticket_id=obj.pk, actor=request.user, source_tier=data["source_tier"],
                              regulator_ref=data.get("regulator_ref") or "",
                              regulator_due_at=data.get("regulator_due_at"),
                              expected_version=data.get("expected_version"))
        except DomainError as exc:
            messages.error(request, str(exc.message))

    def save_related(self, request, form, formsets, change):
        pass  # the inlines are read-only; nothing else of a ticket is saved here

    def construct_change_message(self, request, form, formsets, add=False):
        return super().construct_change_message(request, form, [], add)


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
