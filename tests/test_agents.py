"""Agents work from their mail client, end to end against real servers on loopback.

The cast: María (customer), two agents (agente@, ana@) on every level. Each test reads
what a person would: the notification in the agent's mailbox, the reply in the
customer's mailbox, the confirmation back in the agent's, and the ticket's state.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select

from mailbot.app import App, build_app
from mailbot.config import load_settings
from mailbot.db import migrate
from mailbot.lifecycle import run_lifecycle
from mailbot.models import InboundMail, Message, Outbox, Quarantine, Ticket, TicketEvent
from mailbot.testing.loopback import loopback_config_text
from mailbot.testing.mailservers import Mailbox, MailServers, default_demo_mailboxes, wait_until

MARIA = "maria.gonzalez@cliente-demo.cl"
AGENTE = "agente@menteautonoma.cl"
ANA = "ana@menteautonoma.cl"
SOPORTE = "soporte@menteautonoma.cl"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[MailServers]:
    cast = default_demo_mailboxes() + [Mailbox("ana", "demo-ana", (ANA,)),
                                       Mailbox("pedro", "demo-pedro", ("pedro@otra-empresa.cl",))]
    with MailServers(tmp_path / "mail", cast) as s:
        yield s


@pytest.fixture
def app(tmp_path: Path, servers: MailServers, database_url: str) -> Iterator[App]:
    text = loopback_config_text(tmp_path, servers, database_url, poll_seconds=2.0)
    text = re.sub(r"\[teams\].*", f'[teams]\nlevel1 = ["{AGENTE}", "{ANA}"]\nlevel2 = ["{AGENTE}", "{ANA}"]\n'
                                  f'level3 = ["{AGENTE}", "{ANA}"]\n', text, flags=re.DOTALL)
    path = tmp_path / "mailbot.toml"
    path.write_text(text, encoding="utf-8")
    migrate(load_settings(path).database_url)
    application = build_app(load_settings(path))
    yield application
    application.engine.dispose()


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def mailbox(servers: MailServers, login: str) -> list[EmailMessage]:
    return [parsed(raw) for raw in servers.messages(login)]


def wait_mail(servers: MailServers, login: str, predicate, timeout: float = 25) -> EmailMessage:  # type: ignore[no-untyped-def]
    found: list[EmailMessage] = []

    def look() -> bool:
        found[:] = [m for m in mailbox(servers, login) if predicate(m)]
        return bool(found)
    assert wait_until(look, timeout=timeout), f"no matching mail reached {login}: {[str(m['Subject']) for m in mailbox(servers, login)]}"
    return found[-1]


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    return part.get_content() if part is not None else ""


def customer_writes(servers: MailServers, subject: str, body: str, attachment: bytes | None = None) -> str:
    msg = EmailMessage()
    msg["From"] = f"María González <{MARIA}>"
    msg["To"] = SOPORTE
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="cliente-demo.cl")
    msg.set_content(body)
    if attachment is not None:
        msg.add_attachment(attachment, maintype="image", subtype="png", filename="pantallazo.png")
    servers.send(MARIA, [SOPORTE], msg.as_bytes())
    return str(msg["Message-ID"]).strip("<>")


def customer_replies(servers: MailServers, to: EmailMessage, body: str) -> str:
    """María presses Reply on a mail she got from us."""
    msg = EmailMessage()
    msg["From"] = MARIA
    msg["To"] = str(to["Reply-To"])
    msg["Subject"] = "Re: " + str(to["Subject"])
    msg["Message-ID"] = make_msgid(domain="cliente-demo.cl")
    msg["In-Reply-To"] = str(to["Message-ID"])
    msg.set_content(body)
    servers.send(MARIA, [str(msg["To"])], msg.as_bytes())
    return str(msg["Message-ID"]).strip("<>")


def notification(servers: MailServers, login: str, ref: str, kind: str = "") -> EmailMessage:
    return wait_mail(servers, login, lambda m: f"[{ref}]" in str(m["Subject"]) and kind in str(m["Subject"])
                     and m["Reply-To"] is not None and "-a" in str(m["Reply-To"]))


def agent_reply(servers: MailServers, note: EmailMessage, sender: str, new_text: str, shape: str = "gmail",
                to: str | None = None, html: str | None = None) -> str:
    """An agent's "Reply" to a notification, in the shape a real client writes it."""
    quoted = text_of(note)
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = to or str(note["Reply-To"])
    reply["Subject"] = "Re: " + str(note["Subject"])
    reply["Message-ID"] = make_msgid(domain="menteautonoma.cl")
    reply["In-Reply-To"] = str(note["Message-ID"])
    reply["References"] = f"{note['References'] or ''} {note['Message-ID']}".strip()
    if shape == "gmail":
        body = (f"{new_text}\n\nEl jue, 26 nov 2026 a las 10:15, Soporte Mente Autónoma <{SOPORTE}> escribió:\n"
                + "".join(f"> {line}\n" for line in quoted.splitlines()))
    elif shape == "outlook":
        body = (f"{new_text}\n\n________________________________\nDe: Soporte Mente Autónoma <{SOPORTE}>\n"
                f"Enviado: jueves, 26 de noviembre de 2026 10:15\nPara: {sender}\nAsunto: {note['Subject']}\n\n{quoted}\n")
    else:  # thunderbird
        body = (f"{new_text}\n\nEl 26/11/26 a las 10:15, Soporte Mente Autónoma escribió:\n"
                + "".join(f"> {line}\n" for line in quoted.splitlines()))
    reply.set_content(body)
    if html is not None:
        reply.add_alternative(html, subtype="html")
    servers.send(sender, [str(reply["To"])], reply.as_bytes())
    return str(reply["Message-ID"]).strip("<>")


