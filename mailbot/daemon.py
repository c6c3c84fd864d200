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

from mailbot.app import App
from mailbot.escalation import run_escalations
from mailbot.fetch import MailboxWatcher
from mailbot.ingest import process_next
from mailbot.outbox import OutboxSender

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

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                outcome = process_next(self.app)
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable
                log.exception("pipeline iteration failed; retrying shortly")
                self.stop_event.wait(2.0)
                continue
            if outcome is None:
                self.wake.wait(1.0)
                self.wake.clear()
                continue
            self.processed += 1
            if outcome.state in ("done", "quarantined"):
                self.outbox_wake.set()


@dataclass
class Daemon:
    app: App
    stop: threading.Event = field(default_factory=threading.Event)
    pipeline_wake: threading.Event = field(default_factory=threading.Event)
    outbox_wake: threading.Event = field(default_factory=threading.Event)
    scheduler: schedule.Scheduler = field(default_factory=schedule.Scheduler)

    def __post_init__(self) -> None:
        self.watchers = [MailboxWatcher(self.app, m, self.stop, self.pipeline_wake.set) for m in self.app.settings.mailboxes]
        self.pipeline = PipelineWorker(self.app, self.stop, self.pipeline_wake, self.outbox_wake)
        self.sender = OutboxSender(self.app, self.stop, self.outbox_wake)
        self.scheduler.every(1).minutes.do(self._heartbeat)
        self.scheduler.every(1).minutes.do(self.run_escalations)
        self.scheduler.every(1).minutes.do(self.send_reports)

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

    def _heartbeat(self) -> None:
        states = ", ".join(f"{w.mailbox.name}={'connected' if w.connected else 'down'}" for w in self.watchers)
        log.debug("heartbeat: %s; processed %d", states, self.pipeline.processed)

    def start(self) -> None:
        for thread in (*self.watchers, self.pipeline, self.sender):
            thread.start()
        log.info("mailbot started: %d mailbox(es), database %s", len(self.watchers), self.app.engine.url.render_as_string(hide_password=True))
        sd_notify("READY=1")

    def run_scheduler_until_stopped(self) -> None:
        watchdog = float(os.environ.get("WATCHDOG_USEC", "0")) / 2e6
        next_ping = 0.0
        # Catch up at once after a restart or downtime instead of waiting for the first minute.
        self.run_escalations()
        self.send_reports()
        while not self.stop.is_set():
            try:
                self.scheduler.run_pending()
            except Exception:  # noqa: BLE001 - a failed job must not stop the scheduler
                log.exception("scheduled job failed")
            if watchdog and time.monotonic() >= next_ping:
                sd_notify("WATCHDOG=1")
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
        log.info("mailbot stopped")


def run_daemon(app: App) -> int:
    daemon = Daemon(app)

    def _on_signal(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        daemon.stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    daemon.start()
    try:
        daemon.run_scheduler_until_stopped()
    finally:
        daemon.shutdown()
    return 0
