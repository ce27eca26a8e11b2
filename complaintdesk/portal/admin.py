"""Portal records, for inspection: which tickets came from the portal and how customers rated
them. Read-only: codes exist only as hashes and the ratings are the customers' own words."""

from django.contrib import admin

from complaintdesk.portal.models import PortalTicket


@admin.register(PortalTicket)
class PortalTicketAdmin(admin.ModelAdmin):
    list_display = ("ticket", "created_at", "rating", "rated_at")
    list_filter = ("rating",)
    list_select_related = ("ticket",)
    search_fields = ("ticket__number",)
    fields = ("ticket", "created_at", "email", "language", "rating", "rating_comment", "rated_at")
    readonly_fields = fields
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
