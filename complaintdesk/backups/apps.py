from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "complaintdesk.backups"
    label = "backups"
