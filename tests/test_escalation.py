"""SLA warnings, the escalation ladder and premium pages, as managers receive them.

Real database (SQLite, and PostgreSQL when MAILBOT_TEST_POSTGRES_URL is set), real
pipeline (record + process, no IMAP), a fake clock; every assertion reads the outbox
rows: who gets which mail, with which subject and text.

Dates: Monday 2 March 2026 is an ordinary working day in Chile (summer time, UTC-3),
so 10:00 in Santiago is 13:00 UTC.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import itertools
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from mailbot.app import build_app
from mailbot.config import EscalationSettings, load_settings
from mailbot.escalation import next_check, run_escalations, trim_text
from mailbot.promise import format_local
from mailbot.ingest import process_next, record_inbound
from mailbot.models import Customer, EscalationFired, Outbox, Ticket, TicketEvent
from mailbot.sla import Clock, TicketClockState, due_escalations

CHILE = ZoneInfo("America/Santiago")
TEAMS = {1: ("nivel1@menteautonoma.cl",), 2: ("supervisor@menteautonoma.cl",),
         3: ("gerente@menteautonoma.cl", "subgerente@menteautonoma.cl"), 4: ("director@menteautonoma.cl",)}
ON_CALL = ("guardia@menteautonoma.cl",)
_uids = itertools.count(1)


def chile(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """An instant given in Santiago wall time (March 2026), as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=CHILE).astimezone(timezone.utc)


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def esc(app):
    """The app with one distinct address per level and a clock the test moves."""
    app.settings = dataclasses.replace(app.settings, teams=dict(TEAMS), on_call=ON_CALL)
    clock = FakeClock(chile(2, 10))
    app.clock = clock
    return app, clock


def mail(sender: str, subject: str, body: str, to: str = "soporte@menteautonoma.cl", extra: str = "") -> bytes:
    n = next(_uids)
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <esc-{n}@cliente.cl>\r\n{extra}"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n").encode()


def ingest(app, clock: FakeClock, raw: bytes, at: datetime, mailbox: str = "soporte") -> int:
    """The customer's mail arrives at ``at`` and is processed at once."""
    clock.at = at
    assert record_inbound(app, mailbox, 1, next(_uids), raw, at) is not None
    outcome = process_next(app)
    assert outcome.state == "done", outcome.summary
    return outcome.ticket


def sweep(app, clock: FakeClock, at: datetime) -> int:
    clock.at = at
    return run_escalations(app)


def outbox(app, *kinds: str) -> list[dict]:
    """The mails managers would receive (acks to customers left out unless asked for)."""
    kinds = kinds or ("sla_warning", "escalation", "page")
    with app.sessions() as s:
        rows = s.scalars(select(Outbox).where(Outbox.kind.in_(kinds)).order_by(Outbox.id)).all()
    out: list[dict] = []
    for row in rows:
        msg = email.message_from_bytes(row.raw, policy=email.policy.default)
        assert str(msg["Message-ID"]) == f"<{row.message_id}>"
        (recipient,) = row.rcpt_to.split(",")  # one mail per person, each with its own Reply-To
        assert row.kind == "ack" or str(msg["Reply-To"]).startswith(f"soporte+ma{row.ticket_id:06d}-a") or \
            str(msg["Reply-To"]).startswith(f"emergencias+ma{row.ticket_id:06d}-a")
        same = out[-1] if out and out[-1]["kind"] == row.kind and out[-1]["ticket"] == row.ticket_id and \
            out[-1]["text"] == msg.get_body(("plain",)).get_content() else None
        if same is not None:  # the same step's mail to the next person: what the step sent is one mail
            same["to"].append(recipient)
            continue
        out.append({
            "kind": row.kind, "to": [recipient], "subject": str(msg["Subject"]),
            "text": msg.get_body(("plain",)).get_content(), "html": msg.get_body(("html",)).get_content(),
            "reply_to": str(msg["Reply-To"] or ""), "auto_submitted": str(msg["Auto-Submitted"] or ""),
            "ticket": row.ticket_id,
        })
    return out


