"""The words of file imports (issue 10 §1): a batch's states, a row's outcome, what to do on
an invalid row. Pure Python, like the other vocabularies."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.accounts.roles import Role
from complaintdesk.core.choices import LabelledEnum


class BatchState(LabelledEnum):
    CHECKING = "checking"  # the dry run is reading the file
    CHECKED = "checked"  # dry run done: the report waits for the user's choice
    UNREADABLE = "unreadable"  # the file could not be read; nothing was changed
    QUEUED = "queued"  # the import was started and waits for a worker
    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"  # "stop on any error" met an invalid row
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls):
        return {
            cls.CHECKING: _("Dry run in progress"),
            cls.CHECKED: _("Dry run done"),
            cls.UNREADABLE: _("File unreadable"),
            cls.QUEUED: _("Waiting for a worker"),
            cls.RUNNING: _("Importing"),
            cls.DONE: _("Imported"),
            cls.STOPPED: _("Stopped at an invalid row"),
            cls.CANCELLED: _("Cancelled"),
        }


ACTIVE_STATES = frozenset({BatchState.CHECKING, BatchState.QUEUED, BatchState.RUNNING})


class RowOutcome(LabelledEnum):
    CREATED = "created"
    SKIPPED = "skipped"  # imported before under the same source id, same text
    DIFFERS = "differs"  # imported before under the same source id, different text: reported, not overwritten
    FAILED = "failed"

    @classmethod
    def _labels(cls):
        return {
            cls.CREATED: _("Created"),
            cls.SKIPPED: _("Skipped: already imported"),
            cls.DIFFERS: _("Differs from the earlier import"),
            cls.FAILED: _("Failed"),
        }


class OnError(LabelledEnum):
    SKIP = "skip"  # import every valid row, report the others
    STOP = "stop"  # import nothing if any row is invalid

    @classmethod
    def _labels(cls):
        return {
            cls.SKIP: _("Import the valid rows, report the others"),
            cls.STOP: _("Stop on any error"),
        }


# Who may import: the centre's dispatchers, supervisors and administrators (a batch registers
# many tickets at once; intake agents register one at a time through the form).
IMPORT_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
