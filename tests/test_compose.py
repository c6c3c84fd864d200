"""build_mail writes RFC 5322 by hand (for speed); what a mail client reads back must be exactly what we meant."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.compose import Envelope, build_mail
from mailbot.render import RenderedMail

WHEN = datetime(2026, 3, 7, 12, 30, tzinfo=timezone.utc)


def envelope(**changes: object) -> Envelope:
    base = dict(from_name="Soporte Mente Autónoma", from_addr="soporte@menteautonoma.cl", to=("ana@empresa.cl",),
                message_id="abc@menteautonoma.cl", date=WHEN, reply_to="soporte+ma-000001-x@menteautonoma.cl",
                in_reply_to="orig@empresa.cl", references=("first@empresa.cl", "orig@empresa.cl"),
                auto_submitted="auto-replied", loop_marker="mailbot@menteautonoma.cl", ticket_ref="MA-000001",
                language="es")
    base.update(changes)
    return Envelope(**base)  # type: ignore[arg-type]


def read(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def content(part: email.message.EmailMessage) -> str:
    """The text as a reader shows it (on the wire every line ends in CRLF)."""
    return part.get_content().replace("\r\n", "\n")


def test_an_ack_reads_back_as_written() -> None:
    raw = build_mail(envelope(), RenderedMail("[MA-000001] Re: Producción caída — urgente", "Hola Ana,\nrecibimos «esto».\n",
                                              "<p>Hola Ana</p>\n"))
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    msg = read(raw)
    assert msg["Subject"] == "[MA-000001] Re: Producción caída — urgente"
    assert msg["From"].addresses[0].display_name == "Soporte Mente Autónoma"
    assert msg["From"].addresses[0].addr_spec == "soporte@menteautonoma.cl"
    assert msg["To"] == "ana@empresa.cl"
    assert msg["Message-ID"] == "<abc@menteautonoma.cl>"
    assert msg["In-Reply-To"] == "<orig@empresa.cl>"
    assert msg["References"] == "<first@empresa.cl> <orig@empresa.cl>"
    assert msg["Reply-To"] == "soporte+ma-000001-x@menteautonoma.cl"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Mailbot-Loop"] == "mailbot@menteautonoma.cl"
    assert msg["X-Mailbot-Ticket"] == "MA-000001"
    assert msg["Content-Language"] == "es"
    assert msg["Date"].datetime == WHEN
    assert msg.get_content_type() == "multipart/alternative"
    assert content(msg.get_body(("plain",))) == "Hola Ana,\nrecibimos «esto».\n"
    assert content(msg.get_body(("html",))) == "<p>Hola Ana</p>\n"
    assert not any(part.defects for part in msg.walk())


def test_a_subject_with_line_breaks_cannot_add_headers() -> None:
    raw = build_mail(envelope(), RenderedMail("hola\r\nBcc: victim@example.com", "x\n", ""))
    msg = read(raw)
    assert msg["Bcc"] is None
    assert msg["Subject"] == "hola Bcc: victim@example.com"
    assert msg.get_content_type() == "text/plain"


def test_text_that_only_looks_encoded_stays_literal() -> None:
    msg = read(build_mail(envelope(from_name="=?utf-8?q?Eve?="), RenderedMail("=?utf-8?q?hi?= there", "x\n", "")))
    assert msg["Subject"] == "=?utf-8?q?hi?= there"
    assert msg["From"].addresses[0].display_name == "=?utf-8?q?Eve?="


def test_long_lines_and_long_subjects_stay_within_998_octets() -> None:
    subject = "Ñandú " * 300
    text = "ñ" * 3000 + "\n"
    raw = build_mail(envelope(), RenderedMail(subject, text, ""))
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    msg = read(raw)
    assert msg["Subject"] == subject.strip()
    assert content(msg) == text


def test_attachments_keep_their_bytes_and_names() -> None:
    png = bytes(range(256)) * 40
    raw = build_mail(envelope(attachments=(("captura ñ.png", "image/png", png), ("notas.txt", "text/plain", b"a\r\nb")))
                     , RenderedMail("s", "cuerpo\n", "<p>cuerpo</p>\n"))
    msg = read(raw)
    assert msg.get_content_type() == "multipart/mixed"
    assert content(msg.get_body(("plain",))) == "cuerpo\n"
    found = [(a.get_filename(), a.get_content_type(), a.get_payload(decode=True)) for a in msg.iter_attachments()]
    assert found == [("captura ñ.png", "image/png", png), ("notas.txt", "application/octet-stream", b"a\r\nb")]


printable = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=300)


@settings(max_examples=150, deadline=None)
@given(subject=printable, name=printable, text=printable, html=printable)
def test_any_text_reads_back(subject: str, name: str, text: str, html: str) -> None:
    raw = build_mail(envelope(from_name=name), RenderedMail(subject, text + "\n", html + "\n" if html else ""))
    assert raw.isascii() or b"Content-Transfer-Encoding: 8bit" in raw
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    msg = read(raw)
    assert msg["Subject"] == " ".join(subject.split(" ")).strip()
    assert msg["From"].addresses[0].addr_spec == "soporte@menteautonoma.cl"
    assert content(msg.get_body(("plain",))) == (text + "\n").replace("\r\n", "\n").replace("\r", "\n")
    if html:
        assert content(msg.get_body(("html",))) == (html + "\n").replace("\r\n", "\n").replace("\r", "\n")
