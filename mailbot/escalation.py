"""SLA warnings, escalations and premium emergency pages: the scheduler's sweep.

The decisions are :mod:`mailbot.sla`'s (pure); this module is the edge around them:
it finds the tickets that are due, builds their clocks from the database, records
what fires and enqueues the mails.

* A sweep (:func:`run_escalations`, every minute and once at start-up) reads only the
  tickets whose ``next_due_at`` has come (an index), and handles each in its own
  transaction: insert an :class:`~mailbot.models.EscalationFired` row per step, raise
  ``tickets.level`` for escalations, add a ticket event, enqueue the mail to that
  level's team, and store when the ticket is next due. The unique key of the
  ``escalations`` table makes every step fire once, whatever runs at the same time; on
  PostgreSQL the ticket row is also locked (``FOR UPDATE SKIP LOCKED``), so two instances
  never even try the same ticket at once.
* ``next_due_at`` is a cache of "when can something next come due for this ticket"
  (:func:`next_check`). Every change to an input of the clocks made through the ORM
  (status, severity, tier, assigned level, first response, resolution) resets it to
  "now" (see the listeners in :mod:`mailbot.models`), so it is never later than the truth.
* Pauses: a ticket event ``paused`` starts one, ``resumed`` (or the pipeline's
  ``customer-replied``, or ``reopened``) ends it; a ticket in status ``waiting`` with no
  open pause is taken to be paused since its last update.
* :func:`page_emergency` is called by the pipeline when a premium customer's mail to an
  emergency mailbox opens a ticket: it pages level 3 and the on-call addresses at once,
  recorded as ``(first_response, 3, page)`` so it fires once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.business_calendar import BusinessCalendar, TwentyFourSeven, calendar_for, to_utc
from mailbot.compose import Envelope, new_message_id
from mailbot.config import SlaTarget
from mailbot.db import as_utc
from mailbot.domain import Severity, Tier
from mailbot.models import ACTIVE_STATUSES, EscalationFired, Message, Ticket, TicketEvent
from mailbot.outgoing import enqueue_mail
from mailbot.promise import CHILE_TZ, describe_duration, format_local
from mailbot.sla import (
    ESCALATION,
    FIRST_RESPONSE,
    MAX_LEVEL,
    RESOLUTION,
    WARNING,
    Clock,
    EscalationStep,
    Pause,
    TicketClockState,
    compute_clocks,
    due_escalations,
    elapsed,
)
from mailbot.tokens import agent_reply_address, reply_address

log = logging.getLogger("mailbot.escalation")
decisions = logging.getLogger("mailbot.decisions")

PAGE = "page"
PAGE_LEVEL = 3
# Outbox kinds of the mails (the escalations table keeps warning / escalation / page).
OUTBOX_KIND = {WARNING: "sla_warning", ESCALATION: "escalation", PAGE: "page"}
EVENT_KIND = {WARNING: "sla-warning", ESCALATION: "escalated", PAGE: "paged"}
PAUSE_KINDS = frozenset({"paused"})
RESUME_KINDS = frozenset({"resumed", "customer-replied", "reopened"})
LAST_MESSAGE_CHARS = 1500

def describe_wall_time(span: timedelta, language: str) -> str:
    """A plain (24/7) span in words: "3 días 4 h", "1 h 5 min", "12 minutos"; under a minute: "menos de un minuto"."""
    lang = "en" if language == "en" else "es"
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute" if lang == "en" else "menos de un minuto"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        unit = ("day" if days == 1 else "days") if lang == "en" else ("día" if days == 1 else "días")
        return f"{days} {unit} {hours} h" if hours else f"{days} {unit}"
    if hours:
        return f"{hours} h {mins} min" if mins else describe_duration(hours * 60, "24/7", lang)
    return describe_duration(mins, "24/7", lang)


def pauses_from_events(events: Iterable[tuple[str, datetime]], status: str,
                       updated_at: datetime | None) -> tuple[Pause, ...]:
    """The ticket's pauses from its ``(kind, at)`` events, in order of time.

    ``paused`` opens a pause and ``resumed`` (or ``customer-replied`` / ``reopened``)
    closes it. A pause still open while the ticket is no longer ``waiting`` is taken to
    have ended at ``updated_at`` (someone changed the status without recording it); a
    ``waiting`` ticket with no open pause is paused since ``updated_at``.
    """
    pauses: list[Pause] = []
    start: datetime | None = None
    for kind, at in sorted(((k, to_utc(a)) for k, a in events), key=lambda e: e[1]):
        if kind in PAUSE_KINDS and start is None:
            start = at
        elif kind in RESUME_KINDS and start is not None:
            pauses.append(Pause(start, at))
            start = None
    if start is not None:
        if status == "waiting" or updated_at is None:
            pauses.append(Pause(start, None))
        else:
            pauses.append(Pause(start, max(start, to_utc(updated_at))))
    elif status == "waiting" and updated_at is not None:
        pauses.append(Pause(to_utc(updated_at), None))
    return tuple(pauses)


def next_check(clocks: Sequence[Clock], level: int, fired: Iterable[tuple[str, int, str]], now: datetime,
               repeat_minutes: int, max_level: int = MAX_LEVEL) -> datetime | None:
    """The earliest instant after which :func:`~mailbot.sla.due_escalations` can return a step.

    Given the same ``clocks``, assigned ``level`` and ``fired`` set (after recording
    what was due at ``now``), ``due_escalations`` returns nothing for any instant before
    the result and something at it. ``None``: nothing can come due any more (every clock
    met, paused or at ``max_level``) until an input changes.
    """
    now = to_utc(now)
    fired = frozenset(fired)
    base = max(1, min(level, max_level))
    repeat = timedelta(minutes=repeat_minutes) if repeat_minutes > 0 else None
    candidates: list[datetime] = []
    for clock in clocks:
        if clock.met_at is not None or clock.due_at is None:
            continue
        if (now < clock.due_at and clock.warn_at is not None and clock.warn_at < clock.due_at
                and (clock.name, base, WARNING) not in fired):
            candidates.append(clock.warn_at)
        reached = max((lvl for name, lvl, kind in fired if name == clock.name and kind == ESCALATION), default=0)
        if base >= max_level:
            if reached < max_level:
                candidates.append(clock.due_at)
            continue
        target = max(reached, base) + 1
        if target > max_level:
            continue
        k = target - base
        if k == 1:
            candidates.append(clock.due_at)
        elif repeat is not None:
            candidates.append(clock.due_at + (k - 1) * repeat)
    return min(candidates, default=None)


def trim_text(text: str, limit: int = LAST_MESSAGE_CHARS) -> tuple[str, bool]:
    """``text`` cut to about ``limit`` characters at a word boundary; and whether it was cut."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    space = cut.rfind(" ", int(limit * 0.8))
    return (cut[:space] if space > 0 else cut).rstrip() + " […]", True


