"""The screening rules, edited here: repeat rules per kind, special-complainant phrases, the
six special types with their hints, and who signs off special plans. The rules are cached
per process (services/rules.py): a save here holds at once in this process and within
SLA_CACHE_SECONDS in the others."""

from django.contrib import admin
from django.db import transaction

from complaintdesk.screening.models import RepeatRule, SpecialCaseLeader, SpecialPhrase, SpecialType
from complaintdesk.screening.services.rules import screening_rules_changed


class RulesAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(screening_rules_changed)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(screening_rules_changed)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(screening_rules_changed)


@admin.register(RepeatRule)
class RepeatRuleAdmin(RulesAdmin):
    list_display = ("__str__", "active", "category_level", "window_days", "over_the_head_raise",
                    "over_the_head_min_severity")
    list_editable = ("active", "category_level", "window_days", "over_the_head_raise",
                     "over_the_head_min_severity")
    list_display_links = ("__str__",)


@admin.register(SpecialPhrase)
class SpecialPhraseAdmin(RulesAdmin):
    list_display = ("phrase", "meaning", "active")
    list_editable = ("meaning", "active")
    list_filter = ("meaning", "active")
    search_fields = ("phrase",)


@admin.register(SpecialType)
class SpecialTypeAdmin(RulesAdmin):
    list_display = ("code", "name", "name_en", "position", "active")
    list_editable = ("position", "active")
    search_fields = ("code", "name", "name_en")


@admin.register(SpecialCaseLeader)
class SpecialCaseLeaderAdmin(admin.ModelAdmin):
    list_display = ("org_unit", "leader")
    list_select_related = ("org_unit", "leader")
    raw_id_fields = ("org_unit", "leader")
