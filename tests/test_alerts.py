"""Automatic alert mails as the admin receives them: plain words, once when it starts, once when it clears."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from mailbot.alerts import run_alerts
from mailbot.app import build_app
from mailbot.config import load_settings
from mailbot.db import migrate
from mailbot.health import MailboxState, SystemState
from mailbot.models import AlertState, Outbox
from mailbot.telemetry import RelayState
from mailbot.testing.mailservers import wait_until
from tests.conftest import write_config
from tests.test_web import ALERTS, HTTP, Running

ADMIN = "agente@menteautonoma.cl"
SOPORTE = "soporte@menteautonoma.cl"


def admin_mail(servers) -> list[EmailMessage]:
    return [email.message_from_bytes(m.data, policy=email.policy.default)  # type: ignore[misc]
            for m in servers.received_snapshot() if ADMIN in m.rcpt_tos]


def alert_subjects(servers) -> list[str]:
    return [str(m["Subject"]) for m in admin_mail(servers) if str(m["Subject"]).startswith("[mailbot]")]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_rejected_login_is_said_plainly_in_the_alert_the_log_readyz_and_metrics(tmp_path, servers, database_url, caplog,
                                                                                  monkeypatch):
    caplog.set_level("INFO", logger="mailbot")
    config = write_config(tmp_path, servers, database_url, extra=HTTP + ALERTS, poll_seconds=1.0)
    # The password was changed on the server (or the credential revoked) and nobody told mailbot.
    monkeypatch.setenv("MAILBOT_LOOPBACK_SOPORTE_PASSWORD", "an-old-password")
    r = Running(config)
    try:
        subject = ("[mailbot] ALERTA: el servidor rechazó el inicio de sesión del buzón soporte "
                   "(contraseña incorrecta o credencial revocada)")
        assert wait_until(lambda: subject in alert_subjects(servers), timeout=60), alert_subjects(servers)
        body = next(m for m in admin_mail(servers) if str(m["Subject"]) == subject).get_body(("plain",)).get_content()
        assert "NO se está leyendo" in body and "/etc/mailbot/credentials/imap-soporte" in body
        assert "login rejected by 127.0.0.1 for user soporte (wrong password or revoked credential)" in caplog.text

        status, page = r.get("/readyz")
        assert status == 503
        assert "FAIL mailbox soporte: login rejected (wrong password or revoked credential)" in page
        metrics = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for f in text_string_to_metric_families(r.get("/metrics")[1]) for s in f.samples}
        assert metrics[("mailbot_mailbox_login_rejected", (("mailbox", "soporte"),))] == 1
        assert metrics[("mailbot_mailbox_login_rejected", (("mailbox", "emergencias"),))] == 0
        # Checked again and again while it lasts: still one mail.
        for _ in range(3):
            r.daemon.run_alerts()
        assert alert_subjects(servers).count(subject) == 1
    finally:
        r.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_mail_that_fails_for_good_raises_an_alert_naming_it(tmp_path, servers, database_url):
    r = Running(write_config(tmp_path, servers, database_url, extra=HTTP + ALERTS, poll_seconds=1.0))
    try:
        # Our SMTP server refuses this sender's domain at RCPT (550): the acknowledgement fails permanently.
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "ana@desconocido.example", SOPORTE, "Consulta"
        msg["Message-ID"] = make_msgid(domain="desconocido.example")
        msg.set_content("Hola, tengo una consulta sobre mi factura.")
        servers.send("ana@desconocido.example", [SOPORTE], msg.as_bytes())
        subject = "[mailbot] ALERTA: un correo no pudo entregarse (falla definitiva)"
        assert wait_until(lambda: subject in alert_subjects(servers), timeout=60), alert_subjects(servers)
        body = next(m for m in admin_mail(servers) if str(m["Subject"]) == subject).get_body(("plain",)).get_content()
        assert "ana@desconocido.example" in body and "550" in body
    finally:
        r.stop()


def state(at: datetime, quarantined: int) -> SystemState:
    mailboxes = tuple(MailboxState(name, True, False, at, False, "") for name in ("soporte", "emergencias"))
    return SystemState(at=at, mailboxes=mailboxes, loops={"pipeline": True}, database_ok=True, database_error="",
                       outbox_depth=0, outbox_oldest_at=None, outbox_failed_recent=0, outbox_last_failure="",
                       quarantine_size=quarantined, quarantine_newest="quarantine 7: UnicodeDecodeError" if quarantined else "",
                       relay=RelayState())


def test_start_and_clear_are_paired_and_rate_limited_and_survive_a_restart(tmp_path, servers, database_url, caplog):
    config = write_config(tmp_path, servers, database_url, extra=ALERTS.replace("[alerts]", "[alerts]\nmin_interval_minutes = 60"))
    migrate(database_url)
    app = build_app(load_settings(config))
    t0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)

    def alert_mails() -> list[str]:
        with app.sessions() as s:
            return [row.raw.split(b"Subject: ", 1)[1].split(b"\n", 1)[0].decode().strip()
                    for row in s.scalars(select(Outbox).where(Outbox.kind == "alert").order_by(Outbox.id))]
    try:
        assert run_alerts(app, state(t0, 1), t0) == 1
        assert run_alerts(app, state(t0 + timedelta(minutes=1), 1), t0) == 0  # still the same episode
        # A restarted daemon (a new App on the same database) does not mail it again.
        restarted = build_app(load_settings(config))
        assert run_alerts(restarted, state(t0 + timedelta(minutes=2), 1), t0) == 0
        restarted.engine.dispose()
        assert run_alerts(app, state(t0 + timedelta(minutes=3), 0), t0) == 1  # cleared: its own mail
        # It flaps back within the hour: logged and counted, not mailed; so its clear is not mailed either.
        assert run_alerts(app, state(t0 + timedelta(minutes=5), 1), t0) == 0
        assert "not mailed (rate limit" in caplog.text
        assert run_alerts(app, state(t0 + timedelta(minutes=6), 0), t0) == 0
        # An hour after the last mail it is mailed again.
        assert run_alerts(app, state(t0 + timedelta(minutes=70), 1), t0) == 1
        mails = alert_mails()
        assert len(mails) == 3
        assert "ALERTA" in mails[0] and "RESUELTO" in mails[1] and "ALERTA" in mails[2]
        with app.sessions() as s:
            row = s.get(AlertState, "quarantine")
            assert row.active and "UnicodeDecodeError" in row.detail
    finally:
        app.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_smtp_relay_outage_is_mailed_once_when_it_starts_and_once_when_it_ends(tmp_path, servers, database_url, caplog):
    caplog.set_level("INFO", logger="mailbot")
    extra = HTTP + ALERTS.replace("[alerts]", "[alerts]\nsmtp_down_minutes = 0.05")
    r = Running(write_config(tmp_path, servers, database_url, extra=extra, poll_seconds=1.0))
    try:
        assert wait_until(lambda: r.get("/readyz")[0] == 200, timeout=30)
        servers.stop_smtp()
        # A customer's mail still arrives (straight into the IMAP mailbox); its acknowledgement cannot leave.
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "maria.gonzalez@cliente-demo.cl", SOPORTE, "Error al generar la factura"
        msg["Message-ID"] = make_msgid(domain="cliente-demo.cl")
        msg.set_content("Hola, el sistema muestra un error al generar la factura.")
        servers.append("soporte", msg.as_bytes())

        def active() -> bool:
            with r.app.sessions() as s:
                row = s.get(AlertState, "smtp-relay-down")
                return bool(row and row.active)
        assert wait_until(active, timeout=60)
        assert "ALERT smtp-relay-down started" in caplog.text
        metrics = r.get("/metrics")[1]
        assert "mailbot_smtp_relay_up 0.0" in metrics

        servers.restart_smtp()
        started = "[mailbot] ALERTA: el servidor SMTP (relay) no responde"
        cleared = "[mailbot] RESUELTO: el servidor SMTP (relay) vuelve a responder"
        assert wait_until(lambda: started in alert_subjects(servers) and cleared in alert_subjects(servers), timeout=90), \
            alert_subjects(servers)
        assert wait_until(lambda: len(servers.messages("maria")) == 1, timeout=30)  # the ack left too
        for _ in range(3):
            r.daemon.run_alerts()

        def outbox_idle() -> bool:
            with r.app.sessions() as s:
                return not s.scalars(select(Outbox).where(Outbox.status == "queued")).first()
        assert wait_until(outbox_idle, timeout=60)
        subjects = alert_subjects(servers)
        assert subjects.count(started) == 1 and subjects.count(cleared) == 1, subjects
    finally:
        r.stop()
