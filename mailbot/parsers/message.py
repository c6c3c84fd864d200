"""Raw message bytes -> ParsedMessage, without ever raising.

mail-parser is the primary parser and stays confined to this module. It raises on
some real messages and silently decodes less than the standard library: it drops
bytes of legacy charsets (GB2312-labelled GBK, unlabelled 8-bit headers), returns
ISO-2022-JP bodies still escape-encoded, and loses an address whose encoded name
contains a colon. So every field is read from both mail-parser and the standard
library (the same ``email.message_from_bytes(raw)`` tree that mail-parser reads,
parsed once, plus the charset-aware decoders below), and mail-parser's value is
used only when it is there and looks sound. Every time the standard library's value wins, the reason
is recorded in ``ParsedMessage.parse_defects``.
"""

from __future__ import annotations

import binascii
import codecs
import email
import email.utils
import hashlib
import logging
import mimetypes
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timezone
from email.message import Message
from html.parser import HTMLParser
from typing import Any, TypeVar

import mailparser
from mailparser.utils import decode_base64_payload

from mailbot.domain import Address, ParsedAttachment, ParsedMessage
from mailbot.parsers.limits import Limits, check_limits, header_block_end

log = logging.getLogger(__name__)
T = TypeVar("T")

# --------------------------------------------------------------------------- text cleaning

# C0, DEL and C1 controls, the Unicode line/paragraph separators and the space:
# runs of these become one space in a header value, so a decoded "=0D=0A" can never
# reach an outgoing header as a line break.
_HEADER_JUNK = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]+")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# Controls a text body has no use for; NUL in particular cannot be stored in PostgreSQL.
_BODY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_C1_CONTROLS = re.compile(r"[\x80-\x9f]")


def clean_header_value(value: str) -> str:
    """One line of printable text: control characters and line breaks become
    single spaces, lone surrogates (undecodable bytes) become U+FFFD."""
    return _HEADER_JUNK.sub(" ", _SURROGATES.sub("\ufffd", value)).strip()


def _clean_body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BODY_CONTROLS.sub("", _SURROGATES.sub("\ufffd", text))


# --------------------------------------------------------------------------- charsets

