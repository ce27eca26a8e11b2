"""The `complaintdesk` command: Django's management commands, plus `demo`.

    complaintdesk demo [--port 8000] [--host 127.0.0.1] [--tickets 2000] [--no-serve]

migrates, loads the demo organisation if the database is empty, prints the demo logins and
an API token, and serves the app with gunicorn.
"""

import argparse
import os
import sys


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintdesk.config.settings")
    import django

    django.setup()


def demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="complaintdesk demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--tickets", type=int, default=2000, help="tickets to generate on first run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-serve", action="store_true", help="set up and print the logins only")
    args = parser.parse_args(argv)

    _setup()
    from django.conf import settings
    from django.core.management import call_command

    from complaintdesk.demo.setup import demo_prepare

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    info = demo_prepare(tickets=args.tickets, out=sys.stdout)
    url = f"http://{args.host}:{args.port}"
    print()
    print(f"complaintdesk demo — database: {settings.DATABASES['default']['NAME']}")
    print(f"  admin:   {url}/admin/")
    print(f"  API:     {url}/api/v1/  (OpenAPI: {url}/api/v1/openapi.json, docs: {url}/api/v1/docs)")
    print(f"  logins (password for all: {info.password}):")
    for username, role, name in info.logins:
        print(f"    {username:<16} {role:<14} {name}")
    print(f"  API token (integration account): {info.token}")
    print(f"  try: curl -H 'Authorization: Bearer {info.token}' {url}/api/v1/tickets?limit=5")
    sys.stdout.flush()
    if args.no_serve:
        return 0
    # Replace this process by gunicorn: signals (Ctrl-C) then reach the server directly.
    os.execv(  # noqa: S606
        sys.executable,
        [sys.executable, "-m", "gunicorn", "complaintdesk.config.wsgi:application",
         "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers),
         "--access-logfile", "-", "--graceful-timeout", "5"],
    )
    return 0


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintdesk.config.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        sys.exit(demo(sys.argv[2:]))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