def wait_stored(app: App, message_id: str, timeout: float = 25) -> None:
    """Until the pipeline has dealt with the message (whatever it decided)."""
    def processed() -> bool:
        with app.sessions() as s:
            state = s.scalar(select(InboundMail.state).where(InboundMail.message_id == message_id))
            return state is not None and state != "pending"
    assert wait_until(processed, timeout=timeout), f"<{message_id}> was not processed"


def ticket(app: App, number: int) -> Ticket:
    with app.sessions() as s:
        t = s.get(Ticket, number)
        s.expunge(t)
        return t


def events(app: App, number: int) -> list[tuple[str, str]]:
    with app.sessions() as s:
        return [(e.kind, e.detail) for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == number).order_by(TicketEvent.id))]


def open_ticket(servers: MailServers, app: App, subject: str = "Error al generar la factura",
                body: str = "Hola, desde hoy el sistema muestra un error al generar la factura electrónica.",
                attachment: bytes | None = None) -> tuple[int, str, str]:
    msg_id = customer_writes(servers, subject, body, attachment)
    wait_stored(app, msg_id)
    with app.sessions() as s:
        number = s.scalar(select(Message.ticket_id).where(Message.message_id == msg_id))
    assert number is not None
    return number, f"MA-{number:06d}", msg_id


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# ---- notifications and the round trip --------------------------------------------------------


