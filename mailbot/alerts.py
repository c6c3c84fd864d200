"""Automatic alerts to the admins: one mail when a condition starts, one when it clears.

Conditions (each a row in ``alert_states``, keyed by name):

* ``mailbox-unreachable:<mailbox>`` — not read for ``mailbox_unreachable_minutes`` (5);
* ``login-rejected:<mailbox>`` — the IMAP server refused the login: a wrong password or a
  revoked credential, the most common silent failure of mail intake;
* ``outbox-stuck`` — mail queued longer than ``outbox_age_minutes`` (15);
* ``outbox-failed`` — mail given up for good in the last ``failed_lookback_hours`` (24);
* ``quarantine`` — messages in quarantine (clears when every one is requeued);
* ``smtp-relay-down`` — the SMTP relay has not answered for ``smtp_down_minutes`` (5).
  Its mails can only leave once the relay is back: the log line and the metric come first.

Every transition is a log line (ERROR when it starts, WARNING when it clears) and a
metric. Mails are rate-limited: a start mail goes out only if the alert mailed nobody
in the last ``min_interval_minutes``; a clear mail goes out exactly when its start
mail did. The state lives in the database, so a restart neither repeats nor forgets an
alert, and only the instance holding the ``alerts`` lease evaluates them.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.compose import Envelope, new_message_id
from mailbot.db import as_utc
from mailbot.health import SystemState
from mailbot.leases import hold_lease
from mailbot.models import AlertState
from mailbot.outgoing import enqueue_mail
from mailbot.telemetry import ALERT_MAILS, ALERT_TRANSITIONS

log = logging.getLogger("mailbot.alerts")
LOCAL = ZoneInfo("America/Santiago")


@dataclass(frozen=True)
class Condition:
    name: str  # the alert_states key, e.g. "mailbox-unreachable:soporte"
    kind: str  # mailbox_unreachable | login_rejected | outbox_stuck | outbox_failed | quarantine | smtp_down
    active: bool
    detail: str
    mailbox: str = ""


def conditions(state: SystemState, settings: Any, started_at: datetime) -> list[Condition]:
    """Every alert condition and whether it holds now (pure: reads only the snapshot)."""
    a = settings.alerts
    now = state.at
    out = []
    for m in state.mailboxes:
        reached = max(m.last_reached_at or started_at, started_at)
        down_for = (now - reached).total_seconds()
        # ok() with a window as long as the alert's threshold: read lately by the lease holder counts.
        # A rejected login has its own, plainer alert: one mail for one cause.
        unreachable = (not m.ok(now, a.mailbox_unreachable_minutes * 60) and down_for >= a.mailbox_unreachable_minutes * 60
                       and not m.login_rejected)
        last = f"last read {_local(m.last_reached_at)}" if m.last_reached_at else "not read since mailbot started"
        out.append(Condition(f"mailbox-unreachable:{m.name}", "mailbox_unreachable", unreachable,
                             f"{m.last_error or 'not connected'}; {last}", m.name))
        out.append(Condition(f"login-rejected:{m.name}", "login_rejected", m.login_rejected,
                             m.last_error if m.login_rejected else "", m.name))
    age = state.outbox_oldest_seconds()
    out.append(Condition("outbox-stuck", "outbox_stuck", age > a.outbox_age_minutes * 60,
                         f"{state.outbox_depth} mail(s) queued, the oldest for {_duration(timedelta(seconds=age))}"))
    out.append(Condition("outbox-failed", "outbox_failed", state.outbox_failed_recent > 0,
                         f"{state.outbox_failed_recent} mail(s) failed permanently in the last {a.failed_lookback_hours:g} h; "
                         f"latest: {state.outbox_last_failure}" if state.outbox_failed_recent else ""))
    out.append(Condition("quarantine", "quarantine", state.quarantine_size > 0,
                         f"{state.quarantine_size} message(s) in quarantine; newest: {state.quarantine_newest}"
                         if state.quarantine_size else ""))
    relay_down = state.relay.down_since is not None and (now - state.relay.down_since).total_seconds() >= a.smtp_down_minutes * 60
    out.append(Condition("smtp-relay-down", "smtp_down", relay_down,
                         f"{state.relay.last_error}; failing since {_local(state.relay.down_since)}" if relay_down else ""))
    return out


def run_alerts(app: Any, state: SystemState, started_at: datetime) -> int:
    """Apply every transition; return how many alert mails were queued."""
    if not hold_lease(app, "alerts", app.settings.lease_seconds):
        return 0  # another instance evaluates the alerts
    mails = 0
    for condition in conditions(state, app.settings, started_at):
        try:
            mails += _apply(app, condition, state.at)
        except IntegrityError:
            log.info("alert %s: another instance recorded it at the same moment; looking again next time", condition.name)
    return mails


def _apply(app: Any, c: Condition, now: datetime) -> int:
    a = app.settings.alerts
    with app.sessions.begin() as s:
        query = select(AlertState).where(AlertState.name == c.name)
        if not app.is_sqlite:
            query = query.with_for_update()
        row = s.scalars(query).first()
        if row is None:
            if not c.active:
                return 0
            row = AlertState(name=c.name, active=False, since=None, last_mail_at=None, detail="")
            s.add(row)
        if bool(row.active) == c.active:
            if c.active and c.detail != row.detail:
                row.detail = c.detail  # the dashboard shows the latest detail
            return 0
        last_mail = as_utc(row.last_mail_at)
        if c.active:
            row.active, row.since, row.detail = True, now, c.detail
            ALERT_TRANSITIONS.labels(c.name, "start").inc()
            log.error("ALERT %s started: %s", c.name, _headline(c))
            if last_mail is not None and now - last_mail < timedelta(minutes=a.min_interval_minutes):
                log.warning("alert %s: not mailed (rate limit: the last alert mail was %s)", c.name, _local(last_mail))
                return 0
            if _mail(app, s, c, "start", now, since=now):
                row.last_mail_at = now
                return 1
            return 0
        since = as_utc(row.since) or now
        mailed = last_mail is not None and last_mail >= since
        row.active = False
        ALERT_TRANSITIONS.labels(c.name, "clear").inc()
        log.warning("alert %s cleared after %s", c.name, _duration(now - since))
        # The clear mail pairs with a start mail: never one without the other.
        if mailed and _mail(app, s, Condition(c.name, c.kind, False, row.detail, c.mailbox), "clear", now, since=since):
            row.last_mail_at = now
            return 1
        return 0


def _mail(app: Any, s: Any, c: Condition, transition: str, now: datetime, since: datetime) -> bool:
    settings = app.settings
    recipients = settings.alerts.recipients
    if not recipients:
        log.warning("alert %s: nobody mailed ([alerts] recipients is empty)", c.name)
        return False
    language = settings.alerts.language
    context = {
        "kind": c.kind, "transition": transition, "alert": c.name, "mailbox": c.mailbox, "detail": c.detail,
        "since": _local(since), "at": _local(now), "duration": _duration(now - since),
        "instance": app.instance_id, "host": socket.gethostname(), "company": settings.support.company,
        "dashboard": _dashboard_url(settings), "address": _mailbox_login(settings, c.mailbox),
    }
    rendered = app.renderer.render("alert", language, context)
    envelope = Envelope(
        from_name="mailbot", from_addr=settings.mailboxes[0].address, to=tuple(recipients),
        message_id=new_message_id(settings.domain), date=now,
        # RFC 3834: generated by us; nobody should auto-answer it.
        auto_submitted="auto-generated", loop_marker=app.loop_marker, language=language,
    )
    enqueue_mail(s, kind="alert", envelope=envelope, rendered=rendered, now=now)
    ALERT_MAILS.labels(c.name, transition).inc()
    log.info("alert %s: %s mail queued to %s", c.name, transition, ", ".join(recipients))
    return True


def _headline(c: Condition) -> str:
    return c.detail or c.kind.replace("_", " ")


def _mailbox_login(settings: Any, name: str) -> str:
    for m in settings.mailboxes:
        if m.name == name:
            return f"{m.username} @ {m.host}:{m.port}"
    return ""


def _dashboard_url(settings: Any) -> str:
    if not settings.http.enabled:
        return ""
    host = settings.http.address if settings.http.address not in ("0.0.0.0", "::") else socket.gethostname()
    return f"http://{host}:{settings.http.port}/"


def _local(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S %Z")


def _duration(span: timedelta) -> str:
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
