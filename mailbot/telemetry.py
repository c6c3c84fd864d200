"""Prometheus metrics: events are counted in-process, database facts are read at scrape time.

Two kinds of numbers, kept apart on purpose:

* **Events** (messages ingested, mails sent, latencies, alert transitions) happen in
  this process and are observed where they happen, on the module-level registry
  ``EVENTS``. Each instance exports its own; Prometheus sums them.
* **Facts of the database** (tickets by status, outbox depth, quarantine size,
  deadlines, escalations fired) are read by ``DatabaseCollector`` when Prometheus
  scrapes, with a short cache, so that every instance sharing the database reports
  the same values and a scrape every few seconds costs a handful of small queries.

``LiveCollector`` reports what only this process knows: whether each mailbox watcher
is connected and whether each loop thread is alive.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select

from mailbot.db import as_utc
from mailbot.models import ACTIVE_STATUSES, AlertState, EscalationFired, InboundMail, MailboxCursor, Outbox, Quarantine, Ticket

if TYPE_CHECKING:
    from mailbot.app import App

EVENTS = CollectorRegistry(auto_describe=True)

# Latencies of a support pipeline: sub-second normally, minutes when something is wrong.
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

MESSAGES_INGESTED = Counter("mailbot_messages_ingested", "Inbound messages processed, by mailbox and outcome "
                            "(done, ignored, duplicate, quarantined, retry).", ["mailbox", "outcome"], registry=EVENTS)
PIPELINE_LATENCY = Histogram("mailbot_pipeline_latency_seconds", "From a message being recorded (transaction 1) to its "
                             "processing being committed (transaction 2).", buckets=_LATENCY_BUCKETS, registry=EVENTS)
PROCESS_SECONDS = Histogram("mailbot_process_seconds", "Time to process one message (parse, thread, classify, apply).",
                            buckets=_LATENCY_BUCKETS, registry=EVENTS)
ACK_LATENCY = Histogram("mailbot_ack_latency_seconds", "From an acknowledgement being queued (in the same transaction that "
                        "processed the customer's message) to the SMTP relay accepting it.", buckets=_LATENCY_BUCKETS,
                        registry=EVENTS)
OUTBOX_SENT = Counter("mailbot_outbox_sent", "Mails the SMTP relay accepted, by kind.", ["kind"], registry=EVENTS)
OUTBOX_FAILURES = Counter("mailbot_outbox_failures", "Failed delivery attempts, by kind; permanent=true when the mail "
                          "was given up (5xx or too many attempts).", ["kind", "permanent"], registry=EVENTS)
SMTP_RELAY_ERRORS = Counter("mailbot_smtp_relay_errors", "Times the SMTP relay could not be reached or refused the "
                            "login.", registry=EVENTS)
ALERT_TRANSITIONS = Counter("mailbot_alert_transitions", "Automatic alerts that started or cleared, by alert name.",
                            ["alert", "transition"], registry=EVENTS)
ALERT_MAILS = Counter("mailbot_alert_mails", "Alert mails queued to the admins, by alert name and transition.",
                      ["alert", "transition"], registry=EVENTS)


@dataclass
class RelayState:
    """Whether the SMTP relay answered the last time the outbox sender tried it (process-wide)."""

    down_since: datetime | None = None
    last_error: str = ""
    last_ok_at: datetime | None = None


_relay_lock = threading.Lock()
RELAY = RelayState()


def relay_failed(now: datetime, error: str) -> None:
    SMTP_RELAY_ERRORS.inc()
    with _relay_lock:
        if RELAY.down_since is None:
            RELAY.down_since = now
        RELAY.last_error = error


def relay_ok(now: datetime) -> None:
    with _relay_lock:
        RELAY.down_since, RELAY.last_error, RELAY.last_ok_at = None, "", now


def relay_snapshot() -> RelayState:
    with _relay_lock:
        return RelayState(RELAY.down_since, RELAY.last_error, RELAY.last_ok_at)


def reset_relay() -> None:
    """A new daemon starts without an opinion about the relay (tests run several in one process)."""
    with _relay_lock:
        RELAY.down_since, RELAY.last_error, RELAY.last_ok_at = None, "", None


class _Forward:
    """Re-exports another registry's metrics (the in-process events) inside a scrape registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


