from django.urls import path

from complaintdesk.regulators import views

app_name = "regulators"

urlpatterns = [
    path("preview/", views.preview, name="preview"),
    path("export/", views.export, name="export"),
    path("tickets/<int:ticket_id>/sheet.xlsx", views.ticket_sheet, name="ticket_sheet"),
]
