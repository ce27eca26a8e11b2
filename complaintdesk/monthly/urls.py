"""Monthly and half-year reports."""

from django.urls import path

from complaintdesk.monthly import views

app_name = "monthly"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("generate/", views.report_generate, name="generate"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/step/<str:action>/", views.report_step, name="step"),
    path("<int:pk>/report.xlsx", views.report_xlsx, name="xlsx"),
    path("<int:pk>/report.pdf", views.report_pdf, name="pdf"),
    path("<int:pk>/chart/<str:name>.svg", views.report_chart, name="chart"),
]
