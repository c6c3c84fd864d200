"""The pipeline without IMAP: record (transaction 1) then process (transaction 2).

For inputs the IMAP test server itself cannot store (pymap recurses on a 1,000-deep
multipart), and for the idempotence guarantees of the two transactions.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from mailbot.ingest import process_next, record_inbound
from mailbot.models import InboundMail, Message, Outbox, Quarantine, Ticket
from tests.test_end_to_end import _nested_multipart

NOW = datetime(2026, 3, 2, 13, 0, tzinfo=timezone.utc)


def _simple(i: int) -> bytes:
    return (f"From: Cliente <cliente{i}@empresa.cl>\r\nTo: soporte@menteautonoma.cl\r\nSubject: Consulta {i}\r\n"
            f"Message-ID: <p-{i}@empresa.cl>\r\n\r\nHola, ¿cómo exporto el reporte mensual a Excel?\r\n").encode()


def test_thousand_deep_multipart_is_quarantined_and_next_message_processed(app):
    assert record_inbound(app, "soporte", 7, 1, _nested_multipart(1000), NOW) is not None
    assert record_inbound(app, "soporte", 7, 2, _simple(1), NOW) is not None
    first, second = process_next(app), process_next(app)
    assert first.state == "quarantined" and "nests multiparts" in first.summary
    assert second.state == "done" and second.ticket is not None
    with app.sessions() as s:
        q = s.scalars(select(Quarantine)).one()
        assert "max_multipart_depth" in q.reason
        assert s.get(InboundMail, q.inbound_id).raw == _nested_multipart(1000)


def test_recording_twice_is_a_no_op_and_processing_is_idempotent(app):
    assert record_inbound(app, "soporte", 7, 1, _simple(1), NOW) is not None
    assert record_inbound(app, "soporte", 7, 1, _simple(1), NOW) is None  # same UID
    assert record_inbound(app, "soporte", 8, 1, _simple(1), NOW) is None  # UIDVALIDITY changed, same bytes
    # The same message delivered again with different bytes (another Received: line) is a duplicate ticket message.
    assert record_inbound(app, "soporte", 7, 2, b"Received: by relay2\r\n" + _simple(1), NOW) is not None
    assert process_next(app).state == "done"
    assert process_next(app).state == "duplicate"
    assert process_next(app) is None
    with app.sessions() as s:
        assert s.scalar(select(func.count(Ticket.id))) == 1
        assert s.scalar(select(func.count(Message.id)).where(Message.direction == "in")) == 1
        assert s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "ack")) == 1
        assert s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "notification")) == 1  # to agente@


def test_sla_start_is_receipt_time_not_the_date_header(app):
    raw = _simple(3).replace(b"Subject:", b"Date: Mon, 1 Jan 2001 00:00:00 +0000\r\nSubject:")
    record_inbound(app, "soporte", 7, 3, raw, NOW)
    outcome = process_next(app)
    with app.sessions() as s:
        created = s.get(Ticket, outcome.ticket).created_at
    assert created.replace(tzinfo=timezone.utc) == NOW


def test_attachment_stored_under_its_hash_with_a_sanitised_name(app):
    from email.message import EmailMessage

    from mailbot.attachments import blob_path
    from mailbot.models import Attachment

    msg = EmailMessage()
    msg["From"] = "cliente@empresa.cl"
    msg["To"] = "soporte@menteautonoma.cl"
    msg["Subject"] = "Captura del error"
    msg["Message-ID"] = "<att@empresa.cl>"
    msg.set_content("Adjunto la captura de pantalla del error al guardar.")
    payload = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10
    msg.add_attachment(payload, maintype="image", subtype="png", filename="../../etc/pass\x07wd.png")
    record_inbound(app, "soporte", 7, 9, msg.as_bytes(), NOW)
    assert process_next(app).state == "done"
    with app.sessions() as s:
        att = s.scalars(select(Attachment)).one()
    assert "/" not in att.filename and ".." not in att.filename and "\x07" not in att.filename
    assert att.filename.endswith(".png") and att.size == len(payload) and att.stored
    assert blob_path(app.settings.data_dir, att.sha256).read_bytes() == payload


def test_one_log_line_per_decision(app, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="mailbot.decisions")
    record_inbound(app, "soporte", 7, 10, _simple(10), NOW)
    record_inbound(app, "soporte", 7, 11, b"Received: x\r\n" + _simple(10), NOW)
    process_next(app), process_next(app)
    lines = [r.getMessage() for r in caplog.records if r.name == "mailbot.decisions"]
    assert len(lines) == 2
    assert lines[0].startswith("ticket MA-000001 created from cliente10@empresa.cl") and "ack queued" in lines[0]
    assert "ignored" in lines[1] and "already in a ticket" in lines[1]


def test_cli_show_tickets_quarantine_and_requeue(app, config_path):
    import subprocess
    import sys

    record_inbound(app, "soporte", 7, 20, _simple(20), NOW)
    record_inbound(app, "soporte", 7, 21, _nested_multipart(30), NOW)
    process_next(app), process_next(app)

    def mailbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config_path), *args],
                              capture_output=True, text=True, timeout=60)

    listing = mailbot("tickets")
    assert listing.returncode == 0 and "MA-000001" in listing.stdout and "Consulta 20" in listing.stdout
    shown = mailbot("show", "MA-000001")
    assert shown.returncode == 0, shown.stderr
    assert "¿cómo exporto el reporte mensual a Excel?" in shown.stdout and "ack-queued" in shown.stdout
    assert mailbot("show", "MA-000999").returncode == 1
    quarantine = mailbot("quarantine", "list")
    assert "max_multipart_depth" in quarantine.stdout
    qid = quarantine.stdout.splitlines()[1].split()[0]
    requeued = mailbot("requeue", qid)
    assert requeued.returncode == 0, requeued.stderr
    assert "quarantine is empty" in mailbot("quarantine", "list").stdout
    with app.sessions() as s:
        assert s.scalar(select(InboundMail.state).where(InboundMail.uid == 21)) == "pending"


def test_deadlines_set_on_business_hours_from_receipt(app):
    # Monday 2 March 2026, 10:00 in Santiago (UTC-3): a basic general question has 24 business
    # hours: 8 on Monday, 9 on Tuesday, 7 on Wednesday -> Wednesday 16:00 local, 19:00 UTC.
    record_inbound(app, "soporte", 7, 30, _simple(30), NOW)
    outcome = process_next(app)
    with app.sessions() as s:
        t = s.get(Ticket, outcome.ticket)
        assert (t.tier, t.severity) == ("basic", "general")
        assert t.first_response_due_at.replace(tzinfo=timezone.utc) == datetime(2026, 3, 4, 19, 0, tzinfo=timezone.utc)
        assert t.resolution_due_at is None


def test_ack_asks_for_what_is_missing_and_suggests_a_relevant_article(app):
    import email
    import email.policy

    raw = (b"From: Cliente <cliente40@empresa.cl>\r\nTo: soporte@menteautonoma.cl\r\n"
           b"Subject: Error al exportar reportes a Excel\r\nMessage-ID: <kb-1@empresa.cl>\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
           b"Hola, desde ayer aparece un error al exportar el reporte de ventas a Excel, el archivo sale vac\xc3\xado.\r\n")
    record_inbound(app, "soporte", 7, 40, raw, NOW)
    outcome = process_next(app)
    with app.sessions() as s:
        assert s.get(Ticket, outcome.ticket).severity == "important"
        ack = s.scalars(select(Outbox).where(Outbox.ticket_id == outcome.ticket, Outbox.kind == "ack")).one()
    text = email.message_from_bytes(ack.raw, policy=email.policy.default).get_body(("plain",)).get_content()
    assert "los pasos para reproducir el error" in text
    assert "capturas de pantalla o un video del error" in text
    assert "exportar-reportes-excel" in text  # the starter article from config/kb
    assert "antes del miércoles 4 de marzo, 16:00 (hora de Chile)" in text  # 24 business hours from Monday 10:00


def test_record_batch_commits_new_ones_and_skips_known_and_repeated(app):
    from mailbot.ingest import Fetched, record_batch

    assert record_inbound(app, "soporte", 7, 50, _simple(50), NOW) is not None
    batch = [Fetched(50, _simple(50), NOW), Fetched(51, _simple(51), NOW), Fetched(52, _simple(51), NOW)]
    assert record_batch(app, "soporte", 7, batch) == 1  # 50 known by UID, 52 repeats 51's bytes
    assert record_batch(app, "soporte", 7, batch) == 0
    with app.sessions() as s:
        assert sorted(s.scalars(select(InboundMail.uid))) == [50, 51]


def test_new_sender_of_a_premium_organisation_gets_premium_sla(app):
    from mailbot.models import Customer

    with app.sessions.begin() as s:
        s.add(Customer(email="@empresa.cl", name="", organisation="Empresa S.A.", tier="premium", language="es", created_at=NOW))
    record_inbound(app, "soporte", 7, 60, _simple(60), NOW)
    outcome = process_next(app)
    with app.sessions() as s:
        t = s.get(Ticket, outcome.ticket)
        assert (t.tier, t.requester.organisation) == ("premium", "Empresa S.A.")
        # premium general: 2 business hours from Monday 10:00 Chile -> 12:00 Chile = 15:00 UTC
        assert t.first_response_due_at.replace(tzinfo=timezone.utc) == datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)


def test_ack_quotes_the_deadline_in_the_customers_time_zone(app):
    import email
    import email.policy

    from mailbot.models import Customer

    with app.sessions.begin() as s:
        s.add(Customer(email="@empresa.cl", name="", organisation="Empresa Colombia", tier="basic", language="es",
                       timezone="America/Bogota", created_at=NOW))
    raw = (b"From: Cliente <cliente70@empresa.cl>\r\nTo: soporte@menteautonoma.cl\r\n"
           b"Subject: Error al exportar reportes a Excel\r\nMessage-ID: <tz-1@empresa.cl>\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\nHola, aparece un error al exportar el reporte a Excel.\r\n")
    record_inbound(app, "soporte", 7, 70, raw, NOW)
    outcome = process_next(app)
    with app.sessions() as s:
        ack = s.scalars(select(Outbox).where(Outbox.ticket_id == outcome.ticket, Outbox.kind == "ack")).one()
        # The new sender inherited the organisation's zone.
        assert s.scalar(select(Customer.timezone).where(Customer.email == "cliente70@empresa.cl")) == "America/Bogota"
    text = email.message_from_bytes(ack.raw, policy=email.policy.default).get_body(("plain",)).get_content()
    # The same deadline as above (Wednesday 16:00 in Santiago, UTC-3 in March) is 14:00 in Bogotá (UTC-5).
    assert "antes del miércoles 4 de marzo, 14:00 (America/Bogota)" in text


def test_hold_policy_keeps_unknown_senders_tickets_for_review(app):
    import dataclasses

    from mailbot.models import Customer, TicketEvent
    from mailbot.tokens import agent_reply_address

    app.settings = dataclasses.replace(app.settings, agents=dataclasses.replace(app.settings.agents, unknown_senders="hold"))
    with app.sessions.begin() as s:
        s.add(Customer(email="conocido@cliente.cl", name="", organisation="", tier="basic", language="es", created_at=NOW))
    record_inbound(app, "soporte", 7, 80, _simple(80), NOW)  # cliente80@empresa.cl: not in the directory
    known = _simple(81).replace(b"cliente81@empresa.cl", b"conocido@cliente.cl")
    record_inbound(app, "soporte", 7, 81, known, NOW)
    held, accepted = process_next(app), process_next(app)
    with app.sessions() as s:
        assert s.get(Ticket, held.ticket).status == "held"
        assert s.get(Ticket, accepted.ticket).status == "open"
        kinds = {k for (k,) in s.execute(select(Outbox.kind).where(Outbox.ticket_id == held.ticket))}
        assert kinds == {"notification"}  # the team is asked to review; the sender gets nothing yet
        assert "ack" in {k for (k,) in s.execute(select(Outbox.kind).where(Outbox.ticket_id == accepted.ticket))}
    # An agent accepts it by replying "#estado abierto" to the notification.
    token = agent_reply_address("soporte@menteautonoma.cl", "MA", held.ticket, "agente@menteautonoma.cl", app.secret)
    accept = (f"From: agente@menteautonoma.cl\r\nTo: {token}\r\nSubject: Re: review\r\n"
              "Message-ID: <accept-1@menteautonoma.cl>\r\n\r\n#estado abierto\r\n").encode()
    record_inbound(app, "soporte", 7, 82, accept, NOW)
    assert process_next(app).state == "done"
    with app.sessions() as s:
        assert s.get(Ticket, held.ticket).status == "open"
        assert s.scalar(select(TicketEvent.id).where(TicketEvent.ticket_id == held.ticket, TicketEvent.kind == "held"))


def test_required_authentication_results_reads_only_our_mta_header(app):
    import dataclasses

    from mailbot.tokens import agent_reply_address

    app.settings = dataclasses.replace(app.settings, agents=dataclasses.replace(
        app.settings.agents, require_authentication_results=True, authserv_id="mx.menteautonoma.cl"))
    record_inbound(app, "soporte", 7, 90, _simple(90), NOW)
    number = process_next(app).ticket
    token = agent_reply_address("soporte@menteautonoma.cl", "MA", number, "agente@menteautonoma.cl", app.secret)

    def reply(uid: int, auth: str) -> str:
        raw = (f"From: agente@menteautonoma.cl\r\nTo: {token}\r\nSubject: Re: x\r\nMessage-ID: <auth-{uid}@menteautonoma.cl>\r\n"
               f"{auth}\r\n#estado esperando\r\n").encode()
        record_inbound(app, "soporte", 7, uid, raw, NOW)
        return process_next(app).state

    assert reply(91, "") == "quarantined"  # no header at all
    # A pass written by someone else's server (or by the sender) does not count.
    assert reply(92, "Authentication-Results: evil.example; dmarc=pass\r\n") == "quarantined"
    assert reply(93, "Authentication-Results: mx.menteautonoma.cl; dkim=fail; dmarc=fail\r\n") == "quarantined"
    with app.sessions() as s:
        assert s.get(Ticket, number).status == "open"
    assert reply(94, "Authentication-Results: mx.menteautonoma.cl; dkim=pass header.d=menteautonoma.cl; dmarc=pass\r\n") == "done"
    with app.sessions() as s:
        assert s.get(Ticket, number).status == "waiting"


def test_open_important_ticket_reminds_its_assignee_weekly(app):
    from datetime import timedelta

    from mailbot.lifecycle import run_lifecycle
    from mailbot.tokens import agent_reply_address

    raw = (b"From: Cliente <cliente95@empresa.cl>\r\nTo: soporte@menteautonoma.cl\r\nSubject: ERP lento\r\n"
           b"Message-ID: <rem-1@empresa.cl>\r\n\r\nLa integracion con el ERP esta lenta y da error al sincronizar.\r\n")
    record_inbound(app, "soporte", 7, 95, raw, NOW)
    number = process_next(app).ticket
    token = agent_reply_address("soporte@menteautonoma.cl", "MA", number, "agente@menteautonoma.cl", app.secret)
    record_inbound(app, "soporte", 7, 96, (f"From: agente@menteautonoma.cl\r\nTo: {token}\r\nSubject: Re\r\n"
                                           "Message-ID: <rem-2@menteautonoma.cl>\r\n\r\nLo revisamos hoy.\r\n").encode(), NOW)
    assert process_next(app).state == "done"

    def reminders() -> int:
        with app.sessions() as s:
            return s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "agent_reminder",
                                                                Outbox.rcpt_to == "agente@menteautonoma.cl")) or 0
    with app.sessions() as s:
        assert s.get(Ticket, number).severity == "important"
    for days, expected in ((6, 0), (7, 1), (8, 1), (14, 2)):
        app.clock = lambda days=days: NOW + timedelta(days=days, minutes=1)
        run_lifecycle(app)
        assert reminders() == expected, days
