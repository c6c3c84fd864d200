"""check_limits on generated messages, and parse_message on hostile input."""

from __future__ import annotations

import base64
import email
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.domain import ParsedMessage
from mailbot.parsers import Limits, LimitViolation, check_limits, parse_message

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
DEFAULT = Limits()
HEADERS = b"From: Ana <ana@example.es>\nTo: soporte@example.com\nSubject: prueba\nMessage-ID: <gen@example.es>\n"


def nested(depth: int, newline: bytes = b"\n") -> bytes:
    """A multipart nested ``depth`` levels deep, one text part at the bottom."""
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="lvl%d"\n\n--lvl%d\n' % (i, i) for i in range(depth))
    closing = b"".join(b"\n--lvl%d--\n" % i for i in reversed(range(depth)))
    return (HEADERS + opening + b"Content-Type: text/plain\n\nhola\n" + closing).replace(b"\n", newline)


def flat(parts: int) -> bytes:
    body = b"".join(b"--sep\nContent-Type: text/plain\n\nparte %d\n" % i for i in range(parts))
    return HEADERS + b"Content-Type: multipart/mixed; boundary=sep\n\n" + body + b"--sep--\n"


def big_attachment(size: int) -> bytes:
    data = base64.encodebytes(bytes(range(256)) * (size // 256 // 4 * 3 + 1)).replace(b"\n", b"\r\n")
    return (
        HEADERS.replace(b"\n", b"\r\n")
        + b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\nadjunto\r\n'
        + b"--XYZ\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + data[:size]
        + b"\r\n--XYZ--\r\n"
    )


# --------------------------------------------------------------------------- each limit


def test_deep_nesting() -> None:
    violation = check_limits(nested(1000), DEFAULT)
    assert violation is not None
    assert violation.limit == "max_multipart_depth" and violation.allowed == 20 and violation.found > 20
    assert check_limits(nested(20), DEFAULT) is None
    assert check_limits(nested(21), DEFAULT) == LimitViolation("max_multipart_depth", 20, 21)


def test_deep_nesting_with_bare_cr_line_endings() -> None:
    # email.feedparser splits lines at a bare CR too, so the scan must as well.
    assert check_limits(nested(1000, b"\r"), DEFAULT).limit == "max_multipart_depth"


def test_too_many_parts() -> None:
    violation = check_limits(flat(1201), DEFAULT)
    assert violation is not None and violation.limit == "max_mime_parts" and violation.found > 1000
    assert violation.describe() == f"message has {violation.found} MIME parts; the limit is 1000"
    assert check_limits(flat(1000), DEFAULT) is None


def test_too_large() -> None:
    raw = big_attachment(30 * 1024 * 1024)
    assert check_limits(raw, DEFAULT) == LimitViolation("max_message_bytes", 25 * 1024 * 1024, len(raw))


def test_header_block_too_large() -> None:
    filler = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * 90) for i in range(3000))
    raw = HEADERS.replace(b"\n", b"\r\n") + filler + b"\r\nbody\r\n"
    violation = check_limits(raw, DEFAULT)
    assert violation is not None and violation.limit == "max_header_bytes"
    assert violation.found == raw.index(b"\r\n\r\n") + 2 > 300 * 1000
    # The same bytes in the body are no header block.
    assert check_limits(HEADERS + b"\n" + filler, DEFAULT) is None


def test_too_many_addresses() -> None:
    to = b", ".join(b"user%d@example.com" % i for i in range(600))
    raw = b"From: a@example.com\nTo: " + to + b"\nSubject: x\n\nhola\n"
    assert check_limits(raw, DEFAULT) == LimitViolation("max_addresses_per_header", 500, 600)


def test_addresses_counted_per_header_name_after_unfolding() -> None:
    half = b",\n ".join(b"u%d@example.com" % i for i in range(300))
    raw = b"From: a@example.com\nCc: " + half + b"\nCc: " + half + b"\n\nhola\n"
    assert check_limits(raw, DEFAULT) == LimitViolation("max_addresses_per_header", 500, 600)


def test_at_signs_in_quoted_names_are_not_addresses() -> None:
    to = b", ".join(b'"fake@%d" <user%d@example.com>' % (i, i) for i in range(400))
    assert check_limits(b"To: " + to + b"\n\nhola\n", DEFAULT) is None


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.eml")), ids=lambda p: p.name)
def test_real_messages_pass(path: Path) -> None:
    assert check_limits(path.read_bytes(), DEFAULT) is None


def test_normal_message_passes() -> None:
    assert check_limits(big_attachment(5 * 1024 * 1024), DEFAULT) is None


