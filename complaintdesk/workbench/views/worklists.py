"""The worklists: /work/ (my lists with their counts), /work/<key>/ (one list with filters,
sort and keyset pages; htmx swaps the table, the plain GET form works without JavaScript),
its xlsx export, and the saved filters (POST only)."""

from __future__ import annotations

import datetime as dt
import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from complaintdesk.accounts.roles import DEPARTMENT_ROLES
from complaintdesk.audit.services import access_record
from complaintdesk.audit.vocabulary import AccessKind
from complaintdesk.core.errors import NotFound, ValidationFailed
from complaintdesk.desk.services.bulk import bulk_apply
from complaintdesk.org.models import Department, OrgUnit
from complaintdesk.search import query as search_query
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.facts import in_incident_annotation
from complaintdesk.tickets.selectors import RANK, TicketFilters, ticket_list
from complaintdesk.tickets.vocabulary import Channel, Kind, State, TicketFlag
from complaintdesk.workbench import worklists as wl
from complaintdesk.workbench.exports import EXPORT_MAX_ROWS, worklist_export_xlsx

PAGE_SIZE = 50
# Who gets the bulk bar: those who dispatch, urge or close (the writer still checks each ticket).
BULK_ROLES = frozenset({"dispatcher", "supervisor", "leader", "intake_agent"})
BULK_FIELD_LABELS = {"action": _("Action"), "tickets": _("Tickets"), "reason": _("Reason"),
                     "department": _("Department"), "org_unit": _("Org unit"), "assignee": _("Staff account")}
DEFAULT_SORT = "-registered"
# Those who handle tickets work to their deadlines: their lists open nearest deadline first
# (issue 12 §6); the centre's lists keep the newest first (what just came in).
HANDLING_DEFAULT_SORT = "deadline"
TABLE_TARGET = "worklist-results"
# Until the ticket page exists, rows link to its planned address.
TICKET_URL_FALLBACK = "/tickets/{id}/"

SORT_CHOICES = [
    (RANK, _("Best match first (with a search text)")),
    ("-registered", _("Registered: newest first")),
    ("registered", _("Registered: oldest first")),
    ("deadline", _("Deadline: soonest first")),
    ("-deadline", _("Deadline: latest first")),
    ("-severity", _("Severity: major first")),
    ("severity", _("Severity: simple first")),
]


def default_sort(viewer) -> str:
    """The order a list opens in for this viewer when none is chosen."""
    return HANDLING_DEFAULT_SORT if getattr(viewer, "role", "") in DEPARTMENT_ROLES else DEFAULT_SORT


def _sort(data: dict, viewer=None) -> str:
    """The chosen order; with a search text and none chosen, the best match first; else the
    viewer's default."""
    return data.get("sort") or (RANK if data.get("q") else default_sort(viewer))


def _blank(choices) -> list:
    return [("", _("Any")), *choices]


class _States(forms.MultipleChoiceField):
    def to_python(self, value):
        # The select's "Any" option sends an empty value: no filter, not an invalid state.
        return [v for v in super().to_python(value) if v]


