"""Import mappings are edited here (checked by imports/mapping.py before they are saved);
batches and their rows are shown read-only (the services are their only writers)."""

from django import forms
from django.contrib import admin

from complaintdesk.imports.mapping import spec_problems
from complaintdesk.imports.models import ImportBatch, ImportMapping


class MappingForm(forms.ModelForm):
    class Meta:
        model = ImportMapping
        fields = ["name", "label", "source", "columns", "value_maps", "date_formats", "defaults",
                  "register_incomplete", "active"]

    def clean(self):
        data = super().clean()
        for field, reason in spec_problems(data.get("columns"), data.get("value_maps") or {},
                                           data.get("date_formats") or [], data.get("defaults") or {}):
            self.add_error(field, reason)
        return data


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    form = MappingForm
    list_display = ["name", "label", "source", "register_incomplete", "active"]
    search_fields = ["name", "label", "source"]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "file_name", "mapping_name", "state", "total_rows", "created_count", "failed_count",
                    "created_by", "created_at"]
    list_filter = ["state", "mapping_name"]
    list_select_related = ["created_by"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
