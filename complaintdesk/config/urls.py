from django.contrib import admin
from django.urls import include, path

from complaintdesk.config.api import api
from complaintdesk.core.views import healthz

# A body Django cannot read (too large, broken multipart) gets a plain page or, under /api/,
# the JSON error shape: never a 500 (core/bad_requests.py).
handler400 = "complaintdesk.core.views.bad_request"

admin.site.site_header = "complaintdesk"
admin.site.site_title = "complaintdesk"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("portal/", include("complaintdesk.portal.urls")),
    path("dashboard/", include("complaintdesk.reports.urls")),
    path("reports/", include("complaintdesk.monthly.urls")),
    path("bulletins/", include("complaintdesk.bulletins.urls")),
    path("statistics/", include("complaintdesk.stats.urls")),
    path("inbox/", include("complaintdesk.notifications.urls")),
    path("search/", include("complaintdesk.search.urls")),
    path("capa/", include("complaintdesk.capa.urls")),
    path("imports/", include("complaintdesk.imports.urls")),
    path("regulators/", include("complaintdesk.regulators.urls")),
    path("", include("complaintdesk.answers.urls")),
    # The workbench owns /work/... (worklists) and /tickets/... (registration, ticket page).
    path("", include("complaintdesk.workbench.urls")),
    path("", include("complaintdesk.web.urls")),
]
