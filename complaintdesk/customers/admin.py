from django.contrib import admin

from complaintdesk.customers.models import CallbackTask, Customer, CustomerPhone


class CustomerPhoneInline(admin.TabularInline):
    model = CustomerPhone
    extra = 1
    fields = ("number", "label", "valid_from", "valid_to")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "segment", "org_unit", "customer_since", "contract_end", "created_at")
    list_filter = ("segment",)
    list_select_related = ("org_unit",)
    search_fields = ("name", "phones__number")
    autocomplete_fields = ("org_unit",)
    readonly_fields = ("created_at",)
    inlines = [CustomerPhoneInline]
    show_full_result_count = False


@admin.register(CallbackTask)
class CallbackTaskAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "reason", "due_on", "state", "done_at")
    list_filter = ("state", "reason")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "done_by")
    show_full_result_count = False
