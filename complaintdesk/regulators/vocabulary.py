"""What a regulator's profile is made of, pure Python (models, services and the admin share it)."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class DayBasis(LabelledEnum):
    """How a regulator counts its days: on the calendar (NFRA, MIIT, post: "15日") or in
    working days (12345, MIIT's appeal acceptance: "5个工作日")."""

    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"

    @classmethod
    def _labels(cls):
        return {cls.CALENDAR_DAYS: _("calendar days"), cls.WORKING_DAYS: _("working days")}


class Urgency(LabelledEnum):
    """The transferring body's urgency (12345's matrix: normal, urgent, emergency)."""

    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"

    @classmethod
    def _labels(cls):
        return {cls.NORMAL: _("Normal"), cls.URGENT: _("Urgent"), cls.EMERGENCY: _("Emergency")}


class Party(LabelledEnum):
    """Whose deadline a figure is: ours (the company's answer: the clock of the ticket), or the
    regulator's own step (MIIT accepts an appeal within 5 working days): shown, not run."""

    COMPANY = "company"
    REGULATOR = "regulator"

    @classmethod
    def _labels(cls):
        return {cls.COMPANY: _("Company (our deadline)"), cls.REGULATOR: _("The regulator's own step")}


class AgeUnit(LabelledEnum):
    MONTHS = "months"
    YEARS = "years"

    @classmethod
    def _labels(cls):
        return {cls.MONTHS: _("months"), cls.YEARS: _("years")}


class SheetField(LabelledEnum):
    """The values a regulator's reply sheet can hold, one per column (the profile's layout
    names the columns, their headers and their order)."""

    REGULATOR_REF = "regulator_ref"
    NUMBER = "number"
    TRANSFERRED_AT = "transferred_at"
    DUE_AT = "due_at"
    CUSTOMER_NAME = "customer_name"
    PHONE = "phone"
    MATTER = "matter"
    URGENCY = "urgency"
    TITLE = "title"
    DESCRIPTION = "description"
    DEPARTMENT = "department"
    CAUSE = "cause"
    HANDLING = "handling"
    REPLY = "reply"
    REPLIED_AT = "replied_at"
    ON_TIME = "on_time"
    EXTENSION = "extension"
    VALID = "valid"
    SATISFACTION = "satisfaction"
    STATE = "state"

    @classmethod
    def _labels(cls):
        return {
            cls.REGULATOR_REF: _("Regulator's reference"),
            cls.NUMBER: _("Ticket number"),
            cls.TRANSFERRED_AT: _("Transferred at"),
            cls.DUE_AT: _("Regulator's deadline"),
            cls.CUSTOMER_NAME: _("Customer name"),
            cls.PHONE: _("Customer phone"),
            cls.MATTER: _("Matter"),
            cls.URGENCY: _("Urgency"),
            cls.TITLE: _("Title"),
            cls.DESCRIPTION: _("Description"),
            cls.DEPARTMENT: _("Department"),
            cls.CAUSE: _("Root cause"),
            cls.HANDLING: _("Handling notes"),
            cls.REPLY: _("Reply to the customer"),
            cls.REPLIED_AT: _("Replied at"),
            cls.ON_TIME: _("Within the deadline"),
            cls.EXTENSION: _("Extension"),
            cls.VALID: _("Complaint valid"),
            cls.SATISFACTION: _("Satisfaction"),
            cls.STATE: _("State"),
        }