@pytest.mark.parametrize("shape", ["gmail", "outlook", "thunderbird"])
def test_round_trip_customer_agent_customer(servers, app, daemon, shape):
    number, ref, customer_msg = open_ticket(servers, app, attachment=PNG)
    note = notification(servers, "agente", ref, "Nuevo ticket")
    # The notification: the customer's words, a ticket header, attachments, a signed per-agent Reply-To.
    assert "error al generar la factura electrónica" in text_of(note)
    assert "#estado" in text_of(note) and "Primera respuesta antes de" in text_of(note)
    assert [p.get_filename() for p in note.iter_attachments()] == ["pantallazo.png"]
    assert re.fullmatch(rf"soporte\+ma{number:06d}-a[a-z2-7]{{8}}-[a-z2-7]{{12}}@menteautonoma\.cl", str(note["Reply-To"]))
    assert note["Auto-Submitted"] == "auto-generated"
    # Ana got her own copy with her own address.
    assert notification(servers, "ana", ref)["Reply-To"] != note["Reply-To"]

    html = None
    if shape == "outlook":
        html = ('<html><body><div class="WordSection1"><p class="MsoNormal">Hola María, ya corregimos el folio. '
                'Por favor intente de nuevo.</p></div><div id="divRplyFwdMsg"><b>De:</b> Soporte<br><b>Enviado:</b> '
                'jueves<br></div><div>cita del cliente: error al generar la factura electrónica</div></body></html>')
    reply_id = agent_reply(servers, note, f"Agente Uno <{AGENTE}>",
                           "Hola María, ya corregimos el folio. Por favor intente de nuevo.", shape, html=html)
    answer = wait_mail(servers, "maria", lambda m: "ya corregimos el folio" in text_of(m))
    body = text_of(answer)
    assert "error al generar la factura electrónica" not in body  # the quoted notification is gone
    assert "#estado" not in body and "escribió" not in body and "Enviado:" not in body
    assert AGENTE not in answer.as_string()  # the agent's own address never reaches the customer
    assert str(answer["From"]).endswith(f"<{SOPORTE}>")
    assert answer["In-Reply-To"] == f"<{customer_msg}>" and f"<{customer_msg}>" in str(answer["References"])
    assert str(answer["Subject"]).startswith(f"[{ref}]")
    assert str(answer["Reply-To"]).startswith(f"soporte+ma{number:06d}-") and "-a" not in str(answer["Reply-To"]).split("-", 1)[1][:2]
    t = ticket(app, number)
    assert t.first_responded_at is not None and t.assignee_id is not None
    with app.sessions() as s:
        stored = s.scalar(select(Message).where(Message.message_id == reply_id))
        assert (stored.author_kind, stored.internal) == ("agent", False)


def test_customer_reply_notifies_agents_in_the_same_thread(servers, app, daemon):
    number, ref, _ = open_ticket(servers, app)
    first = notification(servers, "agente", ref, "Nuevo ticket")
    ack = wait_mail(servers, "maria", lambda m: f"[{ref}]" in str(m["Subject"]))
    customer_replies(servers, ack, "Adjunto más detalles: el folio es 4471.")
    second = wait_mail(servers, "agente", lambda m: "folio es 4471" in text_of(m))
    assert str(second["Subject"]).startswith(f"[{ref}] Re:")
    # Stable thread root: both notifications name the same References root.
    assert second["References"] == first["References"] and second["Reply-To"] == first["Reply-To"]


# ---- commands -------------------------------------------------------------------------------


def test_commands_change_the_ticket_without_writing_to_the_customer(servers, app, daemon):
    number, ref, _ = open_ticket(servers, app)
    due_before = ticket(app, number).first_response_due_at
    note = notification(servers, "agente", ref, "Nuevo ticket")
    reply_id = agent_reply(servers, note, AGENTE, "#prioridad crítica\n#estado esperando\n#asignar ana")
    wait_stored(app, reply_id)
    t = ticket(app, number)
    assert (t.severity, t.status, t.level) == ("critical", "waiting", 3)
    assert t.first_response_due_at != due_before  # recomputed from the critical row of the table
    kinds = [k for k, _ in events(app, number)]
    assert {"severity", "paused", "assigned", "status"} <= set(kinds)
    confirmation = wait_mail(servers, "agente", lambda m: "Cambios aplicados" in str(m["Subject"]))
    assert "critical" in text_of(confirmation) and "ana@menteautonoma.cl" in text_of(confirmation)
    # Only the ack ever reached María: a mail of commands writes nothing to the customer.
    assert len(servers.messages("maria")) == 1


