"""Staff workbench: worklists, the registration form and the ticket page."""

from django.urls import path  # noqa: F401

app_name = "workbench"
urlpatterns: list = []