def ticket(app, number: int) -> Ticket:
    with app.sessions() as s:
        return s.get(Ticket, number)


CRITICAL = "El sistema de facturación está caído desde las 9:50, nadie puede emitir boletas. <b>urgente</b>"
GENERAL = "Hola, ¿cómo exporto el reporte mensual a Excel?"
IMPORTANT = "La integración con el ERP está lenta y a veces da error al sincronizar."


def test_critical_ticket_warning_at_75_percent_then_escalation_at_breach(esc):
    app, clock = esc
    number = ingest(app, clock, mail("María Pérez <maria@empresa.cl>", "Sistema caído", CRITICAL), chile(2, 10))
    t = ticket(app, number)
    assert (t.severity, t.tier, t.level, t.assigned_level) == ("critical", "basic", 3, 3)
    # 2 business hours from Monday 10:00: due 12:00; the warning at 75% is 11:30.
    assert t.first_response_due_at.replace(tzinfo=timezone.utc) == chile(2, 12)

    assert sweep(app, clock, chile(2, 10, 1)) == 0
    assert sweep(app, clock, chile(2, 11, 29)) == 0
    assert outbox(app) == []

    assert sweep(app, clock, chile(2, 11, 30)) == 1
    [warning] = outbox(app)
    assert warning["kind"] == "sla_warning"
    assert warning["to"] == list(TEAMS[3])  # critical tickets belong to level 3
    assert warning["subject"] == ("[MA-000001] Aviso SLA: primera respuesta vence el lunes 2 de marzo, 12:00 "
                                  "— Sistema caído")
    body = warning["text"]
    assert "El plazo de primera respuesta del ticket MA-000001 vence el lunes 2 de marzo, 12:00 (hora de Chile): " \
           "quedan 30 minutos en horario hábil." in body
    assert "María Pérez <maria@empresa.cl>" in body and "Soporte Básico" in body and "Severidad:     crítica" in body
    assert "Nivel actual:  3 (gerente de soporte)" in body
    assert "Recibido:      lunes 2 de marzo, 10:00 (hora de Chile)" in body
    assert "se escalará al nivel 4 (director técnico)" in body
    assert "nadie puede emitir boletas" in body  # the customer's own words
    assert "Responda a este correo" in body and "maria@empresa.cl" in body
    assert "&lt;b&gt;urgente&lt;/b&gt;" in warning["html"] and "<b>urgente</b>" not in warning["html"]
    assert warning["reply_to"].startswith("soporte+ma000001-") and warning["auto_submitted"] == "auto-generated"

    # The same instant again, and a minute later: nothing new.
    assert sweep(app, clock, chile(2, 11, 30)) == 0
    assert sweep(app, clock, chile(2, 11, 31)) == 0
    assert len(outbox(app)) == 1

    # Breach: one level up, to the technical director, and the ticket's level says so.
    assert sweep(app, clock, chile(2, 12)) == 1
    escalation = outbox(app)[-1]
    assert escalation["kind"] == "escalation" and escalation["to"] == list(TEAMS[4])
    assert escalation["subject"] == "[MA-000001] Escalado al nivel 4: primera respuesta vencida — Sistema caído"
    assert "ESCALAMIENTO AL NIVEL 4 (DIRECTOR TÉCNICO) — TICKET MA-000001" in escalation["text"]
    assert "El ticket pasa del nivel 3 al nivel 4" in escalation["text"]
    assert "Es el último nivel de escalamiento." in escalation["text"]
    t = ticket(app, number)
    assert (t.level, t.assigned_level) == (4, 3)
    # Level 4 is the top: no more first-response mail, however long it stays overdue.
    for hour in (13, 14, 17):
        assert sweep(app, clock, chile(2, hour)) == 0
    with app.sessions() as s:
        kinds = [e.kind for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == number).order_by(TicketEvent.id))]
    assert kinds.count("sla-warning") == 1 and kinds.count("escalated") == 1

    # The resolution clock (24 business hours) warns the assigned team at 18 business hours: Wednesday 10:00.
    assert sweep(app, clock, chile(4, 9, 59)) == 0
    assert sweep(app, clock, chile(4, 10)) == 1
    last = outbox(app)[-1]
    assert last["to"] == list(TEAMS[3])
    assert last["subject"].startswith("[MA-000001] Aviso SLA: resolución vence el miércoles 4 de marzo, 16:00")