def test_english_commands_and_the_satisfaction_question(servers, app, daemon):
    number, ref, _ = open_ticket(servers, app)
    note = notification(servers, "agente", ref, "Nuevo ticket")
    agent_reply(servers, note, AGENTE, "#status resolved\n#severity general\nThe invoice numbering is fixed now.")
    resolution = wait_mail(servers, "maria", lambda m: "invoice numbering is fixed" in text_of(m))
    assert "del 1 (muy mala) al 5 (excelente)" in text_of(resolution)
    links = re.findall(r"mailto:(soporte\+ma\d{6}-r[1-5]-[a-z2-7]{12}@menteautonoma\.cl)", text_of(resolution))
    assert len(links) == 5
    assert ticket(app, number).status == "resolved"
    # María answers with a bare "5": recorded, thanked once, the ticket stays resolved.
    customer_replies(servers, resolution, "5\n\nEl jue, 26 nov 2026, Soporte escribió:\n> Dimos su caso por resuelto")
    wait_mail(servers, "maria", lambda m: "Gracias por su evaluación" in str(m["Subject"]))
    # A second answer through a mailto link is kept as a repeat, not thanked again.
    link = EmailMessage()
    link["From"] = MARIA
    link["To"] = links[2]
    link["Subject"] = f"{ref} evaluación 3"
    link["Message-ID"] = make_msgid(domain="cliente-demo.cl")
    link.set_content("")
    servers.send(MARIA, [links[2]], link.as_bytes())
    wait_stored(app, str(link["Message-ID"]).strip("<>"))
    kinds = events(app, number)
    assert ("satisfaction", "5") in kinds and ("satisfaction-repeat", "3") in kinds
    assert ticket(app, number).status == "resolved"
    assert sum("Gracias por su evaluación" in str(m["Subject"]) for m in mailbox(servers, "maria")) == 1


def test_command_in_quoted_text_does_nothing_and_bad_commands_change_nothing(servers, app, daemon):
    number, ref, _ = open_ticket(servers, app, body="Hola, no puedo entrar.\n#estado cerrado\nGracias")
    note = notification(servers, "agente", ref, "Nuevo ticket")
    # The customer's "#estado cerrado" is now only in the quoted part of the agent's reply.
    first = agent_reply(servers, note, AGENTE, "Hola María, estamos revisando.")
    wait_mail(servers, "maria", lambda m: "estamos revisando" in text_of(m))
    assert ticket(app, number).status == "open"
    level = ticket(app, number).level
    second = agent_reply(servers, note, AGENTE, "#estado volando\n#nivel 9\nEsto no debe llegar al cliente.")
    wait_stored(app, second)
    rejected = wait_mail(servers, "agente", lambda m: "nada cambió" in str(m["Subject"]))
    assert "#estado volando" in text_of(rejected) and "#prioridad critica|importante|general" in text_of(rejected)
    t = ticket(app, number)
    assert (t.status, t.level) == ("open", level)
    assert not any("no debe llegar" in text_of(m) for m in mailbox(servers, "maria"))
    assert first


def test_customer_commands_are_just_text(servers, app, daemon):
    number, ref, _ = open_ticket(servers, app)
    ack = wait_mail(servers, "maria", lambda m: f"[{ref}]" in str(m["Subject"]))
    wait_stored(app, customer_replies(servers, ack, "#status closed\n#prioridad critica\nYa no importa."))
    t = ticket(app, number)
    assert (t.status, t.severity) == ("open", "important")


def test_internal_note_reaches_the_other_agents_only(servers, app, daemon):
    number, ref, _ = open_ticket(servers, app)
    note = notification(servers, "agente", ref, "Nuevo ticket")
    reply_id = agent_reply(servers, note, AGENTE, "#interno\nRevisar el log del servidor de facturas, puede ser el certificado.")
    shared = wait_mail(servers, "ana", lambda m: "Nota interna" in str(m["Subject"]))
    assert "puede ser el certificado" in text_of(shared)
    with app.sessions() as s:
        assert s.scalar(select(Message.internal).where(Message.message_id == reply_id)) is True
    assert not any("certificado" in text_of(m) for m in mailbox(servers, "maria"))
    assert not any("Nota interna" in str(m["Subject"]) for m in mailbox(servers, "agente"))


