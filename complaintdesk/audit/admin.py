"""The audit records in the admin: inspection only (append-only tables)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from complaintdesk.audit.models import ChainAnchor, PersonalDataAccess


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("at", "actor", "kind", "ticket_id", "count", "full_phones")
    list_filter = ("kind", "full_phones")
    list_select_related = ("actor",)
    date_hierarchy = "at"
    readonly_fields = ("at", "actor", "kind", "ticket_id", "subjects", "count", "full_phones", "path")
    fields = readonly_fields

    def get_search_results(self, request, queryset, search_term):
        # A customer id finds the records that include that customer (",57," not "570").
        term = search_term.strip()
        if term.isdigit():
            return queryset.filter(subjects__contains=f",{term},"), False
        if term:
            return queryset.filter(actor__username=term), False
        return queryset, False

    search_fields = ("subjects",)  # shows the search box; get_search_results does the matching
    search_help_text = _("A customer id, or a staff account name.")


@admin.register(ChainAnchor)
class ChainAnchorAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("day", "digest", "created_at")
    readonly_fields = ("day", "created_at", "previous", "digest", "heads")
    fields = readonly_fields
