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
import urllib.parse
from collections.abc import Iterator
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
# Content-Type headers that mention "boundary", searched in a lower-cased copy.
# The leading "\n" is a literal prefix the regex engine skips to at C speed, and
# the possessive loop crosses a header without backtracking, so a 25 MB body or a
# million boundary-less Content-Type lines never reach Python.
_DECLARATION = re.compile(rb"\ncontent-type[ \t]*:(?:[^\nb]++|b(?!oundary)|\n(?=[ \t]))*+boundary")
_LOGICAL_LINE = re.compile(rb"[^\n]*(?:\n[ \t][^\n]*)*")
# Every boundary parameter in a header, RFC 2231 pieces ("boundary*0*=") included.
_BOUNDARY_PARAM = re.compile(
    rb'(?<![\w-])boundary(\*\d{1,4})?(\*)?[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]*))', re.I
)
# Any line starting with "--". Base64 never contains "-", so in practice this finds
# the delimiters and a few text lines (signatures, "-----Original Message-----").
_DASH_LINE = re.compile(rb"\n--([^\r\n]*)")
# With a handful of boundaries, a regex naming them finds only the real delimiter
# lines; past this many alternatives the generic scan above is cheaper.
_MAX_ALTERNATIVES = 64


def check_limits(raw: bytes, limits: Limits) -> LimitViolation | None:
    """The first limit ``raw`` exceeds, or None. Linear time; never raises on bytes."""
    if len(raw) > limits.max_message_bytes:
        return LimitViolation("max_message_bytes", limits.max_message_bytes, len(raw))
    if raw.count(b"\r") != raw.count(b"\r\n"):
        # email.feedparser also ends lines at a bare CR; a CR-only message must not
        # hide its structure from a scan that looks for "\n".
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    header_end = header_block_end(raw)
    if header_end > limits.max_header_bytes:
        return LimitViolation("max_header_bytes", limits.max_header_bytes, header_end)
    return _check_addresses(raw[:header_end], limits) or _check_mime_structure(raw, limits)


def header_block_end(raw: bytes) -> int:
    """Length of the top-level header block: up to and including the line ending
    before the first blank line (LF or CRLF), or the whole input if there is none."""
    if raw.startswith((b"\n", b"\r\n")):  # no headers at all
        return 0
    # Look in growing windows: a plain find() of the line ending the message does
    # not use would cross all 25 MB for nothing.
    end = 64 * 1024
    while True:
        ends = [i + 1 for i in (raw.find(b"\n\n", 0, end), raw.find(b"\n\r\n", 0, end)) if i >= 0]
        if ends:
            return min(ends)
        if end >= len(raw):
            return len(raw)
        end *= 4


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


def _boundary_candidates(header: bytes) -> frozenset[bytes]:
    """Every value a Content-Type header could mean as its boundary.

    Over-approximating is the safe side: a sender must not hide a boundary from
    this scan (behind a decoy "boundary=" in a quoted string, or in RFC 2231
    pieces) that the email package would still honour."""
    plain: set[bytes] = set()
    pieces: list[tuple[int, bytes, bool]] = []
    for match in _BOUNDARY_PARAM.finditer(_FOLD.sub(b"", header)):
        number, extended, quoted, token = match.groups()
        value = re.sub(rb"\\(.)", rb"\1", quoted) if quoted is not None else token
        if number:
            pieces.append((int(number[1:]), value, bool(extended)))
        elif extended:
            plain.add(_rfc2231_value(value, first=True))
        else:
            plain.add(value)
    if pieces:
        pieces.sort(key=lambda piece: piece[0])
        plain.add(b"".join(_rfc2231_value(v, first=i == 0) if ext else v for i, (_, v, ext) in enumerate(pieces)))
    # email.message.Message.get_boundary() strips trailing whitespace.
    return frozenset(value.rstrip() for value in plain)


def _rfc2231_value(value: bytes, first: bool) -> bytes:
    if first and value.count(b"'") >= 2:
        value = value.split(b"'", 2)[2]  # charset'language'value
    return urllib.parse.unquote_to_bytes(value)


def _boundary_declarations(raw: bytes) -> list[tuple[int, frozenset[bytes]]]:
    """(offset, candidate boundaries) of every Content-Type header naming one, in order."""
    lowered = raw.lower()
    starts = [match.start() + 1 for match in _DECLARATION.finditer(lowered)]
    first = _LOGICAL_LINE.match(lowered)
    if first and _DECLARATION.match(b"\n" + first.group()):  # no "\n" before the first line
        starts.insert(0, 0)
    found: list[tuple[int, frozenset[bytes]]] = []
    for start in starts:
        header = _LOGICAL_LINE.match(raw, start)
        candidates = _boundary_candidates(header.group() if header else b"")
        if candidates:
            found.append((start, candidates))
    return found


def _delimiter_lines(raw: bytes, boundaries: set[bytes]) -> Iterator[tuple[int, bytes]]:
    """(offset, text after "--" without trailing blanks) of candidate delimiter lines."""
    if len(boundaries) <= _MAX_ALTERNATIVES:
        names = b"|".join(re.escape(b) for b in sorted(boundaries, key=len, reverse=True))
        pattern = re.compile(rb"\n--(" + names + rb")(--)?[ \t\r]*(?=\n|\Z)")
        for match in pattern.finditer(raw):
            yield match.start(), match.group(1) + (match.group(2) or b"")
    else:
        for match in _DASH_LINE.finditer(raw):
            yield match.start(), match.group(1).rstrip(b" \t\r")


def _check_mime_structure(raw: bytes, limits: Limits) -> LimitViolation | None:
    declarations = _boundary_declarations(raw)
    if not declarations:
        return None  # no boundary, no multipart: nothing to nest or count
    stack: list[bytes] = []  # open multipart boundaries, outermost first
    pending: frozenset[bytes] = frozenset()  # declared by the latest Content-Type, not yet opened
    parts = 0
    next_decl = 0
    for offset, token in _delimiter_lines(raw, {b for _, candidates in declarations for b in candidates}):
        # Boundaries declared since the last delimiter: what the part being read
        # declares, read as email.feedparser does. Two Content-Type headers in one
        # part both count; the email package would use the first.
        while next_decl < len(declarations) and declarations[next_decl][0] < offset:
            pending = pending | declarations[next_decl][1]
            next_decl += 1
        if token in pending:
            stack.append(token)  # the first delimiter opens the declared multipart
            pending = frozenset()
            parts += 1
        else:
            level = _find_open(stack, token)
            if level is None:
                continue  # a text line that happens to start with "--"
            closing = token != stack[level]
            del stack[level + (0 if closing else 1) :]
            pending = frozenset()
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
