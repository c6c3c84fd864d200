"""Turn a rendered mail into RFC 5322 bytes (pure: the Message-ID is passed in)."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from email.utils import encode_rfc2231, format_datetime, formataddr
from datetime import datetime

from mailbot.render import RenderedMail

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def new_message_id(domain: str) -> str:
    """A globally unique id (without angle brackets), fixed when a mail is enqueued."""
    return f"{secrets.token_hex(12)}@{domain}"


def _clean(value: str) -> str:
    # Values echoed from inbound mail must not smuggle extra header lines.
    return _CONTROL.sub(" ", value).strip()


@dataclass(frozen=True)
class Envelope:
    from_name: str
    from_addr: str
    to: tuple[str, ...]
    message_id: str
    date: datetime
    reply_to: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    auto_submitted: str = ""  # "auto-replied" for acks (RFC 3834), "auto-generated" for notices
    loop_marker: str = ""  # our X-Mailbot-Loop value, so we recognise our own mail coming back
    ticket_ref: str = ""
    language: str = ""
    # (filename, content type, bytes): the agent's attachments relayed to the customer,
    # the customer's attached to an agent notification.
    attachments: tuple[tuple[str, str, bytes], ...] = ()


def build_mail(envelope: Envelope, rendered: RenderedMail) -> bytes:
    """The mail as it goes on the wire (CRLF line ends, lines within RFC 5322's 998 octets).

    Written out directly rather than through ``email.message.EmailMessage``: the
    stdlib parses every header value back into a tree when it is set and again when
    it is folded, which cost about 5 ms per mail, more than everything else in
    building an acknowledgement. Readers get the same mail (tests/test_compose.py
    parses it back with the standard library).
    """
    headers = [
        ("From", _address(_clean(envelope.from_name), envelope.from_addr)),
        ("To", ", ".join(envelope.to)),
        ("Subject", _unstructured(_clean(rendered.subject))),
        ("Date", format_datetime(envelope.date)),
        ("Message-ID", f"<{envelope.message_id}>"),
    ]
    if envelope.reply_to:
        headers.append(("Reply-To", envelope.reply_to))
    if envelope.in_reply_to:
        headers.append(("In-Reply-To", f"<{envelope.in_reply_to}>"))
    if envelope.references:
        # RFC 5322 3.6.4: keep the chain, but cap it so a long thread cannot grow the header forever.
        refs = envelope.references[:1] + envelope.references[-19:] if len(envelope.references) > 20 else envelope.references
        headers.append(("References", " ".join(f"<{r}>" for r in refs)))
    if envelope.auto_submitted:
        headers.append(("Auto-Submitted", envelope.auto_submitted))
        # Ask Exchange and others not to answer our automatic mail with their own.
        headers.append(("X-Auto-Response-Suppress", "All"))
    if envelope.loop_marker:
        headers.append(("X-Mailbot-Loop", envelope.loop_marker))
    if envelope.ticket_ref:
        headers.append(("X-Mailbot-Ticket", envelope.ticket_ref))
    headers.append(("MIME-Version", "1.0"))

    body: _Part = _text_part("plain", rendered.text)
    if rendered.html:
        body = _multipart("alternative", [body, _text_part("html", rendered.html)])
    if envelope.attachments:
        body = _multipart("mixed", [body, *(_attachment_part(*a) for a in envelope.attachments)])
    part_headers, part_body = body
    headers += part_headers
    if envelope.language:
        headers.append(("Content-Language", envelope.language))
    return _header_lines(headers) + b"\r\n" + part_body


# --------------------------------------------------------------------------- the pieces of build_mail

_Part = tuple[list[tuple[str, str]], bytes]  # (MIME headers, encoded body)
_MAX_LINE = 998
# RFC 2047 5(3): what an encoded word in a phrase may carry literally; everything else is =XX.
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*")


def _header_lines(headers: list[tuple[str, str]]) -> bytes:
    return "".join(f"{name}: {_fold(value, len(name) + 2)}\r\n" for name, value in headers).encode("ascii")


def _fold(value: str, used: int) -> str:
    """Fold at spaces only when a line would pass 998 octets (RFC 5322 2.1.1)."""
    if used + len(value) <= _MAX_LINE:
        return value
    lines, line = [], ""
    for word in value.split(" "):
        if line and used + len(line) + 1 + len(word) > _MAX_LINE:
            lines.append(line)
            line, used = word, 1
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\r\n ".join(lines)


def _encoded_words(text: str) -> str:
    """RFC 2047 Q-encoded words of at most 75 characters, never splitting a character."""
    words, current = [], ""
    for ch in text:
        piece = "_" if ch == " " else "".join(
            chr(b) if b in _Q_SAFE else f"={b:02X}" for b in ch.encode("utf-8"))
        if len(current) + len(piece) > 75 - len("=?utf-8?q??="):
            words.append(current)
            current = ""
        current += piece
    words.append(current)
    return " ".join(f"=?utf-8?q?{w}?=" for w in words if w)


def _unstructured(text: str) -> str:
    """A header value in ASCII: words with non-ASCII characters (and the spaces between
    such words) become encoded words, the rest stays readable."""
    if text.isascii() and "=?" not in text:
        return text
    out: list[str] = []
    run: list[str] = []
    for word in text.split(" "):
        if word.isascii() and not (word.startswith("=?") and "?=" in word):
            if run:
                out.append(_encoded_words(" ".join(run)))
                run = []
            out.append(word)
        else:
            run.append(word)
    if run:
        out.append(_encoded_words(" ".join(run)))
    return " ".join(out)


def _address(name: str, addr: str) -> str:
    if not name:
        return addr
    if not name.isascii() or "=?" in name:  # the latter would read as an encoded word
        return f"{_encoded_words(name)} <{addr}>"
    return formataddr((name, addr)) if not _ATOM.fullmatch(name) else f"{name} <{addr}>"


def _crlf_lines(text: str) -> list[bytes]:
    if not text.endswith("\n"):
        text += "\n"
    return text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8", "surrogateescape").split(b"\n")[:-1]


def _base64_lines(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _text_part(subtype: str, text: str) -> _Part:
    lines = _crlf_lines(text)
    data = b"".join(line + b"\r\n" for line in lines)
    if all(len(line) <= _MAX_LINE for line in lines):
        cte = "7bit" if data.isascii() else "8bit"
    else:  # a line SMTP cannot carry as it is
        cte, data = "base64", _base64_lines(data)
    return [("Content-Type", f'text/{subtype}; charset="utf-8"'), ("Content-Transfer-Encoding", cte)], data


def _attachment_part(filename: str, content_type: str, payload: bytes) -> _Part:
    maintype, _, subtype = content_type.partition("/")
    if maintype == "text" or not subtype or maintype == "multipart":
        # Re-encoding text would change its bytes; a multipart type would be a lie.
        maintype, subtype = "application", "octet-stream"
    name = _clean(filename) or "attachment"
    if name.isascii():
        disposition = 'attachment; filename="{}"'.format(name.replace("\\", "\\\\").replace('"', '\\"'))
    else:  # RFC 2231
        disposition = f"attachment; filename*={encode_rfc2231(name, 'utf-8')}"
    return [("Content-Type", f"{_CONTROL.sub('', maintype)}/{_CONTROL.sub('', subtype)}".lower()),
            ("Content-Transfer-Encoding", "base64"), ("Content-Disposition", disposition)], _base64_lines(payload)


def _multipart(subtype: str, parts: list[_Part]) -> _Part:
    boundary = f"=_mailbot_{secrets.token_hex(16)}"  # "=_" cannot occur in base64, and 8bit text is checked
    while any(boundary.encode() in body for _, body in parts):
        boundary = f"=_mailbot_{secrets.token_hex(16)}"
    out = bytearray()
    for part_headers, part_body in parts:
        out += b"--" + boundary.encode() + b"\r\n" + _header_lines(part_headers) + b"\r\n" + part_body + b"\r\n"
    # The CRLF before each delimiter belongs to the delimiter (RFC 2046 5.1.1), not to the part.
    out += b"--" + boundary.encode() + b"--\r\n"
    return [("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')], bytes(out)
