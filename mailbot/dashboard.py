"""The read-only dashboard at ``/``: one server-rendered page that reloads itself.

System state, today's counters (the Chile day), open tickets per level with the next
deadline, recent escalations, active alerts and the quality metrics of the last 7 days
against their targets. The quality metrics come from ``mailbot.reports`` (imported at
use, so the dashboard still works, showing "n/a", where reports are unavailable).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy import func, select

from mailbot.db import as_utc
from mailbot.escalation import ticket_ref
from mailbot.health import readiness, snapshot
from mailbot.models import ACTIVE_STATUSES, AlertState, EscalationFired, InboundMail, Message, Outbox, Quarantine, Ticket

log = logging.getLogger("mailbot.dashboard")
LOCAL = ZoneInfo("America/Santiago")
LEVELS = (1, 2, 3, 4)
QUALITY_DAYS = 7

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates" / "web")),
                          autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)

LABELS = {
    "es": {
        "title": "mailbot — panel", "state": "Estado del sistema", "ready": "Operando", "not_ready": "Con problemas",
        "today": "Hoy", "received": "Mensajes recibidos", "tickets_new": "Tickets nuevos", "acks": "Acuses enviados",
        "agent_replies": "Respuestas de agentes", "resolved": "Tickets resueltos", "escalations": "Escalamientos",
        "quarantined": "En cuarentena hoy", "open": "Tickets abiertos por nivel", "level": "Nivel", "count": "Abiertos",
        "next": "Próximo vencimiento", "left": "Tiempo restante", "overdue": "vencido hace", "none": "—",
        "recent": "Escalamientos recientes", "when": "Cuándo", "ticket": "Ticket", "kind": "Tipo",
        "quality": f"Calidad (últimos {QUALITY_DAYS} días)", "metric": "Indicador", "value": "Valor", "target": "Meta",
        "na": "n/d", "alerts": "Alertas activas", "no_alerts": "Ninguna", "outbox": "Cola de salida",
        "queued": "en cola", "oldest": "la más antigua", "quarantine": "Cuarentena", "relay": "Servidor SMTP",
        "relay_ok": "responde", "relay_down": "no responde", "updated": "Actualizado", "refresh": "se recarga cada",
        "level_names": {1: "Soporte", 2: "Supervisor técnico", 3: "Gerente de soporte", 4: "Director técnico"},
        "first_response": "Primera respuesta (promedio, horario hábil)", "resolution": "Resolución (promedio, horario hábil)",
        "fcr": "Resolución en el primer contacto", "satisfaction": "Satisfacción (4–5)", "availability": "Disponibilidad",
        "sla_compliance": "cumplimiento SLA", "answers": "respuestas", "warning": "aviso", "escalation": "escalamiento",
        "page": "emergencia", "to_level": "al nivel",
    },
    "en": {
        "title": "mailbot — dashboard", "state": "System state", "ready": "Working", "not_ready": "Needs attention",
        "today": "Today", "received": "Messages received", "tickets_new": "New tickets", "acks": "Acknowledgements sent",
        "agent_replies": "Agent replies", "resolved": "Tickets resolved", "escalations": "Escalations",
        "quarantined": "Quarantined today", "open": "Open tickets per level", "level": "Level", "count": "Open",
        "next": "Next deadline", "left": "Time left", "overdue": "overdue by", "none": "—",
        "recent": "Recent escalations", "when": "When", "ticket": "Ticket", "kind": "Kind",
        "quality": f"Quality (last {QUALITY_DAYS} days)", "metric": "Metric", "value": "Value", "target": "Target",
        "na": "n/a", "alerts": "Active alerts", "no_alerts": "None", "outbox": "Outbox",
        "queued": "queued", "oldest": "oldest", "quarantine": "Quarantine", "relay": "SMTP relay",
        "relay_ok": "answers", "relay_down": "does not answer", "updated": "Updated", "refresh": "reloads every",
        "level_names": {1: "Support", 2: "Technical supervisor", 3: "Support manager", 4: "Technical director"},
        "first_response": "First response (mean, business time)", "resolution": "Resolution (mean, business time)",
        "fcr": "First-contact resolution", "satisfaction": "Satisfaction (4–5)", "availability": "Availability",
        "sla_compliance": "SLA compliance", "answers": "answers", "warning": "warning", "escalation": "escalation",
        "page": "emergency page", "to_level": "to level",
    },
}


@dataclass(frozen=True)
class QualityRow:
    key: str
    value: str
    target: str
    met: bool | None  # None: no target or no data


def local_day_start(now: datetime) -> datetime:
    local = now.astimezone(LOCAL)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)


def span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def _local(at: datetime | None) -> str:
    return at.astimezone(LOCAL).strftime("%d-%m %H:%M") if at else "—"


def today_counters(app: Any, now: datetime) -> dict[str, int]:
    start = local_day_start(now)
    with app.sessions() as s:
        def count(column: Any, *where: Any) -> int:
            return s.scalar(select(func.count(column)).where(*where)) or 0

        return {
            "received": count(InboundMail.id, InboundMail.recorded_at >= start),
            "tickets_new": count(Ticket.id, Ticket.created_at >= start),
            "acks": count(Outbox.id, Outbox.kind == "ack", Outbox.status == "sent", Outbox.sent_at >= start),
            "agent_replies": count(Message.id, Message.direction == "out", Message.author_kind == "agent", Message.created_at >= start),
            "resolved": count(Ticket.id, Ticket.resolved_at >= start),
            "escalations": count(EscalationFired.id, EscalationFired.kind != "warning", EscalationFired.fired_at >= start),
            "quarantined": count(Quarantine.id, Quarantine.created_at >= start),
        }


def open_by_level(app: Any, now: datetime) -> list[dict[str, Any]]:
    rows = []
    with app.sessions() as s:
        active = Ticket.status.in_(ACTIVE_STATUSES)
        counts = dict(s.execute(select(Ticket.level, func.count(Ticket.id)).where(active).group_by(Ticket.level)).all())
        for level in LEVELS:
            best: tuple[datetime, int, str] | None = None
            for name, due, met in (("first_response", Ticket.first_response_due_at, Ticket.first_responded_at),
                                   ("resolution", Ticket.resolution_due_at, Ticket.resolved_at)):
                found = s.execute(select(due, Ticket.id).where(active, Ticket.level == level, met.is_(None), due.is_not(None))
                                  .order_by(due).limit(1)).first()
                if found is not None and (best is None or as_utc(found[0]) < best[0]):
                    best = (as_utc(found[0]), found[1], name)
            rows.append({
                "level": level, "count": counts.get(level, 0),
                "ticket": ticket_ref(app, best[1]) if best else "", "deadline": best[2] if best else "",
                "due": _local(best[0]) if best else "", "left": span(best[0] - now) if best else "",
                "overdue": bool(best and best[0] <= now),
            })
    return rows


def recent_escalations(app: Any, limit: int = 10) -> list[dict[str, Any]]:
    with app.sessions() as s:
        found = s.execute(select(EscalationFired, Ticket.subject).join(Ticket, Ticket.id == EscalationFired.ticket_id)
                          .order_by(EscalationFired.fired_at.desc(), EscalationFired.id.desc()).limit(limit)).all()
        return [{"when": _local(as_utc(e.fired_at)), "ticket": ticket_ref(app, e.ticket_id), "subject": subject, "kind": e.kind,
                 "level": e.level, "deadline": e.deadline} for e, subject in found]


def active_alerts(app: Any) -> list[dict[str, str]]:
    with app.sessions() as s:
        return [{"name": a.name, "since": _local(as_utc(a.since)), "detail": a.detail}
                for a in s.scalars(select(AlertState).where(AlertState.active.is_(True)).order_by(AlertState.since))]


def quality(app: Any, now: datetime, labels: dict[str, Any]) -> tuple[list[QualityRow], str]:
    """The four quality metrics and availability against their targets; ([], why) when unavailable."""
    try:
        from mailbot.reports import load_period_metrics
    except ImportError as exc:
        return [], f"mailbot.reports is not available ({exc})"
    end = now
    start = local_day_start(now) - timedelta(days=QUALITY_DAYS - 1)
    try:
        m = load_period_metrics(app, start, end)
    except Exception as exc:  # noqa: BLE001 - the rest of the page must still render
        log.exception("dashboard: quality metrics failed")
        return [], f"{type(exc).__name__}: {exc}"
    try:
        # The targets configured in [reports], as the report mails judge them.
        from mailbot.reports import targets_from

        targets = targets_from(app.settings.reports)
    except (ImportError, AttributeError):
        targets = None
    na = labels["na"]

    def pct(value: float | None) -> str:
        return na if value is None else f"{value * 100:.1f} %"

    def minutes(value: float | None) -> str:
        return na if value is None else span(timedelta(minutes=value))

    def judged(value: float | None, target: float | None) -> bool | None:
        return None if value is None or not target else value >= target

    sla_target = getattr(targets, "sla_compliance", 0.95)
    fr_rate = m.sla_first_response_total.rate
    res_rate = m.sla_resolution_total.rate
    fcr = m.first_contact_resolution.rate
    fcr_target = getattr(targets, "first_contact_resolution", 0.0)
    sat = m.satisfaction.share
    sat_target = getattr(targets, "satisfaction", 0.95)
    avail = m.availability.rate if m.availability is not None else None
    avail_target = getattr(targets, "availability", 0.995)
    return [
        QualityRow("first_response", f"{minutes(m.first_response_business.mean)} ({labels['sla_compliance']} {pct(fr_rate)})",
                   f"{pct(sla_target)} {labels['sla_compliance']}", judged(fr_rate, sla_target)),
        QualityRow("resolution", f"{minutes(m.resolution_business.mean)} ({labels['sla_compliance']} {pct(res_rate)})",
                   f"{pct(sla_target)} {labels['sla_compliance']}", judged(res_rate, sla_target)),
        QualityRow("fcr", pct(fcr), pct(fcr_target) if fcr_target else labels["none"], judged(fcr, fcr_target)),
        QualityRow("satisfaction", f"{pct(sat)} ({m.satisfaction.answers} {labels['answers']})", pct(sat_target),
                   judged(sat, sat_target)),
        QualityRow("availability", pct(avail), f"{avail_target * 100:.1f} %", judged(avail, avail_target)),
    ], ""


def render_dashboard(daemon: Any) -> str:
    app = daemon.app
    settings = app.settings
    language = settings.http.language
    labels = LABELS[language]
    state = snapshot(daemon)
    now = state.at
    checks = readiness(state, settings)
    rows, quality_note = quality(app, now, labels)
    return _env.get_template("dashboard.html.j2").render(
        t=labels, lang=language, refresh=settings.http.refresh_seconds, instance=app.instance_id,
        company=settings.support.company, updated=now.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S"),
        ready=all(c.ok for c in checks), checks=checks, state=state,
        oldest=span(timedelta(seconds=state.outbox_oldest_seconds())), relay_down=state.relay.down_since is not None,
        today=today_counters(app, now), levels=open_by_level(app, now), escalations=recent_escalations(app),
        alerts=active_alerts(app), quality=rows, quality_note=quality_note,
    )
