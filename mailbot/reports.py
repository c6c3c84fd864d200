"""Daily, weekly and monthly reports: load history, compute metrics, render, mail once per period.

* :func:`load_period_metrics` — the metrics of any ``[start, end)`` (the dashboard uses it).
* :func:`build_report` — one report: its period, the previous period, the comparison
  rows, the targets missed and, for weekly and monthly reports, the trend over the
  last ``reports.trend_periods`` periods; all from one :class:`~mailbot.metrics.History`.
* :func:`render_report` — ``text`` and ``html`` (the mail templates
  ``report_<kind>``), ``csv`` and ``json`` (for spreadsheets and scripts; keys in English).
* :func:`send_due_reports` — called every minute by the daemon: for each kind, the
  latest period whose send time (``reports.daily_time``, ``weekly_day``/``weekly_time``,
  ``monthly_day``/``monthly_time``, local time) has come is mailed unless a
  ``report_runs`` row says it was. The row and the outbox row are inserted in one
  transaction, and ``(kind, period_start)`` is unique: each report goes out once,
  across restarts, instances and downtime (after downtime only the latest period due
  is sent; the ones missed meanwhile can still be printed with ``mailbot report``).

Periods are whole local days (``reports.timezone``, America/Santiago): a day, a
Monday–Sunday week, a calendar month.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from mailbot import charts
from mailbot.app import App
from mailbot.business_calendar import to_utc
from mailbot.compose import new_message_id
from mailbot.db import as_utc
from mailbot.escalation import PAUSE_KINDS, RESUME_KINDS, pauses_from_events
from mailbot.metrics import (
    AGE_BUCKETS,
    SEVERITIES,
    EscalationRecord,
    EventRecord,
    HeartbeatRecord,
    History,
    MessageRecord,
    Miss,
    PeriodMetrics,
    Row,
    Targets,
    TicketRecord,
    compare,
    compute,
    missed_targets,
)
from mailbot.models import Agent, EscalationFired, Heartbeat, Message, Outbox, ReportRun, Ticket, TicketEvent
from mailbot.promise import format_local
from mailbot.report_mail import InlineImage, build_report_mail

log = logging.getLogger("mailbot.reports")

KINDS = ("daily", "weekly", "monthly")
FORMATS = ("text", "html", "csv", "json")
OPEN_STATUSES = ("open", "waiting", "held")
# Which parts each report shows (the templates test these names).
SECTIONS = {
    "daily": ("headline", "misses", "backlog", "escalations", "availability"),
    "weekly": ("headline", "misses", "sla", "agents", "backlog", "escalations", "availability", "charts"),
    "monthly": ("headline", "misses", "volume", "sla", "agents", "backlog", "escalations", "availability", "charts"),
}
DAILY_HEADLINE = ("created", "resolved", "backlog", "first_response_business_mean", "first_response_business_median",
                  "resolution_business_mean", "first_contact_resolution", "satisfaction", "sla_first_response",
                  "sla_resolution", "escalations", "availability")


# ---- periods ------------------------------------------------------------------------------


def _month_start(day: date, months: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # first local day
    stop: date  # first local day after the period
    tz: str = "America/Santiago"

    @property
    def start(self) -> datetime:
        return _local_midnight(self.first, self.tz)

    @property
    def end(self) -> datetime:
        return _local_midnight(self.stop, self.tz)

    def previous(self) -> Period:
        return self.shifted(-1)

    def shifted(self, n: int) -> Period:
        if self.kind == "monthly":
            return Period(self.kind, _month_start(self.first, n), _month_start(self.first, n + 1), self.tz)
        span = self.stop - self.first
        return Period(self.kind, self.first + n * span, self.stop + n * span, self.tz)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.stop - self.first).days)]

    @property
    def key(self) -> str:
        return f"{self.kind} {self.first.isoformat()}"


def _local_midnight(day: date, tz: str) -> datetime:
    # Chile's spring-forward skips 00:00; fold=0 then maps to the transition instant (01:00 new time).
    return to_utc(datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)))


def period_containing(kind: str, day: date, tz: str = "America/Santiago") -> Period:
    """The day, the Monday–Sunday week or the calendar month that contains ``day``."""
    if kind == "daily":
        return Period(kind, day, day + timedelta(days=1), tz)
    if kind == "weekly":
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=7), tz)
    if kind == "monthly":
        return Period(kind, _month_start(day), _month_start(day, 1), tz)
    raise ValueError(f"unknown report kind {kind!r}; use one of {', '.join(KINDS)}")


def last_complete(kind: str, today: date, tz: str = "America/Santiago") -> Period:
    """The latest period that ended on or before ``today`` (local)."""
    return period_containing(kind, today, tz).previous()


def latest_due(kind: str, now: datetime, settings: Any) -> Period:
    """The period whose report was most recently due at ``now`` (``settings``: ReportSettings)."""
    zone = ZoneInfo(settings.timezone)
    local = to_utc(now).astimezone(zone)
    today = local.date()
    at = {"daily": settings.daily_time, "weekly": settings.weekly_time, "monthly": settings.monthly_time}[kind]
    hour, minute = (int(x) for x in at.split(":"))
    passed = (local.hour, local.minute) >= (hour, minute)
    if kind == "daily":
        send_day = today if passed else today - timedelta(days=1)
    elif kind == "weekly":
        back = (today.weekday() - settings.weekly_day) % 7
        send_day = today - timedelta(days=back)
        if back == 0 and not passed:
            send_day -= timedelta(days=7)
    else:
        send_day = today.replace(day=settings.monthly_day)
        if today.day < settings.monthly_day or (today.day == settings.monthly_day and not passed):
            send_day = _month_start(today, -1).replace(day=settings.monthly_day)
    return last_complete(kind, send_day, settings.timezone)


# ---- history from the database ---------------------------------------------------------------


def _counted_ticket(query):  # type: ignore[no-untyped-def]
    return query.where(Ticket.status != "spam", Ticket.merged_into_id.is_(None))


def load_history(app: App, start: datetime, end: datetime, heartbeats_from: datetime | None = None) -> History:
    """What :func:`mailbot.metrics.compute` needs for any period inside ``[start, end)``.

    Tickets: created before ``end`` and not wholly finished before ``start`` (a ticket
    resolved and first answered before ``start`` has no metric left to fall later),
    plus every ticket open now. Their whole thread (for FCR) and pause events; every
    event and agent message of ``[start, end)``; escalations fired in it; heartbeats
    from ``heartbeats_from`` (default ``start``).
    """
    start, end = to_utc(start), to_utc(end)
    hb_from = to_utc(heartbeats_from) if heartbeats_from is not None else start
    now = to_utc(app.clock())
    finished = func.coalesce(Ticket.resolved_at, Ticket.closed_at)
    ticket_filter = and_(
        Ticket.status != "spam", Ticket.merged_into_id.is_(None), Ticket.created_at < end,
        or_(finished.is_(None), finished >= start, Ticket.first_responded_at >= start, Ticket.status.in_(OPEN_STATUSES)),
    )
    ids = select(Ticket.id).where(ticket_filter).scalar_subquery()
    with app.sessions() as s:
        rows = s.execute(select(Ticket, Agent.email).outerjoin(Agent, Agent.id == Ticket.assignee_id)
                         .where(ticket_filter)).all()
        pause_events: dict[int, list[tuple[str, datetime]]] = {}
        events: dict[int, EventRecord] = {}
        for ev_id, ticket_id, at, kind, detail in s.execute(
                select(TicketEvent.id, TicketEvent.ticket_id, TicketEvent.at, TicketEvent.kind, TicketEvent.detail)
                .where(or_(and_(TicketEvent.ticket_id.in_(ids),
                                TicketEvent.kind.in_(PAUSE_KINDS | RESUME_KINDS)),
                           and_(TicketEvent.at >= start, TicketEvent.at < end,
                                TicketEvent.ticket_id.in_(_counted_ticket(select(Ticket.id)).scalar_subquery()))))):
            at = as_utc(at)
            if kind in PAUSE_KINDS or kind in RESUME_KINDS:
                pause_events.setdefault(ticket_id, []).append((kind, at))
            events[ev_id] = EventRecord(ticket_id, at, kind, detail or "")
        messages: dict[int, MessageRecord] = {}
        for m_id, ticket_id, at, direction, author, internal, sender in s.execute(
                select(Message.id, Message.ticket_id, Message.created_at, Message.direction, Message.author_kind,
                       Message.internal, Message.from_addr)
                .where(or_(and_(Message.ticket_id.in_(ids), Message.direction == "out", Message.author_kind == "agent"),
                           and_(Message.author_kind == "agent", Message.direction == "in",
                                Message.created_at >= start, Message.created_at < end,
                                Message.ticket_id.in_(_counted_ticket(select(Ticket.id)).scalar_subquery()))))):
            messages[m_id] = MessageRecord(ticket_id, as_utc(at), direction, author, bool(internal), sender or "")
        escalations = tuple(
            EscalationRecord(t, d, lvl, k, as_utc(at)) for t, d, lvl, k, at in s.execute(
                select(EscalationFired.ticket_id, EscalationFired.deadline, EscalationFired.level, EscalationFired.kind,
                       EscalationFired.fired_at).where(EscalationFired.fired_at >= start, EscalationFired.fired_at < end)))
        first_hb = s.scalar(select(func.min(Heartbeat.at)))
        heartbeats = tuple(
            HeartbeatRecord(as_utc(at), bool(a and b and c)) for at, a, b, c in s.execute(
                select(Heartbeat.at, Heartbeat.mailboxes_ok, Heartbeat.pipeline_ok, Heartbeat.outbox_ok)
                .where(Heartbeat.at >= hb_from - timedelta(minutes=1), Heartbeat.at < end)))
        agent_names = {e.lower(): n for e, n in s.execute(select(Agent.email, Agent.name))}
    tickets = []
    for t, assignee in rows:
        pauses = pauses_from_events(pause_events.get(t.id, ()), t.status, as_utc(t.updated_at))
        tickets.append(TicketRecord(
            id=t.id, created_at=as_utc(t.created_at), status=t.status, severity=t.severity, tier=t.tier,
            mailbox=t.mailbox, language=t.language or "", level=t.level, assigned_level=t.assigned_level,
            assignee=(assignee or "").lower(), first_responded_at=as_utc(t.first_responded_at),
            resolved_at=as_utc(t.resolved_at), closed_at=as_utc(t.closed_at), merged_into_id=t.merged_into_id,
            pauses=pauses,
        ))
    return History(
        now=now, tickets=tuple(tickets), messages=tuple(messages.values()), events=tuple(events.values()),
        escalations=escalations, heartbeats=heartbeats, first_heartbeat_at=as_utc(first_hb), heartbeats_since=hb_from,
        sla={(tier.value, severity.value): target for (tier, severity), target in app.settings.sla.items()},
        calendar=app.calendar, agent_names=agent_names,
    )


def load_period_metrics(app: App, start: datetime, end: datetime) -> PeriodMetrics:
    """The quality metrics of ``[start, end)`` (aware datetimes; e.g. local midnights), as of ``app.clock()``.

    A period not over yet is measured up to now (``PeriodMetrics.as_of``). One read-only
    session; safe to call from any thread.
    """
    return compute(load_history(app, start, end), start, end)


# ---- reports -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    kind: str
    period: Period
    current: PeriodMetrics
    previous: PeriodMetrics
    rows: list[Row]
    misses: list[Miss]
    targets: Targets
    generated_at: datetime
    trend: list[tuple[Period, PeriodMetrics]] = field(default_factory=list)  # oldest first, ends with current


def targets_from(settings: Any) -> Targets:
    return Targets(satisfaction=settings.satisfaction_target, availability=settings.availability_target,
                   sla_compliance=settings.sla_compliance_target,
                   first_contact_resolution=settings.first_contact_resolution_target)


def build_report(app: App, kind: str, day: date | None = None, period: Period | None = None) -> Report:
    """The ``kind`` report of the period containing ``day`` (default: the last complete period)."""
    cfg = app.settings.reports
    now = to_utc(app.clock())
    if period is None:
        if day is None:
            period = last_complete(kind, now.astimezone(ZoneInfo(cfg.timezone)).date(), cfg.timezone)
        else:
            period = period_containing(kind, day, cfg.timezone)
    count = 2 if kind == "daily" else max(2, cfg.trend_periods)
    periods = [period.shifted(-i) for i in reversed(range(count))]
    history = load_history(app, periods[0].start, period.end, heartbeats_from=period.previous().start)
    trend = [(p, compute(history, p.start, p.end)) for p in periods]
    current, previous = trend[-1][1], trend[-2][1]
    targets = targets_from(cfg)
    rows = compare(current, previous, targets)
    if kind == "daily":
        rows = [r for r in rows if r.key in DAILY_HEADLINE]
    return Report(kind, period, current, previous, rows, missed_targets(current, targets), targets, now,
                  trend if kind != "daily" else [])


# ---- words and numbers ---------------------------------------------------------------------------


def _number(value: float, decimals: int, language: str) -> str:
    text = f"{value:,.{decimals}f}"
    if language == "es":  # 1.234,5
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_value(unit: str, value: float | None, language: str) -> str:
    if value is None:
        return "—"
    if unit == "pct":
        return f"{_number(value * 100, 1, language)} %"
    if unit == "pct2":  # availability: 99.95 % must not read 100.0 %
        return f"{_number(value * 100, 2, language)} %"
    if unit == "min":
        if value < 60:
            return f"{_number(value, 0, language)} min"
        return f"{_number(value / 60, 1, language)} h"
    return _number(value, 0, language)


def format_delta(unit: str, delta: float | None, language: str) -> str:
    if delta is None:
        return ""
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    size = abs(delta)
    if unit in ("pct", "pct2"):
        return f"{sign}{_number(size * 100, 1 if unit == 'pct' else 2, language)} pp"
    if unit == "min":
        return f"{sign}{_number(size, 0, language)} min" if size < 60 else f"{sign}{_number(size / 60, 1, language)} h"
    return f"{sign}{_number(size, 0, language)}"


def _period_label(p: Period, language: str) -> str:
    last = p.stop - timedelta(days=1)
    if p.kind == "daily":
        return p.first.isoformat()
    if p.kind == "monthly":
        return p.first.strftime("%Y-%m")
    return f"{p.first.isoformat()} – {last.isoformat()}"


def _short_label(p: Period) -> str:
    """A chart's axis label: "30/11" for the week starting 30 November, "11/2026" for a month."""
    return p.first.strftime("%m/%Y") if p.kind == "monthly" else p.first.strftime("%d/%m")


