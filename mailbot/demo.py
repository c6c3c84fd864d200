"""`mailbot demo`: the real daemon against real servers on loopback, in one process.

It starts pymap (IMAP) with the soporte@ and emergencias@ mailboxes plus a customer
and an agent mailbox, an aiosmtpd server that delivers into them, a SQLite database,
and the daemon; then plays a short conversation and prints what happens, as it
happens, by watching the database and the customers' mailboxes.
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

class Timeline:
    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def say(self, text: str) -> None:
        print(f"[+{time.monotonic() - self.t0:6.2f}s] {text}", flush=True)


def _mail(sender: tuple[str, str], to: str, subject: str, body: str, *, in_reply_to: str = "",
          references: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{sender[0]} <{sender[1]}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = make_msgid(domain=sender[1].split("@")[1])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    msg.set_content(body)
    return msg


def run_demo(folder: Path | None = None, keep_running: bool = False, verbose: bool = False) -> int:
    try:
        from mailbot.testing.loopback import DOMAIN, SECRET_ENV, loopback_config_text
        from mailbot.testing.mailservers import MailServers, default_demo_mailboxes, free_port, wait_until
    except ImportError as exc:
        print(f"mailbot demo needs the demo extra (pymap): pip install 'mailbot[demo]' ({exc})", file=sys.stderr)
        return 1
    from mailbot.app import build_app
    from mailbot.config import load_settings
    from mailbot.daemon import Daemon
    from mailbot.db import migrate
    from mailbot.models import Message, Outbox, Ticket

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="    %(levelname)s %(name)s: %(message)s")
    tmp = None
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="mailbot-demo-")
        folder = Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    tl = Timeline()
    mailboxes = default_demo_mailboxes(DOMAIN)
    servers = MailServers(folder / "mail", mailboxes)
    servers.start()
    tl.say(f"IMAP server (pymap) on 127.0.0.1:{servers.imap_port}, SMTP server (aiosmtpd) on 127.0.0.1:{servers.smtp_port}")
    config_path = folder / "mailbot.toml"
    http_port = free_port()
    config_path.write_text(loopback_config_text(folder, servers, extra=f"[http]\nport = {http_port}\n"), encoding="utf-8")
    settings = load_settings(config_path)
    migrate(settings.database_url)
    app = build_app(settings)
    daemon = Daemon(app)
    daemon.start()
    tl.say(f"daemon started with database {folder / 'mailbot.db'} and config {config_path}")
    failures: list[str] = []

    def ticket_of(message_id: str) -> tuple[int, str, str, int, str] | None:
        with app.sessions() as s:
            row = s.execute(select(Ticket.id, Ticket.severity, Ticket.language, Ticket.level, Ticket.tier)
                            .join(Message, Message.ticket_id == Ticket.id)
                            .where(Message.message_id == message_id.strip("<>"))).first()
        return tuple(row) if row else None  # type: ignore[return-value]

    def ack_in(login: str, ref: str) -> email.message.EmailMessage | None:
        for raw in servers.messages(login):
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            if f"[{ref}]" in str(msg["Subject"]):
                return msg  # type: ignore[return-value]
        return None

    def conversation_step(who: str, login: str, msg: EmailMessage, expect_new: bool) -> tuple[str, EmailMessage | None]:
        tl.say(f"{who} writes to {msg['To']}: “{msg['Subject']}”")
        servers.send(str(msg["From"]).split("<")[1].rstrip(">"), [str(msg["To"])], msg.as_bytes())
        found: list = []
        if not wait_until(lambda: bool(found.append(ticket_of(msg["Message-ID"])) or found[-1]), timeout=30):
            failures.append(f"{who}'s message never reached a ticket")
            tl.say(f"✗ {who}'s message was not processed within 30 s")
            return "", None
        number, severity, language, level, tier = found[-1]
        ref = f"{settings.ticket_prefix}-{number:06d}"
        if expect_new:
            tl.say(f"✓ message received → ticket {ref} created (severity {severity}, tier {tier}, level {level}, language {language})")
        else:
            tl.say(f"✓ reply threaded into the same ticket {ref} (no new acknowledgement: it is a follow-up)")
            return ref, None
        ack: list = []
        if not wait_until(lambda: bool(ack.append(ack_in(login, ref)) or ack[-1]), timeout=30):
            failures.append(f"no acknowledgement for {ref} reached {login}")
            tl.say(f"✗ no acknowledgement for {ref} in {login}'s mailbox within 30 s")
            return ref, None
        a = ack[-1]
        tl.say(f"✓ acknowledgement delivered to {login}'s mailbox: “{a['Subject']}” "
               f"(Auto-Submitted: {a['Auto-Submitted']}, threaded under the customer's mail)")
        return ref, a

    def agent_step(ref: str) -> None:
        """The agent answers from their mail client: Reply to the notification, commands on top."""
        notes: list = []

        def notification() -> bool:
            notes[:] = [m for m in (email.message_from_bytes(r, policy=email.policy.default) for r in servers.messages("agente"))
                        if f"[{ref}]" in str(m["Subject"]) and "-a" in str(m["Reply-To"] or "")]
            return bool(notes)
        if not wait_until(notification, timeout=30):
            failures.append(f"no notification for {ref} reached the agent")
            tl.say(f"✗ no notification for {ref} in agente's mailbox within 30 s")
            return
        note = notes[-1]
        tl.say(f"✓ notification delivered to agente's mailbox: “{note['Subject']}” (Reply-To: {str(note['Reply-To'])[:32]}…, "
               "signed for this ticket and this agent)")
        quoted = "".join(f"> {line}\n" for line in note.get_body(("plain",)).get_content().splitlines()[:12])
        reply = _mail(("Agente Soporte", f"agente@{DOMAIN}"), str(note["Reply-To"]), f"Re: {note['Subject']}",
                      "#estado resuelto\nHola María: corregimos la configuración de clientes extranjeros; "
                      "ya puede emitir la factura.\n\n"
                      f"El {datetime.now():%d-%m-%Y} Soporte Mente Autónoma escribió:\n{quoted}",
                      in_reply_to=str(note["Message-ID"]), references=str(note["Message-ID"]))
        tl.say("Agente replies from the mail client, with “#estado resuelto” on top and the notification quoted below")
        servers.send(f"agente@{DOMAIN}", [str(reply["To"])], reply.as_bytes())
        got: list = []

        def answered() -> bool:
            got[:] = [m for m in (email.message_from_bytes(r, policy=email.policy.default) for r in servers.messages("maria"))
                      if "corregimos la configuración" in (m.get_body(("plain",)).get_content() if m.get_body(("plain",)) else "")]
            return bool(got)
        if not wait_until(answered, timeout=30):
            failures.append(f"the agent's reply on {ref} never reached the customer")
            tl.say(f"✗ the agent's reply on {ref} did not reach maria within 30 s")
            return
        body = got[-1].get_body(("plain",)).get_content()
        clean = "#estado" not in body and "escribió" not in body and f"agente@{DOMAIN}" not in got[-1].as_string()
        with app.sessions() as s:
            status = s.get(Ticket, int(ref.split("-")[1])).status
        tl.say(f"✓ agent's reply delivered to maria's mailbox from soporte@, in the same thread "
               f"({'only the new text, no commands, no quote, no agent address' if clean else 'QUOTED TEXT LEAKED'}); "
               f"ticket {ref} is {status}, with a 1–5 satisfaction question")
        if not clean or status != "resolved":
            failures.append(f"the agent's reply on {ref} was not relayed cleanly")

    maria = ("María González", "maria.gonzalez@cliente-demo.cl")
    john = ("John Smith", "john.smith@example-customer.com")
    m1 = _mail(maria, f"soporte@{DOMAIN}", "Error al generar la factura electrónica",
               "Hola,\n\nDesde esta mañana nos aparece un error al generar la factura electrónica: "
               "el sistema muestra «Error 500» y no deja continuar.\n\n"
               "1. Entrar a Ventas\n2. Elegir Nueva factura\n3. Presionar Emitir\n\nSaludos,\nMaría González")
    ref1, ack1 = conversation_step("María (Spanish, basic customer)", "maria", m1, expect_new=True)
    m2 = _mail(john, f"emergencias@{DOMAIN}", "Production is down - cannot log in",
               "Hello,\n\nOur production system is down since 10 minutes ago: nobody can log in and "
               "we get a blank page. This is blocking our sales team.\n\nThanks,\nJohn")
    conversation_step("John (English, basic customer, to emergencias@)", "john", m2, expect_new=True)
    if ack1 is not None:
        reply_to = str(ack1["Reply-To"])
        m3 = _mail(maria, reply_to, f"Re: {ack1['Subject']}",
                   "Adjunto más información: el error aparece sólo con clientes extranjeros.\n\n"
                   f"El {datetime.now():%d-%m-%Y} Soporte Mente Autónoma escribió:\n> Hemos recibido su solicitud",
                   in_reply_to=str(ack1["Message-ID"]), references=f"{m1['Message-ID']} {ack1['Message-ID']}")
        conversation_step("María (replying to the acknowledgement)", "maria", m3, expect_new=False)
        agent_step(ref1)

    with app.sessions() as s:
        tickets = s.scalar(select(func.count(Ticket.id))) or 0
        inbound = s.scalar(select(func.count(Message.id)).where(Message.direction == "in", Message.author_kind == "customer")) or 0
        replies = s.scalar(select(func.count(Message.id)).where(Message.direction == "in", Message.author_kind == "agent")) or 0
        sent = s.scalar(select(func.count(Outbox.id)).where(Outbox.status == "sent")) or 0
    print()
    print(f"Summary: {tickets} tickets, {inbound} customer messages, {replies} agent reply, {sent} mails delivered; "
          f"{'all steps succeeded' if not failures else 'FAILED: ' + '; '.join(failures)}")
    if tmp is None:
        print(f"Look closer (with {SECRET_ENV} set as below): mailbot --config {config_path} tickets   |   "
              f"mailbot --config {config_path} show {ref1 or 'MA-000001'}")
    if keep_running and not failures:
        print()
        print(f"Still running. Point a mail client at IMAP 127.0.0.1:{servers.imap_port} and SMTP 127.0.0.1:{servers.smtp_port} "
              "(no TLS), logins:")
        for m in mailboxes:
            print(f"  {m.login:<12} password {m.password:<18} {', '.join(m.addresses)}")
        print(f"  (to run other mailbot commands against it, export {SECRET_ENV}={os.environ[SECRET_ENV]} "
              "and the MAILBOT_LOOPBACK_*_PASSWORD values above)")
        print(f"  dashboard http://127.0.0.1:{http_port}/   metrics http://127.0.0.1:{http_port}/metrics")
        print("Press Ctrl-C to stop.")
        stop = threading.Event()
        try:
            import signal

            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
    daemon.shutdown()
    app.engine.dispose()
    servers.stop()
    if tmp is not None:
        tmp.cleanup()
    return 0 if not failures else 1
