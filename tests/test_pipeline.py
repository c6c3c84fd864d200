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
        assert s.scalar(select(func.count(Outbox.id))) == 1


def test_sla_start_is_receipt_time_not_the_date_header(app):
    raw = _simple(3).replace(b"Subject:", b"Date: Mon, 1 Jan 2001 00:00:00 +0000\r\nSubject:")
    record_inbound(app, "soporte", 7, 3, raw, NOW)
    outcome = process_next(app)
    with app.sessions() as s:
        created = s.get(Ticket, outcome.ticket).created_at
    assert created.replace(tzinfo=timezone.utc) == NOW
