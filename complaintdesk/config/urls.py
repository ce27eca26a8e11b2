from django.contrib import admin
from django.urls import path

from complaintdesk.core.views import healthz
from complaintdesk.config.api import api

admin.site.site_header = "complaintdesk"
admin.site.site_title = "complaintdesk"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
