"""The IMAP side of a poll (imaplib, standard library): connect, list the messages not yet
handled, fetch one without marking it read, mark it handled.

"Handled" is an IMAP keyword on the message (HANDLED_KEYWORD), set only after the database
has committed what the message became; where the server allows no keywords (PERMANENTFLAGS
without \\*) the \\Seen flag is used instead. The keyword, not a remembered UID, decides what
is new: a UIDVALIDITY change or a restored folder cannot hide a message or show one twice
(the database's unique Message-ID catches what was handled but not yet marked)."""

import contextlib
import imaplib
import re
import ssl

from django.conf import settings

from complaintdesk.mail.vocabulary import Security

HANDLED_KEYWORD = "ComplaintdeskHandled"
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class ImapError(Exception):
    """The server refused or failed; the message says which step."""


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapSession:
    def __init__(self, *, host: str, port: int, security: str, username: str, password: str, folder: str):
        timeout = settings.MAIL_IMAP_TIMEOUT
        context = ssl.create_default_context(cafile=settings.MAIL_CA_FILE or None)
        try:
            if security == Security.SSL:
                self.conn = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
            else:
                self.conn = imaplib.IMAP4(host, port, timeout=timeout)
                if security == Security.STARTTLS:
                    self.conn.starttls(ssl_context=context)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"connect to {host}:{port}: {exc}") from exc
        try:
            self.conn.login(username, password)
            typ, data = self.conn.select(_quoted(folder))
            if typ != "OK":
                raise ImapError(f"select {folder}: {data!r}")
        except imaplib.IMAP4.error as exc:
            self.close()
            raise ImapError(f"login/select: {exc}") from exc
        except ImapError:
            self.close()
            raise
        permanent = b" ".join(self.conn.untagged_responses.get("PERMANENTFLAGS", [b""]) or [b""])
        self.keyword = HANDLED_KEYWORD if b"\\*" in permanent else "\\Seen"

    def _uid(self, command: str, *args):
        try:
            typ, data = self.conn.uid(command, *args)
        except imaplib.IMAP4.error as exc:
            raise ImapError(f"UID {command}: {exc}") from exc
        if typ != "OK":
            raise ImapError(f"UID {command}: {data!r}")
        return data

    def unhandled(self, limit: int) -> list[int]:
        """UIDs of the messages not yet marked handled, oldest first."""
        criteria = ("UNSEEN",) if self.keyword == "\\Seen" else ("UNKEYWORD", self.keyword)
        data = self._uid("SEARCH", *criteria)
        uids = sorted(int(n) for n in b" ".join(d for d in data if d).split())
        return uids[:limit]

    def size(self, uid: int) -> int:
        data = self._uid("FETCH", str(uid), "(RFC822.SIZE)")
        match = _SIZE.search(b" ".join(d if isinstance(d, bytes) else d[0] for d in data if d))
        return int(match.group(1)) if match else 0

    def fetch(self, uid: int, *, headers_only: bool = False) -> bytes:
        """The message (or its header) without setting \\Seen (BODY.PEEK)."""
        section = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        data = self._uid("FETCH", str(uid), f"({section})")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        raise ImapError(f"FETCH {uid}: no message in the answer")

    def mark_handled(self, uid: int) -> None:
        self._uid("STORE", str(uid), "+FLAGS.SILENT", f"({self.keyword})")

    def close(self) -> None:
        # The connection may be gone already: nothing to give back then.
        with contextlib.suppress(Exception):
            self.conn.logout()