# ---- the ticket's clocks from the database ------------------------------------------


@dataclass(frozen=True)
class TicketSla:
    target: SlaTarget
    calendar: BusinessCalendar | TwentyFourSeven  # the calendar the clocks run on
    received_at: datetime
    pauses: tuple[Pause, ...]
    clocks: tuple[Clock, ...]
    fired: frozenset[tuple[str, int, str]]

    def clock(self, name: str) -> Clock | None:
        return next((c for c in self.clocks if c.name == name), None)


def load_sla(app: App, s: Session, ticket: Ticket) -> TicketSla:
    target = app.settings.sla[(Tier(ticket.tier), Severity(ticket.severity))]
    events = s.execute(select(TicketEvent.kind, TicketEvent.at).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_(PAUSE_KINDS | RESUME_KINDS))
        .order_by(TicketEvent.at, TicketEvent.id)).all()
    pauses = pauses_from_events(((k, as_utc(at)) for k, at in events), ticket.status, as_utc(ticket.updated_at))
    received_at = as_utc(ticket.created_at)
    clocks = compute_clocks(received_at, target, app.calendar, pauses, app.settings.escalation.warn_share,
                            first_response_at=as_utc(ticket.first_responded_at), resolved_at=as_utc(ticket.resolved_at))
    fired = frozenset((d, lvl, k) for d, lvl, k in s.execute(select(
        EscalationFired.deadline, EscalationFired.level, EscalationFired.kind).where(EscalationFired.ticket_id == ticket.id)))
    return TicketSla(target, calendar_for(target.clock, app.calendar), received_at, pauses, clocks, fired)


