"""E-mail vocabulary, pure Python (models, services and admin share it)."""

from django.utils.translation import gettext_lazy as _

from complaintdesk.core.choices import LabelledEnum


class Security(LabelledEnum):
    SSL = "ssl"  # IMAPS, TLS from the first byte (port 993)
    STARTTLS = "starttls"  # plain IMAP upgraded with STARTTLS before the login (port 143)
    NONE = "none"  # no encryption: only for a server on the same host or a trusted link

    @classmethod
    def _labels(cls):
        return {
            cls.SSL: _("TLS (IMAPS)"),
            cls.STARTTLS: _("STARTTLS"),
            cls.NONE: _("None (trusted network only)"),
        }


class IncomingStatus(LabelledEnum):
    REGISTERED = "registered"  # became a new ticket
    APPENDED = "appended"  # a customer message on an existing ticket
    INFO_RECEIVED = "info_received"  # the answer to a request for information: clocks resumed
    IGNORED = "ignored"  # auto-reply, bounce, list mail, our own message (see IgnoreReason)
    HELD = "held"  # kept for staff: it could not become a ticket as it is (see `reason`)

    @classmethod
    def _labels(cls):
        return {
            cls.REGISTERED: _("Registered as a ticket"),
            cls.APPENDED: _("Added to a ticket"),
            cls.INFO_RECEIVED: _("Information received on a ticket"),
            cls.IGNORED: _("Ignored"),
            cls.HELD: _("Held for staff"),
        }


HANDLED_ON_TICKET = (IncomingStatus.REGISTERED, IncomingStatus.APPENDED, IncomingStatus.INFO_RECEIVED)


class IgnoreReason(LabelledEnum):
    AUTO_SUBMITTED = "auto_submitted"  # Auto-Submitted other than "no" (RFC 3834)
    AUTO_REPLY = "auto_reply"  # X-Autoreply / X-Autorespond and the like
    BULK = "bulk"  # Precedence: bulk, junk or list
    LIST = "list"  # a mailing list (List-Id)
    BOUNCE = "bounce"  # a delivery report: mailer-daemon, empty return path, multipart/report
    OWN_MESSAGE = "own_message"  # a message we sent (our Message-ID or our own address): a loop

    @classmethod
    def _labels(cls):
        return {
            cls.AUTO_SUBMITTED: _("Sent automatically (Auto-Submitted)"),
            cls.AUTO_REPLY: _("Automatic reply"),
            cls.BULK: _("Bulk mail (Precedence)"),
            cls.LIST: _("Mailing list"),
            cls.BOUNCE: _("Delivery failure report (bounce)"),
            cls.OWN_MESSAGE: _("Our own message (mail loop)"),
        }


class HoldReason(LabelledEnum):
    NO_PHONE = "no_phone"  # no phone number in the message: a ticket needs one
    INVALID = "invalid"  # the registration refused it (required elements, category…)
    TOO_LARGE = "too_large"  # larger than MAIL_MAX_BYTES: not downloaded
    ERROR = "error"  # an unexpected error while reading it

    @classmethod
    def _labels(cls):
        return {
            cls.NO_PHONE: _("No phone number found"),
            cls.INVALID: _("Refused by the registration"),
            cls.TOO_LARGE: _("Too large"),
            cls.ERROR: _("Could not be read"),
        }


class OutgoingKind(LabelledEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    REPLY = "reply"
    INFO_REQUEST = "info_request"

    @classmethod
    def _labels(cls):
        return {
            cls.ACKNOWLEDGEMENT: _("Acknowledgement of receipt"),
            cls.REPLY: _("Reply to the customer"),
            cls.INFO_REQUEST: _("Request for information"),
        }
