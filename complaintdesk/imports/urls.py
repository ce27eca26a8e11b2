"""The import pages (/imports/)."""

from django.urls import path

from complaintdesk.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:batch_id>/", views.batch_page, name="batch"),
    path("<int:batch_id>/progress/", views.batch_progress, name="progress"),
    path("<int:batch_id>/start/", views.batch_start, name="start"),
    path("<int:batch_id>/errors.xlsx", views.batch_errors, name="errors"),
]
