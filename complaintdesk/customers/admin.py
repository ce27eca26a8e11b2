from django.contrib import admin

from complaintdesk.customers.models import Customer, CustomerPhone


class CustomerPhoneInline(admin.TabularInline):
    model = CustomerPhone
    extra = 1


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "segment", "org_unit", "created_at")
    list_filter = ("segment",)
    list_select_related = ("org_unit",)
    search_fields = ("name", "phones__number")
    autocomplete_fields = ("org_unit",)
    readonly_fields = ("created_at",)
    inlines = [CustomerPhoneInline]
    show_full_result_count = False