def test_general_ticket_climbs_one_level_per_interval_up_to_four(esc):
    app, clock = esc
    number = ingest(app, clock, mail("cliente@empresa.cl", "Exportar reporte", GENERAL), chile(2, 10))
    assert (ticket(app, number).severity, ticket(app, number).level) == ("general", 1)
    # 24 business hours: due Wednesday 16:00; warning at 18 business hours, Wednesday 10:00.
    steps = [(chile(3, 17), None), (chile(4, 9, 59), None), (chile(4, 10), 1), (chile(4, 15, 59), None),
             (chile(4, 16), 2), (chile(4, 16, 30), None), (chile(4, 16, 59), None), (chile(4, 17), 3),
             (chile(4, 18), 4), (chile(4, 19), None), (chile(5, 12), None)]
    for at, level in steps:
        assert sweep(app, clock, at) == (0 if level is None else 1), at
    mails = outbox(app)
    assert [(m["kind"], m["to"]) for m in mails] == [
        ("sla_warning", list(TEAMS[1])), ("escalation", list(TEAMS[2])),
        ("escalation", list(TEAMS[3])), ("escalation", list(TEAMS[4]))]
    assert "[MA-000001] Escalado al nivel 2: primera respuesta vencida — Exportar reporte" == mails[1]["subject"]
    assert "venció el miércoles 4 de marzo, 16:00 (hora de Chile) y lleva menos de un minuto de atraso" in mails[1]["text"]
    assert "subirá al nivel 3 (gerente de soporte) en 1 hora" in mails[1]["text"]
    assert "lleva 1 hora de atraso" in mails[2]["text"] and "El ticket pasa del nivel 2 al nivel 3" in mails[2]["text"]
    assert ticket(app, number).level == 4
    with app.sessions() as s:
        fired = s.execute(select(EscalationFired.kind, EscalationFired.level).order_by(EscalationFired.id)).all()
    assert fired == [("warning", 1), ("escalation", 2), ("escalation", 3), ("escalation", 4)]
    assert ticket(app, number).next_due_at is None  # nothing can come due any more: the sweep skips it


def test_three_day_downtime_sends_one_mail_per_ticket_at_the_level_reached(esc):
    app, clock = esc
    a = ingest(app, clock, mail("a@empresa.cl", "Consulta A", GENERAL), chile(2, 10))  # general, due Wed 16:00
    b = ingest(app, clock, mail("b@empresa.cl", "Integración lenta", IMPORTANT), chile(2, 10, 5))  # important, level 2
    c = ingest(app, clock, mail("c@empresa.cl", "Consulta C", GENERAL), chile(2, 13))  # due Thu 10:00
    d = ingest(app, clock, mail("d@empresa.cl", "Consulta D", GENERAL), chile(3, 10))  # warning Thu 10:00
    assert ticket(app, b).severity == "important" and ticket(app, b).level == 2
    # The daemon is down from Monday 10:05 to Thursday 10:00; then one sweep.
    assert sweep(app, clock, chile(5, 10)) == 4
    mails = {m["ticket"]: m for m in outbox(app)}
    assert len(outbox(app)) == 4
    assert (mails[a]["kind"], mails[a]["to"]) == ("escalation", list(TEAMS[4]))  # 18 h past breach: the top
    assert (mails[b]["kind"], mails[b]["to"]) == ("escalation", list(TEAMS[4]))
    assert (mails[c]["kind"], mails[c]["to"]) == ("escalation", list(TEAMS[2]))  # breached just now: one level up
    assert (mails[d]["kind"], mails[d]["to"]) == ("sla_warning", list(TEAMS[1]))
    assert "El ticket pasa del nivel 1 al nivel 4" in mails[a]["text"] and "lleva 18 horas de atraso" in mails[a]["text"]
    assert [ticket(app, n).level for n in (a, b, c, d)] == [4, 4, 2, 1]
    # Catching up did not record the steps it skipped, and nothing more is due at the same instant.
    with app.sessions() as s:
        assert s.scalar(select(func.count(EscalationFired.id))) == 4
    assert sweep(app, clock, chile(5, 10)) == 0
    assert sweep(app, clock, chile(5, 11)) == 1  # ticket C goes on climbing: level 3
    assert outbox(app)[-1]["to"] == list(TEAMS[3]) and outbox(app)[-1]["ticket"] == c


