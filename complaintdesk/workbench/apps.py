from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "complaintdesk.workbench"
    label = "workbench"