# ---- who may act ------------------------------------------------------------------------------


def _forge(servers: MailServers, sender: str, to: str, subject: str, body: str) -> str:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="menteautonoma.cl")
    msg.set_content(body)
    servers.send(sender, [to], msg.as_bytes())
    return str(msg["Message-ID"]).strip("<>")


def test_spoofed_and_tampered_agent_mail_changes_nothing(servers, app, daemon):
    number, ref, _ = open_ticket(servers, app)
    other, other_ref, _ = open_ticket(servers, app, subject="Consulta de usuarios", body="¿Cómo agrego un usuario?")
    note = notification(servers, "agente", ref, "Nuevo ticket")
    token = str(note["Reply-To"])
    ack = wait_mail(servers, "maria", lambda m: f"[{ref}]" in str(m["Subject"]))
    attempts = [
        # an agent's From, but to the customer's reply address (no agent token)
        (AGENTE, str(ack["Reply-To"])),
        # agente's valid token, but From Ana
        (ANA, token),
        # agente's valid token, From someone who is not an agent at all
        ("pedro@otra-empresa.cl", token),
        # a tampered signature
        (AGENTE, token[:-len("@menteautonoma.cl") - 1] + ("a" if token[-len("@menteautonoma.cl") - 1] != "a" else "b") + "@menteautonoma.cl"),
        # the token of ticket 1 with ticket 2's number put in
        (AGENTE, token.replace(f"ma{number:06d}", f"ma{other:06d}")),
    ]
    ids = [_forge(servers, sender, to, f"Re: [{ref}]", "#estado cerrado\n#nivel 4\nCerrado por mí.") for sender, to in attempts]
    for message_id in ids:
        wait_stored(app, message_id)
    for n in (number, other):
        t = ticket(app, n)
        assert (t.status, t.level) == ("open", 2 if n == number else 1)
    assert not any("Cerrado por mí" in text_of(m) for m in mailbox(servers, "maria"))
    with app.sessions() as s:
        reasons = list(s.scalars(select(Quarantine.reason)))
    assert len(reasons) == 5 and all(r.startswith("agent mail not accepted") for r in reasons)
    assert any("belongs to another agent" in r for r in reasons) and any("not a configured agent" in r for r in reasons)
    assert sum("signature is not valid" in r for r in reasons) == 2
    # The real agent is told, at most once an hour.
    notices = [m for m in mailbox(servers, "agente") if "no aceptado" in str(m["Subject"])]
    assert wait_until(lambda: len([m for m in mailbox(servers, "agente") if "no aceptado" in str(m["Subject"])]) == 1, timeout=10)
    assert len(notices) <= 1


# ---- tickets opened by agents, collisions, merge, lifecycle --------------------------------------


def test_agent_opens_a_ticket_for_a_customer_by_phone(servers, app, daemon):
    msg_id = _forge(servers, AGENTE, SOPORTE, "Llamada: no pueden emitir boletas",
                    "#solicitante pedro@otra-empresa.cl\n#canal telefono\nPedro llamó: el sistema no emite boletas desde las 9:00.")
    ack = wait_mail(servers, "pedro", lambda m: "MA-" in str(m["Subject"]))
    assert "boletas" in str(ack["Subject"])
    with app.sessions() as s:
        t = s.scalar(select(Ticket).join(Message).where(Message.message_id == msg_id))
        assert t.requester.email == "pedro@otra-empresa.cl" and t.assignee_id is not None
        assert any(e.kind == "opened-by-agent" and "phone" in e.detail for e in t.events)
    # A customer cannot do the same for somebody else.
    cust = customer_writes(servers, "Para otro", "#solicitante pedro@otra-empresa.cl\nÁbranle un ticket a Pedro.")
    wait_stored(app, cust)
    with app.sessions() as s:
        t = s.scalar(select(Ticket).join(Message).where(Message.message_id == cust))
        assert t.requester.email == MARIA