@pytest.mark.parametrize(
    "content_type",
    [
        b'multipart/mixed; x="decoy; boundary=fake"; boundary=real',  # decoy in a quoted string
        b"multipart/mixed; boundary*0=re; boundary*1=al",  # RFC 2231 pieces
        b"multipart/mixed; boundary*=us-ascii'en'r%65al",
        b"multipart/mixed;\r\n\tBOUNDARY = \"real\"",  # folded, upper case, spaces
    ],
)
def test_boundaries_cannot_be_hidden(content_type: bytes) -> None:
    raw = b"Content-Type: " + content_type + b"\n\n" + b"--real\nContent-Type: text/plain\n\nx\n" * 1001 + b"--real--\n"
    assert email.message_from_bytes(raw).get_boundary() == "real"  # what the stdlib would use
    assert check_limits(raw, DEFAULT).limit == "max_mime_parts"


def test_custom_limits() -> None:
    assert check_limits(flat(5), Limits(max_mime_parts=4)) == LimitViolation("max_mime_parts", 4, 5)
    assert check_limits(nested(3), Limits(max_multipart_depth=2)) == LimitViolation("max_multipart_depth", 2, 3)


# --------------------------------------------------------------------------- speed


def _seconds(raw: bytes) -> float:
    start = time.perf_counter()
    check_limits(raw, DEFAULT)
    return time.perf_counter() - start


def test_fast_on_a_25_mb_message() -> None:
    raw = big_attachment(25 * 1024 * 1024 - 2048)
    assert check_limits(raw, DEFAULT) is None
    # Typically ~25 ms; the bound is loose for slow CI machines but catches a quadratic scan.
    assert min(_seconds(raw) for _ in range(3)) < 0.5


def test_fast_on_hostile_shapes() -> None:
    assert _seconds(flat(200_000)) < 0.5  # stops at part 1001
    assert _seconds(b"Content-Type: multipart/mixed; boundary=b\n\n" + b"--a\n" * 5_000_000) < 1.0
    assert _seconds(b"Subject: x\n\n" + b"Content-Type: text/plain\n" * 800_000) < 1.5


# --------------------------------------------------------------------------- agreement with the email package

boundary_prefixes = st.from_regex(r"[A-Za-z0-9'()+_,./:=?-]{1,20}", fullmatch=True)
# Leaves are text bodies, lists are multiparts (never empty: an empty multipart has no
# delimiter line to see).
trees = st.recursive(
    st.text(alphabet="abc xyz\n", max_size=30),
    lambda children: st.lists(children, min_size=1, max_size=4),
    max_leaves=25,
)


def render(tree: str | list, prefix: bytes, counter: list[int]) -> bytes:
    """A well-formed MIME entity (headers + body); every boundary is unique."""
    if isinstance(tree, str):
        return b"Content-Type: text/plain\n\n" + tree.encode() + b"\n"
    counter[0] += 1
    boundary = prefix + b"%d" % counter[0]
    body = b"".join(b"--" + boundary + b"\n" + render(child, prefix, counter) for child in tree)
    return b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\n\n' + body + b"--" + boundary + b"--\n"


def _shape(msg: email.message.Message, level: int = 0) -> tuple[int, int]:
    """(parts below msg, multipart nesting depth) as the email package sees them."""
    if not msg.is_multipart():
        return 0, level
    shapes = [_shape(child, level + 1) for child in msg.get_payload()]
    return sum(1 + parts for parts, _ in shapes), max(depth for _, depth in shapes)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees, boundary_prefixes, st.sampled_from([b"\n", b"\r\n"]))
def test_counts_agree_with_the_email_package(tree: str | list, prefix: str, newline: bytes) -> None:
    raw = (HEADERS + render(tree, prefix.encode(), [0])).replace(b"\n", newline)
    parts, depth = _shape(email.message_from_bytes(raw))
    roomy = Limits(max_mime_parts=parts, max_multipart_depth=depth)
    assert check_limits(raw, roomy) is None
    if parts:
        tight = Limits(max_mime_parts=parts - 1, max_multipart_depth=100)
        assert check_limits(raw, tight).limit == "max_mime_parts"
    if depth:
        tight = Limits(max_mime_parts=10_000, max_multipart_depth=depth - 1)
        assert check_limits(raw, tight).limit == "max_multipart_depth"


# --------------------------------------------------------------------------- never raising


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(max_size=4096))
def test_check_limits_never_raises(raw: bytes) -> None:
    assert check_limits(raw, DEFAULT) is None or isinstance(check_limits(raw, DEFAULT), LimitViolation)


