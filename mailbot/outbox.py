"""The outbox sender: the only code that opens an SMTP connection.

Rows are claimed (on PostgreSQL with SELECT ... FOR UPDATE SKIP LOCKED, so several
instances never take the same row; on SQLite one sender runs under a lease),
delivered, then marked (a batch's results in one transaction). 4xx replies and network errors retry with exponential
backoff; 5xx replies mark the row failed with the server's reason. A crash between
the server's acceptance and the mark may send the same mail again, with the same
Message-ID; nothing else can.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from mailbot import telemetry
from mailbot.app import App
from mailbot.config import SmtpConfig
from mailbot.db import as_utc
from mailbot.leases import hold_lease
from mailbot.models import Outbox

log = logging.getLogger("mailbot.outbox")

CLAIM_SECONDS = 300
BATCH = 20
# RFC 3834 3.3: automatic responses go out with a null envelope sender, so that
# a bounce of a bounce cannot happen.
NULL_SENDER_KINDS = frozenset({"ack", "limit_notice"})


@dataclass(frozen=True)
class Claimed:
    id: int
    mail_from: str
    rcpt_to: tuple[str, ...]
    raw: bytes
    attempts: int
    kind: str


def claim_due(app: App, limit: int = BATCH) -> list[Claimed]:
    now = app.clock()
    with app.sessions.begin() as s:
        query = (select(Outbox).where(Outbox.status == "queued", Outbox.next_attempt_at <= now)
                 .order_by(Outbox.id).limit(limit))
        if not app.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = s.scalars(query).all()
        for row in rows:
            # The claim is a lease: if we die mid-send the row comes due again later.
            row.next_attempt_at = now + timedelta(seconds=CLAIM_SECONDS)
        return [Claimed(r.id, r.mail_from, tuple(a for a in r.rcpt_to.split(",") if a), r.raw, r.attempts, r.kind)
                for r in rows]


def open_smtp(cfg: SmtpConfig) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if cfg.security == "tls":
        conn: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=context)
    else:
        conn = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        if cfg.security == "starttls":
            conn.starttls(context=context)
    if cfg.username:
        password = cfg.password.resolve()
        if password is None:
            raise smtplib.SMTPAuthenticationError(535, f"no SMTP password in {cfg.password.describe()}".encode())
        conn.login(cfg.username, password)
    return conn


@dataclass(frozen=True)
class _Mark:
    """What became of one claimed row, written with the rest of its batch."""

    row_id: int
    attempts: int
    at: datetime
    sent: bool = False
    failed: str = ""
    retry: str = ""


def _mark_all(app: App, marks: list[_Mark]) -> None:
    """Record a whole batch's results in one transaction (one fsync instead of one per mail).

    Until this commits the rows stay claimed; a crash here means they come due again
    after CLAIM_SECONDS and the mails already accepted are sent again with the same
    Message-ID, the one duplicate the design allows (now for up to BATCH mails, not one).
    """
    if not marks:
        return
    cfg = app.settings.smtp
    with app.sessions.begin() as s:
        for m in marks:
            _apply(s.get(Outbox, m.row_id), m, cfg)


def _apply(row: Outbox, m: _Mark, cfg: SmtpConfig) -> None:
    now, row_id, retry = m.at, m.row_id, m.retry
    row.attempts = m.attempts + 1
    if m.sent:
        row.status, row.sent_at, row.last_error = "sent", now, ""
        telemetry.OUTBOX_SENT.labels(row.kind).inc()
        if row.kind == "ack":
            telemetry.ACK_LATENCY.observe(max(0.0, (now - as_utc(row.created_at)).total_seconds()))
    elif m.failed or row.attempts >= cfg.max_attempts:
        row.status, row.last_error = "failed", m.failed or f"gave up after {row.attempts} attempts: {retry}"
        telemetry.OUTBOX_FAILURES.labels(row.kind, "true").inc()
        log.error("outbox %s: delivery failed permanently: %s", row_id, row.last_error)
    else:
        telemetry.OUTBOX_FAILURES.labels(row.kind, "false").inc()
        delay = min(cfg.backoff_base_seconds * 2 ** (row.attempts - 1), cfg.backoff_max_seconds)
        row.next_attempt_at, row.last_error = now + timedelta(seconds=delay), retry
        log.warning("outbox %s: attempt %d failed (%s); retrying in %.0f s", row_id, row.attempts, retry, delay)


def send_due(app: App) -> int:
    """Deliver what is due; return how many rows were handled."""
    claimed = claim_due(app)
    if not claimed:
        return 0
    marks: list[_Mark] = []
    try:
        _deliver(app, claimed, marks)
    finally:
        _mark_all(app, marks)
    return len(claimed)


def _deliver(app: App, claimed: list[Claimed], marks: list[_Mark]) -> None:
    def mark(c: Claimed, **outcome: object) -> None:
        marks.append(_Mark(c.id, c.attempts, app.clock(), **outcome))  # type: ignore[arg-type]

    try:
        conn = open_smtp(app.settings.smtp)
    except (OSError, smtplib.SMTPException) as exc:
        telemetry.relay_failed(app.clock(), f"{type(exc).__name__}: {exc}")
        for c in claimed:
            mark(c, retry=f"cannot reach SMTP relay: {exc}")
        return
    telemetry.relay_ok(app.clock())
    try:
        for index, c in enumerate(claimed):
            try:
                sender = "" if c.kind in NULL_SENDER_KINDS else c.mail_from
                refused = conn.sendmail(sender, list(c.rcpt_to), c.raw)
                if refused:
                    log.warning("outbox %s: some recipients refused: %s", c.id, refused)
                mark(c, sent=True)
                log.info("outbox %s: %s delivered to %s", c.id, c.kind, ", ".join(c.rcpt_to))
            except smtplib.SMTPRecipientsRefused as exc:
                mark(c, failed=f"all recipients refused: {exc.recipients}")
            except smtplib.SMTPResponseException as exc:
                reason = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
                if 500 <= exc.smtp_code < 600:
                    mark(c, failed=reason)
                else:
                    mark(c, retry=reason)
            except (OSError, smtplib.SMTPException) as exc:
                # The connection is gone: this and the rest of the batch go back in the queue.
                for rest in claimed[index:]:
                    mark(rest, retry=f"{type(exc).__name__}: {exc}")
                return
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException, socket.timeout):
            conn.close()


def outbox_depth(app: App) -> int:
    with app.sessions() as s:
        return s.scalar(select(func.count(Outbox.id)).where(Outbox.status == "queued")) or 0


def next_due_in(app: App, cap: float) -> float:
    with app.sessions() as s:
        due = s.scalar(select(func.min(Outbox.next_attempt_at)).where(Outbox.status == "queued"))
    if due is None:
        return cap
    return max(0.0, min(cap, (as_utc(due) - app.clock()).total_seconds()))


class OutboxSender(threading.Thread):
    def __init__(self, app: App, stop: threading.Event, wake: threading.Event) -> None:
        super().__init__(name="outbox", daemon=True)
        self.app, self.stop_event, self.wake = app, stop, wake

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                if self.app.is_sqlite and not hold_lease(self.app, "outbox-sender", self.app.settings.lease_seconds):
                    self.stop_event.wait(self.app.settings.lease_seconds / 3)
                    continue
                if send_due(self.app):
                    continue
                wait = next_due_in(self.app, 5.0)
            except Exception:  # noqa: BLE001 - the sender must outlive any one failure
                log.exception("outbox sender iteration failed")
                wait = 5.0
            self.wake.wait(wait)
            self.wake.clear()
