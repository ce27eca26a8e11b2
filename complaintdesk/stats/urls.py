"""The statistics page."""

from django.urls import path

from complaintdesk.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.statistics, name="statistics"),
]
