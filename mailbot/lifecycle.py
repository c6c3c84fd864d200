"""Ticket lifecycle: status changes and their events, satisfaction, auto-close, reminders.

Statuses: open → waiting (on the customer) → resolved → closed, plus ``held`` (an
unknown sender's ticket waiting for an agent's review) and ``spam``. Every change is
a ``status`` event; a change into ``waiting`` is also a ``paused`` event and a change
out of it a ``resumed`` event, which is what stops and restarts the SLA clocks
(mailbot.escalation reads them). All functions write in the caller's transaction.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.db import as_utc
from mailbot.models import Ticket, TicketEvent

log = logging.getLogger("mailbot.lifecycle")
decisions = logging.getLogger("mailbot.decisions")

STATUSES = ("open", "waiting", "resolved", "closed", "held", "spam")
# "5", "5/5", "5 - excelente", "4." : a bare rating on the first line of a short reply.
_RATING = re.compile(r"^\s*([1-5])\s*(?:/\s*5)?(?:\s*[-–.:!)]\s*|\s+)?(?:[^\d\n]{0,40})$")


def set_status(s: Session, ticket: Ticket, new: str, now: datetime, by: str, reason: str = "") -> str | None:
    """Move ``ticket`` to ``new``; returns a one-line description, or None when it already was."""
    old = ticket.status
    if new == old:
        return None
    if old == "waiting":
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="resumed", detail=f"waiting -> {new} by {by}"))
    if new == "waiting":
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="paused", detail=f"waiting on the customer ({by})"))
    if new == "resolved":
        ticket.resolved_at = now
    elif new == "closed":
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif new in ("open", "waiting") and old in ("resolved", "closed"):
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="reopened", detail=f"{old} -> {new} by {by}"))
        ticket.resolved_at = None
        ticket.closed_at = None
    ticket.status = new
    ticket.updated_at = now
    description = f"{old} -> {new}"
    s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="status", detail=f"{description} by {by}", reasons=reason))
    if new in ("resolved", "closed"):
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind=new, detail=f"by {by}", reasons=reason))
    return description


def parse_rating(new_text: str) -> int | None:
    """The rating of a reply that is only a number from 1 to 5 (with a word or two at most)."""
    lines = [line for line in new_text.strip().splitlines() if line.strip()]
    if not lines or len(lines) > 2 or len(new_text.strip()) > 120:
        return None
    m = _RATING.match(lines[0])
    return int(m.group(1)) if m else None


def survey_open(s: Session, ticket: Ticket, now: datetime, window_days: int) -> bool:
    """Whether a satisfaction question went out on this ticket within the window."""
    sent = s.scalar(select(func.max(TicketEvent.at)).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "survey-sent"))
    return sent is not None and as_utc(now) - as_utc(sent) <= timedelta(days=window_days)


def record_rating(s: Session, ticket: Ticket, rating: int, now: datetime, source: str) -> bool:
    """Store the customer's rating; True the first time (the one we thank), False for a repeat."""
    earlier = s.scalar(select(TicketEvent.id).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "satisfaction"))
    if earlier is not None:
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="satisfaction-repeat", detail=str(rating), reasons=source))
        return False
    s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="satisfaction", detail=str(rating), reasons=source))
    return True


def due_auto_close(s: Session, now: datetime, days: int, limit: int = 500) -> list[Ticket]:
    if days <= 0:
        return []
    return list(s.scalars(select(Ticket).where(Ticket.status == "resolved", Ticket.resolved_at <= now - timedelta(days=days))
                          .order_by(Ticket.id).limit(limit)))


def run_lifecycle(app: App) -> int:
    """The periodic part: close resolved tickets after ``auto_close_days``, remind assignees.

    Each ticket is its own transaction, so one bad row cannot stop the rest.
    """
    from mailbot.agent_mail import enqueue_reminder  # edge module; imported here to keep this one light

    now = app.clock()
    done = 0
    with app.sessions() as s:
        closing = [t.id for t in due_auto_close(s, now, app.settings.agents.auto_close_days)]
    for ticket_id in closing:
        try:
            with app.sessions.begin() as s:
                ticket = s.get(Ticket, ticket_id)
                if ticket is not None and ticket.status == "resolved":
                    set_status(s, ticket, "closed", now, "mailbot",
                               f"auto-close: resolved {app.settings.agents.auto_close_days} days ago")
                    decisions.info("ticket %s closed automatically %d days after resolution",
                                   ticket.id, app.settings.agents.auto_close_days)
                    done += 1
        except Exception:  # noqa: BLE001 - one ticket must not stop the others
            log.exception("auto-close of ticket %s failed", ticket_id)
    days = app.settings.agents.reminder_days
    if days > 0:
        with app.sessions() as s:
            candidates = list(s.scalars(select(Ticket.id).where(
                Ticket.status.in_(("open", "waiting")), Ticket.severity == "important", Ticket.assignee_id.is_not(None),
                Ticket.created_at <= now - timedelta(days=days))))
        for ticket_id in candidates:
            try:
                with app.sessions.begin() as s:
                    ticket = s.get(Ticket, ticket_id)
                    last = s.scalar(select(func.max(TicketEvent.at)).where(
                        TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "reminder"))
                    if ticket is None or (last is not None and as_utc(now) - as_utc(last) < timedelta(days=days)):
                        continue
                    enqueue_reminder(app, s, ticket, now)
                    done += 1
            except Exception:  # noqa: BLE001
                log.exception("reminder for ticket %s failed", ticket_id)
    return done
