"""`mailbot run`: the watchers, one pipeline worker, the outbox sender and a scheduler.

Loops are threads (imapclient, smtplib and SQLAlchemy are synchronous), woken by
events. The main thread handles signals: SIGTERM sets the stop event, each loop
finishes (or rolls back) what it is doing, and the process exits within 10 s.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field

import schedule
from sqlalchemy import select

from mailbot import telemetry
from mailbot.alerts import run_alerts
from mailbot.app import App
from mailbot.classify import detect_language
from mailbot.config import ConfigError
from mailbot.db import as_utc
from mailbot.escalation import run_escalations
from mailbot.lifecycle import run_lifecycle
from mailbot.fetch import MailboxWatcher
from mailbot.health import DatabaseProbe, loop_states, snapshot
from mailbot.heartbeat import write_heartbeat
from mailbot.ingest import process_batch
from mailbot.models import InboundMail
from mailbot.outbox import OutboxSender
from mailbot.web import WebServer

log = logging.getLogger("mailbot.daemon")

# A catch-up sweep after long downtime hands the rest to the next minute's run after this
# long, so the main thread keeps pinging systemd's watchdog (WatchdogSec=120).
ESCALATION_SWEEP_BUDGET_SECONDS = 30.0


def sd_notify(state: str) -> None:
    """Tell systemd about readiness/watchdog; a no-op outside systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        log.debug("sd_notify failed: %s", exc)


class PipelineWorker(threading.Thread):
    def __init__(self, app: App, stop: threading.Event, wake: threading.Event, outbox_wake: threading.Event) -> None:
        super().__init__(name="pipeline", daemon=True)
        self.app, self.stop_event, self.wake, self.outbox_wake = app, stop, wake, outbox_wake
        self.processed = 0
        self.beat = time.monotonic()  # each turn of the loop; a stale beat means hung (health, watchdog)

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.beat = time.monotonic()
            try:
                # Up to 20 messages per commit (one fsync), each in its own savepoint.
                outcomes = process_batch(self.app, stop=self.stop_event)
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable
                log.exception("pipeline iteration failed; retrying shortly")
                self.stop_event.wait(2.0)
                continue
            if not outcomes:
                self.wake.wait(1.0)
                self.wake.clear()
                continue
            seconds = (time.monotonic() - self.beat) / len(outcomes)
            for outcome in outcomes:
                self.processed += 1
                self._observe(outcome, seconds)
            if any(outcome.state in ("done", "quarantined") for outcome in outcomes):
                self.outbox_wake.set()

    def _observe(self, outcome, seconds: float) -> None:  # type: ignore[no-untyped-def]
        telemetry.MESSAGES_INGESTED.labels(outcome.mailbox, outcome.state).inc()
        telemetry.PROCESS_SECONDS.observe(seconds)
        if outcome.state == "retry":
            return
        try:
            with self.app.sessions() as s:
                recorded = s.scalar(select(InboundMail.recorded_at).where(InboundMail.id == outcome.inbound_id))
        except Exception:  # noqa: BLE001 - a metric must never fail the pipeline
            return
        if recorded is not None:
            telemetry.PIPELINE_LATENCY.observe(max(0.0, (self.app.clock() - as_utc(recorded)).total_seconds()))