# ---- the sweep ------------------------------------------------------------------------


def run_escalations(app: App, *, stop: threading.Event | None = None, time_budget_seconds: float | None = None) -> int:
    """One sweep: fire every warning and escalation due now; return the number of mails enqueued.

    Each ticket is its own transaction, and a ticket that fails is logged and retried at
    the next sweep without stopping the others. With ``time_budget_seconds`` the sweep
    stops early (oldest due first) and leaves the rest to the next run, so a catch-up
    after long downtime cannot starve the daemon's watchdog.
    """
    now = to_utc(app.clock())
    started = time.monotonic()
    with app.sessions() as s:
        due = s.scalars(select(Ticket.id).where(Ticket.next_due_at <= now)
                        .order_by(Ticket.next_due_at, Ticket.id)).all()
    mails = 0
    for done, ticket_id in enumerate(due):
        if stop is not None and stop.is_set():
            break
        if time_budget_seconds is not None and time.monotonic() - started > time_budget_seconds:
            log.info("escalation sweep: time budget used, %d due ticket(s) left for the next run", len(due) - done)
            break
        try:
            mails += _sweep_ticket(app, ticket_id, now)
        except Exception:  # noqa: BLE001 - one bad ticket must not stop the others
            log.exception("escalation sweep: ticket %s failed; it will be retried at the next sweep",
                          ticket_ref(app, ticket_id))
    return mails


def _sweep_ticket(app: App, ticket_id: int, now: datetime) -> int:
    settings = app.settings.escalation
    with app.sessions.begin() as s:
        query = select(Ticket).where(Ticket.id == ticket_id)
        if not app.is_sqlite:
            # Another instance working on this ticket right now: leave it to that one.
            query = query.with_for_update(skip_locked=True)
        ticket = s.scalars(query).first()
        if ticket is None or ticket.next_due_at is None or as_utc(ticket.next_due_at) > now:
            return 0  # taken or already handled by someone else meanwhile
        if ticket.status not in ACTIVE_STATUSES:
            ticket.next_due_at = None
            return 0
        sla = load_sla(app, s, ticket)
        state = TicketClockState(ticket.id, ticket.assigned_level, sla.clocks, sla.fired)
        steps = due_escalations([state], now, settings.repeat_minutes)
        fired = set(sla.fired)
        groups: dict[tuple[str, int], list[EscalationStep]] = {}
        for step in steps:
            groups.setdefault((step.kind, step.level), []).append(step)
        mails = 0
        for (kind, level), group in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0])):
            recipients = app.settings.teams.get(level, ())
            recorded = [st for st in group if _record(s, ticket.id, st.deadline, level, kind, st.due_at, recipients, now)]
            fired.update(st.key for st in group)  # recorded now, or by someone else before us
            if recorded:
                mails += _announce(app, s, ticket, sla, kind, level, [sla.clock(st.deadline) for st in recorded],
                                   recipients, now)
        # Pauses move deadlines: keep the stored ones true for reports and `mailbot show`.
        for clock in sla.clocks:
            if clock.due_at is not None:
                if clock.name == FIRST_RESPONSE:
                    ticket.first_response_due_at = clock.due_at
                elif clock.name == RESOLUTION:
                    ticket.resolution_due_at = clock.due_at
        ticket.next_due_at = next_check(sla.clocks, ticket.assigned_level, fired, now, settings.repeat_minutes)
    return mails


def _record(s: Session, ticket_id: int, deadline: str, level: int, kind: str, due_at: datetime | None,
            recipients: Sequence[str], now: datetime) -> bool:
    """Insert the exactly-once row; False when it already exists (someone else fired this step)."""
    try:
        with s.begin_nested():
            s.add(EscalationFired(ticket_id=ticket_id, deadline=deadline, level=level, kind=kind, due_at=due_at,
                                  fired_at=now, recipients=",".join(recipients)))
        return True
    except IntegrityError:
        return False


