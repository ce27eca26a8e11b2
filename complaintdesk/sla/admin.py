"""Deadlines in the admin: working calendars, calendar years, overrides and policies are
edited here; clocks, the complaint ledger and the case dossiers are inspection-only (the
clock engine and the deadline scan are their only writers)."""

import datetime as dt
import json
import re
import tempfile

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaintdesk.audit.services import access_record
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.search.admin import FullTextSearchMixin
from complaintdesk.sla.calendar import chinese_calendar_year
from complaintdesk.sla.models import (
    Calendar,
    CalendarOverride,
    CalendarYear,
    CaseDossier,
    ClockRule,
    LedgerEntry,
    Policy,
    TicketClock,
)
from complaintdesk.sla.selectors import LIST_RELATED, ledger_xlsx_write
from complaintdesk.sla.services.policies import sla_config_changed
from complaintdesk.sla.services.recompute import clocks_recompute_missing
from complaintdesk.sla.vocabulary import EscalationTarget
from complaintdesk.tickets.admin import ReadOnlyMixin

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _load_json(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise forms.ValidationError(_("Enter valid JSON.")) from None
    return value


def validate_hours(value) -> list:
    """[["08:30", "12:00"], ["13:30", "17:30"]]: ascending, non-overlapping intervals."""
    value = _load_json(value)
    if value in (None, ""):
        return value
    message = _('Give a list of ["HH:MM", "HH:MM"] intervals, in order, not overlapping, e.g. '
                '[["08:30", "12:00"], ["13:30", "17:30"]].')
    if not isinstance(value, list):
        raise forms.ValidationError(message)
    last_end = ""
    for item in value:
        if (not isinstance(item, list | tuple) or len(item) != 2
                or not all(isinstance(x, str) and HHMM.match(x) for x in item)
                or not item[0] < item[1] or item[0] < last_end):
            raise forms.ValidationError(message)
        last_end = item[1]
    return value


def validate_days(value) -> list:
    value = _load_json(value)
    if not isinstance(value, list):
        raise forms.ValidationError(_("Give a list of dates as YYYY-MM-DD."))
    for item in value:
        try:
            dt.date.fromisoformat(item if isinstance(item, str) else "")
        except ValueError:
            raise forms.ValidationError(
                _("“%(value)s” is not a date as YYYY-MM-DD.") % {"value": item}) from None
    return value


def validate_ladder(value) -> list:
    """[{"after_minutes": 0, "notify": "supervisor"}, {"after_minutes": 1440, "notify": "dept_head"}]"""
    value = _load_json(value)
    targets = [t.value for t in EscalationTarget]
    message = _('Give a list of steps such as {"after_minutes": 1440, "notify": "dept_head"}: '
                'minutes after the deadline (0 or more, not decreasing) and one of %(targets)s.') % {
        "targets": ", ".join(targets)}
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise forms.ValidationError(message)
    last = 0
    for step in value:
        if not isinstance(step, dict) or set(step) - {"after_minutes", "notify"}:
            raise forms.ValidationError(message)
        minutes, target = step.get("after_minutes"), step.get("notify")
        if (isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < last
                or target not in targets):
            raise forms.ValidationError(message)
        last = minutes
    return value


def last_published_year() -> int | None:
    """The last year the chinese-calendar library knows (the State Council's published plan)."""
    this = timezone.localdate().year
    known = [y for y in range(this - 1, this + 3) if chinese_calendar_year(y) is not None]
    return max(known) if known else None


def _calendar_note() -> str:
    last = last_published_year()
    if last is None:
        return gettext("The chinese-calendar library knows no recent year: enter each year's "
                       "public holidays and make-up working days here.")
    return gettext(
        "Official holidays are known up to %(last)s (chinese-calendar). %(next)s is not "
        "published yet: as soon as the State Council publishes it, enter its public holidays "
        "and make-up working days here. Until then deadlines that reach into %(next)s are "
        "flagged “calendar missing” instead of counting its holidays as working days."
    ) % {"last": last, "next": last + 1}


# --- calendars -----------------------------------------------------------------------------


# No Meta: the admin builds each form for its model and fields (modelform_factory).
class ConfigAdmin(admin.ModelAdmin):
    """Calendars, years, overrides and policies are cached per process (sla/services): a save
    here is seen at once by this process and by the others within SLA_CACHE_SECONDS."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # after the inline clock rules
        transaction.on_commit(sla_config_changed)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(sla_config_changed)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(sla_config_changed)


class CalendarForm(forms.ModelForm):
    def clean_hours(self):
        return validate_hours(self.cleaned_data.get("hours"))


@admin.register(Calendar)
class CalendarAdmin(ConfigAdmin):
    form = CalendarForm
    list_display = ("__str__", "always_open", "is_default", "time_zone", "updated_at")
    list_filter = ("always_open", "is_default")
    search_fields = ("name", "name_en")
    filter_horizontal = ("org_units",)
    fieldsets = (
        (None, {"fields": ("name", "name_en", "is_default", "time_zone")}),
        (_("Business hours"), {
            "fields": ("always_open", "hours"),
            "description": _('Working-day hours as JSON: a list of ["HH:MM", "HH:MM"] intervals in '
                             'order, e.g. [["08:30", "12:00"], ["13:30", "17:30"]] (lunch break '
                             'closed). Ignored when open 24/7. Public holidays and make-up working '
                             'days come from the official calendar and the calendar years below.'),
        }),
        (_("Where it applies"), {"fields": ("org_units",)}),
    )


class CalendarYearForm(forms.ModelForm):
    def clean_holidays(self):
        return validate_days(self.cleaned_data.get("holidays"))

    def clean_workdays(self):
        return validate_days(self.cleaned_data.get("workdays"))

    def clean(self):
        cleaned = super().clean()
        year = cleaned.get("year")
        for name in ("holidays", "workdays"):
            days = cleaned.get(name) or []
            if year and any(not str(d).startswith(f"{year}-") for d in days):
                self.add_error(name, _("Every date must be in %(year)s.") % {"year": year})
        return cleaned


@admin.register(CalendarYear)
class CalendarYearAdmin(ConfigAdmin):
    form = CalendarYearForm
    list_display = ("year", "holiday_count", "workday_count", "note", "updated_at")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Deadlines that reached into this year were flagged, not guessed: compute them now.
        # After the commit, so that the recompute (one transaction per ticket) sees the year.
        transaction.on_commit(lambda: self._recompute(request))

    def _recompute(self, request):
        done = clocks_recompute_missing(at=timezone.now())
        if done.tickets:
            messages.info(request, gettext(
                "Deadlines recomputed for %(tickets)s tickets (%(clocks)s clocks changed); "
                "%(still)s tickets still reach into a year without a calendar."
            ) % {"tickets": done.tickets, "clocks": done.clocks_changed, "still": done.still_missing})

    def get_fieldsets(self, request, obj=None):
        return ((None, {"fields": ("year", "holidays", "workdays", "note"),
                        "description": _calendar_note()}),)

    def changelist_view(self, request, extra_context=None):
        messages.info(request, _calendar_note())
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("public holidays"))
    def holiday_count(self, obj):
        return len(obj.holidays or [])

    @admin.display(description=_("make-up working days"))
    def workday_count(self, obj):
        return len(obj.workdays or [])


class CalendarOverrideForm(forms.ModelForm):
    def clean_hours(self):
        return validate_hours(self.cleaned_data.get("hours"))


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ConfigAdmin):
    form = CalendarOverrideForm
    list_display = ("day", "kind", "org_unit", "note")
    list_filter = ("kind",)
    list_select_related = ("org_unit",)
    raw_id_fields = ("org_unit",)
    date_hierarchy = "day"
    ordering = ("-day",)


# --- policies ------------------------------------------------------------------------------


class ClockRuleForm(forms.ModelForm):
    def clean_ladder(self):
        return validate_ladder(self.cleaned_data.get("ladder"))

    def clean_warn_share(self):
        share = self.cleaned_data.get("warn_share")
        if share is not None and not 0 < share < 1:
            raise forms.ValidationError(_("Give a share between 0 and 1, e.g. 0.8."))
        return share


class ClockRuleInline(admin.StackedInline):
    model = ClockRule
    form = ClockRuleForm
    extra = 0
    fields = (("clock", "amount", "unit", "daily_at"), "warn_share", "ladder")


@admin.register(Policy)
class PolicyAdmin(ConfigAdmin):
    list_display = ("__str__", "kind", "category", "severity", "channel", "priority", "active")
    list_filter = ("active", "kind", "severity", "channel")
    list_select_related = ("category",)
    search_fields = ("name", "name_en")
    raw_id_fields = ("category",)
    inlines = [ClockRuleInline]
    fieldsets = (
        (None, {"fields": ("name", "name_en", "active", "priority")}),
        (_("Which tickets"), {
            "fields": ("kind", "category", "severity", "channel"),
            "description": _("Empty fields match every ticket. Per clock the best match wins: "
                             "the highest priority, then the most specific policy."),
        }),
    )


# --- clocks, the ledger and the dossiers (inspection only) --------------------------------


@admin.register(TicketClock)
class TicketClockAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("ticket", "clock", "cycle", "state", "due_at", "warned_at", "breached_at",
                    "escalation_level", "next_escalation_at", "calendar_missing")
    list_filter = ("state", "clock", "calendar_missing")
    list_select_related = ("ticket",)
    search_fields = ("=ticket__number",)
    ordering = ("-id",)
    show_full_result_count = False
    raw_id_fields = ("ticket", "rule")
    fields = ("ticket", "clock", "cycle", "rule", "state", "started_at", "warn_at", "due_at",
              "paused_at", "stopped_at", "calendar_missing", "warned_at", "breached_at",
              "escalation_level", "next_escalation_at", "explanation")


class ResolvedFilter(admin.SimpleListFilter):
    title = _("resolved")
    parameter_name = "resolved"

    def lookups(self, request, model_admin):
        return (("no", _("Open")), ("yes", _("Resolved")))

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(LedgerEntry)
class LedgerEntryAdmin(FullTextSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    fulltext_column, fulltext_prefix = "ticket_id", "ticket__"
    list_display = ("ticket", "clock_type", "reason", "level", "org_unit", "department", "opened_at", "resolved_at")
    list_filter = (ResolvedFilter, "reason", "level")
    list_select_related = LIST_RELATED
    search_fields = ("=ticket__number",)  # the box searches the full-text index
    ordering = ("-id",)
    show_full_result_count = False
    raw_id_fields = ("ticket", "clock", "department", "org_unit")
    fields = ("ticket", "clock", "reason", "level", "org_unit", "department", "opened_at", "resolved_at",
              "summary", "dossier_link")
    actions = ["export_xlsx"]

    @admin.display(description=_("clock"))
    def clock_type(self, obj):
        return obj.clock.get_clock_display() if obj.clock_id else "—"

    @admin.display(description=_("case dossier"))
    def dossier_link(self, obj):
        dossier = getattr(obj, "dossier", None)
        if dossier is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:sla_casedossier_change", args=[dossier.pk]), dossier)

    @admin.action(description=_("Export the selected entries (.xlsx)"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (the response closes it)
        customers: set[int] = set()
        ledger_xlsx_write(queryset.select_related(*LIST_RELATED).order_by("-id").iterator(chunk_size=2000), out,
                          customers=customers)
        access_record(actor=request.user, kind=AccessKind.LEDGER_EXPORT, customer_ids=customers,
                      path=request.get_full_path())
        out.seek(0)
        name = f"ledger-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
        return FileResponse(out, as_attachment=True, filename=name,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@admin.register(CaseDossier)
class CaseDossierAdmin(FullTextSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    fulltext_column, fulltext_prefix = "ticket_id", "ticket__"
    list_display = ("ticket", "ledger_entry", "opened_at")
    list_select_related = ("ticket", "ledger_entry")
    search_fields = ("=ticket__number",)
    ordering = ("-id",)
    show_full_result_count = False
    fields = ("ticket", "ledger_entry", "opened_at", "snapshot_pretty")

    class Media:
        css = {"all": ("sla/admin.css",)}

    @admin.display(description=_("snapshot"))
    def snapshot_pretty(self, obj):
        text = json.dumps(obj.snapshot, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html('<pre class="dossier-snapshot">{}</pre>', text)
