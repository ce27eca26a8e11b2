from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "complaintdesk.reports"
    label = "reports"