def test_two_sweeps_at_once_and_two_instances_never_mail_twice(esc, config_path):
    app, clock = esc
    numbers = [ingest(app, clock, mail(f"c{i}@empresa.cl", f"Consulta {i}", GENERAL), chile(2, 10)) for i in range(5)]
    other = build_app(load_settings(config_path), clock=clock)  # a second instance on the same database
    other.settings = app.settings
    clock.at = chile(4, 16)  # every ticket: its warning is past, the breach is now -> one escalation each
    barrier = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def run(application) -> None:
        try:
            barrier.wait()
            results.append(run_escalations(application))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(x,)) for x in (app, app, other, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    other.engine.dispose()
    assert not errors and sum(results) == 5
    mails = outbox(app)
    assert sorted(m["ticket"] for m in mails) == numbers
    assert all(m["kind"] == "escalation" and m["to"] == list(TEAMS[2]) for m in mails)


def test_the_database_refuses_a_second_identical_step(esc):
    app, clock = esc
    number = ingest(app, clock, mail("x@empresa.cl", "Consulta", GENERAL), chile(2, 10))
    with pytest.raises(IntegrityError):
        with app.sessions.begin() as s:
            for _ in range(2):
                s.add(EscalationFired(ticket_id=number, deadline="first_response", level=2, kind="escalation",
                                      fired_at=chile(2, 10), recipients=""))
                s.flush()


def test_premium_emergency_pages_level_3_and_on_call_once(esc):
    app, clock = esc
    with app.sessions.begin() as s:
        s.add(Customer(email="ops@banco.cl", name="Pedro Soto", organisation="Banco Austral", tier="premium",
                       language="es", created_at=chile(1, 10)))
    # Saturday 03:00 in Santiago: the 24/7 clock runs, and the page goes out at once.
    raw = mail("Pedro Soto <ops@banco.cl>", "Producción caída", "No podemos operar: la plataforma no responde.",
               to="emergencias@menteautonoma.cl")
    number = ingest(app, clock, raw, chile(7, 3), mailbox="emergencias")
    t = ticket(app, number)
    assert (t.tier, t.severity, t.level) == ("premium", "critical", 3)
    [page] = outbox(app)
    assert page["kind"] == "page"
    assert page["to"] == [*TEAMS[3], *ON_CALL]
    assert page["subject"] == "[MA-000001] EMERGENCIA Premium — Banco Austral: Producción caída"
    assert "EMERGENCIA DE UN CLIENTE PREMIUM — TICKET MA-000001" in page["text"]
    assert "La primera respuesta vence el sábado 7 de marzo, 03:30: quedan 30 minutos." in page["text"]
    assert "No podemos operar" in page["text"] and "Soporte Premium" in page["text"]
    assert len(outbox(app, "ack")) == 1  # the customer is acknowledged as usual

    # The same mail delivered again, a follow-up in the thread and a sweep: still one page.
    assert record_inbound(app, "emergencias", 1, next(_uids), b"Received: by relay2\r\n" + raw, chile(7, 3, 1))
    assert process_next(app).state == "duplicate"
    follow_up = mail("Pedro Soto <ops@banco.cl>", "Re: [MA-000001] Producción caída", "Sigue caída.",
                     to="emergencias@menteautonoma.cl")
    assert ingest(app, clock, follow_up, chile(7, 3, 2), mailbox="emergencias") == number
    assert sweep(app, clock, chile(7, 3, 2)) == 0
    assert [m["kind"] for m in outbox(app)] == ["page"]
    with app.sessions() as s:
        assert s.execute(select(EscalationFired.deadline, EscalationFired.level, EscalationFired.kind)).all() == [
            ("first_response", 3, "page")]
    # The page does not replace the ladder: 75% of 30 minutes warns level 3, breach escalates to 4.
    assert sweep(app, clock, chile(7, 3, 22)) == 0
    assert sweep(app, clock, chile(7, 3, 23)) == 1
    assert sweep(app, clock, chile(7, 3, 30)) == 1
    assert [(m["kind"], m["to"]) for m in outbox(app)][1:] == [("sla_warning", list(TEAMS[3])),
                                                               ("escalation", list(TEAMS[4]))]


def test_basic_customer_to_emergencias_is_not_paged(esc):
    app, clock = esc
    raw = mail("juan@pyme.cl", "Sistema caído", "No funciona nada.", to="emergencias@menteautonoma.cl")
    ingest(app, clock, raw, chile(7, 3), mailbox="emergencias")
    assert outbox(app, "page") == []
    assert sweep(app, clock, chile(7, 3, 30)) == 0  # basic critical runs on business hours: nothing on Saturday


def test_pause_while_waiting_on_the_customer_moves_the_deadlines(esc):
    app, clock = esc
    number = ingest(app, clock, mail("cliente@empresa.cl", "Exportar", GENERAL), chile(2, 10))
    # Monday 12:00 an agent puts the ticket on hold; the customer answers Wednesday 12:00.
    with app.sessions.begin() as s:
        t = s.get(Ticket, number)
        t.status = "waiting"
        s.add(TicketEvent(ticket_id=number, at=chile(2, 12), kind="paused", detail="waiting on the customer"))
    assert sweep(app, clock, chile(2, 12, 1)) == 0
    assert sweep(app, clock, chile(4, 10)) == 0  # would have been the warning
    assert sweep(app, clock, chile(4, 16)) == 0  # would have been the breach
    with app.sessions.begin() as s:
        t = s.get(Ticket, number)
        t.status = "open"
        s.add(TicketEvent(ticket_id=number, at=chile(4, 12), kind="resumed", detail="the customer replied"))
    # 18 business hours were paused (Mon 6 + Tue 9 + Wed 3): due Friday 16:00, warning Friday 10:00.
    assert sweep(app, clock, chile(4, 16)) == 0
    assert ticket(app, number).first_response_due_at.replace(tzinfo=timezone.utc) == chile(6, 16)
    assert sweep(app, clock, chile(6, 9, 59)) == 0
    assert sweep(app, clock, chile(6, 10)) == 1
    assert "vence el viernes 6 de marzo, 16:00" in outbox(app)[-1]["subject"]


def test_a_met_first_response_stops_its_clock(esc):
    app, clock = esc
    number = ingest(app, clock, mail("maria@empresa.cl", "Sistema caído", CRITICAL), chile(2, 10))
    with app.sessions.begin() as s:
        s.get(Ticket, number).first_responded_at = chile(2, 11)
    assert sweep(app, clock, chile(2, 11, 30)) == 0
    assert sweep(app, clock, chile(2, 15)) == 0
    with app.sessions.begin() as s:
        s.get(Ticket, number).status = "resolved"
    assert ticket(app, number).next_due_at is None  # a resolved ticket leaves the due index
    assert sweep(app, clock, chile(5, 10)) == 0


def test_long_message_trimmed_and_english_when_configured(esc):
    app, clock = esc
    app.settings = dataclasses.replace(app.settings, escalation=EscalationSettings(language="en"))
    long_body = "The report export fails every time. " + "Details of the failure follow here. " * 100
    number = ingest(app, clock, mail("ann@corp.com", "Export fails", long_body), chile(2, 10))
    assert sweep(app, clock, chile(4, 10)) == 1
    [warning] = outbox(app)
    assert warning["subject"] == f"[MA-00000{number}] SLA warning: first response due Wednesday 4 March, 16:00 — Export fails"
    assert "The first response deadline of ticket MA-000001 is Wednesday 4 March, 16:00 (Chile time): 6 business hours left." \
        in warning["text"]
    assert "[Message shortened; the full text: mailbot show MA-000001]" in warning["text"]
    assert len(warning["text"]) < 4000 and "Details of the failure" in warning["text"]


def test_empty_team_records_the_step_and_says_nobody_was_mailed(esc, caplog):
    app, clock = esc
    app.settings = dataclasses.replace(app.settings, teams={**TEAMS, 4: ()})
    ingest(app, clock, mail("maria@empresa.cl", "Sistema caído", CRITICAL), chile(2, 10))
    assert sweep(app, clock, chile(2, 12)) == 0
    assert sweep(app, clock, chile(2, 12, 1)) == 0
    with app.sessions() as s:
        assert s.scalar(select(func.count(EscalationFired.id))) == 1
        detail = s.scalar(select(TicketEvent.detail).where(TicketEvent.kind == "escalated"))
    assert "nobody mailed: [teams] level4 is empty" in detail
    assert "has no addresses" in caplog.text


def test_cli_sla_shows_clocks_due_times_and_escalations(esc, config_path):
    app, clock = esc
    ingest(app, clock, mail("María Pérez <maria@empresa.cl>", "Sistema caído", CRITICAL), chile(2, 10))
    sweep(app, clock, chile(2, 11, 30))
    result = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config_path), "sla", "MA-000001"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "MA-000001  Sistema caído" in out and "tier basic · severity critical · level 3 (assigned 3)" in out
    assert "received Mon 2026-03-02 10:00" in out
    assert "first response" in out and "2 business hours" in out and "Mon 2026-03-02 12:00" in out
    assert "resolution" in out and "24 business hours" in out and "Wed 2026-03-04 16:00" in out
    assert "BREACHED" in out  # the real clock of the subprocess is far past March 2026
    assert "Escalations fired:" in out
    assert "Mon 2026-03-02 11:30  warning    first response  level 3  → gerente@menteautonoma.cl, " \
           "subgerente@menteautonoma.cl" in out
    assert "Pauses: none" in out
    missing = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config_path), "sla", "MA-000999"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "no ticket MA-000999" in missing.stderr


