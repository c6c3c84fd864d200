"""What is working right now: one snapshot read by /readyz, the heartbeat, the alerts and the dashboard.

A mailbox counts as reached when this instance's watcher read it recently, or, when
another instance holds the mailbox's lease, when that instance did (the cursor's
``last_fetch_at`` in the database): a standby instance is then ready too, and does not
report the mailbox as down in its heartbeat.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from mailbot.db import as_utc
from mailbot.models import Lease, MailboxCursor, Outbox, Quarantine
from mailbot.telemetry import RelayState, relay_snapshot

log = logging.getLogger("mailbot.health")

# A loop that has not come round for this long is treated as hung.
LOOP_STALE_SECONDS = 120.0
DATABASE_PROBE_CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class MailboxState:
    name: str
    connected: bool  # this instance's watcher is logged in
    held_elsewhere: bool  # another instance holds the lease: it reads the mailbox
    last_reached_at: datetime | None  # by this instance or, if held elsewhere, by the holder
    login_rejected: bool
    last_error: str

    def reached_within(self, now: datetime, seconds: float) -> bool:
        return self.last_reached_at is not None and (now - self.last_reached_at).total_seconds() <= seconds

    def ok(self, now: datetime, seconds: float) -> bool:
        """Connected here, or read recently by the instance that holds it."""
        return self.connected or (self.held_elsewhere and self.reached_within(now, seconds))


@dataclass(frozen=True)
class SystemState:
    at: datetime
    mailboxes: tuple[MailboxState, ...]
    loops: dict[str, bool]  # thread name -> alive and not hung
    database_ok: bool
    database_error: str
    outbox_depth: int
    outbox_oldest_at: datetime | None
    outbox_failed_recent: int
    outbox_last_failure: str
    quarantine_size: int
    quarantine_newest: str
    relay: RelayState

    def outbox_oldest_seconds(self) -> float:
        return (self.at - self.outbox_oldest_at).total_seconds() if self.outbox_oldest_at else 0.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


class DatabaseProbe:
    """Proves the database takes writes (an insert rolled back), at most every few seconds."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._at = float("-inf")
        self._result: tuple[bool, str] = (False, "not checked yet")

    def check(self) -> tuple[bool, str]:
        with self._lock:
            if time.monotonic() - self._at < DATABASE_PROBE_CACHE_SECONDS:
                return self._result
            try:
                with self.app.sessions() as s:
                    # A real write, never committed: a read-only or full database fails here.
                    s.add(Lease(name=f"probe:{uuid.uuid4().hex}", holder=self.app.instance_id, expires_at=self.app.clock()))
                    s.flush()
                    s.rollback()
                self._result = (True, "")
            except Exception as exc:  # noqa: BLE001 - the probe reports, never raises
                self._result = (False, f"{type(exc).__name__}: {exc}"[:300])
            self._at = time.monotonic()
            return self._result


