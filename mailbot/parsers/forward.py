"""Forwarded mail: who wrote the original, and what they wrote.

An agent who forwards a customer's mail to soporte@ means "open this case for
the customer". ``find_forwarded`` finds the forwarded original in the shapes the
clients produce, most reliable first:

1. an attached ``message/rfc822`` part (any client's "forward as attachment",
   Exchange's attached items): parsed as a message of its own;
2. an inline block under an explicit marker: Gmail's "---------- Forwarded
   message ---------" / "---------- Mensaje reenviado ---------", Thunderbird's
   "-------- Forwarded Message --------" / "-------- Mensaje reenviado --------",
   Apple Mail's "Begin forwarded message:" / "Inicio del mensaje reenviado:";
3. Outlook's inline header block (``From:/Sent:/To:/Subject:`` or
   ``De:/Enviado:/Para:/Asunto:``, under an underscore rule, an "-----Original
   Message-----" line or directly), trusted only when the subject says it is a
   forward or reply ("FW:", "RV:", "Fwd:", "RE:"), since every quoted reply
   carries such a block too.

Pure: no I/O, text in, values out.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass

from mailbot.domain import Address, ParsedAttachment, ParsedMessage
from mailbot.parsers.message import clean_header_value, html_to_text, parse_message
from mailbot.parsers.reply import extract_new_text


@dataclass(frozen=True)
class ForwardedOriginal:
    """The forwarded original message, as far as the forward shows it."""

    from_addr: Address  # the original sender (the customer), e-mail lower-cased
    subject: str  # the original's subject ("" when the forward does not show it)
    date_text: str  # the original's date as the forward wrote it, unparsed ("" if absent)
    text: str  # the original's text, without the forward's header block
    attachments: tuple[ParsedAttachment, ...]  # attached: the original's own; inline: the forward's
    note: str  # what the forwarding agent wrote above the forwarded block, signature and phone footer cut (may be "")
    kind: str  # "attached" or "inline"
    message_id: str = ""  # the original's Message-ID (attached originals only), without brackets


# --------------------------------------------------------------------------- markers

_STRONG_MARKER = re.compile(
    r"\s*(?:-{2,}\s*(?:forwarded message|mensaje reenviado|original message|mensaje original)\s*-{2,}"
    r"|begin forwarded message\s*:|inicio del mensaje reenviado\s*:)\s*",
    re.IGNORECASE,
)
# "original message" markers also head quoted replies: they need a forward-ish subject.
_REPLY_MARKER = re.compile(r"\s*-{2,}\s*(?:original message|mensaje original)\s*-{2,}\s*", re.IGNORECASE)
_RULE = re.compile(r"\s*_{10,}\s*")
_FORWARD_SUBJECT = re.compile(r"\s*(?:\[[^\]]{0,40}\]\s*)?(?:fwd?|rv|re|tr|enc|reenv(?:iado|iar)?)\s*:",
                              re.IGNORECASE)
_SUBJECT_PREFIXES = re.compile(r"^(?:\s*(?:fwd?|rv|re|tr|enc|reenv(?:iado|iar)?)\s*:\s*)+", re.IGNORECASE)

_FIELDS = {
    "from": "from", "de": "from",
    "date": "date", "fecha": "date", "sent": "date", "enviado": "date", "enviado el": "date", "enviados": "date",
    "subject": "subject", "asunto": "subject",
    "to": "to", "para": "to", "cc": "cc", "reply-to": "reply-to", "responder a": "reply-to",
}
_HEADER_LINE = re.compile(r"\s*(?:\*\s*)?([a-z][a-z -]{0,15}?)\s*:\*?[ \t\xa0]*(.*)", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_MAX_SCAN_LINES = 5000  # a forward header sits near the top; never scan a huge body whole


def _unquote(line: str) -> str:
    return re.sub(r"^\s*> ?", "", line, count=1)


def parse_address(value: str) -> Address | None:
    """'María Pérez <maria@cliente.cl>', 'María Pérez [mailto:maria@cliente.cl]',
    '"Pérez, María" <maria@cliente.cl>', 'maria@cliente.cl', Outlook web's
    'María <maria@cliente.cl<mailto:maria@cliente.cl>>' -> Address, or None."""
    if "@" not in value:
        return None
    value = clean_header_value(value[:500].replace("*", " "))  # bounds the address regex's work
    value = re.sub(r"<mailto:[^>]*>", "", value)
    value = re.sub(r"\[mailto:([^\]]+)\]", r"<\1>", value, flags=re.IGNORECASE)
    match = _EMAIL.search(value)
    if not match:
        return None
    addr = match.group(0).lower().strip(".")
    name, parsed = email.utils.parseaddr(value)
    if parsed.lower() != addr:
        name = value[: match.start()]
    name = clean_header_value(re.sub(r"[<>()\[\]]", " ", name)).strip(" \"',;")
    if name.lower() == addr or "@" in name:
        name = ""
    return Address(name=name, email=addr)


# --------------------------------------------------------------------------- attached originals


def _attached(msg: ParsedMessage) -> ForwardedOriginal | None:
    if msg.header("content-type").lower().startswith("multipart/report"):
        return None  # a bounce carries the returned message: that is no forward
    for attachment in msg.attachments:
        if attachment.content_type.lower() != "message/rfc822" or not attachment.payload.strip():
            continue
        inner = parse_message(attachment.payload)
        if inner.from_addr is None:
            continue
        text = inner.text.strip()
        note = msg.text.strip()
        # The outer text part may also carry the inner message's text (mail-parser
        # reads nested text parts); the note is what stands before it.
        if text and text in note:
            note = note[: note.index(text)].strip()
        return ForwardedOriginal(
            from_addr=inner.from_addr, subject=inner.subject, date_text=inner.header("date"), text=text,
            attachments=inner.attachments, note=extract_new_text(note), kind="attached", message_id=inner.message_id,
        )
    return None


# --------------------------------------------------------------------------- inline originals


def _header_block(lines: list[str], start: int) -> tuple[dict[str, str], int]:
    """The "Label: value" lines from ``start`` on (blank lines before them skipped):
    ({field: value}, index of the first line after the block)."""
    i = start
    while i < len(lines) and not _unquote(lines[i]).strip():
        i += 1
    fields: dict[str, str] = {}
    last = ""
    while i < len(lines) and len(fields) < 10:
        line = _unquote(lines[i])
        if not line.strip():
            break
        match = _HEADER_LINE.fullmatch(line) if len(line) < 2000 else None
        field = _FIELDS.get(" ".join(match.group(1).lower().split())) if match else None
        if field:
            fields.setdefault(field, match.group(2).strip())
            last = field
        elif last in ("to", "cc") and fields:
            fields[last] += " " + line.strip()  # a long recipient list wrapped onto the next line
        else:
            break
        i += 1
    return fields, i


def _inline_in(lines: list[str], subject: str) -> tuple[int, dict[str, str], int] | None:
    """(marker line, header fields, first body line) of an inline forward."""
    forward_subject = bool(_FORWARD_SUBJECT.match(subject))
    for i, raw in enumerate(lines[:_MAX_SCAN_LINES]):
        line = _unquote(raw)
        if not line.strip() or len(line) > 200:
            continue
        strong = _STRONG_MARKER.fullmatch(line)
        weak = forward_subject and _RULE.fullmatch(line)
        if strong and _REPLY_MARKER.fullmatch(line) and not forward_subject:
            strong = None
        if strong or weak:
            fields, end = _header_block(lines, i + 1)
        elif forward_subject:
            fields, end = _header_block(lines, i)
        else:
            continue
        if "from" in fields and (strong or len(fields) >= 3) and parse_address(fields["from"]):
            return i, fields, end
    return None


def _inline(msg: ParsedMessage) -> ForwardedOriginal | None:
    texts = [msg.text]
    if msg.html.strip():
        texts.append(html_to_text(msg.html))
    for text in texts:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        found = _inline_in(lines, msg.subject)
        if not found:
            continue
        marker, fields, end = found
        body = lines[end:]
        quoted = sum(1 for line in body if line.lstrip().startswith(">"))
        if body and quoted >= 0.8 * sum(1 for line in body if line.strip()):  # Apple Mail quotes the whole block
            body = [_unquote(line) for line in body]
        from_addr = parse_address(fields["from"])
        assert from_addr is not None  # checked by _inline_in
        subject = clean_header_value(fields.get("subject", "")) or _SUBJECT_PREFIXES.sub("", msg.subject).strip()
        return ForwardedOriginal(
            from_addr=from_addr, subject=subject, date_text=clean_header_value(fields.get("date", "")),
            text="\n".join(body).strip(), attachments=msg.attachments,
            note=extract_new_text("\n".join(lines[:marker])), kind="inline",
        )
    return None


def find_forwarded(msg: ParsedMessage) -> ForwardedOriginal | None:
    """The original a forwarded mail carries, or None when ``msg`` is no forward."""
    return _attached(msg) or _inline(msg)
