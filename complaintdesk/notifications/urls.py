"""The notification pages (/inbox/)."""

from django.urls import path

from complaintdesk.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bell/", views.bell, name="bell"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("settings/", views.settings_page, name="settings"),
    path("<int:message_id>/read/", views.mark_read, name="read"),
]
