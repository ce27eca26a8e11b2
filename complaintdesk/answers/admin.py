"""Administrators keep the reply templates and the answer library; the answers used on
tickets are shown read-only."""

from django import forms
from django.contrib import admin
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from complaintdesk.answers import services
from complaintdesk.answers.models import AnswerArticle, AnswerUse, ReplyTemplate
from complaintdesk.answers.vocabulary import PLACEHOLDERS
from complaintdesk.core.errors import ValidationFailed

_PLACEHOLDER_HELP = format_lazy(
    "{}: {}", _("Placeholders"),
    "; ".join(f"{{{name}}}" for name in PLACEHOLDERS))


class ReplyTemplateForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ["code", "purpose", "name", "name_en", "body", "body_en", "kind", "category",
                  "position", "active"]
        help_texts = {"body": _PLACEHOLDER_HELP, "body_en": _PLACEHOLDER_HELP}

    def clean(self):
        data = super().clean()
        for name in ("body", "body_en"):
            try:
                services.template_check(data.get(name) or "", field=name)
            except ValidationFailed as exc:
                self.add_error(name, str(exc.fields[0].reason))
        return data


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    form = ReplyTemplateForm
    list_display = ("code", "name", "purpose", "kind", "category", "position", "active")
    list_filter = ("purpose", "kind", "active")
    search_fields = ("code", "name", "name_en", "body")
    autocomplete_fields = ("category",)


@admin.register(AnswerArticle)
class AnswerArticleAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "kind", "category", "active", "updated_at")
    list_filter = ("kind", "active")
    search_fields = ("code", "title", "title_en", "keywords")
    autocomplete_fields = ("category",)

    def save_model(self, request, obj, form, change):
        services.article_save(article=obj)


@admin.register(AnswerUse)
class AnswerUseAdmin(admin.ModelAdmin):
    list_display = ("ticket", "article", "used_by", "used_at")
    list_select_related = ("ticket", "article", "used_by")
    readonly_fields = ("ticket", "article", "used_by", "used_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
