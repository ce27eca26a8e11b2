"""Reading one e-mail: raw bytes in, plain facts out. Pure (no ORM, no network), so the
poll, the admin's "register again" and the tests read a message the same way.

- Structure by the standard library's `email` package with `policy.default` (MIME tree,
  RFC 2231 file names, the body part chosen by `get_body`).
- Text decoded by hand, because Chinese mail declares charsets loosely: a part or an
  encoded-word labelled GB2312 or GBK is decoded as GB18030 (their superset: a GBK-only
  character in a "GB2312" message is common), Big5 as Big5-HKSCS; undeclared 8-bit header
  bytes are tried as UTF-8, then GB18030. `policy.default` alone decodes a GB2312-labelled
  word holding a GBK character to U+FFFD.
- HTML bodies reduced to text with the standard library's `html.parser` (below): the
  ticket keeps text only, shown escaped like every other text, so no HTML sanitiser (nh3,
  bleach) is needed — nothing of the markup survives to be sanitised.
"""

import codecs
import datetime as dt
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

import phonenumbers

from complaintdesk.mail.vocabulary import IgnoreReason

CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "gb_2312-80": "gb18030", "euc-cn": "gb18030", "x-euc-cn": "gb18030", "hz-gb-2312": "hz",
    "big5": "big5hkscs", "x-big5": "big5hkscs", "cn-big5": "big5hkscs", "big-5": "big5hkscs",
    "ks_c_5601-1987": "cp949", "unicode-1-1-utf-7": "utf-7",
}
# A ticket number (tickets/services/intake.py: prefix + yyyymmdd + 7 digits), not inside a
# longer run of letters or digits; CJK text around it is fine.
TICKET_NUMBER = re.compile(r"(?<![A-Za-z0-9])((?:TS|BY|ZX|JY|GZ|SJ)\d{15})(?![0-9])")
MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|sv|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)
# Where the quoted earlier message starts in a reply (common clients, Chinese and English).
QUOTE_START = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|原始邮件|forwarded message|转发的邮件|转发邮件)"
    r"|on .{3,200} wrote:\s*$|在.{3,200}写道[:：]\s*$|(?:from|发件人)\s*[:：]\s*\S)",
    re.IGNORECASE,
)
BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
MAX_REFERENCES = 50
MAX_ATTACHMENTS = 20
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


def codec_for(charset: str | None) -> str | None:
    name = (charset or "").strip().strip('"').lower()
    if not name:
        return None
    name = CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """The text of `data`: its declared charset (aliased), else UTF-8, else GB18030; never an
    exception (undecodable bytes become U+FFFD)."""
    tried = []
    for candidate in (codec_for(charset), "utf-8", "gb18030"):
        if candidate and candidate not in tried:
            tried.append(candidate)
            try:
                return data.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
    return data.decode(tried[0], errors="replace")


def decode_header_value(raw: str | None) -> str:
    """A header as text: encoded-words (RFC 2047) in any charset, raw 8-bit bytes, folding."""
    if not raw:
        return ""
    raw = str(raw)
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        # Undeclared 8-bit bytes (kept as surrogates by the parser): decode them first.
        raw = decode_bytes(raw.encode("ascii", "surrogateescape"))
    raw = re.sub(r"\r?\n[ \t]+", " ", raw)
    try:
        parts = decode_header(raw)
    except Exception:  # a malformed encoded-word: keep the header as it is
        parts = [(raw, None)]
    text = "".join(
        decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
        for chunk, charset in parts
    )
    return CONTROL.sub("", text).strip()


class _HtmlText(HTMLParser):
    """Text of an HTML body: scripts, styles and the head dropped, blocks on their own lines,
    entities decoded. Tolerant of broken markup (html.parser never raises on it)."""

    SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "svg", "object"})
    BLOCK = frozenset({
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote",
        "pre", "section", "article", "header", "footer", "ul", "ol", "hr", "dd", "dt", "dl",
    })

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    return tidy("".join(parser.parts))


def tidy(text: str) -> str:
    """Control characters out, spaces collapsed per line, at most one blank line in a row."""
    text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " "))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def without_quote(text: str) -> str:
    """The new part of a reply: the quoted earlier message (and "> " lines) left out. The
    whole text when nothing would be left."""
    kept = []
    for line in text.split("\n"):
        if kept and QUOTE_START.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    new = tidy("\n".join(kept))
    return new or text


@dataclass
class MailAttachment:
    name: str
    data: bytes
    content_type: str


