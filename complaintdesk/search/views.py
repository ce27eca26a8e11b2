"""The search page (/search/): one box, a few filters, ranked results with the matched words
highlighted. Every read goes through the viewer-scoped selector."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.search import query as search_query
from complaintdesk.search.results import PAGE_SIZE, search_tickets
from complaintdesk.taxonomy.models import Category
from complaintdesk.tickets.selectors import TicketFilters
from complaintdesk.tickets.vocabulary import Kind, State

app_name = "search"


def _blank(choices) -> list:
    return [("", _("Any")), *choices]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=search_query.MAX_LENGTH,
                        help_text=_("Words of a ticket (Chinese or English), a ticket number or a phone number."))
    state = forms.ChoiceField(label=_("State"), required=False, choices=_blank(State.choices()))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(Kind.choices()))
    category = forms.ChoiceField(label=_("Category"), required=False, choices=())
    date_from = forms.DateField(label=_("Registered from"), required=False)
    date_to = forms.DateField(label=_("Registered until"), required=False)
    cursor = forms.CharField(required=False, max_length=400)

    def __init__(self, *args, categories: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _blank(categories)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


def _day(day: dt.date | None, *, next_day: bool = False) -> dt.datetime | None:
    if day is None:
        return None
    if not dt.date(1970, 1, 2) <= day <= dt.date(2199, 12, 30):
        return dt.datetime(1, 1, 1, tzinfo=dt.UTC)  # out of range: the selector names the field
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=int(next_day)), dt.time.min))


_FIELD_OF = {"registered_from": "date_from", "registered_to": "date_to"}


def _categories() -> list[tuple[str, str]]:
    kinds = {m.value: str(m.label) for m in Kind}
    return [(c.code, "\u2003" * (c.depth - 1) + f"{c.display_name} · {kinds.get(c.kind, c.kind)}")
            for c in Category.objects.filter(active=True).order_by("path")]


@require_GET
@login_required
def search(request):
    form = SearchForm(request.GET or None, categories=_categories())
    results = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        data = form.cleaned_data
        filters = TicketFilters(
            q=data["q"], state=[data["state"]] if data["state"] else None, kind=data["kind"],
            category=data["category"], registered_from=_day(data["date_from"]),
            registered_to=_day(data["date_to"], next_day=True))
        try:
            results = search_tickets(viewer=request.user, filters=filters, cursor=data["cursor"], limit=PAGE_SIZE)
        except ValidationFailed as exc:
            for err in exc.fields:
                field = _FIELD_OF.get(err.field, err.field)
                form.add_error(field if field in form.fields else None, err.reason)
    if results is not None:
        pattern = reverse("workbench:ticket", kwargs={"ticket_id": 0}).replace("/0/", "/{id}/")
        for hit in results.hits:
            hit.url = pattern.replace("{id}", str(hit.ticket.pk))
    query = request.GET.copy()
    query.pop("cursor", None)
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "search/search.html", {
        "form": form, "results": results, "nav_active": "search", "base_query": query.urlencode(),
        "max_length": search_query.MAX_LENGTH,
    }, status=status)


urlpatterns = [path("", search, name="search")]