CHART_WORDS = {
    "es": {"volume": "Tickets por día y severidad", "first_response": "Primera respuesta vs. objetivo (mediana y promedio)",
           "trend": "Cumplimiento SLA y satisfacción", "median": "mediana", "mean": "promedio", "target": "objetivo SLA",
           "hours": "horas (reloj del SLA)", "sla_fr": "SLA primera respuesta", "sla_res": "SLA resolución",
           "satisfaction": "satisfacción", "sla_target": "objetivo SLA", "satisfaction_target": "objetivo satisfacción",
           "critical": "crítica", "important": "importante", "general": "general", "basic": "Básico",
           "premium": "Premium", "targets": "objetivo SLA y satisfacción"},
    "en": {"volume": "Tickets per day by severity", "first_response": "First response vs. target (median and mean)",
           "trend": "SLA compliance and satisfaction", "median": "median", "mean": "mean", "target": "SLA target",
           "hours": "hours (on the SLA's clock)", "sla_fr": "first-response SLA", "sla_res": "resolution SLA",
           "satisfaction": "satisfaction", "sla_target": "SLA target", "satisfaction_target": "satisfaction target",
           "critical": "critical", "important": "important", "general": "general", "basic": "Basic",
           "premium": "Premium", "targets": "SLA and satisfaction target"},
}