@dataclass
class ParsedMail:
    message_id: str  # with its angle brackets; made from the content when the header is missing
    subject: str
    from_address: str  # lower-cased
    from_name: str
    reply_to: str
    date: dt.datetime | None
    in_reply_to: list[str]
    references: list[str]
    text: str  # the body as plain text
    html: bool  # the body came from an HTML part
    attachments: list[MailAttachment] = field(default_factory=list)
    headers: dict = field(default_factory=dict)  # lower-cased name → decoded value (first)
    content_type: str = ""
    return_path: str | None = None

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this one answers, the direct parent first."""
        seen, ordered = set(), []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.add(mid)
                ordered.append(mid)
        return ordered

    @property
    def ticket_numbers(self) -> list[str]:
        return list(dict.fromkeys(TICKET_NUMBER.findall(self.subject)))

    @property
    def title(self) -> str:
        title = REPLY_PREFIX.sub("", self.subject).strip()
        if not title:
            title = next((line for line in self.text.split("\n") if line.strip()), "")
        return title[:200].strip()

    @property
    def reply_address(self) -> str:
        return self.reply_to or self.from_address


def _ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value or "")[-MAX_REFERENCES:]


def _address(value: str) -> tuple[str, str]:
    pairs = [(name, addr) for name, addr in getaddresses([value]) if addr]
    if not pairs:
        return "", ""
    name, addr = pairs[0]
    return name.strip().strip('"'), addr.strip().lower()


def _part_text(part) -> str:
    payload = part.get_payload(decode=True) or b""
    return decode_bytes(payload, part.get_content_charset())


def _body(message: EmailMessage) -> tuple[str, bool, object]:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return "", False, None
    text = _part_text(body)
    if body.get_content_subtype() == "html":
        return html_to_text(text), True, body
    return tidy(text), False, body


def _attachments(message: EmailMessage, body_part) -> list[MailAttachment]:
    found = []
    for part in message.walk():
        if part is body_part or part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        name = decode_header_value(part.get_filename() or "")
        # An inline text part next to the body (signatures, alternative bodies) is not a file.
        if disposition != "attachment" and not name and (
                part.get_content_maintype() == "text" or part.get_content_type() == "message/delivery-status"):
            continue
        if not name:
            ext = mimetypes.guess_extension(part.get_content_type()) or ".bin"
            name = f"attachment-{len(found) + 1}{ext}"
        data = part.get_payload(decode=True) or b""
        found.append(MailAttachment(name=name, data=data, content_type=part.get_content_type()))
        if len(found) >= MAX_ATTACHMENTS:
            break
    return found


def parse_mail(raw: bytes, *, headers_only: bool = False) -> ParsedMail:
    message = message_from_bytes(raw, policy=policy.default)
    headers: dict[str, str] = {}
    for name, value in message.raw_items():
        headers.setdefault(name.lower(), decode_header_value(value))
    message_id = next(iter(_ids(headers.get("message-id", ""))), "")
    if not message_id:
        # No (usable) Message-ID: one made from the content, so the same message is still
        # recognised when it is read again.
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id>"
    from_name, from_address = _address(headers.get("from", ""))
    _name, reply_to = _address(headers.get("reply-to", ""))
    date = None
    if headers.get("date"):
        try:
            date = parsedate_to_datetime(headers["date"])
            if date.tzinfo is None:
                date = date.replace(tzinfo=dt.UTC)
        except (TypeError, ValueError, IndexError, OverflowError):
            date = None
    text, is_html, body_part = ("", False, None) if headers_only else _body(message)
    return ParsedMail(
        message_id=message_id, subject=headers.get("subject", ""), from_address=from_address,
        from_name=from_name, reply_to=reply_to, date=date,
        in_reply_to=_ids(headers.get("in-reply-to", "")), references=_ids(headers.get("references", "")),
        text=text, html=is_html,
        attachments=[] if headers_only else _attachments(message, body_part),
        headers=headers, content_type=message.get_content_type(),
        return_path=headers.get("return-path"),
    )


def ignore_reason(mail: ParsedMail, *, own_addresses: frozenset[str], own_sender: str) -> IgnoreReason | None:
    """Why this message must not become a ticket or a customer message, or None: automatic
    replies, bounces, list mail and our own messages coming back (mail loops)."""
    h = mail.headers
    if own_sender and h.get("x-complaintdesk-sender", "").strip().lower() == own_sender.lower():
        return IgnoreReason.OWN_MESSAGE
    if mail.from_address and mail.from_address in own_addresses:
        return IgnoreReason.OWN_MESSAGE
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return IgnoreReason.AUTO_SUBMITTED
    local = mail.from_address.split("@", 1)[0]
    if (local in BOUNCE_SENDERS or (mail.return_path or "").strip() == "<>"
            or mail.content_type == "multipart/report"):
        return IgnoreReason.BOUNCE
    if any(name in h for name in ("x-autoreply", "x-autorespond", "x-autogenerated")):
        return IgnoreReason.AUTO_REPLY
    if h.get("precedence", "").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return IgnoreReason.BULK
    if "list-id" in h:
        return IgnoreReason.LIST
    return None


def find_phone(*texts: str) -> str:
    """The first valid Chinese phone number in the texts (a mobile preferred), as written; ""
    when there is none."""
    found = []
    for text in texts:
        for match in phonenumbers.PhoneNumberMatcher(text or "", "CN", leniency=phonenumbers.Leniency.VALID):
            kind = phonenumbers.number_type(match.number)
            found.append((kind != phonenumbers.PhoneNumberType.MOBILE, len(found), match.raw_string))
    return min(found)[2] if found else ""


def guess_language(text: str) -> str:
    """zh-hans when the text has Chinese characters, else en: the language of our answers."""
    return "zh-hans" if re.search(r"[\u3400-\u9fff]", text or "") else "en"