@dataclass
class Daemon:
    app: App
    stop: threading.Event = field(default_factory=threading.Event)
    pipeline_wake: threading.Event = field(default_factory=threading.Event)
    outbox_wake: threading.Event = field(default_factory=threading.Event)
    scheduler: schedule.Scheduler = field(default_factory=schedule.Scheduler)

    def __post_init__(self) -> None:
        # Load the language model now (0.5-1 s) rather than while the first customer waits for an ack.
        detect_language("warm up the language model", "before the first message", "", "")
        self.watchers = [MailboxWatcher(self.app, m, self.stop, self.pipeline_wake.set) for m in self.app.settings.mailboxes]
        self.pipeline = PipelineWorker(self.app, self.stop, self.pipeline_wake, self.outbox_wake)
        self.sender = OutboxSender(self.app, self.stop, self.outbox_wake)
        self.database_probe = DatabaseProbe(self.app)
        self.web = WebServer(self) if self.app.settings.http.enabled else None
        self.started_at = self.app.clock()
        self.ready = False  # READY=1 sent: the database answered and every mailbox was read once
        telemetry.reset_relay()
        self.scheduler.every(1).minutes.do(self.heartbeat)
        self.scheduler.every(1).minutes.do(self.run_escalations)
        self.scheduler.every(1).minutes.do(self.send_reports)
        self.scheduler.every(10).minutes.do(self.run_lifecycle)
        self.scheduler.every(self.app.settings.alerts.check_seconds).seconds.do(self.run_alerts)

    def loop_threads(self) -> list[threading.Thread]:
        """Every thread that must be alive for mailbot to work (the watchdog is pinged only while they are)."""
        threads: list[threading.Thread] = [*self.watchers, self.pipeline, self.sender]
        if self.web is not None and self.web.thread is not None:
            threads.append(self.web.thread)
        return threads

    def run_alerts(self) -> None:
        """Automatic alert mails; a failure is logged and retried at the next check, never fatal."""
        try:
            mails = run_alerts(self.app, snapshot(self), self.started_at)
        except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable
            log.exception("alert check failed; retrying at the next check")
            return
        if mails:
            self.outbox_wake.set()

    def run_escalations(self) -> None:
        """SLA warnings and escalations due now; a failure is logged and retried next minute, never fatal."""
        try:
            mails = run_escalations(self.app, stop=self.stop, time_budget_seconds=ESCALATION_SWEEP_BUDGET_SECONDS)
        except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable
            log.exception("escalation sweep failed; retrying at the next run")
            return
        if mails:
            log.info("escalation sweep: %d mail(s) queued", mails)
            self.outbox_wake.set()

    def run_lifecycle(self) -> None:
        """Resolved tickets close after [agents] auto_close_days; weekly reminders. Never fatal."""
        try:
            done = run_lifecycle(self.app)
        except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable
            log.exception("lifecycle job failed; retrying at the next run")
            return
        if done:
            self.outbox_wake.set()

    def send_reports(self) -> list[str]:
        """Daily, weekly and monthly reports now due (each once per period); a failure is logged, never fatal."""
        try:
            # Imported here: matplotlib and the report code load only when a report can be due.
            from mailbot.reports import send_due_reports

            sent = send_due_reports(self.app)
        except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable
            log.exception("reports failed; retrying at the next run")
            return []
        if sent:
            self.outbox_wake.set()
        return sent

    def heartbeat(self) -> None:
        """The minute's heartbeats row (availability); a failed write is a missing minute, never fatal."""
        try:
            write_heartbeat(self.app, snapshot(self), self.pipeline.name, self.sender.name)
        except Exception:  # noqa: BLE001
            log.exception("heartbeat failed")

    def start(self) -> None:
        if self.web is not None:
            try:
                self.web.start()  # first: a missing token is a config error, raised before anything runs
            except OSError as exc:
                # Mail must keep flowing without the dashboard; monitoring sees /metrics missing.
                log.error("http: cannot listen on %s:%s (%s); running without /metrics, /readyz and the dashboard",
                          self.app.settings.http.address, self.app.settings.http.port, exc)
                self.web = None
        for thread in (*self.watchers, self.pipeline, self.sender):
            thread.start()
        log.info("mailbot started: %d mailbox(es), database %s", len(self.watchers), self.app.engine.url.render_as_string(hide_password=True))
        sd_notify("STATUS=waiting for every mailbox to answer once")

    def check_ready(self) -> bool:
        """READY=1 once the database takes writes and every mailbox has been read once (systemd Type=notify)."""
        if self.ready:
            return True
        state = snapshot(self)
        waiting = [m.name for m in state.mailboxes if m.last_reached_at is None]
        if waiting or not state.database_ok:
            return False
        self.ready = True
        sd_notify("READY=1\nSTATUS=running: every mailbox read, database writable")
        log.info("mailbot ready: every mailbox was read once and the database takes writes")
        self.heartbeat()
        return True

    def loops_alive(self) -> bool:
        return all(loop_states(self).values())

    def run_scheduler_until_stopped(self) -> None:
        watchdog = float(os.environ.get("WATCHDOG_USEC", "0")) / 2e6
        next_ping = 0.0
        # Catch up at once after a restart or downtime instead of waiting for the first minute.
        self.run_escalations()
        self.send_reports()
        while not self.stop.is_set():
            try:
                self.check_ready()
                self.scheduler.run_pending()
            except Exception:  # noqa: BLE001 - a failed job must not stop the scheduler
                log.exception("scheduled job failed")
            # Pinged only while every loop lives: a dead or hung loop lets systemd restart us.
            if watchdog and time.monotonic() >= next_ping:
                if self.loops_alive():
                    sd_notify("WATCHDOG=1")
                    next_ping = time.monotonic() + watchdog
                else:
                    dead = [t.name for t in self.loop_threads() if not t.is_alive()]
                    log.error("not pinging the watchdog: loop(s) not running: %s", ", ".join(dead) or "pipeline hung")
                    next_ping = time.monotonic() + watchdog
            self.stop.wait(1.0)

    def shutdown(self, timeout: float = 8.0) -> None:
        sd_notify("STOPPING=1")
        self.stop.set()
        self.pipeline_wake.set()
        self.outbox_wake.set()
        deadline = time.monotonic() + timeout
        for thread in (*self.watchers, self.pipeline, self.sender):
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in (*self.watchers, self.pipeline, self.sender) if t.is_alive()]
        if alive:
            log.warning("stopping without waiting for: %s", ", ".join(alive))
        if self.web is not None:
            self.web.stop()
        log.info("mailbot stopped")


def run_daemon(app: App) -> int:
    daemon = Daemon(app)

    def _on_signal(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        daemon.stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        daemon.start()
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("configuration: %s", problem)
        return 78  # EX_CONFIG: systemd does not restart (RestartPreventExitStatus=78)
    try:
        daemon.run_scheduler_until_stopped()
    finally:
        daemon.shutdown()
    return 0
