from django.core.management.base import BaseCommand, CommandError

from complaintdesk.accounts.models import User
from complaintdesk.accounts.services import api_token_issue


class Command(BaseCommand):
    help = "Issue an API bearer token for a staff account (printed once; only its hash is kept)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="integration", help="What the token is for.")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active staff account named {username!r}.")
        self.stdout.write(api_token_issue(user=user, name=name))
