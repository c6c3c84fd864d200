"""Plain-text views for the command line: what a person reads in a terminal."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mailbot.app import App
from mailbot.db import as_utc
from mailbot.models import Agent, InboundMail, Message, Quarantine, Ticket

CHILE = ZoneInfo("America/Santiago")


class TicketNotFound(Exception):
    pass


def _local(dt) -> str:  # type: ignore[no-untyped-def]
    return as_utc(dt).astimezone(CHILE).strftime("%Y-%m-%d %H:%M") if dt else "-"


def parse_ticket_ref(ref: str, prefix: str) -> int | None:
    m = re.fullmatch(rf"(?:{re.escape(prefix)}-)?0*(\d+)", ref.strip(), re.IGNORECASE)
    return int(m.group(1)) if m else None


def list_tickets(app: App, status: str = "all", limit: int = 50) -> str:
    prefix = app.settings.ticket_prefix
    with app.sessions() as s:
        query = select(Ticket).options(selectinload(Ticket.requester)).order_by(Ticket.id.desc()).limit(limit)
        if status != "all":
            query = query.where(Ticket.status == status)
        tickets = s.scalars(query).all()
        counts = dict(s.execute(select(Message.ticket_id, func.count(Message.id))
                                .where(Message.ticket_id.in_([t.id for t in tickets])).group_by(Message.ticket_id)).all())
    if not tickets:
        return "no tickets" + ("" if status == "all" else f" with status {status}")
    lines = [f"{'ticket':<11} {'status':<9} {'severity':<10} {'tier':<8} {'lvl':<3} {'msgs':>4}  {'created (Chile)':<16}  requester / subject"]
    for t in tickets:
        lines.append(f"{prefix}-{t.id:06d}  {t.status:<9} {t.severity:<10} {t.tier:<8} {t.level:<3} {counts.get(t.id, 0):>4}  "
                     f"{_local(t.created_at):<16}  {t.requester.email} — {t.subject[:60]}")
    return "\n".join(lines)


def show_ticket(app: App, ref: str) -> str:
    prefix = app.settings.ticket_prefix
    number = parse_ticket_ref(ref, prefix)
    with app.sessions() as s:
        ticket = s.get(Ticket, number, options=[selectinload(Ticket.messages).selectinload(Message.attachments),
                                                selectinload(Ticket.events), selectinload(Ticket.participants)]) if number else None
        if ticket is None:
            raise TicketNotFound(f"no ticket {ref}")
        agent = s.get(Agent, ticket.assignee_id) if ticket.assignee_id is not None else None
        assignee = agent.email if agent is not None else "-"
        out = [
            f"{prefix}-{ticket.id:06d}  {ticket.subject}",
            f"  status {ticket.status} · severity {ticket.severity} ({ticket.severity_reasons or '-'}) · tier {ticket.tier} · "
            f"level {ticket.level} · language {ticket.language} · mailbox {ticket.mailbox}",
            f"  assignee {assignee} · merged into {prefix}-{ticket.merged_into_id:06d}" if ticket.merged_into_id else
            f"  assignee {assignee}",
            f"  requester {ticket.requester.email} · participants "
            f"{', '.join(p.email + ' (' + p.role + ')' for p in ticket.participants) or '-'}",
            f"  created {_local(ticket.created_at)} (Chile time)",
            "",
        ]
        for m in ticket.messages:
            arrow = "→ to " + m.to_addrs if m.direction == "out" else "← from " + (m.from_addr or "?")
            note = " · INTERNAL NOTE (agents only)" if m.internal else ""
            out.append(f"── {_local(m.created_at)}  {arrow}  [{m.author_kind}{note}]")
            out.append(f"   Subject: {m.subject}")
            body = (m.reply_text or m.text).strip() if m.direction == "in" else m.text.strip()
            out.extend("   " + line for line in body.splitlines()[:40])
            for a in m.attachments:
                out.append(f"   📎 {a.filename} ({a.content_type}, {a.size} bytes{'' if a.stored else ', over the size limit, not stored'})")
            out.append("")
        out.append("Events:")
        for e in ticket.events:
            out.append(f"  {_local(e.at)}  {e.kind}: {e.detail}" + (f"  [{e.reasons}]" if e.reasons else ""))
    return "\n".join(out)


def list_quarantine(app: App, show_all: bool = False) -> str:
    with app.sessions() as s:
        query = (select(Quarantine, InboundMail).join(InboundMail, Quarantine.inbound_id == InboundMail.id)
                 .order_by(Quarantine.id))
        if not show_all:
            query = query.where(Quarantine.released_at.is_(None))
        rows = s.execute(query).all()
    if not rows:
        return "quarantine is empty"
    lines = [f"{'id':>4}  {'when (Chile)':<16}  {'mailbox':<12} {'uid':>6} {'bytes':>9}  reason"]
    for q, inbound in rows:
        released = f"  (requeued {_local(q.released_at)})" if q.released_at else ""
        lines.append(f"{q.id:>4}  {_local(q.created_at):<16}  {inbound.mailbox:<12} {inbound.uid:>6} {inbound.size:>9}  {q.reason}{released}")
    lines.append("")
    lines.append("Fix the cause, then `mailbot requeue ID` to process a message again; the raw bytes are kept in the database.")
    return "\n".join(lines)