@dataclass(frozen=True)
class Chart:
    cid: str
    title: str
    png: bytes


def report_charts(report: Report, language: str) -> list[Chart]:
    """Weekly and monthly: volume per day by severity, first response vs target, the SLA/satisfaction trend."""
    if report.kind == "daily":
        return []
    words = CHART_WORDS["en" if language == "en" else "es"]
    m = report.current
    days = sorted(m.volume_by_day)
    counts = {s: [m.volume_by_day[d].get(s, 0) for d in days] for s in SEVERITIES}
    labels = [d.strftime("%d/%m") for d in days]
    def cell_label(cell: str) -> str:
        tier, _, severity = cell.partition("/")
        return f"{words.get(tier, tier)}, {words.get(severity, severity)}"

    bars = [charts.TargetBar(cell_label(cell), None if d.median is None else d.median / 60,
                             None if d.mean is None else d.mean / 60, m.first_response_targets.get(cell, 0) / 60)
            for cell, d in m.first_response_by_sla.items()]
    if not bars:  # nothing answered: still show the targets, so the chart explains itself
        bars = [charts.TargetBar(cell_label(cell), None, None, minutes / 60)
                for cell, minutes in m.first_response_targets.items()]
    series = {
        words["sla_fr"]: [pm.sla_first_response_total.rate for _, pm in report.trend],
        words["sla_res"]: [pm.sla_resolution_total.rate for _, pm in report.trend],
        words["satisfaction"]: [pm.satisfaction.share for _, pm in report.trend],
    }
    if report.targets.sla_compliance == report.targets.satisfaction:  # one line, not two drawn on each other
        targets = {words["targets"]: report.targets.sla_compliance}
    else:
        targets = {words["sla_target"]: report.targets.sla_compliance,
                   words["satisfaction_target"]: report.targets.satisfaction}
    key = f"{report.kind}-{report.period.first.isoformat()}"
    return [
        Chart(f"volume-{key}", words["volume"], charts.volume_by_day(labels, counts, words, words["volume"])),
        Chart(f"first-response-{key}", words["first_response"],
              charts.first_response_vs_target(bars, words, words["first_response"])),
        Chart(f"trend-{key}", words["trend"],
              charts.trend([_short_label(p) for p, _ in report.trend], series, targets, words["trend"])),
    ]


