"""find_forwarded: an agent's forward opens the case for the original sender.

The fixtures in tests/data/forwards/ are whole messages in the shapes the clients
produce (Gmail, Outlook desktop and web, Outlook 2010's "-----Mensaje original-----",
Thunderbird text and HTML, Apple Mail and iPhone, forward-as-attachment from Gmail
and mutt), parsed by parse_message exactly as the pipeline does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mailbot.domain import Address
from mailbot.parsers import ForwardedOriginal, find_forwarded, parse_address, parse_message

FORWARDS = Path(__file__).parent / "data" / "forwards"
PETER = Address("Peter Walsh", "peter.walsh@northwind.example")
MARIA = Address("María Pérez", "maria.perez@cliente.cl")


def forwarded(name: str) -> ForwardedOriginal | None:
    return find_forwarded(parse_message((FORWARDS / name).read_bytes()))


@pytest.mark.parametrize(
    ("name", "sender", "subject", "date_text", "note", "first_line", "kind"),
    [
        ("gmail-inline-en.eml", PETER, "Monthly report export stuck at 90%", "Wed, Nov 25, 2026 at 6:02 PM",
         "Peter wrote to me directly, please open a ticket for him.", "Hi Anna,", "inline"),
        ("gmail-inline-es.eml", MARIA, "No podemos emitir facturas", "mié, 25 nov 2026 a las 18:02",
         "Me escribió directo a mí, favor abrir ticket.", "Hola Juan,", "inline"),
        ("outlook-desktop-es.eml", MARIA, "Problema con facturas", "miércoles, 25 de noviembre de 2026 18:02",
         "Favor abrir caso para la clienta.\n\nJuan", "Hola Juan,", "inline"),
        ("outlook-web-en.eml", PETER, "Login problems since the update", "Wednesday, November 25, 2026 6:02 PM",
         "Please open a ticket for Peter.\n\nAnna", "Hi Anna,", "inline"),
        ("outlook-mailto-es.eml", MARIA, "Consulta por licencias", "miércoles, 25 de noviembre de 2026 18:02",
         "Para la cola de soporte.", "Hola Juan, necesitamos 5 licencias adicionales para el módulo de compras.",
         "inline"),
        ("thunderbird-es.eml", MARIA, "Caída del portal de proveedores", "Wed, 25 Nov 2026 18:02:11 -0300",
         "Caso que llegó a mi casilla.", "Hola Juan,", "inline"),
        ("thunderbird-en-html.eml", PETER, "Invoice PDF is blank", "Wed, 25 Nov 2026 18:02:11 -0300",
         "For the queue.", "Hi Anna, every invoice PDF we download is blank since Monday.", "inline"),
        ("apple-en.eml", PETER, "Cannot add new users", "25 November 2026 at 18:02:11 GMT-3",
         "Ticket please.", "Hi Anna,", "inline"),
        ("iphone-es.eml", Address("Pérez, María", "maria.perez@cliente.cl"), "Urgente: servidor caído",
         "25 de noviembre de 2026, 18:02:11 GMT-3", "#prioridad critica",
         "Juan, el servidor de facturación no responde. Llámame apenas puedas.", "inline"),
        ("attached-rfc822.eml", MARIA, "No podemos emitir facturas", "Wed, 25 Nov 2026 18:02:11 -0300",
         "Adjunto el correo de la clienta.", "Hola Juan,", "attached"),
        ("attached-rfc822-inline-mutt.eml", PETER, "Password reset mail never arrives",
         "Wed, 25 Nov 2026 18:02:11 -0300", "Forwarding Peter's mail.",
         "Hi Anna, I requested a password reset three times and got nothing.", "attached"),
    ],
)
def test_forward_shapes(name, sender, subject, date_text, note, first_line, kind) -> None:
    original = forwarded(name)
    assert original is not None
    assert original.from_addr == sender
    assert (original.subject, original.date_text, original.note, original.kind) == (subject, date_text, note, kind)
    assert original.text.split("\n")[0] == first_line
    # The forward's own header block never leaks into the original's text.
    assert not any(label in original.text for label in ("From:", "De:", "Subject:", "Asunto:", "Sent:", "Enviado"))


def test_text_of_the_original_is_whole() -> None:
    original = forwarded("outlook-desktop-es.eml")
    assert original is not None
    assert original.text == ("Hola Juan,\n\nDesde esta mañana no podemos emitir facturas electrónicas.\n\n"
                             "Saludos,\nMaría Pérez\nJefa de Administración")


def test_attached_original_brings_its_own_attachments_and_id() -> None:
    original = forwarded("attached-rfc822.eml")
    assert original is not None
    assert [(a.filename, a.content_type) for a in original.attachments] == [("error-sii.pdf", "application/pdf")]
    assert original.attachments[0].payload.startswith(b"%PDF-1.4")
    assert original.message_id == "9f8e7d6c5b4a@cliente.cl"


def test_inline_forward_keeps_the_attachments_that_came_with_it() -> None:
    original = forwarded("gmail-inline-en.eml")
    assert original is not None
    assert [a.filename for a in original.attachments] == ["export-error.pdf"]


@pytest.mark.parametrize("name", ["not-forward-reply.eml", "not-forward-bounce.eml", "not-forward-plain.eml"])
def test_not_a_forward(name: str) -> None:
    assert forwarded(name) is None


def test_outlook_block_needs_a_forward_subject() -> None:
    raw = (FORWARDS / "outlook-web-en.eml").read_bytes().replace(b"Subject: FW: Login", b"Subject: Login")
    assert find_forwarded(parse_message(raw)) is None
    raw = (FORWARDS / "outlook-desktop-es.eml").read_bytes().replace(b"Subject: RV: ", b"Subject: ")
    assert find_forwarded(parse_message(raw)) is None


def test_gmail_marker_needs_no_forward_subject() -> None:
    raw = (FORWARDS / "gmail-inline-es.eml").read_bytes().replace(b"Subject: Fwd: ", b"Subject: ")
    original = find_forwarded(parse_message(raw))
    assert original is not None and original.from_addr == MARIA


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("María Pérez <maria.perez@cliente.cl>", MARIA),
        ("María Pérez [mailto:maria.perez@cliente.cl]", MARIA),
        ("María Pérez [mailto:Maria.Perez@Cliente.cl] ", MARIA),
        ('"María Pérez" <maria.perez@cliente.cl>', MARIA),
        ("María Pérez <maria.perez@cliente.cl<mailto:maria.perez@cliente.cl>>", MARIA),
        ("*María Pérez* <maria.perez@cliente.cl>", MARIA),
        ("maria.perez@cliente.cl", Address("", "maria.perez@cliente.cl")),
        ("<maria.perez@cliente.cl>", Address("", "maria.perez@cliente.cl")),
        ("María Pérez", None),
        ("", None),
    ],
)
def test_parse_address(value: str, expected: Address | None) -> None:
    assert parse_address(value) == expected


def test_forward_module_is_pure() -> None:
    import mailbot.parsers.forward as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"sqlalchemy", "imapclient", "smtplib", "imaplib", "socket", "requests", "alembic", "aiosmtpd"}


def test_huge_forward_finishes() -> None:
    # Long header-like lines and a long body: the scan is bounded, no clock needed.
    body = ("From: " + "x" * 1900 + "\n") * 3000 + "\n---------- Forwarded message ---------\n"
    body += "From: Peter Walsh <peter.walsh@northwind.example>\nSubject: Hi\n\n" + "text\n" * 100_000
    raw = ("From: anna.berg@example.com\nTo: support@example.com\nSubject: Fwd: Hi\n"
           "Content-Type: text/plain; charset=utf-8\n\n" + body).encode()
    original = find_forwarded(parse_message(raw))
    assert original is not None and original.from_addr == PETER
