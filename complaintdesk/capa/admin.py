"""The root-cause tree is edited here (treebeard, like the category tree); actions are shown
read-only: they change only through their steps (capa/services/actions.py)."""

from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from complaintdesk.capa.models import CorrectiveAction, RootCause


@admin.register(RootCause)
class RootCauseAdmin(TreeAdmin):
    form = movenodeform_factory(RootCause)
    list_display = ("name", "code", "name_en", "cause", "active")
    list_filter = ("active", "cause")
    search_fields = ("code", "name", "name_en")


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "kind", "state", "owner", "due_at", "escalated_at")
    list_filter = ("state", "kind", "source")
    list_select_related = ("owner",)
    search_fields = ("title",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
