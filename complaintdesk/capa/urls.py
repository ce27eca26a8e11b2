from complaintdesk.capa.views import app_name, urlpatterns  # noqa: F401