def _assert_sane(msg: ParsedMessage) -> None:
    assert isinstance(msg, ParsedMessage)
    # The last-resort net in parse_message must not be what saved us: the field-level
    # fallbacks should have handled it.
    assert not any(defect.startswith("parse failed") for defect in msg.parse_defects), msg.parse_defects
    assert msg.message_id and "<" not in msg.message_id and ">" not in msg.message_id
    for value in (msg.subject, *(v for _, v in msg.headers), *(a.name for a in msg.to + msg.cc)):
        assert not re.search(r"[\x00-\x1f\x7f\u2028\u2029]", value)
    for attachment in msg.attachments:
        assert re.fullmatch(r"[\w.\- ()]{1,100}", attachment.filename) and not attachment.filename.startswith(".")
    assert "\x00" not in msg.text
    assert msg.date is None or msg.date.tzinfo is not None


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(max_size=4096))
def test_parse_message_never_raises_on_bytes(raw: bytes) -> None:
    _assert_sane(parse_message(raw))


hostile_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
encoded_words = st.builds(
    "=?{}?{}?{}?=".format,
    st.sampled_from(["utf-8", "gb2312", "iso-2022-jp", "bogus", "utf-7", "unicode_escape", "latin-1", ""]),
    st.sampled_from("bBqQx"),
    st.text(alphabet="=_ABCDEFabcdef0123456789+/?\r\n\"\\ ", max_size=24),
)
header_values = st.lists(st.one_of(hostile_text, encoded_words, st.sampled_from(["<a@b>", ",", ";", '"', "(", ")"])),
                         max_size=6).map(" ".join)


@st.composite
def hostile_entities(draw: st.DrawFn, depth: int = 0) -> bytes:
    """Structured but hostile MIME: reused/empty boundaries, missing closers, odd
    charsets and encodings, control characters and encoded words in headers."""
    headers = [
        b"Content-Type: " + draw(st.sampled_from([b"text/plain", b"text/html", b"image/png", b"application/pdf",
                                                 b"message/rfc822", b"message/delivery-status", b"text/x-weird"]))
        + b"; charset=" + draw(st.sampled_from([b"utf-8", b"gb2312", b"iso-2022-jp", b"unicode_escape", b"bogus", b'"'])),
        b"Content-Transfer-Encoding: " + draw(st.sampled_from([b"base64", b"quoted-printable", b"8bit", b"x-uue", b"7bit"])),
        b"Content-Disposition: " + draw(st.sampled_from([b"attachment", b"inline", b"bogus"]))
        + b'; filename="' + draw(header_values).encode("utf-8", "surrogatepass") + b'"',
    ]
    picked = draw(st.lists(st.sampled_from(headers), max_size=3))
    if depth < 4 and draw(st.booleans()):
        boundary = draw(st.sampled_from([b"b", b"", b"b b", b"=_x", b"-"]))
        children = draw(st.lists(hostile_entities(depth + 1), max_size=3))
        closer = b"--" + boundary + b"--\n" if draw(st.booleans()) else b""
        body = b"".join(b"--" + boundary + b"\n" + child for child in children) + closer
        picked = [b'Content-Type: multipart/mixed; boundary="' + boundary + b'"', *picked]
    else:
        body = draw(st.binary(max_size=200))
    return b"\n".join(picked) + b"\n\n" + body + b"\n"


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(["From", "To", "Cc", "Subject", "Message-ID", "References", "Date",
                                        "Reply-To", "Delivered-To", "Content-Language"]), header_values),
             max_size=8),
    hostile_entities(),
    st.sampled_from([b"\n", b"\r\n", b"\r"]),
)
def test_parse_message_never_raises_on_hostile_mime(headers: list[tuple[str, str]], entity: bytes, newline: bytes) -> None:
    top = b"".join(f"{name}: {value}\n".encode("utf-8", "surrogatepass") for name, value in headers)
    _assert_sane(parse_message((top + entity).replace(b"\n", newline)))


def test_parse_message_past_a_limit_keeps_the_headers() -> None:
    msg = parse_message(nested(1000))
    assert (msg.subject, msg.message_id, msg.from_addr.email) == ("prueba", "gen@example.es", "ana@example.es")
    assert msg.text == "" and msg.attachments == ()
    assert msg.parse_defects[0] == "limits: message nests multiparts 21 deep; the limit is 20; read the top-level headers only"


def test_parse_message_survives_recursion_when_limits_are_lifted() -> None:
    msg = parse_message(nested(1000), limits=Limits(max_multipart_depth=10_000))
    assert msg.subject == "prueba"
    assert "stdlib: RecursionError while parsing; kept the headers only" in msg.parse_defects
    assert any(defect.startswith("mail-parser: MailParserRecursionError") for defect in msg.parse_defects)