# Names Python does not know, and labels whose real-world content is a superset.
_ALIASES = {"x-sjis": "cp932", "windows-31j": "cp932", "x-gbk": "gb18030", "x-mac-roman": "mac-roman"}
_SUPERSETS = {  # keyed by Python's canonical codec name
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso8859-1": "cp1252",
    "ascii": "utf-8",  # "us-ascii" bodies with 8-bit bytes are nearly always UTF-8
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "euc_kr": "cp949",  # Python maps ks_c_5601-1987 here; senders mean cp949
    "shift_jis": "cp932",
    "iso2022_jp": "iso2022_jp_ext",
    "big5": "big5hkscs",
}
# Codecs Python accepts as text encodings but no mail body is written in.
_REFUSED = {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"}
# A body labelled with one of these that is valid UTF-8 was mislabelled; multi-byte
# UTF-8 sequences essentially never occur by chance in Latin-1 text.
_LATIN = {"iso8859-1", "iso8859-15", "cp1252"}


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        canonical = codecs.lookup(name).name
    except (LookupError, ValueError):
        return None
    return None if canonical in _REFUSED else canonical


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode body or header bytes, never failing: the declared charset's common
    superset, the declared charset, UTF-8, Windows-1252, then Latin-1 (which
    accepts any byte), so an unknown or wrong label never loses the text."""
    declared = _codec(charset)
    candidates: list[str] = []
    if declared in _LATIN and not data.isascii():
        candidates.append("utf-8")
    if declared:
        candidates += [_SUPERSETS.get(declared, declared), declared]
    candidates += ["utf-8", "cp1252"]
    for candidate in dict.fromkeys(candidates):
        try:
            return data.decode(candidate)
        except (UnicodeError, LookupError):
            continue
    return data.decode("latin-1")


# --------------------------------------------------------------------------- headers (RFC 2047)

_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?]*)\?=")
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")


def _from_wire(raw: str) -> str:
    """Header text as the email package hands it over (8-bit bytes smuggled in as
    surrogates) -> real text, decoding unlabelled 8-bit bytes like a body."""
    if raw.isascii():
        return raw
    try:
        return decode_bytes(raw.encode("utf-8", "surrogateescape"), None)
    except UnicodeEncodeError:  # a lone surrogate that no byte produced
        return raw


def _word_bytes(encoding: str, text: str) -> bytes:
    """The bytes an encoded word carries; leniently, as mail clients read them."""
    try:
        data = text.encode("utf-8", "surrogateescape")
        if encoding in "qQ":
            return binascii.a2b_qp(data, header=True)
        data = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
        if len(data) % 4 == 1:
            data = data[:-1]  # a lone base64 digit carries no whole byte
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):  # ValueError covers UnicodeEncodeError
        return b""


def decode_header_value(raw: str) -> str:
    """Unfold and decode RFC 2047 words, joining adjacent words of one charset
    before decoding (mailers split multi-byte characters across words). Not cleaned."""
    text = _UNFOLD.sub("", _from_wire(raw))
    out: list[str] = []
    buf, buf_charset, prev_word, pos = b"", "", False, 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        charset = match.group(1).lower()
        joinable = prev_word and not gap.strip()  # whitespace between words is dropped
        if buf and (not joinable or charset != buf_charset):
            out.append(decode_bytes(buf, buf_charset))
            buf = b""
        if not joinable:
            out.append(gap)
        buf += _word_bytes(match.group(2), match.group(3))
        buf_charset, prev_word, pos = charset, True, match.end()
    if buf:
        out.append(decode_bytes(buf, buf_charset))
    out.append(text[pos:])
    return "".join(out)


def _mailparser_header_lossy(raw: str) -> bool:
    """mail-parser decodes header words with errors="ignore": characters vanish
    without a trace when the raw value has 8-bit bytes or a word whose bytes do
    not fit its declared charset. Those are the values to take from the stdlib."""
    if not raw.isascii():
        return True
    for match in _ENCODED_WORD.finditer(raw):
        charset = match.group(1)
        if _codec(charset) is None:
            return True  # unknown or refused charset: mail-parser falls back to UTF-8, lossily
        try:
            _word_bytes(match.group(2), match.group(3)).decode(charset)
        except (UnicodeError, LookupError):
            return True
    return False


# --------------------------------------------------------------------------- ids and addresses

_ID_TOKEN = re.compile(r"<([^<>]*)>|([^\s<>,;]+)")
_COMMENT = re.compile(r"\([^()]*\)")


def parse_message_ids(value: str) -> tuple[str, ...]:
    """Message ids in order, without brackets. Tolerates commas, missing brackets
    and garbage: bare words count only if they contain "@"."""
    ids: dict[str, None] = {}  # ordered set: References can list thousands
    for match in _ID_TOKEN.finditer(_COMMENT.sub(" ", clean_header_value(value))):
        bracketed, bare = match.group(1), match.group(2)
        candidate = bracketed.strip() if bracketed is not None else bare.strip("\"'")
        if bracketed is None and "@" not in candidate:
            continue
        if candidate and " " not in candidate:
            ids[candidate] = None
    return tuple(ids)


_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"'=?]+")
_QUOTED_OR_WORD = re.compile(r'"(?:[^"\\]|\\.)*"|' + _ENCODED_WORD.pattern)


def _quote_encoded_words(raw: str) -> str:
    # An encoded word may hide ":" or "," (e.g. "=?utf-8?q?Eve=0D=0ABcc:_x@y?="), which
    # getaddresses would take for a group or a list separator; quoting it first keeps it
    # one display name.
    def protect(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.startswith('"'):
            return word
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return _QUOTED_OR_WORD.sub(protect, raw)


def _clean_name(name: str, addr: str) -> str:
    name = clean_header_value(name)
    if len(name) > 1 and name[0] == name[-1] and name[0] in "'\"":
        name = name[1:-1].strip()  # Outlook's 'Name'
    return "" if name.lower() == addr else name


def _make_addresses(pairs: list[tuple[str, str]]) -> tuple[Address, ...]:
    """Valid, lower-cased, de-duplicated addresses with cleaned names."""
    found: dict[str, Address] = {}
    for name, addr in pairs:
        addr = clean_header_value(addr).lower()
        if _EMAIL.fullmatch(addr) and addr not in found:
            found[addr] = Address(name=_clean_name(name, addr), email=addr)
    return tuple(found.values())


def _stdlib_addresses(raw_values: list[str]) -> tuple[Address, ...]:
    unfolded = [_UNFOLD.sub("", _quote_encoded_words(value)) for value in raw_values]
    return _make_addresses(
        [(decode_header_value(name), addr) for name, addr in email.utils.getaddresses(unfolded)]
    )


# --------------------------------------------------------------------------- HTML -> text


class _HtmlText(HTMLParser):
    """Visible text of an HTML body: block elements become line breaks, paragraphs
    blank lines, blockquotes "> " prefixes (so quoted-text removal can see them),
    and script/style/head content is dropped."""

    _SKIP = {"script", "style", "head", "title", "template", "noscript"}
    _PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre", "hr"}
    _LINE = {"br", "div", "li", "tr", "section", "article", "header", "footer", "dd", "dt", "address"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []  # (blockquote depth, text), closed lines
        self.current = ""
        self.skip = self.quote = self.pre = 0

    def _break(self, paragraph: bool = False, force: bool = False) -> None:
        # Block tags end a line only if it has text, so nested <div>s add no blank
        # lines; <br> always does, so "<br><br>" still reads as a paragraph break.
        if self.current.strip() or force:
            self.lines.append((self.quote, self.current.rstrip()))
        self.current = ""
        if paragraph and self.lines and self.lines[-1][1]:
            self.lines.append((self.quote, ""))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag in self._PARAGRAPH or tag in self._LINE:
            self._break(tag in self._PARAGRAPH, force=tag == "br")
            if tag == "li":
                self.current = "- "
        self.quote += tag == "blockquote"
        self.pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self._PARAGRAPH or (tag in self._LINE and tag != "br"):
            self._break(tag in self._PARAGRAPH)
        if tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        if tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self.current += first
            for line in rest:
                self._break(force=True)
                self.current = line
            return
        text = re.sub(r"\s+", " ", data.replace("\xa0", " "))
        self.current += text.lstrip() if not self.current.strip() else text

    def text(self) -> str:
        self._break()
        rendered = "\n".join(("> " * depth + line).rstrip() for depth, line in self.lines)
        return re.sub(r"\n{3,}", "\n\n", rendered).strip()


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body (standard library html.parser)."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient, but never lose the body over it
        return re.sub(r"<[^>]*>", " ", html).strip()
    return parser.text()


# --------------------------------------------------------------------------- filenames

_SAFE_PUNCTUATION = "._- ()"
_MAX_FILENAME = 100
_EXTRA_EXTENSIONS = {"message/delivery-status": ".txt", "message/rfc822": ".eml", "image/jpeg": ".jpg"}


def _extension_for(content_type: str) -> str:
    content_type = content_type.lower().strip()
    return _EXTRA_EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"


def sanitize_filename(name: str, index: int, content_type: str) -> str:
    """A file name safe to store and show: decoded, no directories, no controls,
    only letters (accented too), digits and ``._- ()``, at most 100 characters
    with the extension kept, never empty and never starting with a dot.
    ``index`` (the attachment's 1-based position) names the fallback
    ``attachment-<index><ext>``, whose extension comes from ``content_type``."""
    name = unicodedata.normalize("NFC", clean_header_value(decode_header_value(name or "")))
    name = re.split(r"[/\\]", name)[-1].rsplit(":", 1)[-1]  # both OSes' separators, "C:x"
    name = "".join(ch if ch in _SAFE_PUNCTUATION or ch.isalpha() or ch.isdecimal()
                   else "-" if unicodedata.category(ch) == "Pd" else "_" for ch in name)
    name = re.sub(r"_{2,}", "_", re.sub(r" {2,}", " ", name)).lstrip(" ._-").rstrip(" ._")
    stem, dot, ext = name.rpartition(".")
    if not dot or not ext or len(ext) > 10:
        stem, ext = name, ""
    if not any(ch.isalnum() for ch in stem):
        return f"attachment-{index}{_extension_for(content_type)}"
    ext = "." + ext if ext else ""
    return stem[: _MAX_FILENAME - len(ext)].rstrip(" .") + ext


# --------------------------------------------------------------------------- parsing


def _safe(fn: Callable[[], T], default: T) -> T:
    try:
        return fn()
    except Exception:
        return default


_Attachment = tuple[str | None, str, bytes]  # (raw filename or None, content type, payload)


class _StdlibBody:
    """Text, HTML and attachments of a stdlib message, walked without recursion.

    A leaf is an attachment if it has a file name, is marked ``attachment`` or is
    not text. ``message/delivery-status`` is kept whole as an attachment so that
    bounces stay recognisable, and an attached ``message/rfc822`` stays one file.
    """

    def __init__(self, msg: Message) -> None:
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[_Attachment] = []
        stack: list[Message] = [msg]
        while stack:
            part = stack.pop()
            ctype = _safe(part.get_content_type, "application/octet-stream")
            disposition = _safe(part.get_content_disposition, None)
            filename = _safe(part.get_filename, None)
            payload = _safe(lambda: part.get_payload(), None)
            if isinstance(payload, list):
                # A forwarded mail stays one file even when sent inline (mutt), so its sender is not lost.
                attached = ctype == "message/rfc822" or (disposition == "attachment" and ctype.startswith("message/"))
                if ctype == "message/delivery-status" or attached:
                    data = b"".join(_safe(sub.as_bytes, b"") for sub in payload if isinstance(sub, Message))
                    self.attachments.append((filename, ctype, data))
                else:
                    stack.extend(sub for sub in reversed(payload) if isinstance(sub, Message))
                continue
            data = _safe(lambda: part.get_payload(decode=True), b"") or b""
            if filename or disposition == "attachment" or not ctype.startswith("text/"):
                self.attachments.append((filename, ctype, data))
            elif ctype in ("text/plain", "text/html"):
                text = decode_bytes(data, _safe(part.get_content_charset, None))
                (self.texts if ctype == "text/plain" else self.htmls).append(text)


def _stdlib_message(raw: bytes, headers_only: bool, limits: Limits, defects: list[str]) -> tuple[Message, bool]:
    """The one parse of the message, shared by mail-parser and our field-by-field checks
    (mail-parser parses with this same call, ``email.message_from_bytes`` with the
    compat32 policy, so handing it our tree is what it would have built itself).
    Returns the message and whether it is complete (False: headers only)."""
    if not headers_only:
        try:
            msg = email.message_from_bytes(raw)
            names = {type(d).__name__ for part in msg.walk() for d in part.defects}
            defects.extend(f"mime: {name}" for name in sorted(names))
            return msg, True
        except Exception as exc:  # RecursionError on deep nesting, codec bugs...
            defects.append(f"stdlib: {type(exc).__name__} while parsing; kept the headers only")
    try:
        return email.message_from_bytes(raw[: min(header_block_end(raw), limits.max_header_bytes)]), False
    except Exception as exc:
        defects.append(f"stdlib: {type(exc).__name__} while parsing the headers")
        return Message(), False


def _mailparser(source: Message | bytes, defects: list[str]) -> Any | None:
    try:
        return mailparser.parse_from_bytes(source) if isinstance(source, bytes) else mailparser.MailParser(source)
    except Exception as exc:
        defects.append(f"mail-parser: {type(exc).__name__}: {exc}"[:300] + "; used the standard library")
        return None


def _text_problem(value: str, reference: str) -> str | None:
    """Why mail-parser's string is worse than the stdlib's, or None."""
    if not isinstance(value, str):
        return f"returned {type(value).__name__}"
    if "\ufffd" in value and "\ufffd" not in reference:
        return "lost characters to U+FFFD"
    if _BODY_CONTROLS.search(value) and not _BODY_CONTROLS.search(reference):
        return "left control or escape bytes undecoded"  # ISO-2022-JP comes back raw
    if _C1_CONTROLS.search(value) and not _C1_CONTROLS.search(reference):
        return "decoded C1 controls"  # "ISO-8859-1" that is really Windows-1252 ("€" is 0x80)
    if _ENCODED_WORD.search(value) and not _ENCODED_WORD.search(reference):
        return "left an RFC 2047 word undecoded"
    if not value.strip() and reference.strip():
        return "found nothing"
    return None


class _Fields:
    """Reads each field from mail-parser, falling back to the stdlib per field."""

    def __init__(self, mp: Any | None, msg: Message, defects: list[str]) -> None:
        self.mp, self.msg, self.defects = mp, msg, defects
        self.raw_headers = _safe(lambda: [(str(k).lower(), str(v)) for k, v in msg.raw_items()], [])

    def raw(self, name: str) -> list[str]:
        return [value for key, value in self.raw_headers if key == name]

    def pick(self, field: str, primary: Callable[[], T], fallback: Callable[[], T], default: T,
             problem: Callable[[T, T], str | None]) -> T:
        try:
            reference = fallback()
        except Exception as exc:
            self.defects.append(f"{field}: stdlib raised {type(exc).__name__}")
            reference = default
        if self.mp is None:
            return reference
        try:
            value = primary()
        except Exception as exc:
            self.defects.append(f"{field}: mail-parser raised {type(exc).__name__}; used the standard library")
            return reference
        why = problem(value, reference)
        if why:
            self.defects.append(f"{field}: mail-parser {why}; used the standard library")
            return reference
        return value

    def mp_header(self, name: str) -> Any:
        """mail-parser's decoded header (a list for address headers); its public
        interface is attribute access with "_" for "-" ("from" is "from_")."""
        return getattr(self.mp, name.replace("-", "_") + ("_" if name == "from" else ""))

    def mp_text(self, name: str) -> str:
        value = self.mp_header(name)
        return " ".join(value) if isinstance(value, list) else str(value or "")

    def subject(self) -> str:
        raw = self.raw("subject")[:1]

        def problem(value: str, reference: str) -> str | None:
            if raw and _mailparser_header_lossy(raw[0]):
                return "drops characters of this subject's charset"
            return _text_problem(value, reference)

        value = self.pick("subject", lambda: self.mp.subject, lambda: decode_header_value(raw[0]) if raw else "", "", problem)
        return clean_header_value(value)

    def addresses(self, name: str) -> tuple[Address, ...]:
        raw = self.raw(name)

        def from_mp() -> tuple[Address, ...]:
            return _make_addresses([(n, a) for n, a in self.mp_header(name)])

        def problem(value: tuple[Address, ...], reference: tuple[Address, ...]) -> str | None:
            if any(_mailparser_header_lossy(r) for r in raw):
                return "drops characters of this header's charset"
            if len(value) < len(reference):
                return f"found {len(value)} addresses, the stdlib {len(reference)}"
            return next(filter(None, (_text_problem(a.name, "") for a in value if a.name)), None)

        return self.pick(name, from_mp, lambda: _stdlib_addresses(raw), (), problem)

    def ids(self, name: str) -> tuple[str, ...]:
        def problem(value: tuple[str, ...], reference: tuple[str, ...]) -> str | None:
            return f"found {len(value)} ids, the stdlib {len(reference)}" if len(value) < len(reference) else None

        return self.pick(
            name, lambda: parse_message_ids(self.mp_text(name)),
            lambda: parse_message_ids(" ".join(decode_header_value(v) for v in self.raw(name))), (), problem,
        )

    def date(self) -> datetime | None:
        def from_std() -> datetime | None:
            raw = self.raw("date")
            parsed = email.utils.parsedate_to_datetime(clean_header_value(raw[0])) if raw else None
            return parsed.replace(tzinfo=timezone.utc) if parsed and parsed.tzinfo is None else parsed

        def from_mp() -> datetime | None:
            value = self.mp.date
            return value.replace(tzinfo=timezone.utc) if value and value.tzinfo is None else value

        return self.pick("date", from_mp, from_std, None,
                         lambda v, ref: "found no date" if v is None and ref is not None else None)

    def bodies(self) -> tuple[str, str, tuple[_Attachment, ...]]:
        body = _safe(lambda: _StdlibBody(self.msg), None)
        if body is None:
            self.defects.append("body: the standard library could not walk the MIME tree")
            body = _StdlibBody(Message())
        text = self.pick("text", lambda: "\n".join(self.mp.text_plain), lambda: "\n".join(body.texts), "", _text_problem)
        html = self.pick("html", lambda: "\n".join(self.mp.text_html), lambda: "\n".join(body.htmls), "", _text_problem)
        attachments = self.pick("attachments", self._mp_attachments, lambda: tuple(body.attachments), (),
                                _attachment_problem)
        # mail-parser invents names for nameless parts (the Content-ID, or a random
        # "xxxxxxxxxx.txt"/".rtf"); the stdlib walk knows which parts had a real name.
        if len(attachments) == len(body.attachments):
            attachments = tuple((mine[0] if std[0] else None, mine[1], mine[2])
                                for mine, std in zip(attachments, body.attachments))
        return text, html, attachments

    def _mp_attachments(self) -> tuple[_Attachment, ...]:
        found = []
        for att in self.mp.attachments:
            payload = att["payload"]
            data = decode_base64_payload(payload) if att["binary"] else payload.encode("utf-8", "surrogateescape")
            found.append((att["filename"], att["mail_content_type"], data))
        return tuple(found)


def _attachment_problem(value: tuple[_Attachment, ...], reference: tuple[_Attachment, ...]) -> str | None:
    if len(value) != len(reference):
        return f"found {len(value)} attachments, the stdlib {len(reference)}"
    for (_, mp_type, mp_data), (_, std_type, std_data) in zip(value, reference):
        if mp_type != std_type or mp_data != std_data:
            return "decoded an attachment differently"
    return None


def _synthetic_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32] + "@mailbot.invalid"


def parse_message(raw: bytes, *, limits: Limits | None = None) -> ParsedMessage:
    """Parse one message; never raises on any bytes. A message past ``limits``
    (the defaults unless given) is read for its top-level headers only."""
    data = bytes(raw)  # outside the net: a non-bytes argument is the caller's bug
    try:
        return _parse(data, limits or Limits())
    except Exception as exc:  # the last net: a parser bug must not stop the daemon
        log.exception("parse_message failed")
        return _empty(data, (f"parse failed: {type(exc).__name__}",))


def _parse(raw: bytes, limits: Limits) -> ParsedMessage:
    defects: list[str] = []
    if not raw.strip():
        defects.append("message is empty")
    violation = check_limits(raw, limits)
    if violation:
        defects.append(f"limits: {violation.describe()}; read the top-level headers only")
    msg, complete = _stdlib_message(raw, violation is not None, limits, defects)
    # Only when the shared parse failed does mail-parser get the raw bytes (and its own say).
    mp = None if violation else _mailparser(msg if complete else raw, defects)
    fields = _Fields(mp, msg, defects)

    headers = tuple((name, clean_header_value(decode_header_value(value))) for name, value in fields.raw_headers)
    if violation:
        text, html, found = "", "", ()
    else:
        text, html, found = fields.bodies()
    text = _clean_body(text) if text.strip() else _clean_body(html_to_text(html))
    attachments = tuple(
        ParsedAttachment(sanitize_filename(name or "", i, ctype), ctype, data)
        for i, (name, ctype, data) in enumerate(found, start=1)
    )
    from_addr = fields.addresses("from")
    delivered = _stdlib_addresses(fields.raw("delivered-to") + fields.raw("x-original-to"))
    language = next((v for k, v in headers if k == "content-language"), "")
    return ParsedMessage(
        message_id=next(iter(fields.ids("message-id")), "") or _synthetic_id(raw),
        in_reply_to=fields.ids("in-reply-to"),
        references=fields.ids("references"),
        from_addr=from_addr[0] if from_addr else None,
        reply_to=fields.addresses("reply-to"),
        to=fields.addresses("to"),
        cc=fields.addresses("cc"),
        delivered_to=tuple(a.email for a in delivered),
        subject=fields.subject(),
        date=fields.date(),
        text=text,
        html=_SURROGATES.sub("\ufffd", html),
        attachments=attachments,
        headers=headers,
        content_language=language.lower(),
        parse_defects=tuple(dict.fromkeys(defects)),
    )


def _empty(raw: bytes, defects: tuple[str, ...]) -> ParsedMessage:
    return ParsedMessage(
        message_id=_synthetic_id(raw), in_reply_to=(), references=(), from_addr=None, reply_to=(),
        to=(), cc=(), delivered_to=(), subject="", date=None, text="", html="", attachments=(),
        headers=(), content_language="", parse_defects=defects,
    )
