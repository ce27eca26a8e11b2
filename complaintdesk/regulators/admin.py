"""The regulator profiles, edited here with their matters, deadline matrix, extension steps,
admissibility rules and reply-sheet layout; transfers are shown read-only (the services
write them)."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from complaintdesk.regulators.models import (
    AdmissibilityRule,
    RegulatorDeadline,
    RegulatorExtension,
    RegulatorMatter,
    RegulatorProfile,
    RegulatorTransfer,
)
from complaintdesk.regulators.services.transfers import profile_options_changed
from complaintdesk.regulators.vocabulary import SheetField
from complaintdesk.sla.services.scan import ladder_steps


class ProfileForm(forms.ModelForm):
    class Meta:
        model = RegulatorProfile
        fields = ("code", "name", "name_en", "source_tier", "basis", "amount", "day_basis", "max_total",
                  "warn_share", "ladder", "sheet_title", "sheet_columns", "active")

    def clean_sheet_columns(self):
        value = self.cleaned_data.get("sheet_columns") or []
        if not isinstance(value, list):
            raise forms.ValidationError(_("A list of columns."))
        for i, column in enumerate(value, start=1):
            if not isinstance(column, dict) or column.get("field") not in SheetField._value2member_map_:
                raise forms.ValidationError(
                    _("Column %(n)d: “field” must be one of: %(values)s.")
                    % {"n": i, "values": ", ".join(f.value for f in SheetField)})
        return value

    def clean_ladder(self):
        value = self.cleaned_data.get("ladder") or []
        if not isinstance(value, list) or (value and len(ladder_steps(value)) < len(value)):
            raise forms.ValidationError(_('A list of steps such as {"after_minutes": 0, "notify": "supervisor"}.'))
        return value

    def clean(self):
        data = super().clean()
        if data.get("max_total") is not None and data.get("amount") is not None and data["max_total"] < data["amount"]:
            self.add_error("max_total", _("The longest deadline cannot be shorter than the deadline itself."))
        return data


class MatterInline(admin.TabularInline):
    model = RegulatorMatter
    extra = 0


class DeadlineInline(admin.TabularInline):
    model = RegulatorDeadline
    extra = 0


class ExtensionInline(admin.TabularInline):
    model = RegulatorExtension
    extra = 0


class AdmissibilityInline(admin.TabularInline):
    model = AdmissibilityRule
    extra = 0


@admin.register(RegulatorProfile)
class RegulatorProfileAdmin(admin.ModelAdmin):
    form = ProfileForm

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        transaction.on_commit(profile_options_changed)  # the forms' choices, at once here

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(profile_options_changed)
    list_display = ("code", "name", "name_en", "source_tier", "amount", "day_basis", "max_total", "active")
    list_editable = ("active",)
    inlines = [MatterInline, DeadlineInline, ExtensionInline, AdmissibilityInline]


@admin.register(RegulatorTransfer)
class RegulatorTransferAdmin(admin.ModelAdmin):
    list_display = ("ticket", "profile", "matter", "urgency", "transferred_at", "amount", "day_basis",
                    "extension_step")
    list_filter = ("profile",)
    list_select_related = ("ticket", "profile", "matter")
    readonly_fields = [f.name for f in RegulatorTransfer._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