def test_two_agents_answering_at_once_are_both_told(servers, app, daemon):
    number, ref, _ = open_ticket(servers, app)
    mine = notification(servers, "agente", ref, "Nuevo ticket")
    hers = notification(servers, "ana", ref, "Nuevo ticket")
    agent_reply(servers, mine, AGENTE, "Respuesta de Agente: reinicie el módulo.")
    wait_mail(servers, "maria", lambda m: "reinicie el módulo" in text_of(m))
    agent_reply(servers, hers, ANA, "Respuesta de Ana: borre la caché.")
    wait_mail(servers, "maria", lambda m: "borre la caché" in text_of(m))
    wait_mail(servers, "agente", lambda m: "también respondió" in str(m["Subject"]))
    told = wait_mail(servers, "ana", lambda m: "también respondió" in str(m["Subject"]))
    assert AGENTE in text_of(told)


def test_merge_folds_a_ticket_into_another(servers, app, daemon):
    first, first_ref, _ = open_ticket(servers, app)
    second, second_ref, _ = open_ticket(servers, app, subject="Otra vez la factura", body="Sigue el error al generar la factura.")
    note = notification(servers, "agente", second_ref, "Nuevo ticket")
    reply_id = agent_reply(servers, note, AGENTE, f"#fusionar {first_ref}")
    wait_stored(app, reply_id)
    t = ticket(app, second)
    assert (t.status, t.merged_into_id) == ("closed", first)
    # A later reply through the merged ticket's notification lands in the surviving ticket.
    later = agent_reply(servers, note, AGENTE, "Seguimos en el ticket principal.")
    wait_mail(servers, "maria", lambda m: "Seguimos en el ticket principal" in text_of(m) and f"[{first_ref}]" in str(m["Subject"]))
    with app.sessions() as s:
        assert s.scalar(select(Message.ticket_id).where(Message.message_id == later)) == first


def test_resolved_ticket_closes_by_itself_after_seven_days(servers, app, daemon):
    number, ref, _ = open_ticket(servers, app)
    note = notification(servers, "agente", ref, "Nuevo ticket")
    reply_id = agent_reply(servers, note, AGENTE, "#estado resuelto")
    wait_stored(app, reply_id)
    assert ticket(app, number).status == "resolved"
    resolved_at = ticket(app, number).resolved_at
    real_clock = app.clock
    app.clock = lambda: resolved_at + timedelta(days=6, hours=23)
    run_lifecycle(app)
    assert ticket(app, number).status == "resolved"
    app.clock = lambda: resolved_at + timedelta(days=7, minutes=1)
    run_lifecycle(app)
    app.clock = real_clock
    assert ticket(app, number).status == "closed"
    assert any(k == "closed" for k, _ in events(app, number))
    with app.sessions() as s:
        assert s.scalar(select(Outbox.id).where(Outbox.kind == "reply", Outbox.ticket_id == number)) is not None


FORWARDS = Path(__file__).parent / "data" / "forwards"


