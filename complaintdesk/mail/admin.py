"""Mailboxes as data (IMAP access, what their messages become), the incoming messages with
their outcome (held ones can be registered again once the phone is entered), and the
messages we sent to customers, read-only."""

import re

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from complaintdesk.core.errors import DomainError
from complaintdesk.mail import selectors
from complaintdesk.mail.models import IncomingMail, Mailbox, OutgoingMail
from complaintdesk.mail.services.incoming import incoming_register_again
from complaintdesk.mail.vocabulary import HoldReason, IgnoreReason, IncomingStatus

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "host", "folder", "kind", "category", "org_unit", "last_polled_at",
                    "n_registered", "n_appended", "n_ignored", "n_held", "last_error")
    list_filter = ("active",)
    readonly_fields = ("last_polled_at", "last_error")
    fieldsets = (
        (None, {"fields": ("name", "active", "address")}),
        (_("IMAP access"), {"fields": ("host", "port", "security", "username", "password_env", "folder")}),
        (_("New tickets"), {"fields": ("kind", "category", "channel", "org_unit", "acknowledge")}),
        (_("Last poll"), {"fields": ("last_polled_at", "last_error")}),
    )

    def get_queryset(self, request):
        return selectors.mailboxes_with_counts()

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        base_clean = form.clean

        def clean(self_form):
            data = base_clean(self_form)
            category, kind = data.get("category"), data.get("kind")
            if category is not None and kind and category.kind != kind:
                self_form.add_error("category", _("This category belongs to another ticket kind."))
            elif category is not None and not category.is_leaf():
                self_form.add_error("category", _("Choose the most specific category (a leaf of the tree)."))
            name = (data.get("password_env") or "").strip()
            if name and not ENV_NAME.fullmatch(name):
                self_form.add_error("password_env", _("Letters, digits and underscores only: the name of a variable, never the password."))
            return data

        form.clean = clean
        return form

    @admin.display(description=_("registered"), ordering="n_registered")
    def n_registered(self, obj):
        return obj.n_registered

    @admin.display(description=_("added to tickets"))
    def n_appended(self, obj):
        return obj.n_appended + obj.n_info_received

    @admin.display(description=_("ignored"), ordering="n_ignored")
    def n_ignored(self, obj):
        return obj.n_ignored

    @admin.display(description=_("held"), ordering="n_held")
    def n_held(self, obj):
        return obj.n_held


@admin.register(IncomingMail)
class IncomingMailAdmin(admin.ModelAdmin):
    list_display = ("id", "received_at", "mailbox", "from_address", "subject", "status", "reason_label", "ticket")
    list_filter = ("status", "reason", "mailbox")
    list_select_related = ("mailbox", "ticket")
    search_fields = ("message_id", "from_address", "subject", "ticket__number")
    ordering = ("-id",)
    show_full_result_count = False
    actions = ("register_again",)
    fields = ("mailbox", "message_id", "uid", "status", "reason", "detail", "ticket", "from_address",
              "reply_address", "subject", "sent_at", "received_at", "size", "language", "phone",
              "refused_attachments", "references", "raw")

    def get_readonly_fields(self, request, obj=None):
        editable = {"phone"} if obj is not None and obj.status == IncomingStatus.HELD else set()
        return [f for f in self.fields if f not in editable]

    @admin.display(description=_("reason"))
    def reason_label(self, obj):
        for enum in (IgnoreReason, HoldReason):
            try:
                return enum(obj.reason).label
            except ValueError:
                continue
        return obj.reason

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Register the selected held messages again"), permissions=["change"])
    def register_again(self, request, queryset):
        done, failed = 0, []
        for record in queryset.filter(status=IncomingStatus.HELD).order_by("pk"):
            try:
                record = incoming_register_again(record_id=record.pk)
            except DomainError as exc:
                failed.append(f"{record.pk}: {exc.message}")
                continue
            if record.status != IncomingStatus.HELD:
                done += 1
            else:
                failed.append(f"{record.pk}: {record.detail}")
        self.message_user(request, ngettext("%(count)d message was registered.",
                                            "%(count)d messages were registered.", done) % {"count": done},
                          messages.SUCCESS if done else messages.WARNING)
        for line in failed:
            self.message_user(request, line, messages.WARNING)


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "kind", "to_address", "ticket", "message_id")
    list_select_related = ("ticket",)
    search_fields = ("message_id", "to_address", "ticket__number")
    ordering = ("-id",)
    show_full_result_count = False
    readonly_fields = ("ticket", "message_id", "kind", "to_address", "in_reply_to", "outbox", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
