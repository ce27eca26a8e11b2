"""The hash chain over a ticket's events: the canonical form of an event and the link hash.

Each ticket has its own chain. Event n carries `seq` = n and
`hash` = HMAC-SHA256(key, hash of event n-1 | canonical content of event n), where the
canonical content is the ticket id, seq, type, actor id, time (UTC, microseconds), the two
states and the payload, as JSON with sorted keys and no spaces. Changing, deleting, inserting
or reordering an event breaks the link at that event; a per-ticket chain needs no global lock
(the writer already holds the ticket's row lock) and stays correct under concurrency.

Keyed (HMAC), not plain SHA-256: someone who can write to the database but not read the key
(an SQL injection, a leaked backup edited and restored, a database administrator) cannot
recompute the hashes after a change. The key comes from the environment (AUDIT_CHAIN_KEY) or,
for the embedded set-up, from a random key kept in the data directory, never from the
database. Pure: no ORM (the migration that chains existing events uses it too).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

VERSION = "v1"
GENESIS = ""  # the "previous hash" of a ticket's first event
KEY_FILE_NAME = "audit_chain_key"

_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                          allow_nan=False).encode


def chain_key() -> bytes:
    """AUDIT_CHAIN_KEY from the settings / environment, else a random key kept (0600) in the
    data directory, made on first use. Several servers on one database must share one key."""
    from django.conf import settings

    key = getattr(settings, "AUDIT_CHAIN_KEY", "") or os.environ.get("AUDIT_CHAIN_KEY", "")
    if key:
        return key.encode()
    path = Path(settings.DATA_DIR) / KEY_FILE_NAME
    # Read once per process (the write path asks for it with every event).
    if path not in _KEPT:
        _KEPT[path] = _kept_key(path)
    return _KEPT[path]


_KEPT: dict[Path, bytes] = {}


def chain_key_file() -> Path | None:
    """The data-dir file the key is kept in, or None when it comes from the environment (then
    it is not part of a backup: the environment is the place for secrets)."""
    from django.conf import settings

    if getattr(settings, "AUDIT_CHAIN_KEY", "") or os.environ.get("AUDIT_CHAIN_KEY", ""):
        return None
    return Path(settings.DATA_DIR) / KEY_FILE_NAME


def chain_key_forget() -> None:
    """Read the kept key afresh next time (a restore put another one in place)."""
    _KEPT.clear()


def _kept_key(path: Path) -> bytes:
    try:
        return path.read_text().strip().encode()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then linked into place: two processes starting at once end up with the
    # same key (link fails for the second, which reads the first's).
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip().encode()


def _plain(value):
    """The payload as the database gives it back: integral floats become ints (PostgreSQL's
    jsonb returns 1.0 as 1.0 but 1e20 as an integer), tuples become lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _utc(at: dt.datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(*, ticket_id: int, seq: int, type: str, actor_id: int | None, at: dt.datetime,
              from_state: str, to_state: str, payload) -> bytes:
    return _dumps({
        "v": VERSION, "ticket": ticket_id, "seq": seq, "type": str(type), "actor": actor_id,
        "at": _utc(at), "from": str(from_state or ""), "to": str(to_state or ""),
        "payload": _plain(payload if payload is not None else {}),
    }).encode()


def link_hash(key: bytes, previous: str, content: bytes) -> str:
    return hmac.new(key, previous.encode() + b"\n" + content, hashlib.sha256).hexdigest()


def event_hash(key: bytes, previous: str, *, ticket_id: int, seq: int, type: str,
               actor_id: int | None, at: dt.datetime, from_state: str, to_state: str, payload) -> str:
    return link_hash(key, previous, canonical(
        ticket_id=ticket_id, seq=seq, type=type, actor_id=actor_id, at=at,
        from_state=from_state, to_state=to_state, payload=payload))


def anchor_digest(key: bytes, previous: str, day: str, heads: dict) -> str:
    """A day's anchor: HMAC over the previous anchor's digest and the day's chain heads."""
    return link_hash(key, previous, _dumps({"day": day, "heads": heads}).encode())


# -- verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """The first broken link of one ticket's chain."""

    ticket_id: int
    event_id: int | None
    seq: int | None
    problem: str  # unchained | missing | reordered | altered | duplicate | head_missing
    detail: str


def verify_rows(rows: Iterable[dict], key: bytes) -> Iterator[Break]:
    """Walk events ordered by (ticket_id, id) — dicts with the model's field names — and
    yield the first broken link of each ticket. Streams: one ticket in memory at a time."""
    ticket = None
    broken = False
    expected, previous = 1, GENESIS
    for r in rows:
        if r["ticket_id"] != ticket:
            ticket, broken, expected, previous = r["ticket_id"], False, 1, GENESIS
        if broken:
            continue
        seq = r["seq"]
        problem = None
        if seq is None or not r["hash"]:
            problem = ("unchained", "the event has no sequence number or hash: it was written "
                                    "outside the event writer")
        elif seq > expected:
            problem = ("missing", f"expected event {expected} of the chain, found {seq}: "
                                  f"{seq - expected} event(s) deleted")
        elif seq < expected:
            problem = (("duplicate", f"a second event {seq}") if seq == expected - 1 else
                       ("reordered", f"event {seq} comes after event {expected - 1}: events reordered"))
        else:
            want = event_hash(key, previous, ticket_id=r["ticket_id"], seq=seq, type=r["type"],
                              actor_id=r["actor_id"], at=r["created_at"], from_state=r["from_state"],
                              to_state=r["to_state"], payload=r["payload"])
            if not hmac.compare_digest(want, r["hash"]):
                problem = ("altered", "the content (ticket, type, actor, time, states or payload) "
                                      "or the hash was changed after it was written")
        if problem is not None:
            broken = True
            yield Break(ticket_id=r["ticket_id"], event_id=r["id"], seq=seq, problem=problem[0],
                        detail=problem[1])
            continue
        expected, previous = seq + 1, r["hash"]
