"""Customer portal: no sign-in; file, track, answer and rate."""

from django.urls import path  # noqa: F401

app_name = "portal"
urlpatterns: list = []