def test_daemon_schedules_the_sweep_every_minute_and_survives_its_failure(esc, caplog):
    from mailbot.daemon import Daemon

    app, clock = esc
    d = Daemon(app)
    jobs = [j for j in d.scheduler.jobs if getattr(j.job_func, "__name__", "") == "run_escalations"]
    assert len(jobs) == 1 and jobs[0].interval == 1 and jobs[0].unit == "minutes"

    def broken():  # the database is unreachable
        raise ConnectionError("database unreachable")

    app.sessions = broken
    d.run_escalations()  # logged, not raised
    assert "escalation sweep failed" in caplog.text


# ---- the schema ------------------------------------------------------------------


def test_migration_0002_upgrades_a_database_created_at_0001(database_url):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from mailbot.db import alembic_config, make_engine, migrate
    from mailbot.models import Base

    engine = make_engine(database_url)
    cfg = alembic_config(database_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    now = datetime(2026, 3, 2, 13, 0, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (id, email, name, organisation, tier, language, created_at) "
                          "VALUES (1, 'a@b.cl', '', '', 'basic', 'es', :now)"), {"now": now})
        for number, status, level in ((1, "open", 3), (2, "resolved", 2), (3, "waiting", 1)):
            conn.execute(text(
                "INSERT INTO tickets (id, subject, status, severity, severity_reasons, tier, language, level, mailbox, "
                "requester_id, created_at, updated_at) VALUES (:id, 's', :status, 'general', '', 'basic', 'es', :level, "
                "'soporte', 1, :now, :now)"), {"id": number, "status": status, "level": level, "now": now})
    engine.dispose()

    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, assigned_level, next_due_at FROM tickets ORDER BY id")).all()
            assert [(r[0], r[1]) for r in rows] == [(1, 3), (2, 2), (3, 1)]
            due = {r[0]: r[2] for r in rows}
            assert due[1] is not None and due[3] is not None and due[2] is None
            assert "ix_tickets_next_due_at" in {ix["name"] for ix in inspect(conn).get_indexes("tickets")}
            # The models and the migrations describe the same schema.
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == [], diff
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO escalations (ticket_id, deadline, level, kind, fired_at, recipients) "
                              "VALUES (1, 'first_response', 4, 'escalation', :now, '')"), {"now": now})
        with pytest.raises(IntegrityError):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO escalations (ticket_id, deadline, level, kind, fired_at, recipients) "
                                  "VALUES (1, 'first_response', 4, 'escalation', :now, '')"), {"now": now})
    finally:
        engine.dispose()


