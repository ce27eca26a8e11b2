from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from complaintdesk.org.models import Department, OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    form = movenodeform_factory(OrgUnit)
    list_display = ("name", "code", "name_en", "level", "sales_lead", "default_department", "head")
    list_filter = ("level",)
    list_select_related = ("sales_lead", "default_department", "head")
    search_fields = ("code", "name", "name_en")
    # Who picks up a ticket dispatched to the unit (issue 12 §5): its default department, else its head.
    autocomplete_fields = ("sales_lead", "default_department", "head")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "org_unit", "is_centre", "active")
    list_filter = ("is_centre", "active")
    list_select_related = ("org_unit",)
    search_fields = ("code", "name", "name_en")
    autocomplete_fields = ("org_unit",)
