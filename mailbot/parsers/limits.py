"""Size and structure checks on the raw bytes, run before any MIME parsing.

Python 3.11's ``email`` package recurses once per multipart nesting level (a
1,000-deep message raises RecursionError) and walks every part in Python (200,000
parts take about 12 s). So the daemon looks at the raw bytes first, with a scan
that never builds a message tree and stays linear in the input size, and refuses
anything past these limits before a parser sees it.

The scan is deliberately approximate where exactness would cost a real parser:
it tracks boundaries the way ``email.feedparser`` does (a part's Content-Type
declares a boundary; the next ``--boundary`` line opens it) but does not try to
tell header regions from bodies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int = 25 * 1024 * 1024
    max_multipart_depth: int = 20
    max_mime_parts: int = 1000
    max_header_bytes: int = 256 * 1024
    max_addresses_per_header: int = 500


# What each limit measures, for LimitViolation.describe().
_DESCRIPTIONS = {
    "max_message_bytes": "message is {found} bytes long",
    "max_multipart_depth": "message nests multiparts {found} deep",
    "max_mime_parts": "message has {found} MIME parts",
    "max_header_bytes": "top-level header block is {found} bytes long",
    "max_addresses_per_header": "an address header lists {found} addresses",
}


@dataclass(frozen=True)
class LimitViolation:
    limit: str  # the Limits field name, e.g. "max_mime_parts"
    allowed: int
    found: int  # may stop at allowed + 1: the scan ends as soon as a limit is passed

    def describe(self) -> str:
        what = _DESCRIPTIONS.get(self.limit, self.limit + " is {found}").format(found=self.found)
        return f"{what}; the limit is {self.allowed}"


_ADDRESS_HEADERS = frozenset({b"from", b"to", b"cc", b"bcc", b"reply-to", b"sender"})
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_QUOTED = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
# Searched in the lower-cased copy; the leading \n gives the regex engine a literal
# prefix to jump between, so the scan runs at C speed over a 25 MB base64 body.
_CONTENT_TYPE = re.compile(rb"\ncontent-type[ \t]*:")
_BOUNDARY_PARAM = re.compile(rb'(?:^|[;\s])boundary[ \t]*=[ \t]*(?:"([^"]*)"|([^\s;"]+))', re.I)
# Base64 never contains "-", so in practice only real delimiters and a few text lines
# (signatures, "-----Original Message-----") match this.
_DASH_LINE = re.compile(rb"\n--([^\r\n]*)")


def check_limits(raw: bytes, limits: Limits) -> LimitViolation | None:
    """The first limit ``raw`` exceeds, or None. Linear time; never raises on bytes."""
    if len(raw) > limits.max_message_bytes:
        return LimitViolation("max_message_bytes", limits.max_message_bytes, len(raw))
    header_end = _header_block_end(raw)
    if header_end > limits.max_header_bytes:
        return LimitViolation("max_header_bytes", limits.max_header_bytes, header_end)
    return _check_addresses(raw[:header_end], limits) or _check_mime_structure(raw, limits)


def _header_block_end(raw: bytes) -> int:
    """Length of the top-level header block: up to and including the line ending
    before the first blank line (LF or CRLF), or the whole input if there is none."""
    ends = [i + 1 for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if i >= 0]
    if raw.startswith((b"\n", b"\r\n")):  # no headers at all
        return 0
    return min(ends) if ends else len(raw)


def _check_addresses(header_block: bytes, limits: Limits) -> LimitViolation | None:
    # Counted per header name, so splitting 600 recipients over two To: lines does
    # not slip past. "@" outside quoted strings is close enough to "one address".
    counts: dict[bytes, int] = {}
    for line in _FOLD.sub(b" ", header_block).split(b"\n"):
        name, sep, value = line.partition(b":")
        name = name.strip().lower()
        if sep and name in _ADDRESS_HEADERS:
            counts[name] = counts.get(name, 0) + _QUOTED.sub(b"", value).count(b"@")
    worst = max(counts.values(), default=0)
    if worst > limits.max_addresses_per_header:
        return LimitViolation("max_addresses_per_header", limits.max_addresses_per_header, worst)
    return None


def _boundary_declarations(raw: bytes, lowered: bytes) -> list[tuple[int, bytes]]:
    """(offset, boundary) for every Content-Type header that declares a boundary,
    in order. Each header, folded continuation lines included, is read once."""
    found: list[tuple[int, bytes]] = []
    starts = [m.start() + 1 for m in _CONTENT_TYPE.finditer(lowered)]
    if re.match(rb"content-type[ \t]*:", lowered):
        starts.insert(0, 0)
    for start in starts:
        end = raw.find(b"\n", start)
        while end != -1 and raw[end + 1 : end + 2] in (b" ", b"\t"):
            end = raw.find(b"\n", end + 1)
        header = _FOLD.sub(b"", raw[start : len(raw) if end == -1 else end])
        match = _BOUNDARY_PARAM.search(header, header.find(b":"))
        if match:
            # email.message.Message.get_boundary() strips trailing whitespace too.
            found.append((start, (match.group(1) if match.group(1) is not None else match.group(2)).rstrip()))
    return found


def _check_mime_structure(raw: bytes, limits: Limits) -> LimitViolation | None:
    declarations = _boundary_declarations(raw, raw.lower())
    if not declarations:
        return None  # no boundary, no multipart: nothing to nest or count
    stack: list[bytes] = []  # open multipart boundaries, outermost first
    pending: bytes | None = None  # declared by the latest Content-Type, not yet seen
    parts = 0
    next_decl = 0
    for line in _DASH_LINE.finditer(raw):
        # Declarations before this line, in order; the latest one is what the part
        # currently being read declares (email.feedparser reads it the same way).
        while next_decl < len(declarations) and declarations[next_decl][0] < line.start():
            pending = declarations[next_decl][1]
            next_decl += 1
        token = line.group(1).rstrip(b" \t\r")
        if pending is not None and token == pending:
            stack.append(pending)  # the first delimiter opens the declared multipart
            pending = None
            parts += 1
        else:
            level = _find_open(stack, token)
            if level is None:
                continue  # an ordinary text line that happens to start with "--"
            closing = token != stack[level]
            del stack[level + (0 if closing else 1) :]
            pending = None
            if closing:
                continue
            parts += 1
        if len(stack) > limits.max_multipart_depth:
            return LimitViolation("max_multipart_depth", limits.max_multipart_depth, len(stack))
        if parts > limits.max_mime_parts:
            return LimitViolation("max_mime_parts", limits.max_mime_parts, parts)
    return None


def _find_open(stack: list[bytes], token: bytes) -> int | None:
    """Index of the innermost open boundary that ``token`` delimits or closes.
    The stack never grows past max_multipart_depth + 1, so this loop is short."""
    for level in range(len(stack) - 1, -1, -1):
        if token == stack[level] or token == stack[level] + b"--":
            return level
    return None
