"""The `complaintdesk` command: Django's management commands, plus `demo`.

    complaintdesk demo [--port 8000] [--host 127.0.0.1] [--tickets 2000] [--no-serve] [--no-worker]

migrates, loads the demo organisation if the database is empty, prints the demo logins and
an API token, and serves the app with gunicorn beside a background worker (the huey
consumer: deadline scan, outbox), both child processes of this one: Ctrl-C or SIGTERM stops
both, and if one of them dies the other is stopped too. Production runs gunicorn and
`complaintdesk worker` processes under its own supervisor instead.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

# How long the children get to stop after Ctrl-C / SIGTERM before they are killed.
STOP_GRACE_SECONDS = 10.0


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
    parser.add_argument("--no-worker", action="store_true",
                        help="serve without the background worker (no deadline scan, no outbox)")
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
    print(f"  workbench (staff): {url}/  — sign in with a login below")
    print(f"  customer portal:   {url}/portal/")
    print(f"  admin:   {url}/admin/")
    print(f"  API:     {url}/api/v1/  (OpenAPI: {url}/api/v1/openapi.json, docs: {url}/api/v1/docs)")
    print(f"  logins (password for all: {info.password}):")
    for username, role, name in info.logins:
        print(f"    {username:<16} {role:<14} {name}")
    print(f"  API token (integration account): {info.token}")
    print(f"  try: curl -H 'Authorization: Bearer {info.token}' {url}/api/v1/tickets?limit=5")
    worker = not args.no_worker and not settings.HUEY.get("immediate")
    if worker and not args.no_serve:
        queue = settings.HUEY.get("filename") or settings.HUEY.get("huey_class", "")
        print(f"  background worker: deadline scan every minute, outbox (queue: {queue})")
    sys.stdout.flush()
    if args.no_serve:
        return 0
    server = [sys.executable, "-m", "gunicorn", "complaintdesk.config.wsgi:application",
              "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers),
              "--access-logfile", "-", "--graceful-timeout", "5"]
    children = {"web server": server}
    if worker:
        children["worker"] = [sys.executable, "-m", "complaintdesk", "worker", "--workers", "1"]
    return supervise(children)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # Linux: the child gets SIGTERM if the demo process itself is killed (kill -9), so no
    # server is left behind holding the port.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def supervise(commands: dict[str, list[str]]) -> int:
    """Run the commands as child processes until Ctrl-C / SIGTERM (passed on to each: SIGINT
    lets gunicorn stop at once and the worker finish its running job) or until one exits
    (then the others are stopped). Returns the exit code: 0 when stopped by a signal."""
    stop_signal: list[int] = []

    def on_signal(signum, frame):
        stop_signal.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    procs: dict[str, subprocess.Popen] = {}
    try:
        for name, argv in commands.items():
            # Own session: a Ctrl-C in the terminal reaches only this process, which passes
            # it on once, in order.
            procs[name] = subprocess.Popen(argv, start_new_session=True,  # noqa: S603
                                           preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        failed = ""
        while not stop_signal and not failed:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    failed = name
                    break
            else:
                time.sleep(0.2)
        if failed:
            code = procs[failed].returncode
            how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
            print(f"complaintdesk demo: the {failed} stopped ({how}); stopping the rest.",
                  file=sys.stderr, flush=True)
        _stop_all(procs, stop_signal[0] if stop_signal else signal.SIGTERM)
        if failed:
            code = procs[failed].returncode
            return 128 - code if code < 0 else (code or 1)  # the shell's convention for signals
        return 0
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_all(procs: dict[str, subprocess.Popen], signum: int) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signum)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintdesk.config.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        sys.exit(demo(sys.argv[2:]))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
