from django.contrib import admin
from django.urls import include, path

from complaintdesk.config.api import api
from complaintdesk.core.views import healthz

admin.site.site_header = "complaintdesk"
admin.site.site_title = "complaintdesk"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("portal/", include("complaintdesk.portal.urls")),
    path("dashboard/", include("complaintdesk.reports.urls")),
    # The workbench owns /work/... (worklists) and /tickets/... (registration, ticket page).
    path("", include("complaintdesk.workbench.urls")),
    path("", include("complaintdesk.web.urls")),
]
