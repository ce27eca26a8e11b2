from django.contrib import admin

from complaintdesk.monthly.models import ReportOwner


@admin.register(ReportOwner)
class ReportOwnerAdmin(admin.ModelAdmin):
    """Who writes each unit's reports (reminded before the due date). The reports themselves
    are changed only through their pages (one writer per step)."""

    list_display = ("org_unit", "kind", "owner", "active")
    list_filter = ("kind", "active")
    raw_id_fields = ("owner",)
