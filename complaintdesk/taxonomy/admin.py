from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import MoveNodeForm, movenodeform_factory

from complaintdesk.taxonomy.models import Category, RequiredElement


class CategoryForm(MoveNodeForm):
    """A child must belong to the same ticket kind as its parent."""

    def clean(self):
        cleaned = super().clean()
        ref_id = cleaned.get("_ref_node_id")
        if not ref_id or not str(ref_id).isdigit():
            return cleaned
        ref = Category.objects.filter(pk=ref_id).first()
        parent = ref if cleaned.get("_position") == "sorted-child" else ref and ref.get_parent()
        if parent is not None and cleaned.get("kind") and parent.kind != cleaned["kind"]:
            raise ValidationError(
                _("A category must have the same kind as its parent (%(kind)s)."),
                params={"kind": parent.get_kind_display()},
            )
        return cleaned


class RequiredElementInline(admin.TabularInline):
    model = RequiredElement
    fields = ("key", "label", "label_en", "type", "choices", "required", "position")
    extra = 0


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    form = movenodeform_factory(Category, form=CategoryForm)
    list_display = (
        "name", "code", "kind", "owning_department", "default_severity", "requires_approval", "active",
    )
    list_filter = ("kind", "active")
    list_select_related = ("owning_department",)
    search_fields = ("code", "name", "name_en")
    autocomplete_fields = ("owning_department",)
    inlines = [RequiredElementInline]
