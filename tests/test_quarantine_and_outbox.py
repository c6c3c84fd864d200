"""Failures a sysadmin meets: a message that cannot be processed, an SMTP relay that refuses."""

from __future__ import annotations

import threading
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.compose import Envelope
from mailbot.config import load_settings
from mailbot.daemon import Daemon
from mailbot.db import migrate
from mailbot.models import InboundMail, Outbox, Quarantine
from mailbot.outbox import send_due
from mailbot.outgoing import enqueue_mail
from mailbot.render import RenderedMail
from mailbot.testing.mailservers import free_port, wait_until
from tests.conftest import write_config


def _with_attachment(message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "maria.gonzalez@cliente-demo.cl"
    msg["To"] = "soporte@menteautonoma.cl"
    msg["Subject"] = "Adjunto el log"
    msg["Message-ID"] = f"<{message_id}>"
    msg.set_content("Adjunto el log del servidor con el error al guardar.")
    msg.add_attachment(b"2026-03-02 ERROR no se pudo guardar\n" * 50, maintype="text", subtype="plain", filename="server.log")
    return msg.as_bytes()


def test_failing_message_is_quarantined_after_three_attempts_moved_and_requeued(tmp_path, servers, database_url):
    config = write_config(tmp_path, servers, database_url, poll_seconds=1,
                          extra="[quarantine]\nafter_attempts = 3\nretry_base_seconds = 0.05\n")
    settings = load_settings(config)
    migrate(settings.database_url)
    # The attachment store cannot be created: processing a message with an attachment raises.
    Path(settings.data_dir).write_text("not a directory")
    app = build_app(settings)
    daemon = Daemon(app)
    daemon.start()
    try:
        servers.send("maria.gonzalez@cliente-demo.cl", ["soporte@menteautonoma.cl"], _with_attachment("fails@x"))
        servers.send("john.smith@example-customer.com", ["soporte@menteautonoma.cl"],
                     b"From: john.smith@example-customer.com\r\nTo: soporte@menteautonoma.cl\r\nSubject: hello\r\n"
                     b"Message-ID: <ok@x>\r\n\r\nA normal question, how do I reset my password?\r\n")

        def state(message_id: str) -> str | None:
            with app.sessions() as s:
                return s.scalar(select(InboundMail.state).where(InboundMail.message_id == message_id))
        assert wait_until(lambda: state("fails@x") == "quarantined" and state("ok@x") == "done", timeout=30)
        with app.sessions() as s:
            row = s.scalars(select(InboundMail).where(InboundMail.message_id == "fails@x")).one()
            q = s.scalars(select(Quarantine).where(Quarantine.inbound_id == row.id)).one()
            assert row.attempts == 3 and b"Subject: Adjunto el log" in row.raw  # the raw bytes are kept
            assert "Error" in q.reason and "Traceback" in q.traceback
        assert wait_until(lambda: servers.count("soporte", "Quarantine") == 1, timeout=15)
        # The sysadmin fixes the cause and requeues: the message becomes a ticket.
        Path(settings.data_dir).unlink()
        with app.sessions.begin() as s:
            row = s.scalars(select(InboundMail).where(InboundMail.message_id == "fails@x")).one()
            row.state, row.attempts, row.claimed_until = "pending", 0, None
        daemon.pipeline_wake.set()
        assert wait_until(lambda: state("fails@x") == "done", timeout=20)
    finally:
        daemon.shutdown()
        app.engine.dispose()


class _Relay:
    """An SMTP relay whose answer to DATA the test chooses: 451 first, then 250; 550 for one address."""

    def __init__(self) -> None:
        self.accepted: list[bytes] = []
        self.tempfail_left = 1
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("rechazo@"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            if self.tempfail_left:
                self.tempfail_left -= 1
                return "451 4.3.0 try again later"
            self.accepted.append(envelope.content)
        return "250 OK"


def test_outbox_retries_4xx_and_fails_5xx_with_the_reason(tmp_path, servers, database_url):
    relay = _Relay()
    port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = write_config(tmp_path, servers, database_url)
        config.write_text(config.read_text().replace(f"port = {servers.smtp_port}", f"port = {port}"))
        settings = load_settings(config)
        migrate(settings.database_url)
        app = build_app(settings)
        clock = [app.clock()]
        app.clock = lambda: clock[0]
        with app.sessions.begin() as s:
            for rcpt, mid in (("cliente@empresa.cl", "a@mailbot"), ("rechazo@empresa.cl", "b@mailbot")):
                enqueue_mail(s, kind="notice", envelope=Envelope(from_name="Soporte", from_addr="soporte@menteautonoma.cl",
                                                                 to=(rcpt,), message_id=mid, date=clock[0]),
                             rendered=RenderedMail("Hola", "Texto", ""), now=clock[0])
        send_due(app)
        with app.sessions() as s:
            rows = {r.message_id: r for r in s.scalars(select(Outbox))}
        assert rows["a@mailbot"].status == "queued" and "451" in rows["a@mailbot"].last_error
        assert rows["b@mailbot"].status == "failed" and "rechazo@empresa.cl" in rows["b@mailbot"].last_error
        assert relay.accepted == []
        send_due(app)  # not due yet: the backoff holds it back
        assert relay.accepted == []
        from datetime import timedelta
        clock[0] += timedelta(seconds=settings.smtp.backoff_base_seconds + 1)
        send_due(app)
        with app.sessions() as s:
            sent = s.scalars(select(Outbox).where(Outbox.message_id == "a@mailbot")).one()
        assert (sent.status, sent.attempts) == ("sent", 2)
        assert len(relay.accepted) == 1 and b"Message-ID: <a@mailbot>" in relay.accepted[0]
        app.engine.dispose()
    finally:
        controller.stop()
