from django.core.management.base import BaseCommand, CommandError

from complaintdesk.demo.setup import demo_prepare
from complaintdesk.org.models import OrgUnit


class Command(BaseCommand):
    help = (
        "Load the demo organisation (江南省 / Jiangnan Province) and generate its ticket history "
        "through the real services. Only into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=2000, help="tickets to generate (default 2000)")

    def handle(self, *args, tickets, **options):
        if tickets < 0:
            raise CommandError("--tickets must be zero or more.")
        if OrgUnit.objects.exists():
            raise CommandError(
                "This database already holds an organisation: load_demo only loads into an empty "
                "database. Point COMPLAINTDESK_DATA_DIR or DATABASE_URL at a new one and migrate."
            )
        info = demo_prepare(tickets=tickets, out=self.stdout)
        self.stdout.write(f"Logins (password for all: {info.password}):")
        for username, role, name in info.logins:
            self.stdout.write(f"  {username:<16} {role:<14} {name}")
        if info.token:
            self.stdout.write(f"API token (integration account): {info.token}")
