"""Dashboard for supervisors and leaders."""

from django.urls import path

from complaintdesk.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
