"""End to end against real servers on loopback: SMTP → pymap → daemon → SMTP → pymap.

Every assertion is on what a person would see: the mail in the customer's mailbox,
the ticket in the database, the INBOX left empty.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.models import InboundMail, Message, Outbox, Quarantine, Ticket
from mailbot.testing.mailservers import MailServers, wait_until

MARIA = "maria.gonzalez@cliente-demo.cl"
JOHN = "john.smith@example-customer.com"
SOPORTE = "soporte@menteautonoma.cl"
EMERGENCIAS = "emergencias@menteautonoma.cl"


def mail(sender: str, to: str, subject: str, body: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def deliver(servers: MailServers, msg: EmailMessage, to: str | None = None) -> str:
    servers.send(str(msg["From"]), [to or str(msg["To"])], msg.as_bytes())
    return str(msg["Message-ID"]).strip("<>")


def inbox(servers: MailServers, login: str) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(raw, policy=email.policy.default) for raw in servers.messages(login)]  # type: ignore[misc]


def ticket_of(app: App, message_id: str) -> int | None:
    with app.sessions() as s:
        return s.scalar(select(Message.ticket_id).where(Message.message_id == message_id))


def wait_ticket(app: App, message_id: str, timeout: float = 20) -> int:
    assert wait_until(lambda: ticket_of(app, message_id) is not None, timeout=timeout), f"<{message_id}> never reached a ticket"
    return ticket_of(app, message_id)  # type: ignore[return-value]


def wait_processed(app: App, count: int, timeout: float = 30) -> None:
    def done() -> bool:
        with app.sessions() as s:
            return (s.scalar(select(func.count(InboundMail.id)).where(InboundMail.state != "pending")) or 0) >= count
    assert wait_until(done, timeout=timeout), f"fewer than {count} messages processed"


def wait_outbox_idle(app: App, timeout: float = 20) -> None:
    def idle() -> bool:
        with app.sessions() as s:
            return not s.scalar(select(func.count(Outbox.id)).where(Outbox.status == "queued"))
    assert wait_until(idle, timeout=timeout), "outbox still has queued mail"


def test_new_mail_becomes_ticket_and_customer_gets_spanish_ack(servers, app, daemon):
    msg_id = deliver(servers, mail(MARIA, SOPORTE, "Error al generar la factura",
                                   "Hola, desde hoy el sistema muestra un error al generar la factura electrónica. "
                                   "¿Pueden ayudarnos? Gracias."))
    number = wait_ticket(app, msg_id)
    assert wait_until(lambda: len(servers.messages("maria")) == 1, timeout=20)
    ack = inbox(servers, "maria")[0]
    assert str(ack["Subject"]).startswith(f"[MA-{number:06d}]")
    assert "Error al generar la factura" in str(ack["Subject"])
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == f"<{msg_id}>"
    assert f"<{msg_id}>" in ack["References"]
    assert str(ack["Reply-To"]).startswith(f"soporte+ma{number:06d}-")
    assert ack["Content-Language"] == "es"
    body = ack.get_body(("plain",)).get_content()
    assert f"MA-{number:06d}" in body and "solicitud" in body.lower()
    assert ack.get_body(("html",)) is not None
    with app.sessions() as s:
        t = s.get(Ticket, number)
        assert (t.status, t.language, t.requester.email) == ("open", "es", MARIA)
    # The customer's message left the INBOX only after it was recorded.
    assert wait_until(lambda: servers.count("soporte") == 0 and servers.count("soporte", "Processed") == 1, timeout=10)


def test_english_mail_gets_english_ack(servers, app, daemon):
    msg_id = deliver(servers, mail(JOHN, SOPORTE, "Question about user permissions",
                                   "Hello team, how can I give a colleague read-only access to the reports? Thanks a lot."))
    number = wait_ticket(app, msg_id)
    assert wait_until(lambda: len(servers.messages("john")) == 1, timeout=20)
    ack = inbox(servers, "john")[0]
    assert ack["Content-Language"] == "en"
    body = ack.get_body(("plain",)).get_content()
    assert f"MA-{number:06d}" in body and "request" in body.lower()


def test_basic_customer_to_emergencias_is_critical_and_told_about_premium(servers, app, daemon):
    msg_id = deliver(servers, mail(JOHN, EMERGENCIAS, "Everything is down", "Our production system is down, nobody can work."))
    number = wait_ticket(app, msg_id)
    with app.sessions() as s:
        t = s.get(Ticket, number)
        assert (t.severity, t.level, t.mailbox) == ("critical", 3, "emergencias")
    assert wait_until(lambda: len(servers.messages("john")) == 1, timeout=20)
    body = inbox(servers, "john")[0].get_body(("plain",)).get_content().lower()
    assert "premium" in body


def _ack_for(servers: MailServers, login: str) -> email.message.EmailMessage:
    assert wait_until(lambda: len(servers.messages(login)) >= 1, timeout=20)
    return inbox(servers, login)[0]


@pytest.mark.parametrize("shape", ["token", "gmail", "outlook", "thunderbird"])
def test_replies_thread_into_the_same_ticket_without_new_ack(servers, app, daemon, shape):
    first = deliver(servers, mail(MARIA, SOPORTE, "No puedo exportar a Excel", "Al exportar el reporte mensual no pasa nada."))
    number = wait_ticket(app, first)
    ack = _ack_for(servers, "maria")
    ack_id = str(ack["Message-ID"])
    if shape == "token":
        # A plain "Reply" goes to the Reply-To address; no threading headers at all.
        reply = mail(MARIA, str(ack["Reply-To"]), "otra cosa", "Adjunto más detalles del problema.")
    elif shape == "gmail":
        reply = mail(MARIA, SOPORTE, f"Re: {ack['Subject']}", "Más detalles.\n\nEl lun, Soporte escribió:\n> Hemos recibido",
                     In_Reply_To=ack_id, References=f"<{first}> {ack_id}")
    elif shape == "outlook":
        # Outlook keeps References but its In-Reply-To may name only the last message, and adds Thread-Index.
        reply = mail(MARIA, SOPORTE, f"RE: {ack['Subject']}", "Más detalles desde Outlook.",
                     References=f"<{first}> {ack_id}", Thread_Index="AQHZ1234567890abcdef==")
    else:
        reply = mail(MARIA, SOPORTE, f"Re: {ack['Subject']}", "Más detalles desde Thunderbird.",
                     In_Reply_To=ack_id, References=f"<{first}> {ack_id}", User_Agent="Mozilla Thunderbird")
    reply_id = deliver(servers, reply, to=str(reply["To"]))
    assert wait_ticket(app, reply_id) == number
    wait_outbox_idle(app)
    assert len(servers.messages("maria")) == 1, "a follow-up in the thread must not get a second ack"


def test_subject_tag_threads_only_for_participants(servers, app, daemon):
    first = deliver(servers, mail(MARIA, SOPORTE, "Consulta sobre usuarios", "¿Cómo agrego un usuario nuevo?"))
    number = wait_ticket(app, first)
    tag = f"[MA-{number:06d}]"
    same = deliver(servers, mail(MARIA, SOPORTE, f"{tag} una pregunta más", "Y también, ¿cómo lo desactivo?"))
    assert wait_ticket(app, same) == number
    stranger = deliver(servers, mail(JOHN, SOPORTE, f"{tag} let me in", "I would like to see this ticket please."))
    other = wait_ticket(app, stranger)
    assert other != number, "a stranger quoting someone else's tag must get a ticket of their own"


def test_reply_to_resolved_ticket_reopens_it(servers, app, daemon):
    first = deliver(servers, mail(MARIA, SOPORTE, "Clave olvidada", "Olvidé mi clave de acceso."))
    number = wait_ticket(app, first)
    ack = _ack_for(servers, "maria")
    with app.sessions.begin() as s:
        s.get(Ticket, number).status = "resolved"
    reply = deliver(servers, mail(MARIA, str(ack["Reply-To"]), "Re: clave", "Sigue sin funcionar."))
    assert wait_ticket(app, reply) == number
    with app.sessions() as s:
        t = s.get(Ticket, number)
        assert t.status == "open"
        kinds = [e.kind for e in t.events]
        assert kinds[-2:] == ["reopened", "agents-notified"]


def test_out_of_office_and_bounce_get_no_ack_and_acks_are_rate_limited(servers, app, daemon):
    first = deliver(servers, mail(MARIA, SOPORTE, "Problema con reportes", "El reporte de ventas no carga."))
    number = wait_ticket(app, first)
    ack = _ack_for(servers, "maria")
    ooo = deliver(servers, mail(MARIA, str(ack["Reply-To"]), f"Respuesta automática: {ack['Subject']}",
                                "Estoy fuera de la oficina hasta el lunes.", Auto_Submitted="auto-replied",
                                In_Reply_To=str(ack["Message-ID"])))
    assert wait_ticket(app, ooo) == number
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@cliente-demo.cl"
    bounce["To"] = SOPORTE
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = make_msgid(domain="cliente-demo.cl")
    bounce["Auto-Submitted"] = "auto-replied"
    bounce.set_content("This is the mail system at host cliente-demo.cl. I'm sorry to have to inform you...")
    servers.send("", [SOPORTE], bounce.as_bytes())
    # A second brand-new problem from the same sender within the hour: a ticket, but no second ack.
    second = deliver(servers, mail(MARIA, SOPORTE, "Otro problema distinto", "Tampoco puedo imprimir las boletas."))
    second_ticket = wait_ticket(app, second)
    assert second_ticket != number
    wait_processed(app, 4)
    wait_outbox_idle(app)
    assert len(servers.messages("maria")) == 1
    assert servers.messages("john") == []
    with app.sessions() as s:
        states = dict(s.execute(select(InboundMail.message_id, InboundMail.state)).all())
        assert states[str(bounce["Message-ID"]).strip("<>")] == "ignored"
        assert s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "ack")) == 1


def _nested_multipart(depth: int) -> bytes:
    head = b"From: john.smith@example-customer.com\r\nTo: soporte@menteautonoma.cl\r\nSubject: deep\r\nMessage-ID: <deep@x>\r\nMIME-Version: 1.0\r\n"
    parts = [head + b'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n']
    for i in range(1, depth):
        parts.append(f'--b{i - 1}\r\nContent-Type: multipart/mixed; boundary="b{i}"\r\n\r\n'.encode())
    parts.append(f"--b{depth - 1}\r\nContent-Type: text/plain\r\n\r\nhola\r\n--b{depth - 1}--\r\n".encode())
    for i in range(depth - 2, -1, -1):
        parts.append(f"--b{i}--\r\n".encode())
    return b"".join(parts)


def test_bad_input_ends_as_ticket_or_quarantine_and_processing_goes_on(servers, app, daemon):
    big = EmailMessage()
    big["From"] = MARIA
    big["To"] = SOPORTE
    big["Subject"] = "Video del error"
    big["Message-ID"] = "<big@cliente-demo.cl>"
    big.set_content("Adjunto el video.")
    big.add_attachment(b"\0" * (30 * 1024 * 1024), maintype="application", subtype="octet-stream", filename="video.mp4")
    hostile = {
        # pymap refuses a zero-byte APPEND, so "empty" is the smallest message it stores: one blank line.
        "empty": b"\r\n",
        "png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "unknown-charset": (b"From: john.smith@example-customer.com\r\nTo: soporte@menteautonoma.cl\r\nSubject: charset\r\n"
                            b"Message-ID: <charset@x>\r\nContent-Type: text/plain; charset=x-klingon-9\r\n\r\nqapla\xe9 \xff\r\n"),
        "encoded-newline": (b"From: john.smith@example-customer.com\r\nTo: soporte@menteautonoma.cl\r\n"
                            b"Subject: =?utf-8?q?hello=0ABcc:_victim@example.com?=\r\nMessage-ID: <newline@x>\r\n\r\nbody\r\n"),
        # pymap itself hits RecursionError storing a 1,000-deep multipart, so over IMAP we send
        # 60 levels (3x our limit); test_pipeline.py feeds the 1,000-deep one straight to the pipeline.
        "deep": _nested_multipart(60),
        "big": big.as_bytes(),
    }
    for raw in hostile.values():
        servers.append("soporte", raw)
    after = deliver(servers, mail(JOHN, SOPORTE, "After the storm", "A normal question after the hostile ones, please help."))
    wait_processed(app, len(hostile) + 1, timeout=60)
    assert wait_ticket(app, after)
    with app.sessions() as s:
        rows = s.scalars(select(InboundMail).order_by(InboundMail.id)).all()
        assert all(r.state in ("done", "quarantined") for r in rows), [(r.id, r.state, r.outcome) for r in rows]
        quarantined = {r.message_id: r for r in rows if r.state == "quarantined"}
        reasons = {q.inbound_id: q.reason for q in s.scalars(select(Quarantine))}
        assert "max_multipart_depth" in reasons[quarantined["deep@x"].id]
        assert "max_message_bytes" in reasons[quarantined["big@cliente-demo.cl"].id]
        # Raw bytes are kept for every quarantined message.
        assert all(r.raw == hostile["big"] or r.size == len(r.raw) for r in quarantined.values())
        # The encoded newline never reaches a header we would echo.
        subject = s.scalar(select(Ticket.subject).join(Message).where(Message.message_id == "newline@x"))
        assert subject is not None and "\n" not in subject and "\r" not in subject
        assert s.scalar(select(Ticket.id).join(Message).where(Message.message_id == "charset@x")) is not None
    # The sender of the oversized mail is told politely which limit it crossed.
    assert wait_until(lambda: any("25 MB" in m.get_body(("plain",)).get_content() for m in inbox(servers, "maria")), timeout=20), \
        [m.get_body(("plain",)).get_content()[:600] for m in inbox(servers, "maria")]
