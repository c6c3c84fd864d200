"""process_batch: many messages per commit, yet a failing message is rolled back, retried and quarantined alone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from mailbot.app import build_app
from mailbot.config import load_settings
from mailbot.db import migrate
from mailbot.ingest import process_batch, record_inbound
from mailbot.models import InboundMail, Message, Outbox, Quarantine, Ticket
from tests.conftest import write_config
from tests.test_pipeline import _simple
from tests.test_quarantine_and_outbox import _with_attachment

NOW = datetime(2026, 3, 2, 13, 0, tzinfo=timezone.utc)


def test_a_failing_message_is_rolled_back_alone_and_the_rest_of_its_batch_commits(tmp_path, servers, database_url):
    config = write_config(tmp_path, servers, database_url,
                          extra="[quarantine]\nafter_attempts = 3\nretry_base_seconds = 1\n")
    settings = load_settings(config)
    migrate(settings.database_url)
    # The attachment store cannot be created: processing a message with an attachment raises.
    Path(settings.data_dir).write_text("not a directory")
    now = [NOW]
    app = build_app(settings, clock=lambda: now[0])

    def later() -> None:  # past any retry backoff
        now[0] += timedelta(hours=1)

    try:
        record_inbound(app, "soporte", 7, 1, _simple(1), NOW)
        record_inbound(app, "soporte", 7, 2, _with_attachment("fails@x"), NOW)
        record_inbound(app, "soporte", 7, 3, _simple(3), NOW)

        outcomes = process_batch(app)
        assert [o.state for o in outcomes] == ["done", "retry", "done"]
        assert all(o.mailbox == "soporte" for o in outcomes)
        with app.sessions() as s:
            failing = s.scalars(select(InboundMail).where(InboundMail.message_id == "fails@x")).one()
            assert (failing.state, failing.attempts) == ("pending", 1)
            # Nothing of the failed message survived its savepoint; both others are whole tickets with an ack.
            assert s.scalar(select(func.count(Message.id)).where(Message.message_id == "fails@x")) == 0
            assert s.scalar(select(func.count(Ticket.id))) == 2
            assert s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "ack")) == 2

        assert process_batch(app) == []  # backing off
        later()
        assert [o.state for o in process_batch(app)] == ["retry"]
        later()
        assert [o.state for o in process_batch(app)] == ["quarantined"]
        later()
        assert process_batch(app) == []
        with app.sessions() as s:
            q = s.scalars(select(Quarantine)).one()
            assert s.get(InboundMail, q.inbound_id).message_id == "fails@x"
            assert "Traceback" in q.traceback
    finally:
        app.engine.dispose()


def test_a_batch_takes_at_most_its_limit_in_arrival_order(app):
    for i in range(1, 6):
        record_inbound(app, "soporte", 7, i, _simple(i), NOW)
    first = process_batch(app, limit=3)
    assert [o.state for o in first] == ["done"] * 3
    assert [o.inbound_id for o in first] == sorted(o.inbound_id for o in first)
    assert len(process_batch(app, limit=3)) == 2
    assert process_batch(app) == []
    with app.sessions() as s:
        assert s.scalar(select(func.count(Ticket.id))) == 5