class DatabaseCollector:
    """Gauges read from the database at scrape time, cached for ``cache_seconds``."""

    def __init__(self, app: App, cache_seconds: float = 5.0, approaching_minutes: float = 60.0) -> None:
        self.app = app
        self.cache_seconds = cache_seconds
        self.approaching = timedelta(minutes=approaching_minutes)
        self._lock = threading.Lock()
        self._cached: list[Metric] = []
        self._cached_at = float("-inf")

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            if time.monotonic() - self._cached_at >= self.cache_seconds:
                self._cached = self._read()
                self._cached_at = time.monotonic()
            return list(self._cached)

    def _read(self) -> list[Metric]:
        now = self.app.clock()
        tickets = GaugeMetricFamily("mailbot_tickets", "Tickets by status, severity and current level.",
                                    labels=["status", "severity", "level"])
        breached = GaugeMetricFamily("mailbot_deadlines_breached", "Open or waiting tickets past a deadline not yet met.",
                                     labels=["deadline"])
        approaching = GaugeMetricFamily("mailbot_deadlines_approaching", "Open or waiting tickets with a deadline not yet "
                                        f"met due within {int(self.approaching.total_seconds() // 60)} minutes.",
                                        labels=["deadline"])
        escalations = CounterMetricFamily("mailbot_escalations", "SLA warnings, escalations and pages fired (all instances).",
                                          labels=["kind", "level"])
        depth = GaugeMetricFamily("mailbot_outbox_depth", "Mails queued and not yet accepted by the SMTP relay.")
        oldest = GaugeMetricFamily("mailbot_outbox_oldest_age_seconds", "Age of the oldest queued mail (0 when none).")
        failed = GaugeMetricFamily("mailbot_outbox_failed", "Mails given up for good (status failed), by kind.", labels=["kind"])
        quarantine = GaugeMetricFamily("mailbot_quarantine_size", "Messages in quarantine, not yet requeued.")
        pending = GaugeMetricFamily("mailbot_inbound_pending", "Recorded messages waiting to be processed.")
        last_fetch = GaugeMetricFamily("mailbot_mailbox_last_fetch_timestamp_seconds", "When each mailbox was last read "
                                       "successfully, by any instance (Unix time).", labels=["mailbox"])
        alerts = GaugeMetricFamily("mailbot_alert_active", "Automatic alert conditions currently active (1) or not (0).",
                                   labels=["alert"])
        with self.app.sessions() as s:
            for status, severity, level, count in s.execute(
                    select(Ticket.status, Ticket.severity, Ticket.level, func.count(Ticket.id))
                    .group_by(Ticket.status, Ticket.severity, Ticket.level)):
                tickets.add_metric([status, severity, str(level)], count)
            active = Ticket.status.in_(ACTIVE_STATUSES)
            for name, due, met in (("first_response", Ticket.first_response_due_at, Ticket.first_responded_at),
                                   ("resolution", Ticket.resolution_due_at, Ticket.resolved_at)):
                base = select(func.count(Ticket.id)).where(active, met.is_(None), due.is_not(None))
                breached.add_metric([name], s.scalar(base.where(due <= now)) or 0)
                approaching.add_metric([name], s.scalar(base.where(due > now, due <= now + self.approaching)) or 0)
            for kind, level, count in s.execute(select(EscalationFired.kind, EscalationFired.level, func.count(EscalationFired.id))
                                                .group_by(EscalationFired.kind, EscalationFired.level)):
                escalations.add_metric([kind, str(level)], count)
            queued_count, queued_oldest = s.execute(select(func.count(Outbox.id), func.min(Outbox.created_at))
                                                    .where(Outbox.status == "queued")).one()
            depth.add_metric([], queued_count or 0)
            oldest.add_metric([], max(0.0, (now - as_utc(queued_oldest)).total_seconds()) if queued_oldest else 0.0)
            for kind, count in s.execute(select(Outbox.kind, func.count(Outbox.id)).where(Outbox.status == "failed")
                                         .group_by(Outbox.kind)):
                failed.add_metric([kind], count)
            quarantine.add_metric([], s.scalar(select(func.count(Quarantine.id)).where(Quarantine.released_at.is_(None))) or 0)
            pending.add_metric([], s.scalar(select(func.count(InboundMail.id)).where(InboundMail.state == "pending")) or 0)
            fetched = dict(s.execute(select(MailboxCursor.mailbox, MailboxCursor.last_fetch_at)).all())
            for m in self.app.settings.mailboxes:
                at = as_utc(fetched.get(m.name))
                if at is not None:
                    last_fetch.add_metric([m.name], at.timestamp())
            for name, is_active in s.execute(select(AlertState.name, AlertState.active)):
                alerts.add_metric([name], 1 if is_active else 0)
        return [tickets, breached, approaching, escalations, depth, oldest, failed, quarantine, pending, last_fetch, alerts]


class LiveCollector:
    """What only this process knows: watcher connections and loop threads."""

    def __init__(self, daemon: Any) -> None:
        self.daemon = daemon

    def collect(self) -> Iterable[Metric]:
        connected = GaugeMetricFamily("mailbot_mailbox_connected", "1 while this instance's watcher is logged in to the "
                                      "mailbox (0 on an instance that leaves the mailbox to another).", labels=["mailbox"])
        rejected = GaugeMetricFamily("mailbot_mailbox_login_rejected", "1 when the mailbox's last login was rejected "
                                     "(wrong password or revoked credential).", labels=["mailbox"])
        for w in self.daemon.watchers:
            connected.add_metric([w.mailbox.name], 1 if w.connected else 0)
            rejected.add_metric([w.mailbox.name], 1 if getattr(w, "login_rejected", False) else 0)
        loops = GaugeMetricFamily("mailbot_loop_up", "1 while the loop thread is alive.", labels=["loop"])
        for thread in self.daemon.loop_threads():
            loops.add_metric([thread.name], 1 if thread.is_alive() else 0)
        relay = GaugeMetricFamily("mailbot_smtp_relay_up", "0 since the SMTP relay last failed to answer, 1 otherwise.")
        relay.add_metric([], 0 if relay_snapshot().down_since else 1)
        return [connected, rejected, loops, relay]


def scrape_registry(app: App, daemon: Any) -> CollectorRegistry:
    """The registry /metrics serves: in-process events, database facts and live state."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Forward(EVENTS))  # type: ignore[arg-type]
    registry.register(DatabaseCollector(app))  # type: ignore[arg-type]
    registry.register(LiveCollector(daemon))  # type: ignore[arg-type]
    return registry