def snapshot(daemon: Any) -> SystemState:
    """Read the state of every part; never raises (a database failure is part of the state)."""
    app = daemon.app
    now = app.clock()
    alerts = app.settings.alerts
    db_ok, db_error = daemon.database_probe.check()
    cursors: dict[str, datetime | None] = {}
    holders: dict[str, tuple[str, datetime | None]] = {}
    depth, oldest, failed_recent, last_failure, q_size, q_newest = 0, None, 0, "", 0, ""
    try:
        with app.sessions() as s:
            cursors = {name: as_utc(at) for name, at in s.execute(select(MailboxCursor.mailbox, MailboxCursor.last_fetch_at))}
            holders = {name: (holder, as_utc(expires)) for name, holder, expires in
                       s.execute(select(Lease.name, Lease.holder, Lease.expires_at).where(Lease.name.like("mailbox:%")))}
            depth, oldest = s.execute(select(func.count(Outbox.id), func.min(Outbox.created_at)).where(Outbox.status == "queued")).one()
            since = now - timedelta(hours=alerts.failed_lookback_hours)
            failed_recent = s.scalar(select(func.count(Outbox.id)).where(Outbox.status == "failed", Outbox.created_at >= since)) or 0
            if failed_recent:
                row = s.execute(select(Outbox.id, Outbox.kind, Outbox.rcpt_to, Outbox.last_error)
                                .where(Outbox.status == "failed", Outbox.created_at >= since).order_by(Outbox.id.desc()).limit(1)).one()
                last_failure = f"outbox {row.id} ({row.kind} to {row.rcpt_to}): {row.last_error}"[:500]
            q_size = s.scalar(select(func.count(Quarantine.id)).where(Quarantine.released_at.is_(None))) or 0
            if q_size:
                q = s.execute(select(Quarantine.id, Quarantine.reason).where(Quarantine.released_at.is_(None))
                              .order_by(Quarantine.id.desc()).limit(1)).one()
                q_newest = f"quarantine {q.id}: {q.reason}"[:500]
    except Exception as exc:  # noqa: BLE001
        db_ok, db_error = False, f"{type(exc).__name__}: {exc}"[:300]
    mailboxes = []
    for w in daemon.watchers:
        name = w.mailbox.name
        holder, expires = holders.get(f"mailbox:{name}", ("", None))
        held_elsewhere = bool(holder) and holder != app.instance_id and expires is not None and expires > now
        own = as_utc(w.last_fetch_at)
        reached = cursors.get(name) if held_elsewhere else own
        mailboxes.append(MailboxState(name, bool(w.connected), held_elsewhere, reached,
                                      bool(getattr(w, "login_rejected", False)), w.last_error))
    return SystemState(
        at=now, mailboxes=tuple(mailboxes), loops=loop_states(daemon), database_ok=db_ok, database_error=db_error,
        outbox_depth=depth or 0, outbox_oldest_at=as_utc(oldest), outbox_failed_recent=failed_recent,
        outbox_last_failure=last_failure, quarantine_size=q_size, quarantine_newest=q_newest, relay=relay_snapshot(),
    )


def loop_states(daemon: Any) -> dict[str, bool]:
    """Thread name -> alive (and, for the pipeline, not stuck in one turn for minutes)."""
    loops = {t.name: t.is_alive() for t in daemon.loop_threads()}
    beat = getattr(daemon.pipeline, "beat", None)
    if beat is not None and time.monotonic() - beat > LOOP_STALE_SECONDS:
        loops[daemon.pipeline.name] = False
    return loops


def liveness(loops: dict[str, bool]) -> list[Check]:
    """/healthz: the process is alive and every loop runs (no database query: it must stay cheap)."""
    return [Check(f"loop {name}", alive, "" if alive else "thread stopped or hung") for name, alive in loops.items()]


def readiness(state: SystemState, settings: Any) -> list[Check]:
    """Each mailbox reached lately, the database writable, the outbox not stuck."""
    max_age = settings.http.ready_max_fetch_age_seconds
    checks = []
    for m in state.mailboxes:
        if m.reached_within(state.at, max_age) and (m.connected or m.held_elsewhere):
            detail = f"read {int((state.at - m.last_reached_at).total_seconds())} s ago" + (" by another instance" if m.held_elsewhere else "")
            checks.append(Check(f"mailbox {m.name}", True, detail))
        else:
            why = "login rejected (wrong password or revoked credential)" if m.login_rejected else (m.last_error or "not connected")
            last = f"last read {m.last_reached_at:%Y-%m-%d %H:%M:%S} UTC" if m.last_reached_at else "never read"
            checks.append(Check(f"mailbox {m.name}", False, f"{why}; {last}"))
    checks.append(Check("database", state.database_ok, "writable" if state.database_ok else state.database_error))
    limit = settings.alerts.outbox_age_minutes * 60
    stuck = state.outbox_oldest_seconds() > limit
    checks.append(Check("outbox", not stuck, f"{state.outbox_depth} queued, oldest {int(state.outbox_oldest_seconds())} s"
                        + (f" (over {int(limit)} s)" if stuck else "")))
    return checks