def _announce(app: App, s: Session, ticket: Ticket, sla: TicketSla, kind: str, level: int, clocks: list[Clock | None],
              recipients: Sequence[str], now: datetime) -> int:
    """Event, level change and mail for one recorded step (or several deadlines at one level)."""
    ref = ticket_ref(app, ticket.id)
    clocks_ = [c for c in clocks if c is not None]
    previous = ticket.level
    if kind == ESCALATION:
        ticket.level = max(ticket.level, level)
    what = " and ".join(c.name.replace("_", " ") for c in clocks_)
    due = ", ".join(f"{c.name.replace('_', ' ')} due {_iso_local(c.due_at)}" for c in clocks_ if c.due_at)
    if kind == WARNING:
        summary = f"SLA warning to level {level}: {due}"
    elif kind == ESCALATION:
        summary = f"escalated from level {previous} to level {ticket.level}: {what} overdue ({due})"
    else:
        summary = f"premium emergency paged level {level} and on-call: {due}"
    mailed = f"mailed {', '.join(recipients)}" if recipients else f"nobody mailed: [teams] level{level} is empty"
    s.add(TicketEvent(ticket_id=ticket.id, at=now, kind=EVENT_KIND[kind], detail=f"{summary}; {mailed}"))
    if not recipients:
        log.warning("ticket %s: %s, but [teams] level%d has no addresses: nobody was mailed", ref, summary, level)
        decisions.info("ticket %s: %s; nobody mailed", ref, summary)
        return 0
    language = app.settings.escalation.language
    context = _mail_context(app, s, ticket, sla, kind, level, previous, clocks_, now, language)
    rendered = app.renderer.render("warning" if kind == WARNING else "escalation", language, context)
    company = app.settings.support.company
    mailbox_address = mailbox_address_of(app, ticket.mailbox)
    for recipient in recipients:
        # One mail each, whose Reply-To is that person's signed address for this ticket: a plain
        # "Reply" (with text for the customer, or #commands) acts on the ticket as them.
        envelope = Envelope(
            from_name=f"{company} Support — SLA" if language == "en" else f"Soporte {company} — SLA",
            from_addr=mailbox_address, to=(recipient,), message_id=new_message_id(app.settings.domain), date=now,
            reply_to=agent_reply_address(mailbox_address, app.settings.ticket_prefix, ticket.id, recipient, app.secret),
            # RFC 3834: generated by us, not a reply; clients and servers must not auto-answer it.
            auto_submitted="auto-generated", loop_marker=app.loop_marker, ticket_ref=ref, language=language,
        )
        enqueue_mail(s, kind=OUTBOX_KIND[kind], envelope=envelope, rendered=rendered, now=now, ticket_id=ticket.id,
                     mailbox=ticket.mailbox, thread_message=False)
    decisions.info("ticket %s: %s; %s", ref, summary, mailed)
    return 1


# ---- premium emergencies -----------------------------------------------------------


def page_emergency(app: App, s: Session, ticket: Ticket, now: datetime) -> bool:
    """Page level 3 and on-call for a new premium emergency, once; in the caller's transaction.

    Returns whether a page was recorded now (False: it had been already).
    """
    recipients = tuple(dict.fromkeys((*app.settings.teams.get(PAGE_LEVEL, ()), *app.settings.on_call)))
    sla = load_sla(app, s, ticket)
    first = sla.clock(FIRST_RESPONSE)
    if not _record(s, ticket.id, FIRST_RESPONSE, PAGE_LEVEL, PAGE, first.due_at if first else None, recipients, now):
        return False
    _announce(app, s, ticket, sla, PAGE, PAGE_LEVEL, [first], recipients, now)
    return True


# ---- the mails ------------------------------------------------------------------


def ticket_ref(app: App, number: int) -> str:
    return f"{app.settings.ticket_prefix}-{number:06d}"


def mailbox_address_of(app: App, name: str) -> str:
    try:
        return app.settings.mailbox(name).address
    except KeyError:  # the mailbox was removed from the config since the ticket was opened
        return app.settings.mailboxes[0].address


