from complaintdesk.search.views import app_name, urlpatterns  # noqa: F401