# ---- pure pieces -------------------------------------------------------------------


def test_dates_in_spanish_and_english_without_the_locale():
    monday = chile(2, 11)
    assert format_local(monday, "es") == "lunes 2 de marzo, 11:00"
    assert format_local(monday, "en") == "Monday 2 March, 11:00"
    assert format_local(chile(5, 9, 5, month=4), "es") == "domingo 5 de abril, 09:05"
    assert format_local(monday, "es", now=datetime(2027, 1, 2, tzinfo=timezone.utc)) == "lunes 2 de marzo de 2026, 11:00"
    text_, cut = trim_text("palabra " * 400, 1500)
    assert cut and len(text_) <= 1504 and text_.endswith(" […]")


_INSTANTS = st.integers(min_value=0, max_value=20 * 24 * 60).map(
    lambda m: datetime(2026, 3, 2, tzinfo=timezone.utc) + timedelta(minutes=m))


@st.composite
def _states(draw):
    clocks = []
    for name in draw(st.sampled_from([("first_response",), ("first_response", "resolution")])):
        due = draw(_INSTANTS)
        warn = due - timedelta(minutes=draw(st.integers(0, 3000)))
        met = draw(st.one_of(st.none(), _INSTANTS)) if draw(st.booleans()) else None
        paused = draw(st.integers(0, 9)) == 0
        clocks.append(Clock(name, None if paused else due, None if paused else warn, met))
    fired = draw(st.frozensets(st.tuples(st.sampled_from(["first_response", "resolution"]), st.integers(1, 4),
                                         st.sampled_from(["warning", "escalation", "page"])), max_size=4))
    return TicketClockState(1, draw(st.integers(1, 4)), tuple(clocks), fired)