def _iso_local(instant: datetime | None) -> str:
    return to_utc(instant).astimezone(ZoneInfo(CHILE_TZ)).strftime("%Y-%m-%d %H:%M") + " Chile" if instant else "-"


def ticket_context(app: App, ticket: Ticket) -> dict[str, object]:
    """What every internal mail about a ticket shows: number, subject, customer, plan, severity."""
    customer = ticket.requester
    return {
        "company": app.settings.support.company,
        "ticket_ref": ticket_ref(app, ticket.id),
        "subject": ticket.subject,
        "customer_name": customer.name,
        "customer_email": customer.email,
        "customer_organisation": customer.organisation,
        "tier": ticket.tier,
        "severity": ticket.severity,
    }


def _mail_context(app: App, s: Session, ticket: Ticket, sla: TicketSla, kind: str, level: int, previous_level: int,
                  clocks: list[Clock], now: datetime, language: str) -> dict[str, object]:
    tz = app.calendar.tz
    target = sla.target
    minutes = {FIRST_RESPONSE: target.first_response_minutes, RESOLUTION: target.resolution_minutes}
    deadlines = []
    for clock in clocks:
        due = clock.due_at
        overdue = due is not None and now >= due
        left = ""
        if due is not None and not overdue:
            left_minutes = sla.calendar.business_minutes_between(now, due)
            left = describe_duration(left_minutes, target.clock, language) if left_minutes >= 1 else \
                describe_wall_time(timedelta(0), language)
        deadlines.append({
            "name": clock.name,
            "target": describe_duration(minutes[clock.name] or 0, target.clock, language),
            "due": format_local(due, language, tz, now) if due else "",
            "overdue": overdue,
            "left": left,
            "overdue_by": describe_wall_time(now - due, language) if overdue and due else "",
        })
    last = s.scalars(select(Message).where(Message.ticket_id == ticket.id, Message.direction == "in",
                                           Message.author_kind == "customer")
                     .order_by(Message.id.desc()).limit(1)).first()
    last_message = None
    if last is not None:
        text, truncated = trim_text(last.reply_text or last.text or "")
        last_message = {"text": text, "truncated": truncated, "from": last.from_addr,
                        "at": format_local(as_utc(last.created_at), language, tz, now)}
    repeat = app.settings.escalation.repeat_minutes
    mailbox_address = mailbox_address_of(app, ticket.mailbox)
    return {
        "kind": kind,
        **ticket_context(app, ticket),
        "clock": target.clock,
        "level": level,
        "ticket_level": ticket.level,
        "previous_level": previous_level,
        "assigned_level": ticket.assigned_level,
        "next_level": level + 1 if level < MAX_LEVEL else None,
        "next_climb": describe_duration(repeat, "24/7", language) if repeat > 0 and level < MAX_LEVEL else "",
        "deadlines": deadlines,
        "received": format_local(sla.received_at, language, tz, now),
        "tz_label": ("Chile time" if language == "en" else "hora de Chile") if tz == CHILE_TZ else tz,
        "last_message": last_message,
        "mailbox_address": mailbox_address,
        "reply_address": reply_address(mailbox_address, app.settings.ticket_prefix, ticket.id, app.secret),
        "on_call": list(app.settings.on_call),
    }


# ---- `mailbot sla MA-000123` -----------------------------------------------------------

_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _cli_time(instant: datetime | None, tz: str) -> str:
    if instant is None:
        return "-"
    local = to_utc(instant).astimezone(ZoneInfo(tz))
    return f"{_EN_DAYS[local.weekday()]} {local:%Y-%m-%d %H:%M}"


