"""Forms of the registration page and of the ticket page's actions.

They only parse what the browser sent (types, choices, lengths) and render the inputs: every
rule of the domain is checked by the service the view calls, whose field errors are put back
on these forms (`add_service_errors`) so they appear at the field, in the user's language.
"""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import DomainError
from complaintdesk.regulators.services.transfers import profile_options
from complaintdesk.regulators.vocabulary import Urgency
from complaintdesk.tickets.vocabulary import (
    CallbackOutcome,
    CallbackTopic,
    Cause,
    Channel,
    Kind,
    Satisfaction,
    Severity,
    SourceTier,
)

TEXT_MAX = 20000
DATETIME_INPUTS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def _textarea(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows})


def add_service_errors(form: forms.Form, error: DomainError, aliases: dict | None = None) -> None:
    """Put a service's field errors on the form: at the field when the form has it (after
    `aliases`: service name → form name), otherwise at the top of the form."""
    aliases = aliases or {}
    placed = False
    for item in error.fields:
        name = aliases.get(item.field, item.field)
        if name in form.fields:
            form.add_error(name, str(item.reason))
            placed = True
        else:
            form.add_error(None, str(item.reason))
            placed = True
    if not placed:
        form.add_error(None, str(error.message))


def describe_errors(form: forms.Form) -> forms.Form:
    """Point each field with an error at its message (aria-describedby), for screen readers."""
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["aria-describedby"] = f"{form[name].auto_id}_error"
    return form


def field_views(form: forms.Form) -> list[dict]:
    """The visible fields as plain dicts, for templates that render them without Django's
    widget templates (one template include per field and per <option>: most of the ticket
    page's render time). Covers the widgets these forms use."""
    out = []
    for bound in form.visible_fields():
        widget = bound.field.widget
        kind = bound.widget_type  # text, textarea, select, checkbox, radioselect, ...
        value = bound.value()
        view = {
            "name": bound.html_name, "id": bound.auto_id, "label": bound.label,
            "required": bound.field.required, "errors": bound.errors, "help": bound.help_text,
            "kind": kind, "attrs": widget.attrs, "value": "", "checked": False, "choices": [],
            "template_purpose": getattr(form, "template_fields", {}).get(bound.name, ""),
            # A staff picker (desk/: htmx autocomplete into a <datalist>) instead of a typed name.
            "picker": getattr(form, "picker_fields", {}).get(bound.name, ""),
        }
        if kind in ("select", "radioselect", "checkboxselectmultiple"):
            current = {str(v) for v in value} if isinstance(value, list | tuple) else {str(value)}
            choices = getattr(bound.field, "choices", None) or widget.choices
            view["choices"] = [(str(v), text, str(v) in current) for v, text in choices]
        elif kind == "checkbox":
            view["checked"] = widget.check_test(value)
        else:
            formatted = widget.format_value(value)
            view["value"] = "" if formatted is None else formatted
            view["type"] = getattr(widget, "input_type", "text")
        out.append(view)
    return out


# -- registration --------------------------------------------------------------------------------

def _blank_first(choices, blank_label):
    return [("", blank_label), *choices]


