"""Reply templates and the answer library: vocabulary, pure Python."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class TemplatePurpose(LabelledEnum):
    """Where a reply template is offered (each is a text field of a workflow action)."""

    REPLY = "reply"  # the result told to the customer (reply; resolve on the spot)
    INVALID_ANSWER = "invalid_answer"  # the polite answer to a complaint reviewed as invalid
    CALLBACK_SCRIPT = "callback_script"  # what the agent says when calling back (read, not filled in)

    @classmethod
    def _labels(cls):
        return {
            cls.REPLY: _("Reply to the customer"),
            cls.INVALID_ANSWER: _("Answer to an invalid complaint"),
            cls.CALLBACK_SCRIPT: _("Callback script"),
        }


# The placeholders a template may use, each with what it stands for (shown in the admin).
PLACEHOLDERS = {
    "customer": _("the customer's name"),
    "number": _("the ticket number"),
    "title": _("the ticket's title"),
    "deadline": _("the ticket's nearest running deadline (date and time)"),
    "department": _("the department holding the ticket, or the one that handled it last"),
    "agent": _("the name of the staff member using the template"),
    "category": _("the ticket's category"),
}
