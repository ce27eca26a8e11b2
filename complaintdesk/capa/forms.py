"""Forms of the CAPA pages: they parse what the browser sent; the services check the rules
and their field errors are put back on the form (workbench.forms.add_service_errors)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from complaintdesk.capa.vocabulary import ActionKind

TEXT_MAX = 5000


def _area(rows=3):
    return forms.Textarea(attrs={"rows": rows})


class RootCauseForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    root_cause = forms.ChoiceField(label=_("Root cause"))
    analysis = forms.CharField(label=_("Cause analysis"), widget=_area(), required=False, max_length=TEXT_MAX)
    accountability = forms.CharField(
        label=_("Penalty or accountability note (责任追究)"), widget=_area(), required=False, max_length=TEXT_MAX,
        help_text=_("Seen only by department heads, supervisors, leaders and administrators."))

    def __init__(self, *args, choices, with_accountability: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].choices = [("", "—"), *choices]
        if not with_accountability:
            del self.fields["accountability"]


class RaiseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActionKind.choices())
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("What is to be done"), widget=_area(4), max_length=TEXT_MAX)
    owner = forms.ChoiceField(label=_("Owner"))
    working_days = forms.IntegerField(label=_("Deadline in working days"), required=False, min_value=1,
                                      max_value=250, help_text=_("Or choose a date below."))
    due_date = forms.DateField(label=_("Deadline date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               help_text=_("A working day; the deadline is the end of its working hours."))
    category = forms.ChoiceField(label=_("Category (for a category trend)"), required=False)
    source_note = forms.CharField(label=_("Report or trend it comes from"), required=False, max_length=200)
    ticket = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, owners, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "—"), *owners]
        self.fields["category"].choices = [("", "—"), *categories]


class NoteForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    text = forms.CharField(label=_("Note"), widget=_area(), required=False, max_length=TEXT_MAX)


class LinkForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    ticket = forms.CharField(label=_("Ticket number"), max_length=32)