class WorklistFilterForm(forms.Form):
    """The filters in the URL. Codes (category, department, org unit) are checked by the
    selector, which names the field when one is unknown."""

    q = forms.CharField(label=_("Search"), required=False, max_length=search_query.MAX_LENGTH,
                        help_text=_("Words of the ticket (title, description, notes, reply, customer), "
                                    "a ticket number or a phone number."))
    state = _States(label=_("State"), required=False, choices=State.choices())
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(Kind.choices()))
    category = forms.CharField(label=_("Category"), required=False, max_length=64)
    department = forms.CharField(label=_("Department"), required=False, max_length=64)
    org_unit = forms.CharField(label=_("Org unit"), required=False, max_length=64)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_blank(Channel.choices()))
    # The statistics' drill-down (stats/): a value or "-" (none recorded), checked by the selector.
    severity = forms.CharField(label=_("Severity"), required=False, max_length=30, widget=forms.HiddenInput)
    cause = forms.CharField(label=_("Cause"), required=False, max_length=30, widget=forms.HiddenInput)
    source_tier = forms.CharField(label=_("Source tier"), required=False, max_length=30, widget=forms.HiddenInput)
    satisfaction = forms.CharField(label=_("Satisfaction"), required=False, max_length=30, widget=forms.HiddenInput)
    lead_department = forms.CharField(label=_("Lead department"), required=False, max_length=64,
                                      widget=forms.HiddenInput)
    responsible_department = forms.CharField(label=_("Responsible department"), required=False, max_length=64,
                                             widget=forms.HiddenInput)
    date_from = forms.DateField(label=_("Registered from"), required=False)
    date_to = forms.DateField(label=_("Registered until"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)
    cursor = forms.CharField(required=False, max_length=400)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        for name in ("q", "category", "department", "org_unit", "cursor", *STATS_FILTERS):
            if "\x00" in (data.get(name) or ""):
                self.add_error(name, _("Remove the NUL character."))
        return data


# The selector's field names → the form's.
_FIELD_OF = {"registered_from": "date_from", "registered_to": "date_to"}


def _day_start(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    if not dt.date(1970, 1, 2) <= day <= dt.date(2199, 12, 30):
        return dt.datetime(1, 1, 1, tzinfo=dt.UTC)  # out of range: the selector names the field
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _filters(data: dict) -> TicketFilters:
    end = data.get("date_to")
    return TicketFilters(
        state=list(data.get("state") or []) or None, kind=data.get("kind") or "",
        category=(data.get("category") or "").strip(), department=(data.get("department") or "").strip(),
        org_unit=(data.get("org_unit") or "").strip(), channel=data.get("channel") or "",
        registered_from=_day_start(data.get("date_from")),
        registered_to=_day_start(end + dt.timedelta(days=1)) if end and end < dt.date(2199, 12, 30) else _day_start(end),
        q=(data.get("q") or "").strip(),
        **{name: (data.get(name) or "").strip() for name in STATS_FILTERS},
    )


# The filters only the statistics' drill-down sets (hidden fields of the form).
STATS_FILTERS = ("severity", "cause", "source_tier", "satisfaction", "lead_department", "responsible_department")


def _query_without(params: QueryDict, *names: str) -> str:
    q = params.copy()
    for name in names:
        q.pop(name, None)
    for name in list(q.keys()):
        if all(v == "" for v in q.getlist(name)):
            q.pop(name)
    return q.urlencode()


def _ticket_url_pattern() -> str:
    try:
        return reverse("workbench:ticket", kwargs={"ticket_id": 0}).replace("/0/", "/{id}/")
    except NoReverseMatch:
        return TICKET_URL_FALLBACK


def _option_tags(choices, chosen: set[str], *, blank: bool = True) -> str:
    """<option> elements, the chosen ones selected (built here: a template loop costs ≈20 µs
    per option, and the category tree alone may have hundreds)."""
    out = [f'<option value="">{escape(_("Any"))}</option>'] if blank else []
    for value, label in choices:
        mark = " selected" if value in chosen else ""
        out.append(f'<option value="{escape(value)}"{mark}>{escape(label)}</option>')
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped


def _options(form: WorklistFilterForm, viewer=None) -> dict:
    """The filters' <option> lists, the current values selected; the code filters come from
    three small tables, one query each."""
    def indent(node) -> str:
        return "\u2003" * (len(node.path) // node.steplen - 1)

    def chosen(name) -> set[str]:
        return {v for v in form.data.getlist(name) if v} if hasattr(form.data, "getlist") else set()

    kinds = {m.value: str(m.label) for m in Kind}
    categories = [(c.code, f"{indent(c)}{c.display_name} · {kinds.get(c.kind, c.kind)}")
                  for c in Category.objects.order_by("path")]
    departments = [(d.code, d.display_name) for d in Department.objects.order_by("code")]
    org_units = [(u.code, indent(u) + u.display_name) for u in OrgUnit.objects.order_by("path")]
    q = form.data.get("q", "") if hasattr(form.data, "get") else ""
    sort = chosen("sort") or {RANK if q.strip() else default_sort(viewer)}
    return {"bulk_departments": departments, "bulk_units": org_units, "options": {
        "state": _option_tags(State.choices(), chosen("state")),
        "kind": _option_tags(Kind.choices(), chosen("kind")),
        "category": _option_tags(categories, chosen("category")),
        "department": _option_tags(departments, chosen("department")),
        "org_unit": _option_tags(org_units, chosen("org_unit")),
        "channel": _option_tags(Channel.choices(), chosen("channel")),
        "sort": _option_tags(SORT_CHOICES, sort, blank=False),
    }}


def _rows_html(rows, *, selectable: bool = False) -> str:
    """The table body, built here rather than by the template engine: 50 rows of ten cells are
    ≈1,500 template nodes (≈15 ms); escaping the same values here costs a tenth of that."""
    labels = [escape(x) for x in (
        _("Ticket number"), _("Title"), _("Kind"), _("Category"), _("State"), _("Severity"), _("Department"),
        _("Customer phone"), _("Registered at"), _("Deadline"))]
    waiting = f' <span class="badge">{escape(_("Waiting on the customer"))}</span>'
    special = f' <span class="badge badge-at-risk">{escape(_("Special"))}</span>'
    # The cross-ticket flags but special (shown at the severity, as before): repeat, over the head.
    flag_badges = {flag.value: f' <span class="badge badge-flag" data-flag="{flag.value}">{escape(flag.label)}</span>'
                   for flag in TicketFlag if flag != TicketFlag.SPECIAL}
    badge = {"overdue": "badge-overdue", "at_risk": "badge-at-risk"}
    opens = [f'<td data-label="{label}" class="wl-nowrap">' if i in (7, 8) else f'<td data-label="{label}">'
             for i, label in enumerate(labels)]
    out = []
    for r in rows:
        if r.due_at is not None:
            deadline = (f'<time datetime="{r.due_iso}" class="wl-nowrap">{r.due_text}</time> '
                        f'<span class="muted">{escape(r.due_clock)}</span><br>{escape(r.time_left)}')
        else:
            deadline = "—"
        if r.sla_status in badge:
            deadline += f' <span class="badge {badge[r.sla_status]}">{escape(r.sla_label)}</span>'
        cells = (
            f'<a href="{escape(r.url)}">{escape(r.number)}</a>',
            escape(r.title) + "".join(flag_badges.get(flag, "") for flag in r.flags), escape(r.kind),
            escape(r.category), escape(r.state_label) + (waiting if r.waiting else ""),
            escape(r.severity_label) + (special if r.special else ""), escape(r.department or "—"),
            escape(r.phone or "—"), f'<time datetime="{r.registered_iso}">{r.registered_text}</time>', deadline,
        )
        if selectable:
            # In the number's cell (the row's first), outside the bulk form in the page and
            # joined to it by the `form` attribute.
            what = escape(_("Select ticket %(number)s") % {"number": r.number})
            cells = (f'<input type="checkbox" name="ticket" value="{r.id}" form="wl-bulk" class="wl-pick" '
                     f'aria-label="{what}"> ' + cells[0], *cells[1:])
        out.append("<tr>" + "".join(f"{opens[i]}{cell}</td>" for i, cell in enumerate(cells)) + "</tr>")
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped


def _list_context(request, key: str, params: QueryDict) -> dict:
    """Everything the list (or only its table) needs, for the filters in `params`."""
    try:
        entry = wl.worklist_get(request.user, key)
    except NotFound:
        raise Http404 from None
    form = WorklistFilterForm(params)
    page = None
    rows: list = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            page = ticket_list(viewer=request.user, filters=_filters(data), cursor=data.get("cursor") or "",
                               limit=PAGE_SIZE, sort=_sort(data, request.user), where=entry.condition,
                               deadlines=True, prefetch=wl.ROW_RELATED, related=(),
                               defer=wl.ROW_DEFERRED,
                               # The incident badge: one index probe per row inside the
                               # same query (an EXISTS), not a query per row.
                               annotate=in_incident_annotation())
        except ValidationFailed as exc:
            for err in exc.fields:
                field = _FIELD_OF.get(err.field, err.field)
                form.add_error(field if field in form.fields else None, err.reason)
        else:
            now, words = timezone.now(), wl.RowWords()
            rows = [wl.worklist_row(t, now, words) for t in page.items]
    base_query = _query_without(params, "cursor")
    bulk_ok = bool(rows) and request.user.role in BULK_ROLES
    pattern = _ticket_url_pattern()
    for row in rows:
        row.url = pattern.replace("{id}", str(row.id))
    list_url = reverse("workbench:worklist", kwargs={"key": key})
    return {
        "entry": entry, "worklist": entry.worklist, "form": form, "page": page, "rows": rows,
        "list_url": list_url, "base_query": base_query, "rows_html": _rows_html(rows, selectable=bulk_ok),
        "bulk": bulk_ok, "bulk_url": reverse("workbench:worklist_bulk", kwargs={"key": key}),
        "export_url": reverse("workbench:worklist_export", kwargs={"key": key}) + (f"?{base_query}" if base_query else ""),
        "export_max": EXPORT_MAX_ROWS, "page_size": PAGE_SIZE,
        "has_filters": bool(_query_without(params, "cursor", "sort")),
        "table_target": TABLE_TARGET,
    }


def _render_list(request, key: str, params: QueryDict, *, extra: dict | None = None, status: int = 200):
    ctx = _list_context(request, key, params)
    if extra:
        ctx.update(extra)
    partial = (request.htmx and request.htmx.target == TABLE_TARGET
               and not request.htmx.history_restore_request)
    if partial:
        response = render(request, "workbench/_worklist_table.html", ctx, status=status)
    else:
        ctx.update(_options(ctx["form"], request.user))
        ctx["saved"] = wl.saved_filters(request.user)
        ctx["worklists"] = wl.worklists_for(request.user)
        ctx["nav_active"] = "worklists"
        ctx["bulk_bar"] = request.user.role in BULK_ROLES
        ctx.setdefault("save_name", "")
        response = render(request, "workbench/worklist.html", ctx, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@require_POST
@login_required
def worklist_bulk(request, key: str):
    """Bulk dispatch / urge / close of the selected tickets: each through the one writer, the
    refusals listed by ticket with the reason; the list is shown again as it now is."""
    params = QueryDict(request.POST.get("query", ""))
    try:
        wl.worklist_get(request.user, key)
    except NotFound:
        raise Http404 from None
    ids = [int(v) for v in request.POST.getlist("ticket") if v.isdigit() and len(v) < 12]
    try:
        result = bulk_apply(actor=request.user, action=request.POST.get("action", ""), ticket_ids=ids,
                            department=request.POST.get("department", ""),
                            org_unit=request.POST.get("org_unit", ""),
                            assignee=request.POST.get("assignee", "").strip(),
                            note=request.POST.get("note", ""),
                            reason=request.POST.get("reason", "") or request.POST.get("note", ""))
    except ValidationFailed as exc:
        errors = [f"{BULK_FIELD_LABELS.get(e.field, e.field)}: {e.reason}" for e in exc.fields] or [str(exc.message)]
        return _render_list(request, key, params, status=422, extra={"bulk_errors": errors})
    return _render_list(request, key, params, extra={"bulk_result": result})


@require_GET
@login_required
def home(request):
    entries = wl.worklist_counts(request.user)
    return render(request, "workbench/worklists_home.html", {
        "entries": entries, "saved": wl.saved_filters(request.user), "nav_active": "worklists",
    })


@require_GET
@login_required
def worklist(request, key: str):
    return _render_list(request, key, request.GET)


@require_GET
@login_required
def worklist_export(request, key: str):
    try:
        entry = wl.worklist_get(request.user, key)
    except NotFound:
        raise Http404 from None
    form = WorklistFilterForm(request.GET)
    if not form.is_valid():
        return _render_list(request, key, request.GET, status=422)
    data = form.cleaned_data
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    customers: set[int] = set()
    try:
        written, capped = worklist_export_xlsx(viewer=request.user, entry=entry, filters=_filters(data),
                                               sort=_sort(data, request.user), out=out,
                                               customers=customers)
    except ValidationFailed:
        out.close()
        return _render_list(request, key, request.GET, status=422)
    access_record(actor=request.user, kind=AccessKind.WORKLIST_EXPORT, customer_ids=customers,
                  path=request.get_full_path())
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = FileResponse(out, as_attachment=True, filename=f"worklist-{key}-{stamp}.xlsx",
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["X-Export-Rows"] = str(written)
    response["X-Export-Capped"] = "1" if capped else "0"
    return response


@require_POST
@login_required
def saved_filter_save(request):
    key = request.POST.get("worklist", "")
    query = request.POST.get("query", "")
    name = request.POST.get("name", "")
    try:
        saved = wl.saved_filter_save(owner=request.user, name=name, worklist=key, query=query)
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        errors = [str(e.reason) for e in exc.fields] or [str(exc.message)]
        return _render_list(request, key, QueryDict(query), status=422,
                            extra={"save_errors": errors, "save_name": name})
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    url = reverse("workbench:worklist", kwargs={"key": saved.worklist})
    return redirect(f"{url}?{saved.query}" if saved.query else url)


@require_POST
@login_required
def saved_filter_delete(request, filter_id: int):
    try:
        wl.saved_filter_delete(owner=request.user, filter_id=filter_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Saved filter deleted."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("workbench:home")
    return redirect(target)


urlpatterns = [
    path("work/", home, name="home"),
    path("work/saved/", saved_filter_save, name="saved_filter_save"),
    path("work/saved/<int:filter_id>/delete/", saved_filter_delete, name="saved_filter_delete"),
    path("work/<slug:key>/bulk/", worklist_bulk, name="worklist_bulk"),
    path("work/<slug:key>/", worklist, name="worklist"),
    path("work/<slug:key>/export.xlsx", worklist_export, name="worklist_export"),
]
