"""The customer bases (万投比 and the regulators' rates) and the control thresholds, entered
here; the roll-up itself is derived and read only."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from complaintdesk.stats.kpis import KPIS
from complaintdesk.stats.models import ControlThreshold, CustomerBase, ThresholdAlert
from complaintdesk.stats.vocabulary import BaseKind


@admin.register(CustomerBase)
class CustomerBaseAdmin(admin.ModelAdmin):
    list_display = ("org_unit", "month", "kind", "value", "note", "updated_at")
    list_filter = ("kind", "org_unit")
    date_hierarchy = "month"

    def save_model(self, request, obj, form, change):
        obj.month = obj.month.replace(day=1)  # a base is per month, whatever day was typed
        super().save_model(request, obj, form, change)


def _kpi_choices():
    return [(k.code, k.label) for k in KPIS] + [(f"per_{b.value}", b.label) for b in BaseKind]


class ControlThresholdForm(forms.ModelForm):
    kpi = forms.ChoiceField(label=_("KPI"), choices=_kpi_choices)

    class Meta:
        model = ControlThreshold
        fields = ("org_unit", "kpi", "threshold", "direction", "active")


@admin.register(ControlThreshold)
class ControlThresholdAdmin(admin.ModelAdmin):
    form = ControlThresholdForm
    list_display = ("org_unit", "kpi", "direction", "threshold", "active")
    list_filter = ("active", "kpi")


@admin.register(ThresholdAlert)
class ThresholdAlertAdmin(admin.ModelAdmin):
    list_display = ("threshold", "month", "value", "created_at")
    readonly_fields = ("threshold", "month", "value", "created_at", "told")

    def has_add_permission(self, request):
        return False
