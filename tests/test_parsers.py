"""parse_message on real-world fixture messages, and its public helpers."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mailbot.domain import Address, ParsedMessage
from mailbot.parsers import (
    clean_header_value,
    decode_bytes,
    decode_header_value,
    html_to_text,
    parse_message,
    parse_message_ids,
    sanitize_filename,
)

FIXTURES = Path(__file__).parent / "fixtures" / "mail"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(name: str) -> ParsedMessage:
    return parse_message(load(name))


@dataclass(frozen=True)
class Expect:
    subject: str
    from_email: str | None
    from_name: str = ""
    text_contains: tuple[str, ...] = ()
    text_excludes: tuple[str, ...] = ()
    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    delivered_to: tuple[str, ...] = ()
    language: str = ""
    has_html: bool = False
    attachments: tuple[tuple[str, str, int], ...] = ()
    defects: tuple[str, ...] = field(default=())  # substrings every one of which must appear


CASES = {
    "gmail-new-es.eml": Expect(
        subject="No puedo iniciar sesión",
        from_email="mariajose.perez@gmail.com",
        from_name="María José Pérez",
        text_contains=("Desde esta mañana no puedo iniciar sesión en la aplicación.", "¿Me podéis ayudar?"),
        message_id="CAJ9x+8Ypq3sKw7f0_5Fh1bXv=Zs7nQ@mail.gmail.com",
        to=("soporte@example.com",),
        delivered_to=("soporte@example.com",),
        has_html=True,
    ),
    "outlook-reply-es.eml": Expect(
        subject="RE: [#1234] No puedo iniciar sesión",
        from_email="juan.garcia@empresa.es",
        from_name="Juan García",
        text_contains=("Ya probé a restablecer la contraseña y sigue sin funcionar.", "Asunto: [#1234]"),
        message_id="AM9PR07MB7777D1A2B3C4D5E6F7A8B9C0D1E2@AM9PR07MB7777.eurprd07.prod.outlook.com",
        in_reply_to=("ticket-1234.1717402500.reply@example.com",),
        references=("ticket-1234.1717400000@example.com", "ticket-1234.1717402500.reply@example.com"),
        to=("soporte@example.com",),
        language="es-es",
        has_html=True,
    ),
    "thunderbird-reply-en.eml": Expect(
        subject="Re: [#2001] Export to CSV drops the last row",
        from_email="alex.turner@example.org",
        from_name="Alex Turner",
        text_contains=("the last row is still missing", "> Could you try the nightly build"),
        message_id="5c1e0f6a-2b7d-4c2e-9a41-7f3e2d1b8c90@example.org",
        in_reply_to=("ticket-2001.1717490000.reply@example.com",),
        references=("ticket-2001.1717480000@example.com", "ticket-2001.1717490000.reply@example.com"),
        to=("support@example.com",),
        delivered_to=("support@example.com",),
        language="en-gb",
    ),
    "apple-mail-reply-es.eml": Expect(
        subject="Re: [#1240] Cuenta bloqueada",
        from_email="lucia.fernandez@icloud.com",
        from_name="Lucía Fernández",
        text_contains=("Perfecto, ya funciona. Muchas gracias por la rapidez.",),
        message_id="8E1A3B2C-4D5E-4F60-9A7B-1C2D3E4F5A6B@icloud.com",
        in_reply_to=("ticket-1240.1717407600.reply@example.com",),
        references=("ticket-1240.1717400000@example.com", "ticket-1240.1717407600.reply@example.com"),
        to=("soporte@example.com",),
        cc=("pedro.martin@empresa.es",),
    ),
    "html-only-en.eml": Expect(
        subject="Invoice export fails with error 500",
        from_email="priya@acme-corp.example",
        from_name="Priya Natarajan",
        text_contains=("The invoice export fails with error 500 since Monday.", "- Open Reports & choose May"),
        text_excludes=("<p>", "color: #333333", "alert(", "&amp;"),
        message_id="20240605120000.GA4242@acme-corp.example",
        has_html=True,
    ),
    "iso-8859-1-es.eml": Expect(
        subject="Facturación duplicada en diciembre",
        from_email="amunoz@correo.example.es",
        from_name="Álvaro Muñoz",
        # 0x80 is "€" only in Windows-1252, the superset everyone means by ISO-8859-1
        text_contains=("La facturación de diciembre está duplicada.", "120 €", "¿Podéis revisarlo"),
        language="es",
        defects=("text: mail-parser decoded C1 controls",),
    ),
    "gb2312-gbk.eml": Expect(
        subject="关于镕铸设备的订单问题",
        from_email="wangzhe@example.cn",
        from_name="王喆",
        text_contains=("镕铸设备到现在还没有发货",),
        defects=("subject: mail-parser drops characters", "from: mail-parser drops characters", "text: mail-parser"),
    ),
    "iso-2022-jp.eml": Expect(
        subject="お問い合わせ：ログインできません",
        from_email="t.yamada@example.jp",
        from_name="山田太郎",
        text_contains=("昨日からログインできません。",),
        text_excludes=("\x1b",),
        defects=("text: mail-parser left control or escape bytes undecoded",),
    ),
    "unlabelled-8bit.eml": Expect(
        subject="Envío retrasado",
        from_email="jramirez@old-isp.example.mx",
        from_name="Jose Ramirez",
        text_contains=("necesito ayuda con el envío número 5567", "ya pasó una semana"),
        text_excludes=("\ufffd",),
        defects=("subject: mail-parser drops characters",),
    ),
    "folded-subject.eml": Expect(
        subject="Solicitud de cambio de dirección de envío para el pedido número 88231 y actualización de factura",
        from_email="carmen.ruiz@example.es",
        from_name="Carmen Ruiz",
        text_contains=("Calle Mayor 5, Madrid",),
        references=("a1@example.com", "a2@example.com", "a3@example.com"),
    ),
    "subject-encoded-newline.eml": Expect(
        subject="Urgente Injected-Header: yes tab",
        from_email="eve@attacker.example",
        from_name="Eve Bcc: victim@example.net",
        text_contains=("Prueba de cabeceras.",),
        defects=("from: mail-parser found 0 addresses, the stdlib 1",),
    ),
    "attachment-pdf.eml": Expect(
        subject="Factura de mayo con error",
        from_email="laura.sanz@empresa.es",
        from_name="Laura Sanz",
        text_contains=("el IVA está mal calculado",),
        attachments=(("logo.png", "image/png", 69), ("Factura mayo 2024 - España.pdf", "application/pdf", 329)),
    ),
    "out-of-office-es.eml": Expect(
        subject="Respuesta automática: [#1300] Pedido pendiente",
        from_email="ana.lopez@empresa.es",
        from_name="Ana López",
        text_contains=("Estoy fuera de la oficina hasta el 20 de junio.",),
        in_reply_to=("ticket-1300.1718160000.reply@example.com",),
    ),
    "out-of-office-en-exchange.eml": Expect(
        subject="Automatic reply: [#1301] Licence renewal",
        from_email="mark.ellis@contoso.example",
        from_name="Mark Ellis",
        text_contains=("I am out of the office until Monday 17 June",),
        in_reply_to=("ticket-1301.1718170000.reply@example.com",),
        language="en-us",
    ),
    "bounce-dsn.eml": Expect(
        subject="Undelivered Mail Returned to Sender",
        from_email="mailer-daemon@mx.example.com",
        from_name="Mail Delivery System",
        text_contains=("could not\nbe delivered", "550 5.1.1"),
        delivered_to=("soporte@example.com",),
        attachments=(("attachment-1.txt", "message/delivery-status", 328),),
        defects=("attachments: mail-parser found 0 attachments, the stdlib 1",),
    ),
    "mailing-list.eml": Expect(
        subject="[devlist] Version 4.2 released",
        from_email="releases@lists.example.org",
        from_name="Release Bot",
        text_contains=("Version 4.2 is out.",),
    ),
    "no-message-id.eml": Expect(
        subject="Consulta sin identificador",
        from_email="pablo.ruiz@example.es",
        from_name="Ruiz, Pablo",
        text_contains=("Este mensaje no tiene cabecera Message-ID.",),
        message_id=hashlib.sha256(load("no-message-id.eml")).hexdigest()[:32] + "@mailbot.invalid",
    ),
    "empty.eml": Expect(subject="", from_email=None, defects=("message is empty",)),
    "png-only.eml": Expect(subject="", from_email=None, text_excludes=("\x00",)),
}


def test_every_fixture_has_a_case() -> None:
    assert sorted(CASES) == sorted(path.name for path in FIXTURES.glob("*.eml"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture(name: str) -> None:
    expect = CASES[name]
    msg = parse(name)
    assert msg.subject == expect.subject
    if expect.from_email is None:
        assert msg.from_addr is None
    else:
        assert msg.from_addr == Address(name=expect.from_name, email=expect.from_email)
    for sentence in expect.text_contains:
        assert sentence in msg.text
    for fragment in expect.text_excludes:
        assert fragment not in msg.text
    if expect.message_id is not None:
        assert msg.message_id == expect.message_id
    assert msg.in_reply_to == expect.in_reply_to
    assert msg.references == expect.references
    if expect.to:
        assert tuple(a.email for a in msg.to) == expect.to
    assert tuple(a.email for a in msg.cc) == expect.cc
    assert msg.delivered_to == expect.delivered_to
    assert msg.content_language == expect.language
    assert bool(msg.html) == expect.has_html
    assert tuple((a.filename, a.content_type, len(a.payload)) for a in msg.attachments) == expect.attachments
    for defect in expect.defects:
        assert any(defect in recorded for recorded in msg.parse_defects), msg.parse_defects


@pytest.mark.parametrize("name", ["gmail-new-es.eml", "outlook-reply-es.eml", "thunderbird-reply-en.eml"])
def test_well_formed_mail_needs_no_fallback(name: str) -> None:
    # mail-parser is the primary parser: on ordinary UTF-8/Latin-1 mail nothing falls back.
    assert parse(name).parse_defects == ()


@pytest.mark.parametrize("name", sorted(CASES))
def test_header_values_are_single_clean_lines(name: str) -> None:
    msg = parse(name)
    for key, value in msg.headers:
        assert key == key.lower()
        assert not re.search(r"[\x00-\x1f\x7f]", value), (key, value)
    for address in (msg.from_addr, *msg.to, *msg.cc, *msg.reply_to):
        if address is not None:
            assert not re.search(r"[\x00-\x1f\x7f]", address.name)
            assert address.email == address.email.lower()
    assert "<" not in msg.message_id and ">" not in msg.message_id


def test_headers_keep_order_and_repeats() -> None:
    msg = parse("outlook-reply-es.eml")
    names = [name for name, _ in msg.headers]
    assert names[:4] == ["received", "from", "to", "subject"]
    assert msg.header("Thread-Index") == "AQHatYx0k3Jm9bqP5UeRkW3nTj1FrrG0dOxQ"
    assert msg.header("thread-topic") == "[#1234] No puedo iniciar sesión"
    assert msg.header("x-ms-has-attach") == ""
    assert msg.header("received").startswith("from AM9PR07MB7777.eurprd07.prod.outlook.com (2603:10a6:20b:3c5::12) by")


def test_encoded_newline_never_reaches_a_header_value() -> None:
    msg = parse("subject-encoded-newline.eml")
    assert msg.header("x-custom") == "line1 line2"
    assert msg.header("subject") == "Urgente Injected-Header: yes tab"


def test_dates_are_aware() -> None:
    assert parse("gmail-new-es.eml").date == datetime(2024, 6, 3, 8, 2, 1, tzinfo=timezone.utc)
    assert parse("bounce-dsn.eml").date == datetime(2024, 6, 13, 8, 0, 5, tzinfo=timezone.utc)
    assert parse("empty.eml").date is None


def test_attachment_payloads_are_the_decoded_files() -> None:
    logo, pdf = parse("attachment-pdf.eml").attachments
    assert logo.payload.startswith(b"\x89PNG\r\n\x1a\n") and logo.payload.endswith(b"IEND\xaeB`\x82")
    assert pdf.payload.startswith(b"%PDF-1.4\n") and pdf.payload.endswith(b"%%EOF\n")


def test_html_kept_as_sent() -> None:
    msg = parse("html-only-en.eml")
    assert msg.html.startswith("<html>")
    assert '<script type="text/javascript">alert("tracking");</script>' in msg.html


def test_empty_and_binary_input_give_empty_messages() -> None:
    empty = parse("empty.eml")
    assert empty.message_id == "e3b0c44298fc1c149afbf4c8996fb924@mailbot.invalid"  # sha256(b"")
    assert (empty.text, empty.html, empty.attachments, empty.headers, empty.to) == ("", "", (), (), ())
    png = parse("png-only.eml")
    assert png.attachments == () and png.headers == () and png.in_reply_to == ()
    assert png.message_id == hashlib.sha256(load("png-only.eml")).hexdigest()[:32] + "@mailbot.invalid"
    assert "mime: MissingHeaderBodySeparatorDefect" in png.parse_defects


@pytest.mark.parametrize("name", ["thunderbird-reply-en.eml", "gmail-new-es.eml", "attachment-pdf.eml"])
def test_lf_and_crlf_line_endings_parse_the_same(name: str) -> None:
    raw = load(name).replace(b"\r\n", b"\n")
    lf, crlf = parse_message(raw), parse_message(raw.replace(b"\n", b"\r\n"))
    assert (lf.subject, lf.text, lf.references, lf.from_addr) == (crlf.subject, crlf.text, crlf.references, crlf.from_addr)
    assert [(a.filename, a.payload) for a in lf.attachments] == [(a.filename, a.payload) for a in crlf.attachments]
    assert "\r" not in lf.text + crlf.text


def test_garbage_never_raises() -> None:
    for raw in (b"\x00" * 100, b"\xff\xfe\x00S\x00u\x00b", b"--\n--\n", b"Content-Type: multipart/mixed\n\n--\n"):
        assert isinstance(parse_message(raw), ParsedMessage)


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hola\r\nBcc: x@y.z", "Hola Bcc: x@y.z"),
        ("  tab\there  \x00nul\x7fdel\x85nel\u2028ls ", "tab here nul del nel ls"),
        ("dos  espacios", "dos espacios"),
        ("ya limpio", "ya limpio"),
        ("\udcff", "\ufffd"),
    ],
)
def test_clean_header_value(raw: str, expected: str) -> None:
    assert clean_header_value(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?UTF-8?Q?Caf=C3=A9?= =?UTF-8?Q?_con_leche?=", "Café con leche"),
        # a UTF-8 character split across two words must survive
        ("=?utf-8?B?w6E=?= =?utf-8?B?w6k=?=", "áé"),
        ("=?utf-8?B?4oKs?=\r\n =?utf-8?B?IDEyMA==?=", "€ 120"),
        ("=?iso-8859-1?q?ma=F1ana?= por la tarde", "mañana por la tarde"),
        ("=?x-unknown?q?caf=E9?=", "café"),  # unknown charset: UTF-8, then Windows-1252
        ("=?utf-8*es?q?hola?=", "hola"),  # RFC 2231 language suffix
        ("plain\r\n folded", "plain folded"),
        ("=?utf-8?q?broken", "=?utf-8?q?broken"),
    ],
)
def test_decode_header_value(raw: str, expected: str) -> None:
    assert decode_header_value(raw) == expected


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("镕铸".encode("gbk"), "gb2312", "镕铸"),
        (b"120 \x80", "iso-8859-1", "120 €"),
        ("año".encode("utf-8"), "iso-8859-1", "año"),  # mislabelled UTF-8
        ("año".encode("utf-8"), "us-ascii", "año"),
        ("año".encode("cp1252"), None, "año"),
        ("año".encode("cp1252"), "no-such-charset", "año"),
        (b"\x81\x8d", "utf-8", "\x81\x8d"),  # nothing fits: Latin-1 keeps every byte
        (b"caf\\xe9", "unicode_escape", "caf\\xe9"),  # codecs that are not charsets are refused
    ],
)
def test_decode_bytes(data: bytes, charset: str | None, expected: str) -> None:
    assert decode_bytes(data, charset) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<a@x> <b@y>", ("a@x", "b@y")),
        ("<a@x>,<b@y>, <a@x>", ("a@x", "b@y")),
        ("a@x b@y", ("a@x", "b@y")),
        ("<a@x> (comment <c@z>) junk <b@y>", ("a@x", "b@y")),
        ("<>  <  > garbage", ()),
        ("<1234.5678>", ("1234.5678",)),
        ("", ()),
    ],
)
def test_parse_message_ids(value: str, expected: tuple[str, ...]) -> None:
    assert parse_message_ids(value) == expected


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("Factura mayo.pdf", "application/pdf", "Factura mayo.pdf"),
        ("../../etc/passwd", "text/plain", "passwd"),
        ("..\\..\\Windows\\system32\\evil.exe", "application/octet-stream", "evil.exe"),
        ("C:evil.bat", "application/octet-stream", "evil.bat"),
        (".htaccess", "text/plain", "htaccess"),
        ("...", "application/pdf", "attachment-3.pdf"),
        ("", "image/jpeg", "attachment-3.jpg"),
        ("", "application/x-unknown-thing", "attachment-3.bin"),
        ("inf\x00o\r\n.txt", "text/plain", "inf o.txt"),  # controls become spaces
        ("résumé (final) – v2.docx", "application/octet-stream", "résumé (final) - v2.docx"),
        ("=?utf-8?q?Presupuesto_a=C3=B1o.xlsx?=", "application/octet-stream", "Presupuesto año.xlsx"),
        ("a<b>c|d*e?.txt", "text/plain", "a_b_c_d_e_.txt"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 96 + ".pdf"),
    ],
)
def test_sanitize_filename(name: str, content_type: str, expected: str) -> None:
    assert sanitize_filename(name, 3, content_type) == expected


def test_html_to_text() -> None:
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body>"
        "<p>Uno&nbsp;dos</p><div>tres<br>cuatro</div><script>x()</script>"
        "<blockquote><p>citado</p></blockquote><pre>a\n  b</pre></body></html>"
    )
    assert html_to_text(html) == "Uno dos\n\ntres\ncuatro\n\n> citado\n>\na\n  b"
