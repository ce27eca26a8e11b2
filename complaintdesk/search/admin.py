"""The user dictionary in the admin: words jieba keeps whole when it segments."""

from django.contrib import admin, messages
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaintdesk.core.errors import ValidationFailed
from complaintdesk.search.conditions import text_condition, text_query
from complaintdesk.search.models import DictionaryWord
from complaintdesk.search.services.dictionary import dictionary_changed, dictionary_seed


class FullTextSearchMixin:
    """The admin's search box through the full-text index (words, ticket number, phone),
    for tickets (`fulltext_column` "id") or rows with a ticket ("ticket_id", "ticket__")."""

    fulltext_column = "id"
    fulltext_prefix = ""

    def get_search_results(self, request, queryset, search_term):
        if not (search_term or "").strip():
            return queryset, False
        try:
            tq = text_query(search_term)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            return queryset.none(), False
        # The admin is for administrators, who see every number in full.
        return queryset.filter(text_condition(tq, column=self.fulltext_column, prefix=self.fulltext_prefix,
                                              phones=Q())), False


@admin.register(DictionaryWord)
class DictionaryWordAdmin(admin.ModelAdmin):
    list_display = ["word", "frequency", "source", "active", "updated_at"]
    list_filter = ["source", "active"]
    search_fields = ["word"]
    readonly_fields = ["source", "updated_at"]
    actions = ["seed_from_categories"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        dictionary_changed()
        messages.info(request, gettext(
            "Tickets written from now on use the changed dictionary; run "
            "“complaintdesk search_reindex” to segment the earlier ones again."))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        dictionary_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        dictionary_changed()

    @admin.action(description=_("Add the category names and required-element labels"))
    def seed_from_categories(self, request, queryset):
        added = dictionary_seed()
        messages.success(request, gettext("%(count)d words added.") % {"count": added})