@hsettings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=_states(), now=_INSTANTS, repeat=st.sampled_from([0, 1, 60, 1440]), probe=st.floats(0, 1))
def test_next_check_is_exactly_when_the_next_step_comes_due(state, now, repeat, probe):
    """After firing what is due at ``now``, nothing is due before next_check and something is at it."""
    fired = set(state.fired)
    fired.update(s.key for s in due_escalations([state], now, repeat))
    state = dataclasses.replace(state, fired=frozenset(fired))
    assert due_escalations([state], now, repeat) == []
    wake = next_check(state.clocks, state.level, state.fired, now, repeat)
    if wake is None:
        later = now + timedelta(days=60)
        assert due_escalations([state], later, repeat) == []
        return
    assert wake > now
    before = now + (wake - now) * probe
    if before < wake:
        assert due_escalations([state], before, repeat) == []
    assert due_escalations([state], wake - timedelta(microseconds=1), repeat) == []
    assert due_escalations([state], wake, repeat) != []


def test_a_manager_acts_on_the_ticket_by_replying_to_the_escalation_mail(esc):
    app, clock = esc
    number = ingest(app, clock, mail("María Pérez <maria@empresa.cl>", "Sistema caído", CRITICAL), chile(2, 10))
    assert sweep(app, clock, chile(2, 12)) == 1  # breached: escalated to level 4, the director is mailed
    escalation = outbox(app, "escalation")[-1]
    assert escalation["to"] == list(TEAMS[4])
    # The director answers from the mail alone: a command and a line for the customer.
    clock.at = chile(2, 12, 5)
    reply = (f"From: Director <{TEAMS[4][0]}>\r\nTo: {escalation['reply_to']}\r\nSubject: Re: {escalation['subject']}\r\n"
             "Message-ID: <director-1@menteautonoma.cl>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
             "#asignar gerente@menteautonoma.cl\r\nEstimada María, ya estamos trabajando en su caso.\r\n").encode()
    assert record_inbound(app, "soporte", 1, next(_uids), reply, chile(2, 12, 5)) is not None
    outcome = process_next(app)
    assert outcome.state == "done", outcome.summary
    with app.sessions() as s:
        t = s.get(Ticket, number)
        assert t.assignee_id is not None and t.first_responded_at is not None
        relayed = s.scalars(select(Outbox).where(Outbox.kind == "reply", Outbox.ticket_id == number)).one()
        assert relayed.rcpt_to == "maria@empresa.cl" and b"ya estamos trabajando" in relayed.raw
    # The same reply address used by somebody else on the list does nothing.
    other = reply.replace(TEAMS[4][0].encode(), TEAMS[3][0].encode()).replace(b"director-1", b"director-2")
    assert record_inbound(app, "soporte", 1, next(_uids), other, chile(2, 12, 6)) is not None
    assert process_next(app).state == "quarantined"