def _ratio(r: Any, language: str, target: float | None = None) -> dict[str, Any]:
    rate = r.rate if r is not None else None
    return {"value": format_value("pct", rate, language), "part": r.part if r else 0, "whole": r.whole if r else 0,
            "missed": target is not None and rate is not None and rate < target}


def template_context(app: App, report: Report, language: str, chart_sources: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    """The variables of the ``report_<kind>`` templates; numbers already formatted for ``language``."""
    m, lang, t = report.current, language, report.targets
    rows = [{"key": r.key, "value": format_value(r.unit, r.value, lang), "previous": format_value(r.unit, r.previous, lang),
             "delta": format_delta(r.unit, r.delta, lang), "mark": r.mark, "better": r.better, "missed": r.missed,
             "target": format_value(r.unit, r.target, lang) if r.target is not None else ""} for r in report.rows]
    misses = []
    for miss in report.misses:
        key, _, cell = miss.key.partition(":")
        tier, _, severity = cell.partition("/")
        unit = "pct2" if key == "availability" else "pct"
        misses.append({"key": key, "tier": tier, "severity": severity, "value": format_value(unit, miss.value, lang),
                       "target": format_value(unit, miss.target, lang)})
    sla = []
    for cell in sorted(set(m.sla_first_response) | set(m.sla_resolution) | set(m.first_response_by_sla),
                       key=lambda c: (c.split("/")[0] != "premium", SEVERITIES.index(c.split("/")[1])
                                      if c.split("/")[1] in SEVERITIES else 9)):
        tier, severity = cell.split("/")
        fr = m.first_response_by_sla.get(cell)
        sla.append({"tier": tier, "severity": severity,
                    "first_response": _ratio(m.sla_first_response.get(cell), lang, t.sla_compliance),
                    "resolution": _ratio(m.sla_resolution.get(cell), lang, t.sla_compliance),
                    "median": format_value("min", fr.median if fr else None, lang),
                    "target": format_value("min", m.first_response_targets.get(cell), lang)})
    availability = m.availability
    return {
        "kind": report.kind,
        "sections": SECTIONS[report.kind],
        "company": app.settings.support.company,
        "period": _period_label(report.period, lang),
        "previous_period": _period_label(report.period.previous(), lang),
        "period_first": report.period.first.isoformat(),
        "period_last": (report.period.stop - timedelta(days=1)).isoformat(),
        "partial": m.as_of < m.end,
        "generated": format_local(report.generated_at, lang, app.settings.reports.timezone),
        "rows": rows,
        "misses": misses,
        "sla": sla,
        "sla_target": format_value("pct", t.sla_compliance, lang),
        "satisfaction": {"answers": m.satisfaction.answers, "positive": m.satisfaction.positive,
                         "surveys": m.satisfaction.surveys_sent,
                         "share": format_value("pct", m.satisfaction.share, lang),
                         "response_rate": format_value("pct", m.satisfaction.response_rate, lang),
                         "target": format_value("pct", t.satisfaction, lang)},
        "volume": {"mailbox": list(m.volume_by_mailbox.items()), "severity": list(m.volume_by_severity.items()),
                   "language": list(m.volume_by_language.items()), "level": list(m.volume_by_level.items())},
        "created": m.created,
        "backlog": m.backlog,
        "backlog_age": [(key, m.backlog_by_age.get(key, 0)) for key, _ in AGE_BUCKETS],
        "backlog_level": list(m.backlog_by_level.items()),
        "escalations": list(m.escalations_by_level.items()),
        "escalations_total": m.escalations,
        "warnings": m.warnings,
        "reopened": m.reopened,
        "agents": [{"email": a.email, "name": a.name, "inbound": a.inbound, "replies": a.replies, "notes": a.notes,
                    "tickets": a.tickets, "resolved": a.resolved, "open": a.open_assigned} for a in m.agents],
        "availability": {"value": format_value("pct2", availability.rate if availability else None, lang),
                         "up": availability.part if availability else 0,
                         "total": availability.whole if availability else 0,
                         "down": (availability.whole - availability.part) if availability else 0,
                         "target": format_value("pct2", t.availability, lang),
                         "missed": bool(availability and availability.rate is not None
                                        and availability.rate < t.availability)},
        "charts": [{"src": src, "title": title} for src, title in chart_sources],
    }


# ---- formats ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO strings, mappings with string keys, durations as minutes."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def metrics_dict(m: PeriodMetrics) -> dict[str, Any]:
    def durations(d: Any) -> dict[str, Any]:
        return {"count": d.count, "mean_minutes": d.mean, "median_minutes": d.median}

    def ratio(r: Any) -> dict[str, Any] | None:
        return None if r is None else {"part": r.part, "whole": r.whole, "rate": r.rate}

    return _plain({
        "start": m.start, "end": m.end, "as_of": m.as_of, "created": m.created, "resolved": m.resolved,
        "first_response_business": durations(m.first_response_business),
        "first_response_wall": durations(m.first_response_wall),
        "resolution_business": durations(m.resolution_business),
        "resolution_wall": durations(m.resolution_wall),
        "first_contact_resolution": ratio(m.first_contact_resolution),
        "satisfaction": {"ratings": dict(m.satisfaction.ratings), "answers": m.satisfaction.answers,
                         "positive": m.satisfaction.positive, "share": m.satisfaction.share,
                         "surveys_sent": m.satisfaction.surveys_sent, "response_rate": m.satisfaction.response_rate},
        "sla_first_response": {k: ratio(v) for k, v in m.sla_first_response.items()},
        "sla_resolution": {k: ratio(v) for k, v in m.sla_resolution.items()},
        "sla_first_response_total": ratio(m.sla_first_response_total),
        "sla_resolution_total": ratio(m.sla_resolution_total),
        "first_response_by_sla": {k: durations(v) for k, v in m.first_response_by_sla.items()},
        "first_response_targets_minutes": dict(m.first_response_targets),
        "volume_by_mailbox": dict(m.volume_by_mailbox), "volume_by_severity": dict(m.volume_by_severity),
        "volume_by_language": dict(m.volume_by_language), "volume_by_level": dict(m.volume_by_level),
        "volume_by_day": {d: dict(v) for d, v in m.volume_by_day.items()},
        "backlog": m.backlog, "backlog_by_age": dict(m.backlog_by_age), "backlog_by_level": dict(m.backlog_by_level),
        "escalations_by_level": dict(m.escalations_by_level), "warnings": m.warnings,
        "reopened": m.reopened, "reopen_rate": ratio(m.reopen_rate),
        "agents": [asdict(a) for a in m.agents],
        "availability": ratio(m.availability),
    })


def report_dict(report: Report) -> dict[str, Any]:
    return _plain({
        "kind": report.kind, "period_start": report.period.first, "period_end": report.period.stop,
        "generated_at": report.generated_at,
        "targets": vars(report.targets),
        "comparison": [{"key": r.key, "unit": r.unit, "value": r.value, "previous": r.previous, "delta": r.delta,
                        "mark": r.mark, "better": r.better, "target": r.target, "missed": r.missed} for r in report.rows],
        "missed_targets": [{"key": x.key, "value": x.value, "target": x.target} for x in report.misses],
        "current": metrics_dict(report.current),
        "previous": metrics_dict(report.previous),
        "trend": [{"period_start": p.first, "sla_first_response": pm.sla_first_response_total.rate,
                   "sla_resolution": pm.sla_resolution_total.rate, "satisfaction": pm.satisfaction.share}
                  for p, pm in report.trend],
    })


def render_csv(report: Report) -> str:
    """One metric per line: section, key, value, previous, delta, target, missed (values as plain numbers)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["kind", "period_start", "section", "key", "value", "previous", "delta", "target", "missed"])
    base = [report.kind, report.period.first.isoformat()]

    def num(v: Any) -> str:
        return "" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v))

    for r in report.rows:
        w.writerow(base + ["headline", r.key, num(r.value), num(r.previous), num(r.delta), num(r.target),
                           "yes" if r.missed else "no"])
    m = report.current
    for section, cells in (("sla_first_response", m.sla_first_response), ("sla_resolution", m.sla_resolution)):
        for cell, ratio in cells.items():
            missed = ratio.rate is not None and ratio.rate < report.targets.sla_compliance
            w.writerow(base + [section, cell, num(ratio.rate), "", "", num(report.targets.sla_compliance),
                               "yes" if missed else "no"])
    for section, values in (("volume_by_mailbox", m.volume_by_mailbox), ("volume_by_severity", m.volume_by_severity),
                            ("volume_by_language", m.volume_by_language), ("volume_by_level", m.volume_by_level),
                            ("backlog_by_age", m.backlog_by_age), ("backlog_by_level", m.backlog_by_level),
                            ("escalations_by_level", m.escalations_by_level)):
        for key, value in values.items():
            w.writerow(base + [section, str(key), num(value), "", "", "", ""])
    for a in m.agents:
        for key in ("inbound", "replies", "notes", "tickets", "resolved", "open_assigned"):
            w.writerow(base + [f"agent:{a.email}", key, num(getattr(a, key)), "", "", "", ""])
    return out.getvalue()


def render_report(app: App, report: Report, fmt: str, language: str | None = None) -> str:
    """The report as ``text``, ``html`` (charts embedded as data: URIs), ``csv`` or ``json``."""
    language = language or app.settings.reports.language
    if fmt == "csv":
        return render_csv(report)
    if fmt == "json":
        return json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n"
    if fmt not in ("text", "html"):
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    sources = []
    if fmt == "html":
        sources = [(f"data:image/png;base64,{base64.b64encode(c.png).decode()}", c.title)
                   for c in report_charts(report, language)]
    rendered = app.renderer.render(f"report_{report.kind}", language, template_context(app, report, language, sources))
    return rendered.text if fmt == "text" else rendered.html


# ---- mailing once per period --------------------------------------------------------------------------


def _sender(app: App) -> str:
    support = [m for m in app.settings.mailboxes if m.kind.value == "support"]
    return (support or list(app.settings.mailboxes))[0].address if app.settings.mailboxes else app.settings.support.email


def build_report_outbox(app: App, report: Report, recipients: tuple[str, ...], now: datetime) -> Outbox:
    language = app.settings.reports.language
    chart_list = report_charts(report, language)
    context = template_context(app, report, language, [(f"cid:{c.cid}", c.title) for c in chart_list])
    rendered = app.renderer.render(f"report_{report.kind}", language, context)
    message_id = new_message_id(app.settings.domain)
    sender = _sender(app)
    company = app.settings.support.company
    raw = build_report_mail(
        from_name=f"{company} — Reports" if language == "en" else f"{company} — Reportes",
        from_addr=sender, to=recipients, message_id=message_id, date=now, rendered=rendered,
        images=[InlineImage(c.cid, c.png, f"{c.cid}.png") for c in chart_list], language=language,
        loop_marker=app.loop_marker, report_key=report.period.key)
    return Outbox(kind="report", message_id=message_id, mail_from=sender, rcpt_to=",".join(recipients),
                  recipient_key=recipients[0], raw=raw, status="queued", attempts=0, next_attempt_at=now,
                  created_at=now)


def send_due_reports(app: App) -> list[str]:
    """Enqueue every report now due and not yet sent; return their keys (``"weekly 2026-11-16"``).

    Each report is its own transaction (run row + outbox row); one that fails is logged
    and tried again at the next call, without stopping the others.
    """
    cfg = app.settings.reports
    now = to_utc(app.clock())
    sent = []
    for kind in KINDS:
        recipients = cfg.recipients_for(kind)
        if not recipients:
            continue
        try:
            period = latest_due(kind, now, cfg)
            with app.sessions() as s:
                done = s.scalar(select(ReportRun.id).where(ReportRun.kind == kind,
                                                           ReportRun.period_start == period.first.isoformat()))
            if done is not None:
                continue
            report = build_report(app, kind, period=period)
            row = build_report_outbox(app, report, recipients, now)
            try:
                with app.sessions.begin() as s:
                    s.add(ReportRun(kind=kind, period_start=period.first.isoformat(), sent_at=now,
                                    recipients=",".join(recipients)))
                    s.flush()  # the unique key decides here, before the mail is queued
                    s.add(row)
            except IntegrityError:
                log.info("report %s: already sent by another instance", period.key)
                continue
            sent.append(period.key)
            log.info("report %s queued for %s (%d target(s) missed)", period.key, ", ".join(recipients),
                     len(report.misses))
        except Exception:  # noqa: BLE001 - one report failing must not stop the others
            log.exception("report %s failed; it will be tried again at the next run", kind)
    return sent
