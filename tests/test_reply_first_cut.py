"""extract_new_text: the new part of realistic replies is kept, the quote dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.parsers import extract_new_text, parse_message

FIXTURES = Path(__file__).parent / "fixtures" / "mail"


def fixture(name: str):
    return parse_message((FIXTURES / name).read_bytes())


def test_outlook_spanish_header_block() -> None:
    msg = fixture("outlook-reply-es.eml")
    new = extract_new_text(msg.text, msg.html, msg.content_language)
    assert new == (
        "Buenos días:\n\nYa probé a restablecer la contraseña y sigue sin funcionar. Adjunto no tengo "
        "ninguna captura porque la pantalla se queda en blanco.\n\nUn saludo,\nJuan García\nDepartamento de Compras"
    )


def test_outlook_html_only_reply() -> None:
    msg = fixture("outlook-reply-es.eml")
    new = extract_new_text("", msg.html, "es")
    assert new.startswith("Buenos días:") and new.endswith("Departamento de Compras")
    assert "Hola Juan" not in new and "Enviado:" not in new


def test_thunderbird_on_wrote() -> None:
    msg = fixture("thunderbird-reply-en.eml")
    new = extract_new_text(msg.text, msg.html, msg.content_language)
    assert new.startswith("Hi,\n\nI tried the nightly build you suggested")
    assert new.endswith("more than 1000 rows.\n\nAlex")
    assert "Could you try" not in new and "wrote:" not in new


def test_apple_mail_quote_and_iphone_footer() -> None:
    msg = fixture("apple-mail-reply-es.eml")
    assert extract_new_text(msg.text) == "Perfecto, ya funciona. Muchas gracias por la rapidez."


def test_new_message_is_kept_whole() -> None:
    msg = fixture("gmail-new-es.eml")
    assert extract_new_text(msg.text, msg.html, "es") == msg.text.strip()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Gracias, ya me funciona.\n\nEl lun, 3 jun 2024 a las 11:40, Soporte (<soporte@example.com>)\n"
            "escribió:\n\n> Hola Lucía:\n> Prueba ahora.\n",
            "Gracias, ya me funciona.",
            id="gmail-es-wrapped-header",
        ),
        pytest.param(
            "Sigue igual.\n\nEl 3/6/2024 a las 10:15, Soporte escribió:\nHola, ¿puedes probar otra vez?\n",
            "Sigue igual.",
            id="es-header-unquoted-original",
        ),
        pytest.param(
            "Hi,\n\nStill broken after the update.\n\nThanks\nMark\n\n-----Original Message-----\n"
            "From: Support <support@example.com>\nSent: Monday, June 3, 2024 10:15 AM\n"
            "To: Mark Ellis <mark@contoso.example>\nSubject: RE: [#1301] Licence renewal\n\nHello Mark, please update.\n",
            "Hi,\n\nStill broken after the update.\n\nThanks\nMark",
            id="outlook-original-message",
        ),
        pytest.param(
            "Adjunto el justificante.\n\n-----Mensaje original-----\nDe: Soporte\nEnviado el: lunes\n\nTexto viejo\n",
            "Adjunto el justificante.",
            id="outlook-mensaje-original",
        ),
        pytest.param(
            "Hi team,\n\nSee below.\n\nFrom: Alice <alice@x.example>\nSent: Tuesday\nTo: Bob <bob@y.example>\n"
            "Subject: Contract\n\nOriginal stuff\n",
            "Hi team,\n\nSee below.",
            id="outlook-from-block-en",
        ),
        pytest.param(
            "On Mon, Jun 3, 2024 at 10:15 AM Support <support@example.com> wrote:\n> Can you send the logs?\n\n"
            "Sure, attached are the logs from today.\n",
            "Sure, attached are the logs from today.",
            id="bottom-posted",
        ),
        pytest.param(
            "> Which version are you using?\n4.2.1\n> Which OS?\nWindows 11\n",
            "4.2.1\nWindows 11",
            id="inline-answers",
        ),
        pytest.param("It works now.\n\n-- \nJohn Smith\nACME Corp | +1 555 0100\n", "It works now.", id="signature"),
        pytest.param("The export fails.\n\nSent from my iPhone", "The export fails.", id="sent-from-iphone"),
        pytest.param(
            "On Monday the export failed again.\nI tried twice.",
            "On Monday the export failed again.\nI tried twice.",
            id="not-a-header",
        ),
        pytest.param("> only quoted\n> text\n", "", id="nothing-new"),
        pytest.param("", "", id="empty"),
    ],
)
def test_replies(text: str, expected: str) -> None:
    assert extract_new_text(text) == expected


def test_crlf_input() -> None:
    text = "Vale, gracias.\r\n\r\nOn Tue, 4 Jun 2024, Support wrote:\r\n> ok\r\n"
    assert extract_new_text(text) == "Vale, gracias."


def test_never_empty_when_something_was_written() -> None:
    # Only a header line and quotes: the header line is all the sender wrote.
    assert extract_new_text("On Mon, Support wrote:\n> hola\n") == "On Mon, Support wrote:"
    assert extract_new_text("-- \nJohn") == "--\nJohn"  # all signature: kept


def test_long_lines_stay_fast() -> None:
    import time

    text = "On " + "word " * 40_000 + "\n\nOn Mon, X wrote:\n> old"
    start = time.perf_counter()
    new = extract_new_text(text)
    assert time.perf_counter() - start < 2.0
    assert new.startswith("On word word") and "old" not in new
