"""RFC 3834 loop protection on real fixtures and targeted variations of them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mailbot.domain import Address, ParsedAttachment, ParsedMessage
from mailbot.parsers import automation_reasons, is_bounce, parse_message

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
OWN = frozenset({"soporte@example.com", "Support@Example.com"})


def parse(name: str) -> ParsedMessage:
    return parse_message((FIXTURES / name).read_bytes())


def reasons(msg: ParsedMessage, **kwargs: str) -> tuple[str, ...]:
    return automation_reasons(msg, own_addresses=OWN, **kwargs)


HUMAN = parse("gmail-new-es.eml")


def variant(*headers: tuple[str, str], subject: str | None = None, sender: str | None = None,
            attachments: tuple[ParsedAttachment, ...] = ()) -> ParsedMessage:
    """The human Gmail message with these headers set / another subject or sender."""
    replaced = {name.lower() for name, _ in headers}
    kept = tuple((name, value) for name, value in HUMAN.headers if name not in replaced)
    return dataclasses.replace(
        HUMAN,
        headers=kept + tuple((name.lower(), value) for name, value in headers),
        subject=HUMAN.subject if subject is None else subject,
        from_addr=HUMAN.from_addr if sender is None else Address("", sender),
        attachments=attachments,
    )


@pytest.mark.parametrize(
    ("name", "expected", "bounce"),
    [
        ("out-of-office-es.eml", ("auto-submitted:auto-replied", "x-autoreply", "subject-auto-reply"), False),
        ("out-of-office-en-exchange.eml", ("auto-submitted:auto-generated", "subject-auto-reply"), False),
        ("bounce-dsn.eml", ("auto-submitted:auto-replied", "empty-return-path", "dsn", "mailer-daemon"), True),
        ("mailing-list.eml", ("precedence:list", "list-id", "list-unsubscribe"), False),
        ("gmail-new-es.eml", (), False),
        ("outlook-reply-es.eml", (), False),
        ("thunderbird-reply-en.eml", (), False),
        ("apple-mail-reply-es.eml", (), False),
        ("attachment-pdf.eml", (), False),
        ("empty.eml", (), False),
    ],
)
def test_fixtures(name: str, expected: tuple[str, ...], bounce: bool) -> None:
    found = reasons(parse(name))
    assert found == expected
    assert is_bounce(found) is bounce


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ((("Auto-Submitted", "no"),), ()),
        ((("Auto-Submitted", "Auto-Replied; owner-email=x@y.z"),), ("auto-submitted:auto-replied",)),
        ((("Precedence", "Bulk"),), ("precedence:bulk",)),
        ((("Precedence", "junk"),), ("precedence:junk",)),
        ((("Precedence", "auto_reply"),), ("precedence:auto_reply",)),
        ((("Precedence", "first-class"),), ()),
        ((("Return-Path", "< >"),), ("empty-return-path",)),
        ((("Return-Path", "<mariajose.perez@gmail.com>"),), ()),
        ((("Content-Type", "multipart/report; report-type=delivery-status; boundary=x"),), ("dsn",)),
        ((("Content-Type", 'multipart/mixed; report-type="delivery-status"'),), ("dsn",)),
        ((("X-Autorespond", "yes"),), ("x-autoreply",)),
        # Outlook asks not to be auto-answered; that alone does not make it automatic
        ((("X-Auto-Response-Suppress", "All"),), ()),
        ((("X-Mailbot-Loop", "mailbot-1"),), ("loop-header",)),
    ],
)
def test_header_reasons(headers: tuple[tuple[str, str], ...], expected: tuple[str, ...]) -> None:
    assert reasons(variant(*headers)) == expected


def test_loop_header_value_must_match_when_given() -> None:
    msg = variant(("X-Mailbot-Loop", "other-install"))
    assert reasons(msg, loop_value="mailbot-1") == ()
    assert reasons(msg, loop_value="other-install") == ("loop-header",)
    assert reasons(variant(("X-Ticket-Loop", "1")), loop_header="X-Ticket-Loop") == ("loop-header",)


def test_delivery_status_part_is_a_dsn() -> None:
    report = ParsedAttachment("attachment-1.txt", "message/delivery-status", b"Action: failed\n")
    found = reasons(variant(attachments=(report,)))
    assert found == ("dsn",) and is_bounce(found)


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("MAILER-DAEMON@mx.example.com", ("mailer-daemon",)),
        ("postmaster@example.org", ("mailer-daemon",)),
        ("No-Reply@shop.example", ("mailer-daemon",)),
        ("noreply+orders@shop.example", ("mailer-daemon",)),
        ("do-not-reply@bank.example", ("mailer-daemon",)),
        ("donotreply@bank.example", ("mailer-daemon",)),
        ("reply@shop.example", ()),
        ("soporte@example.com", ("own-address",)),
        ("SOPORTE+1234@example.com", ("own-address",)),
        ("support@example.com", ("own-address",)),
        ("soporte@example.com.evil.example", ()),
    ],
)
def test_sender_reasons(sender: str, expected: tuple[str, ...]) -> None:
    assert reasons(variant(sender=sender)) == expected


def test_only_the_mailer_daemon_kind_is_a_bounce() -> None:
    assert is_bounce(("mailer-daemon",)) and is_bounce(("empty-return-path",))
    assert not is_bounce(("auto-submitted:auto-replied", "subject-auto-reply", "own-address"))
    assert not is_bounce(())


@pytest.mark.parametrize(
    ("subject", "automatic"),
    [
        ("Auto: [#12] Pedido", True),
        ("Automatic reply: Licence renewal", True),
        ("Respuesta automática: Pedido pendiente", True),
        ("RESPUESTA AUTOMÁTICA: pedido", True),
        ("Out of Office: back Monday", True),
        ("Fuera de la oficina hasta el lunes", True),
        ("Autoreply: thanks for writing", True),
        ("Réponse automatique : absent", True),
        ("Auto insurance quote", False),
        ("RE: Out of Office question", False),
        ("¿Tenéis respuesta automática para pedidos?", False),
        ("Automóvil averiado", False),
    ],
)
def test_subject_patterns(subject: str, automatic: bool) -> None:
    assert (reasons(variant(subject=subject)) == ("subject-auto-reply",)) is automatic