def _hm(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    if not hours:
        return f"{mins} min"
    return f"{hours} h {mins} min" if mins else f"{hours} h"


def sla_report(app: App, ref: str) -> str:
    """What `mailbot sla MA-000123` prints: the ticket's clocks, escalations and pauses."""
    from mailbot.views import TicketNotFound, parse_ticket_ref

    number = parse_ticket_ref(ref, app.settings.ticket_prefix)
    now = to_utc(app.clock())
    tz = app.calendar.tz
    with app.sessions() as s:
        ticket = s.get(Ticket, number) if number is not None else None
        if ticket is None:
            raise TicketNotFound(f"no ticket {ref}")
        sla = load_sla(app, s, ticket)
        fired = s.scalars(select(EscalationFired).where(EscalationFired.ticket_id == ticket.id)
                          .order_by(EscalationFired.fired_at, EscalationFired.id)).all()
        pause_events = s.execute(select(TicketEvent.at, TicketEvent.kind, TicketEvent.detail).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_(PAUSE_KINDS | {"resumed"}))
            .order_by(TicketEvent.at, TicketEvent.id)).all()
        target = sla.target
        if target.clock == "24/7":
            clock_words = "24/7 clock (all hours count)"
        else:
            cal = app.calendar
            clock_words = (f"business clock ({cal.open_time:%H:%M}-{cal.close_time:%H:%M} on open days, {tz}, "
                           f"{cal.country or 'no'} public holidays closed)")
        out = [
            f"{ticket_ref(app, ticket.id)}  {ticket.subject}",
            f"  status {ticket.status} · tier {ticket.tier} · severity {ticket.severity} · level {ticket.level} "
            f"(assigned {ticket.assigned_level}) · {clock_words}",
            f"  received {_cli_time(sla.received_at, tz)} · now {_cli_time(now, tz)} (times in {tz})",
            "",
            f"  {'clock':<15} {'target':<22} {'due':<21} {'used so far':<24} state",
        ]
        minutes = {FIRST_RESPONSE: target.first_response_minutes, RESOLUTION: target.resolution_minutes}
        for name in (FIRST_RESPONSE, RESOLUTION):
            clock = sla.clock(name)
            label = name.replace("_", " ")
            if clock is None:
                out.append(f"  {label:<15} {'none':<22} {'-':<21} {'-':<24} no {label} target for this tier and severity")
                continue
            total = minutes[name] or 0
            until = min(now, clock.met_at) if clock.met_at else now
            used = elapsed(sla.received_at, until, sla.calendar, sla.pauses)
            used_text = f"{_hm(used)} of {_hm(total)}"
            if clock.met_at is not None:
                late = clock.due_at is not None and clock.met_at > clock.due_at
                state = f"met {_cli_time(clock.met_at, tz)}" + (" — late: BREACHED" if late else " — in time")
            elif clock.due_at is None:
                state = "paused (waiting on the customer)"
            elif now >= clock.due_at:
                state = f"BREACHED — overdue by {describe_wall_time(now - clock.due_at, 'en')}"
            else:
                left = sla.calendar.business_minutes_between(now, clock.due_at)
                warn = f"warning at {_cli_time(clock.warn_at, tz)}" if clock.warn_at and clock.warn_at > now else \
                    "warning time passed"
                state = f"running — {_hm(left)} left; {warn}"
            out.append(f"  {label:<15} {describe_duration(total, target.clock, 'en'):<22} "
                       f"{_cli_time(clock.due_at, tz):<21} {used_text:<24} {state}")
        out.append("")
        if fired:
            out.append("Escalations fired:")
            for f in fired:
                out.append(f"  {_cli_time(as_utc(f.fired_at), tz)}  {f.kind:<10} {f.deadline.replace('_', ' '):<15} "
                           f"level {f.level}  → {f.recipients.replace(',', ', ') or '(nobody: no addresses configured)'}")
        else:
            out.append("Escalations fired: none")
        if pause_events or sla.pauses:
            out.append("Pauses (the clock stops while the ticket waits on the customer):")
            for p in sla.pauses:
                out.append(f"  {_cli_time(p.start, tz)} → {_cli_time(p.end, tz) if p.end else 'still waiting'}")
            for at, kind, detail in pause_events:
                out.append(f"  event {_cli_time(as_utc(at), tz)}  {kind}" + (f": {detail}" if detail else ""))
        else:
            out.append("Pauses: none")
    return "\n".join(out)


__all__ = [
    "PAGE", "TicketSla", "describe_wall_time", "format_local", "load_sla", "next_check", "page_emergency",
    "pauses_from_events", "run_escalations", "sla_report", "trim_text",
]