@pytest.mark.parametrize("fixture, original", [
    ("outlook-desktop-es.eml", "maria.perez@cliente.cl"),
    ("gmail-inline-en.eml", "peter.walsh@northwind.example"),
    ("attached-rfc822.eml", None),
])
def test_agent_forward_opens_the_ticket_for_the_original_sender(servers, app, daemon, fixture, original):
    raw = (FORWARDS / fixture).read_bytes()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if original is None:  # the attached message's own From
        inner = next(p for p in msg.walk() if p.get_content_type() == "message/rfc822")
        original = email.utils.parseaddr(str(inner.get_payload(0)["From"]))[1].lower()
    msg.replace_header("From", f"Agente Uno <{AGENTE}>")
    msg.replace_header("To", SOPORTE)
    message_id = make_msgid(domain="menteautonoma.cl")
    msg.replace_header("Message-ID", message_id)
    # Straight into the INBOX: Outlook's one-line HTML is longer than SMTP allows without re-encoding.
    servers.append("soporte", msg.as_bytes())
    wait_stored(app, message_id.strip("<>"))
    with app.sessions() as s:
        t = s.scalar(select(Ticket).join(Message).where(Message.message_id == message_id.strip("<>")))
        assert t is not None and t.requester.email == original  # the customer's ticket, not the agent's
        assert AGENTE not in {p.email for p in t.participants if p.role != "agent"}
        assert not t.subject.lower().startswith(("rv:", "fwd:", "fw:"))
        assert any(e.kind == "opened-by-agent" and "forwarded" in e.detail for e in t.events)
        assert t.assignee_id is not None
        ack = s.scalar(select(Outbox).where(Outbox.ticket_id == t.id, Outbox.kind == "ack"))
        assert ack is not None and ack.rcpt_to == original


def test_kb_command_writes_an_anonymised_draft(servers, app, daemon, tmp_path):
    import subprocess
    import sys

    number, ref, _ = open_ticket(servers, app, subject="Error al exportar reportes a Excel",
                                 body="Hola, soy María González (+56 9 8765 4321). Al exportar el reporte a Excel "
                                      "el archivo sale vacío. Mi correo es maria.gonzalez@cliente-demo.cl")
    note = notification(servers, "agente", ref, "Nuevo ticket")
    agent_reply(servers, note, AGENTE, "#estado resuelto\n#kb\nHola María: active 'Incluir filas ocultas' en "
                                       "Exportar > Opciones y vuelva a exportar.")
    confirmation = wait_mail(servers, "agente", lambda m: "Cambios aplicados" in str(m["Subject"]))
    path = Path(re.search(r"draft written: (\S+\.md)", text_of(confirmation)).group(1))
    draft = path.read_text(encoding="utf-8")
    assert "Incluir filas ocultas" in draft and "el archivo sale vacío" in draft
    for secret in ("María", "González", "maria.gonzalez@cliente-demo.cl", "8765"):
        assert secret not in draft
    listing = subprocess.run([sys.executable, "-m", "mailbot.cli", "-c", app.settings.path, "kb", "list"],
                             capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert path.name in listing.stdout and "drafts in" in listing.stdout


def test_kb_on_an_open_ticket_is_refused(servers, app, daemon):
    number, ref, _ = open_ticket(servers, app)
    note = notification(servers, "agente", ref, "Nuevo ticket")
    agent_reply(servers, note, AGENTE, "#kb")
    rejected = wait_mail(servers, "agente", lambda m: "nada cambió" in str(m["Subject"]))
    assert "only on a resolved ticket" in text_of(rejected)


def test_a_bare_number_after_the_survey_window_is_not_a_rating(servers, app, daemon):
    number, ref, _ = open_ticket(servers, app)
    note = notification(servers, "agente", ref, "Nuevo ticket")
    agent_reply(servers, note, AGENTE, "#estado resuelto\nListo, quedó corregido.")
    resolution = wait_mail(servers, "maria", lambda m: "quedó corregido" in text_of(m))
    with app.sessions.begin() as s:  # the question went out 15 days ago: the window (14 days) is over
        for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == number, TicketEvent.kind == "survey-sent")):
            e.at = e.at - timedelta(days=15)
    wait_stored(app, customer_replies(servers, resolution, "5"))
    kinds = [k for k, _ in events(app, number)]
    assert "satisfaction" not in kinds and "reopened" in kinds  # a customer writing again reopens it
    assert ticket(app, number).status == "open"
