"""Real mail servers for the tests (no mocks): Debian's dovecot as the IMAP server and
aiosmtpd as the SMTP server, each started by a fixture on a free port of 127.0.0.1.

dovecot runs unprivileged with its own configuration in a temporary directory: the passdb is
a static passwd-file, the mail a Maildir under the same directory, logs there too. Run as
root (as on the test machines), the server is started as `nobody` (its login processes
refuse to run as root). Where dovecot is not installed (scripts/test installs
dovecot-imapd with apt) the tests that need it are skipped with a message, except in CI
(CI=true), where that is a failure.

Import the fixtures into a test module: `from mailkit import imap_server, smtp_server  # noqa`.
"""

from __future__ import annotations

import contextlib
import imaplib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
IMAP_USER = "desk"
IMAP_PASSWORD = "imap-secret-for-tests"
PASSWORD_ENV = "COMPLAINTDESK_TEST_IMAP_PASSWORD"
_folders = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _skip_or_fail(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"mail tests cannot run in CI: {reason}")
    pytest.skip(f"mail tests SKIPPED: {reason}")


CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
mail_location = maildir:{dir}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class ImapServer:
    host: str
    port: int  # plain IMAP, STARTTLS offered when TLS is set up
    user: str
    password: str
    directory: Path
    imaps_port: int = 0  # TLS from the first byte; 0 when no certificate could be made
    ca_file: str = ""  # the self-signed certificate, to trust it (MAIL_CA_FILE)

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def new_folder(self) -> str:
        name = f"t{os.getpid()}x{next(_folders)}"
        conn = self.connect()
        try:
            typ, data = conn.create(name)
            assert typ == "OK", data
        finally:
            conn.logout()
        return name

    def append(self, folder: str, raw: bytes) -> None:
        conn = self.connect()
        try:
            typ, data = conn.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def flags(self, folder: str) -> dict[int, str]:
        """UID → the message's flags and keywords, as the server reports them."""
        conn = self.connect()
        try:
            conn.select(folder, readonly=True)
            typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
            found = {}
            for line in data:
                if not line:
                    continue
                text = line.decode() if isinstance(line, bytes) else line[0].decode()
                uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                found[uid] = text.split("FLAGS (")[1].split(")")[0]
            return found
        finally:
            conn.logout()

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


class ServerMissing(Exception):
    """dovecot is not installed or did not start (the message says which)."""


@contextlib.contextmanager
def dovecot_server():
    """A running dovecot (ImapServer) for the duration of the block; ServerMissing if it
    cannot run here. Also used by bench/mail_poll.py."""
    if not os.access(DOVECOT, os.X_OK):
        raise ServerMissing(f"{DOVECOT} not found (apt-get install dovecot-imapd)")
    directory = Path(tempfile.mkdtemp(prefix="complaintdesk-dovecot-"))
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
    else:
        uid, gid = os.getuid(), os.getgid()
    user, group = pwd.getpwuid(uid).pw_name, _group_name(gid)
    for sub in ("run", "state", "mail"):
        (directory / sub).mkdir()
    (directory / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
    ca_file = _certificate(directory)
    ssl = (f"ssl = yes\nssl_cert = <{directory}/cert.pem\nssl_key = <{directory}/key.pem" if ca_file
           else "ssl = no")
    proc = None
    for _attempt in range(3):  # a free port can be taken by someone else before dovecot binds it
        port, imaps_port = free_port(), free_port()
        (directory / "dovecot.conf").write_text(CONFIG.format(dir=directory, user=user, group=group, uid=uid,
                                                              gid=gid, port=port, ssl=ssl,
                                                              imaps_port=imaps_port if ca_file else 0))
        if os.geteuid() == 0:
            # The unprivileged server must reach its directory (mkdtemp makes it 0700).
            os.chmod(directory, 0o755)  # noqa: S103
            for path in [directory, *directory.rglob("*")]:
                os.chown(path, uid, gid)
        extra = {"user": uid, "group": gid, "extra_groups": []} if os.geteuid() == 0 else {}
        proc = subprocess.Popen([DOVECOT, "-F", "-c", str(directory / "dovecot.conf")],  # noqa: S603
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **extra)
        server = ImapServer("127.0.0.1", port, IMAP_USER, IMAP_PASSWORD, directory,
                            imaps_port=imaps_port if ca_file else 0, ca_file=ca_file)
        if _wait_for_imap(server, proc):
            break
        _stop(proc)
        proc = None
    if proc is None:
        log = server.log()
        shutil.rmtree(directory, ignore_errors=True)
        raise ServerMissing(f"dovecot did not start: {log[-2000:]}")
    try:
        yield server
    finally:
        _stop(proc)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def imap_server():
    try:
        with dovecot_server() as server:
            yield server
    except ServerMissing as exc:
        _skip_or_fail(str(exc))


def _certificate(directory: Path) -> str:
    """A self-signed certificate for 127.0.0.1 (openssl), for the TLS tests; "" without openssl."""
    openssl = shutil.which("openssl")
    if not openssl:
        return ""
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")],
        capture_output=True, check=False)
    return str(directory / "cert.pem") if done.returncode == 0 else ""


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def _wait_for_imap(server: ImapServer, proc: subprocess.Popen, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            server.connect().logout()
            return True
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.1)
    return False


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@dataclass
class SmtpServer:
    host: str
    port: int
    received: list = field(default_factory=list)  # (envelope from, recipients, parsed message)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def messages(self):
        with self.lock:
            return list(self.received)


class _Collect:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.server.lock:
            self.server.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """aiosmtpd on a free port; Django's SMTP backend is pointed at it for the test."""
    from aiosmtpd.controller import Controller

    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(_Collect(server), hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield server
    finally:
        controller.stop()


def make_mailbox(imap_server: ImapServer, monkeypatch, org, **overrides):
    """A Mailbox row for a fresh folder of the test IMAP server."""
    from complaintdesk.mail.models import Mailbox
    from complaintdesk.taxonomy.models import Category

    monkeypatch.setenv(PASSWORD_ENV, IMAP_PASSWORD)
    values = dict(
        name=f"box-{next(_folders)}", host=imap_server.host, port=imap_server.port, security="none",
        username=imap_server.user, password_env=PASSWORD_ENV, folder=imap_server.new_folder(),
        address="complaints@desk.example.cn", kind="complaint",
        category=Category.objects.get(code="network-weak"), channel="email", org_unit=org["province"],
    )
    values.update(overrides)
    return Mailbox.objects.create(**values)
