"""First cut of quoted-text removal: keep what the sender newly wrote.

Layers, each cheap and conservative: cut at the first quote header ("El ...
escribió:", "On ... wrote:", "-----Original Message-----", an Outlook
"De:/From:" block), also where mail-parser-reply finds one; drop lines quoted
with ">"; drop a signature below "-- "; drop a trailing "Sent from my iPhone".
When a layer would leave nothing (bottom-posting, inline replies), the text
after the quote header is used instead. When unsure, text is kept.

mail-parser-reply 1.36 never recognises Spanish "El ... escribió:" headers (its
regex wants two whitespace characters before "escribió" and then negates its own
match), hence our own patterns for both languages.
"""

from __future__ import annotations

import logging
import re

from mailparser_reply import EmailReplyParser

from mailbot.parsers.message import html_to_text

log = logging.getLogger(__name__)

_WROTE = re.compile(r"\s*(?:el|on)\s.{0,300}\s(?:escribió|wrote)\s*:\s*", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"\s*-{3,}\s*(?:original message|mensaje original|message d'origine)\s*-{3,}\s*", re.IGNORECASE
)
_BLOCK_FROM = re.compile(r"\s*\*?(?:from|de)\s*:\*?\s*\S.*", re.IGNORECASE)
_BLOCK_NEXT = re.compile(
    r"\s*\*?(?:sent|date|to|cc|subject|enviado(?: el)?|fecha|para|asunto)\s*:.*", re.IGNORECASE
)
_UNDERSCORES = re.compile(r"\s*_{10,}\s*")
_SENT_FROM = re.compile(r"\s*(?:sent from my|enviado desde mi|get outlook for)\s.{0,40}", re.IGNORECASE)
# mail-parser-reply's "On ... wrote:" regex is quadratic in the line length, so it
# only ever sees the start of the message, with lines shortened.
_LIBRARY_LINES, _LIBRARY_LINE_CHARS = 500, 200


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _header_at(lines: list[str], i: int) -> int:
    """How many lines the quote header starting at line ``i`` spans (0: none)."""
    line = lines[i]
    if len(line) > 400:
        return 0
    if _WROTE.fullmatch(line) or _ORIGINAL.fullmatch(line):
        return 1
    if i + 1 < len(lines) and re.match(r"\s*(?:el|on)\s", line, re.IGNORECASE):
        if _WROTE.fullmatch(line + " " + lines[i + 1]):  # Gmail wraps long "On ... wrote:" lines
            return 2
    if _BLOCK_FROM.fullmatch(line):
        block = 1
        while i + block < len(lines) and block < 6 and _BLOCK_NEXT.fullmatch(lines[i + block]):
            block += 1
        if block > 1:
            return block
    return 0


def _own_cut(lines: list[str]) -> tuple[int, int] | None:
    """(first line, line count) of the first quote header outside quoted lines."""
    for i, line in enumerate(lines):
        if _is_quoted(line):
            continue
        span = _header_at(lines, i)
        if span:
            if i > 0 and _UNDERSCORES.fullmatch(lines[i - 1]):  # Outlook's rule above "De:"
                return i - 1, span + 1
            return i, span
    return None


def _library_cut(lines: list[str], languages: list[str]) -> int | None:
    """Line where mail-parser-reply sees the first quote header, if anywhere."""
    sample = [line[:_LIBRARY_LINE_CHARS] for line in lines[:_LIBRARY_LINES]]
    try:
        message = EmailReplyParser(languages=languages).read("\n".join(sample))
    except Exception:  # a third-party regex layer must not cost us the message
        log.warning("mail-parser-reply failed", exc_info=True)
        return None
    header = next((reply.headers for reply in message.replies if reply.headers), "")
    first = header.strip().split("\n", 1)[0].strip()
    if not first:
        return None
    return next((i for i, line in enumerate(sample) if line.strip() == first), None)


def _without_quotes(lines: list[str]) -> list[str]:
    return [line for line in lines if not _is_quoted(line)]


def _without_signature(lines: list[str]) -> list[str]:
    kept = lines[: lines.index("-- ")] if "-- " in lines else lines
    while kept and not kept[-1].strip():
        kept = kept[:-1]
    if kept and _SENT_FROM.fullmatch(kept[-1]):
        kept = kept[:-1]
    return kept if any(line.strip() for line in kept) else lines


def _join(lines: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip()


def extract_new_text(text: str, html: str = "", language_hint: str = "") -> str:
    """The newly written part of a reply; the whole text when nothing looks quoted."""
    if not text.strip() and html.strip():
        text = html_to_text(html)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    hint = language_hint.lower()[:2]
    languages = [hint] if hint and hint not in ("es", "en") else []
    languages += ["en", "es"] if hint == "en" else ["es", "en"]

    own = _own_cut(lines)
    cut, span = own if own else (len(lines), 0)
    library = _library_cut(lines, languages)
    if library is not None and library < cut:
        cut, span = library, 1
    new = _without_quotes(lines[:cut])
    if not any(line.strip() for line in new):
        # Bottom-posting or inline answers: the header comes first, the answer below.
        new = [line for line in _without_quotes(lines[cut + span :]) if not _WROTE.fullmatch(line)]
    if not any(line.strip() for line in new):
        new = _without_quotes(lines)  # only quotes and headers: keep the headers
    return _join(_without_signature(new))
