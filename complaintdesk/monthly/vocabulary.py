"""The vocabulary of reports and bulletins (pure Python, shared by models, workflow and pages)."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class ReportKind(LabelledEnum):
    MONTHLY = "monthly"  # 月报: the 26th of the previous month to the 25th (003)
    HALF_YEAR = "half_year"  # 半年报: each July and January, six report months (003)

    @classmethod
    def _labels(cls):
        return {cls.MONTHLY: _("Monthly report"), cls.HALF_YEAR: _("Half-year report")}


class DocState(LabelledEnum):
    """Where a report or a bulletin stands: drafted (figures generated, the owner edits),
    submitted (waits for a leader), approved, published (frozen)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PUBLISHED = "published"

    @classmethod
    def _labels(cls):
        return {
            cls.DRAFT: _("Draft"),
            cls.SUBMITTED: _("Submitted for approval"),
            cls.APPROVED: _("Approved"),
            cls.PUBLISHED: _("Published"),
        }


class DocAction(LabelledEnum):
    GENERATE = "generate"  # the draft is created with its figures
    REFRESH = "refresh"  # the draft's figures are gathered again
    EDIT = "edit"  # the owner's free-text sections
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"  # a leader sends it back to the owner with a reason
    PUBLISH = "publish"

    @classmethod
    def _labels(cls):
        return {
            cls.GENERATE: _("Generated"),
            cls.REFRESH: _("Figures refreshed"),
            cls.EDIT: _("Edited"),
            cls.SUBMIT: _("Submitted for approval"),
            cls.APPROVE: _("Approved"),
            cls.RETURN: _("Returned to the owner"),
            cls.PUBLISH: _("Published"),
        }