def _regulator_due_field(label):
    return forms.DateTimeField(
        label=label, required=False, input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class RegisterForm(forms.Form):
    """The fixed part of the registration form; the required elements of the chosen
    category are read from the POST by the view (inputs named `el_<key>`)."""

    kind = forms.ChoiceField(label=_("Ticket kind"), choices=())
    category = forms.CharField(label=_("Category"), max_length=60, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=())
    severity = forms.ChoiceField(label=_("Severity"), choices=(), required=False)
    special = forms.BooleanField(
        label=_("Special case (threat of media exposure, lawsuit or regulator complaint)"),
        required=False,
    )
    special_type = forms.ChoiceField(label=_("Special complainant type (optional)"), choices=(), required=False)
    source_tier = forms.ChoiceField(label=_("Source tier"), choices=(), required=False,
                                    help_text=_("Where the ticket came from: the customer, or a body above."))
    regulator_ref = forms.CharField(label=_("Regulator's reference"), max_length=64, required=False)
    regulator = forms.ChoiceField(label=_("Regulator (its rule gives the deadline)"), choices=(), required=False)
    regulator_matter = forms.ChoiceField(label=_("Regulator's matter type"), choices=(), required=False)
    regulator_urgency = forms.ChoiceField(label=_("Urgency"), choices=(), required=False)
    transferred_at = forms.DateTimeField(
        label=_("Transferred at (if earlier than now)"), required=False, input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    matter_date = forms.DateField(label=_("The matter arose on (optional)"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    regulator_due_at = _regulator_due_field(_("Deadline stated by the regulator (only if its sheet gives one)"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), max_length=TEXT_MAX, required=False,
                                  widget=_textarea(5))
    customer_name = forms.CharField(label=_("Customer name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Customer phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    contact_phone = forms.CharField(
        label=_("Contact phone, if different"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    product = forms.CharField(label=_("Product or service concerned"), max_length=200, required=False)
    resolve_on_spot = forms.CharField(
        label=_("Resolved on the spot: the explanation given to the customer"),
        help_text=_("Fill this only when the explanation settled it: the ticket is registered and closed at once."),
        max_length=TEXT_MAX, required=False, widget=_textarea(3),
    )
    org_unit = forms.ChoiceField(label=_("Owning org unit"), choices=(), required=False,
                                 help_text=_("Territorial ownership: by default the customer's org unit, else yours."))
    first_reported_at = forms.DateTimeField(
        label=_("First reported at (if earlier than now)"), required=False,
        input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    agreed_time = forms.DateTimeField(
        label=_("Time agreed with the customer (optional)"), required=False,
        input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=200, required=False)

    # Required by the service (which reports every missing field at once, with the elements):
    # marked as required in the page, not refused by the form before the service is asked.
    marked_required = frozenset({"category", "title", "description", "phone"})

    def __init__(self, *args, org_units=(), special_types=(), regulators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = _blank_first(list(org_units), _("The customer's, else yours"))
        regulator_choices(self, regulators)
        self.fields["special_type"].choices = _blank_first(
            [(t.code, t.display_name) for t in special_types], "—")
        self.fields["source_tier"].choices = _blank_first(SourceTier.choices(), _("As the channel says"))
        for name in self.marked_required:
            self.fields[name].widget.attrs["aria-required"] = "true"
        # No kind is preset: the agent chooses it first, then its categories are offered.
        self.fields["kind"].choices = _blank_first(Kind.choices(), _("Choose the kind first…"))
        self.fields["channel"].choices = Channel.choices()
        self.fields["severity"].choices = _blank_first(Severity.choices(), _("As the category says"))


def regulator_choices(form, regulators):
    """The regulator profiles and their matter types (grouped by regulator) of a form."""
    form.fields["regulator"].choices = _blank_first(
        [(p.code, p.display_name) for p in regulators], _("None: no regulator's rule"))
    form.fields["regulator_matter"].choices = _blank_first(
        [(p.display_name, [(m.code, m.display_name) for m in p.matters]) for p in regulators if p.matters], "—")
    form.fields["regulator_urgency"].choices = _blank_first(Urgency.choices(), "—")


# -- ticket actions -------------------------------------------------------------------------------

class ActionForm(forms.Form):
    """Every action form carries the ticket version the page was rendered with."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    # Text fields that reply templates can fill (field name → TemplatePurpose value).
    template_fields: dict[str, str] = {}

    def __init__(self, *args, departments=(), ticket=None, owning_department=None, special_types=(),
                 org_units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.org_unit_choices = list(org_units)
        self.ticket = ticket
        self.owning_department = owning_department
        self.department_choices = [(d.code, d.display_name) for d in departments]
        self.special_type_choices = [(t.code, t.display_name) for t in special_types]
        self.setup()

    def setup(self):
        """Dynamic choices (departments) and initial values from the ticket."""


class EmptyForm(ActionForm):
    pass


class AnswerForm(ActionForm):
    template_fields = {"answer": "reply"}
    answer = forms.CharField(label=_("Explanation given to the customer"), max_length=TEXT_MAX,
                             widget=_textarea())


class ReviewValidForm(ActionForm):
    severity = forms.ChoiceField(label=_("Severity"), choices=(), required=False)
    special = forms.BooleanField(label=_("Special case"), required=False)
    reason = forms.CharField(label=_("Note"), max_length=TEXT_MAX, required=False, widget=_textarea(2))

    def setup(self):
        self.fields["severity"].choices = Severity.choices()
        if self.ticket is not None:
            self.fields["severity"].initial = self.ticket.severity
            self.fields["special"].initial = self.ticket.special


class ReviewInvalidForm(ActionForm):
    template_fields = {"answer": "invalid_answer"}
    reason = forms.CharField(label=_("Why the complaint is not valid"), max_length=TEXT_MAX,
                             widget=_textarea(2))
    answer = forms.CharField(label=_("Polite answer given to the customer"), max_length=TEXT_MAX,
                             widget=_textarea(3))


class DispatchForm(ActionForm):
    picker_fields = {"assignee": "dispatch"}
    department = forms.ChoiceField(label=_("Department"), choices=(), required=False)
    assignee = forms.CharField(label=_("Or a staff account (employee username)"), max_length=150,
                               required=False, help_text=_("Type a name or number: matching staff are offered."))
    org_unit = forms.ChoiceField(label=_("Or an org unit (its default department, or its head, picks it up)"),
                                 choices=(), required=False)
    note = forms.CharField(label=_("Note"), max_length=TEXT_MAX, required=False, widget=_textarea(2))

    def setup(self):
        default = _("The category's owning department")
        routed = getattr(self.ticket, "routed_department", None) if self.ticket is not None else None
        if routed is not None:
            default = format_lazy("{} ({})", _("Where the first ticket was handled"), routed.display_name)
        elif self.owning_department is not None:
            default = format_lazy("{} ({})", default, self.owning_department.display_name)
        self.fields["department"].choices = _blank_first(self.department_choices, default)
        self.fields["org_unit"].choices = _blank_first(self.org_unit_choices, "—")


class TransferForm(ActionForm):
    picker_fields = {"assignee": "transfer"}
    department = forms.ChoiceField(label=_("Department"), choices=())
    assignee = forms.CharField(label=_("Staff account (optional)"), max_length=150, required=False,
                               help_text=_("Type a name or number: matching staff are offered."))
    reason = forms.CharField(label=_("Reason"), max_length=TEXT_MAX, widget=_textarea(2))

    def setup(self):
        self.fields["department"].choices = _blank_first(self.department_choices, _("Choose…"))


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), max_length=TEXT_MAX, widget=_textarea(2))


class CoHandleForm(ActionForm):
    departments = forms.MultipleChoiceField(label=_("Assisting departments"), choices=(),
                                            widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note"), max_length=TEXT_MAX, required=False, widget=_textarea(2))

    def setup(self):
        ticket = self.ticket
        lead = ticket.lead_department.code if ticket is not None and ticket.lead_department_id else None
        self.fields["departments"].choices = [c for c in self.department_choices if c[0] != lead]


class TextForm(ActionForm):
    text = forms.CharField(label=_("Text"), max_length=TEXT_MAX, widget=_textarea())


class AssistForm(ActionForm):
    text = forms.CharField(label=_("Your department's input"), max_length=TEXT_MAX, widget=_textarea())


class ProgressForm(ActionForm):
    text = forms.CharField(label=_("Progress made"), max_length=TEXT_MAX, widget=_textarea())


class NoteForm(ActionForm):
    note = forms.CharField(label=_("Note"), max_length=TEXT_MAX, required=False, widget=_textarea(2))


class RequiredNoteForm(ActionForm):
    note = forms.CharField(label=_("What must change"), max_length=TEXT_MAX, widget=_textarea(2))


class PlanForm(ActionForm):
    plan = forms.CharField(label=_("Handling plan"), max_length=TEXT_MAX, widget=_textarea())


class HandleForm(ActionForm):
    notes = forms.CharField(label=_("Handling notes (answer every point raised)"),
                            max_length=TEXT_MAX, widget=_textarea(5))
    cause = forms.ChoiceField(label=_("Cause"), choices=(), required=False)
    responsible_department = forms.ChoiceField(label=_("Responsible department"), choices=(),
                                               required=False)
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=100,
                                         required=False)
    partial = forms.BooleanField(label=_("Partly done: audit this part, the rest follows"),
                                 required=False)
    outcome = forms.CharField(label=_("Outcome of the sales lead"), max_length=200, required=False)

    def setup(self):
        self.fields["cause"].choices = _blank_first(Cause.choices(), "—")
        self.fields["responsible_department"].choices = _blank_first(self.department_choices, "—")
        kind = getattr(self.ticket, "kind", None)
        if kind == Kind.SALES_LEAD:
            for name in ("cause", "responsible_department", "responsible_person", "partial"):
                del self.fields[name]
        else:
            del self.fields["outcome"]
            if kind in (Kind.INQUIRY, Kind.SUGGESTION):
                del self.fields["partial"]


class ReplyForm(ActionForm):
    template_fields = {"text": "reply"}
    text = forms.CharField(label=_("What the customer was told"), max_length=TEXT_MAX,
                           widget=_textarea())
    customer_accepts = forms.NullBooleanField(
        label=_("Does the customer accept the result?"), required=False,
        widget=forms.Select(choices=[("unknown", _("Not asked")), ("true", _("Yes")),
                                     ("false", _("No"))]),
    )


class CallbackForm(ActionForm):
    template_fields = {"note": "callback_script"}
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=(),
                                     widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), max_length=TEXT_MAX, required=False, widget=_textarea(2))

    topics = forms.MultipleChoiceField(label=_("Topics talked about"), choices=(), required=False,
                                       widget=forms.CheckboxSelectMultiple)

    def setup(self):
        self.fields["satisfaction"].choices = Satisfaction.choices()
        self.fields["topics"].choices = CallbackTopic.choices()


class CallbackAttemptForm(ActionForm):
    """A call that did not end in a satisfaction: how it went and when to call again."""

    template_fields = {"note": "callback_script"}
    outcome = forms.ChoiceField(label=_("How the call went"), choices=(), widget=forms.RadioSelect)
    call_again_at = forms.DateTimeField(
        label=_("Call again at"), required=False, input_formats=DATETIME_INPUTS,
        help_text=_("Required when the customer asked for a time; otherwise the next try is scheduled "
                    "automatically."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    topics = forms.MultipleChoiceField(label=_("Topics talked about"), choices=(), required=False,
                                       widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=_textarea(2))

    def setup(self):
        self.fields["outcome"].choices = [(o.value, o.label) for o in CallbackOutcome
                                          if o != CallbackOutcome.ANSWERED]
        self.fields["topics"].choices = CallbackTopic.choices()


class QuestionForm(ActionForm):
    question = forms.CharField(label=_("What the customer is asked"), max_length=TEXT_MAX,
                               widget=_textarea(2))


class InfoReceivedForm(ActionForm):
    answer = forms.CharField(label=_("What the customer answered"), max_length=TEXT_MAX,
                             required=False, widget=_textarea(2))


class AgreedTimeForm(ActionForm):
    agreed_time = forms.DateTimeField(
        label=_("Time agreed with the customer"),
        input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=_("Note"), max_length=TEXT_MAX, required=False, widget=_textarea(2))


class SourceForm(ActionForm):
    source_tier = forms.ChoiceField(label=_("Source tier"), choices=(), required=False)
    regulator_ref = forms.CharField(label=_("Regulator's reference"), max_length=64, required=False)
    regulator = forms.ChoiceField(label=_("Regulator (its rule gives the deadline)"), choices=(), required=False)
    regulator_matter = forms.ChoiceField(label=_("Regulator's matter type"), choices=(), required=False)
    regulator_urgency = forms.ChoiceField(label=_("Urgency"), choices=(), required=False)
    transferred_at = forms.DateTimeField(
        label=_("Transferred at (default: when the ticket was registered)"), required=False,
        input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    regulator_due_at = _regulator_due_field(_("Deadline stated by the regulator (only if its sheet gives one)"))

    def setup(self):
        self.fields["source_tier"].choices = _blank_first(SourceTier.choices(), _("As the regulator says"))
        regulator_choices(self, profile_options())
        if self.ticket is not None:
            self.fields["source_tier"].initial = self.ticket.source_tier
            self.fields["regulator_ref"].initial = self.ticket.regulator_ref


class ExtendRegulatorForm(ActionForm):
    reason = forms.CharField(label=_("Why the case needs more time"), max_length=TEXT_MAX, widget=_textarea(2))
    approved_by = forms.CharField(
        label=_("Approved by (leader's username)"), max_length=150, required=False,
        help_text=_("Needed for a step that requires approval, unless you are that leader."))


class UnlinkForm(ActionForm):
    reason = forms.CharField(label=_("Why this is not a repeat of the first ticket"), max_length=TEXT_MAX,
                             widget=_textarea(2))


class SpecialTypeForm(ActionForm):
    special_type = forms.ChoiceField(label=_("Special complainant type"), choices=())
    note = forms.CharField(label=_("Note"), max_length=TEXT_MAX, required=False, widget=_textarea(2))

    def setup(self):
        self.fields["special_type"].choices = _blank_first(self.special_type_choices, _("Choose…"))
        if self.ticket is not None and self.ticket.special_type_id:
            self.fields["special_type"].initial = self.ticket.special_type.code


HISTORY_ITEMS = (
    ("earlier_tickets", _("Earlier tickets and their handling reviewed")),
    ("people_involved", _("People involved identified (staff, customer, third parties)")),
    ("contact_history", _("Contact history with the customer gathered")),
    ("commitments", _("Promises and compensation already made checked")),
)


class HistoryForm(ActionForm):
    checked = forms.MultipleChoiceField(label=_("Gathered"), choices=HISTORY_ITEMS,
                                        widget=forms.CheckboxSelectMultiple)
    people = forms.CharField(label=_("People involved"), max_length=2000, widget=_textarea(2))
    note = forms.CharField(label=_("Note"), max_length=TEXT_MAX, required=False, widget=_textarea(2))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), allow_empty_file=True)


# -- ticket tools (desk/, issue 12 §5) -----------------------------------------------------------

class InternalNoteForm(forms.Form):
    """An internal note; @names in the text and the picked colleague are told."""

    picker_fields = {"mention": "mention"}
    # Checked by the service, which says what is missing ("Write the note.").
    text = forms.CharField(label=_("Internal note (staff only, never shown to the customer)"),
                           max_length=5000, widget=_textarea(3), required=False,
                           help_text=_("Write @ and a staff number to mention a colleague."))
    mention = forms.CharField(label=_("Mention a colleague"), max_length=150, required=False,
                              help_text=_("Type a name or number: colleagues who may see this ticket are offered."))


class LinkForm(forms.Form):
    other = forms.CharField(label=_("Other ticket's number"), max_length=32)
    type = forms.ChoiceField(label=_("Link type"), choices=())

    def __init__(self, *args, **kwargs):
        from complaintdesk.desk.vocabulary import LinkType

        super().__init__(*args, **kwargs)
        self.fields["type"].choices = LinkType.choices()


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Merge into ticket number"), max_length=32,
                           help_text=_("This ticket is closed as a duplicate of that one; both timelines are kept."))
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False, widget=_textarea(2))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