def test_waiting_on_the_customer_for_two_days_does_not_breach(esc):
    from mailbot.tokens import agent_reply_address

    app, clock = esc
    number = ingest(app, clock, mail("María Pérez <maria@empresa.cl>", "ERP lento", IMPORTANT), chile(2, 10))
    due = ticket(app, number).first_response_due_at.replace(tzinfo=timezone.utc)
    # Monday 11:00 the supervisor asks for logs and puts the ticket on hold, by mail.
    clock.at = chile(2, 11)
    token = agent_reply_address("soporte@menteautonoma.cl", "MA", number, TEAMS[2][0], app.secret)
    hold = (f"From: {TEAMS[2][0]}\r\nTo: {token}\r\nSubject: Re: ERP lento\r\nMessage-ID: <sup-1@menteautonoma.cl>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n#estado esperando\r\n").encode()
    record_inbound(app, "soporte", 1, next(_uids), hold, chile(2, 11))
    assert process_next(app).state == "done"
    assert ticket(app, number).status == "waiting"
    # Past the original warning and deadline (Wednesday 16:00), two days on hold: nothing fires.
    for day, hour in ((3, 9), (3, 12), (4, 10), (4, 17)):
        assert sweep(app, clock, chile(day, hour)) == 0
    assert outbox(app) == []
    # Wednesday 17:00 María answers: the clock resumes where it stopped (1 business hour used).
    answer = mail("María Pérez <maria@empresa.cl>", f"Re: [MA-{number:06d}] ERP lento", "Adjunto los logs.")
    assert ingest(app, clock, answer, chile(4, 17)) == number
    with app.sessions() as s:
        t = s.get(Ticket, number)
        assert t.status == "open"
        kinds = [e.kind for e in t.events]
    assert kinds.count("paused") == 1 and "customer-replied" in kinds
    # 24 business hours minus the 1 used before the pause: 23 left from Wednesday 17:00.
    # Wed 17-18 is 1 h, Thursday and Friday 9 h each: 4 h left on Monday 9 March, so 13:00.
    from mailbot.escalation import load_sla

    with app.sessions() as s:
        resumed = load_sla(app, s, s.get(Ticket, number)).clock("first_response").due_at
    assert due == chile(4, 16) and resumed == chile(9, 13)
