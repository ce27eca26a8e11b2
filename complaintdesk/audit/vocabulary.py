from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class AccessKind(LabelledEnum):
    """What a personal-data access record records: which page, endpoint or export."""

    TICKET_PAGE = "ticket_page"
    TICKET_API = "ticket_api"
    TICKET_LIST_API = "ticket_list_api"
    WORKLIST_EXPORT = "worklist_export"
    LEDGER_EXPORT = "ledger_export"
    LEDGER_ENTRY_API = "ledger_entry_api"
    CUSTOMER_LOOKUP = "customer_lookup"
    LEDGER_ENTRY_PAGE = "ledger_entry_page"
    REGULATOR_SHEET = "regulator_sheet"

    @classmethod
    def _labels(cls):
        return {
            cls.TICKET_PAGE: _("Ticket page"),
            cls.REGULATOR_SHEET: _("Regulator's reply sheet"),
            cls.TICKET_API: _("Ticket (API)"),
            cls.TICKET_LIST_API: _("Ticket list (API)"),
            cls.WORKLIST_EXPORT: _("Worklist export"),
            cls.LEDGER_EXPORT: _("Ledger export"),
            cls.LEDGER_ENTRY_API: _("Ledger entry with dossier (API)"),
            cls.CUSTOMER_LOOKUP: _("Customer lookup"),
            cls.LEDGER_ENTRY_PAGE: _("Case dossier page"),
        }
