"""The ingest path: record (transaction 1), then process (transaction 2).

record_batch() / record_inbound() commit the raw bytes keyed by (mailbox, UIDVALIDITY,
UID) before anything else; from then on the message is ours and may leave the INBOX.
process_next() claims one recorded message (process_batch() up to 20 in one commit,
a SAVEPOINT each), runs the pure steps (limits, parse, screen, thread, classify,
plan) and writes every effect - ticket, messages,
attachments, events, outbox rows - in a single transaction. A message whose
processing raises is retried a few times, then quarantined with its raw bytes,
reason and traceback; the loop goes on with the next one.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import traceback
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot.agent_mail import enqueue_notifications
from mailbot.agent_replies import Handled, OpenForCustomer, known_customer, route_agent_mail
from mailbot.app import App
from mailbot.stored import store_inbound
from mailbot.classify import detect_language
from mailbot.compose import Envelope, new_message_id
from mailbot.conversation import TaggedTicket, ThreadFacts, ThreadMatch, resolve_thread, subject_tag_number
from mailbot.db import as_utc
from mailbot.domain import MailboxKind, ParsedMessage, Severity, Status, Tier
from mailbot.escalation import page_emergency, ticket_ref
from mailbot.models import (
    Agent,
    Customer,
    InboundMail,
    Message,
    Outbox,
    Participant,
    Quarantine,
    Ticket,
    TicketEvent,
)
from mailbot.outgoing import enqueue_mail
from mailbot.parsers import automation_reasons, check_limits, extract_new_text, parse_message
from mailbot.parsers.autoreply import is_bounce
from mailbot.missing_info import missing_information
from mailbot.plan import Action, Decision, PlanFacts, decide
from mailbot.promise import describe_duration, format_local
from mailbot.sla import FIRST_RESPONSE, RESOLUTION, compute_clocks
from mailbot.tokens import base_address, reply_address, ticket_from_address

log = logging.getLogger("mailbot.ingest")
decisions = logging.getLogger("mailbot.decisions")

_MESSAGE_ID_RE = re.compile(rb"^message-id:[ \t]*<?([^>\r\n]*)>?", re.IGNORECASE | re.MULTILINE)



def _header_block(raw: bytes, limit: int) -> bytes:
    end = raw.find(b"\n\n")
    end_crlf = raw.find(b"\r\n\r\n")
    cut = min([e for e in (end, end_crlf) if e >= 0] or [len(raw)])
    return raw[: min(cut, limit)]

@dataclass(frozen=True)
class Fetched:
    """One message as the watcher fetched it."""

    uid: int
    raw: bytes
    received_at: datetime


def _inbound_row(app: App, mailbox: str, uidvalidity: int, item: Fetched, s: Session, now: datetime) -> InboundMail | None:
    sha256 = hashlib.sha256(item.raw).hexdigest()
    seen = s.scalar(select(InboundMail.id).where(
        InboundMail.mailbox == mailbox, InboundMail.uidvalidity == uidvalidity, InboundMail.uid == item.uid))
    if seen is None:
        # After a UIDVALIDITY change the same bytes come back under new UIDs.
        seen = s.scalar(select(InboundMail.id).where(InboundMail.mailbox == mailbox, InboundMail.sha256 == sha256))
    if seen is not None:
        return None
    m = _MESSAGE_ID_RE.search(_header_block(item.raw, app.settings.limits.max_header_bytes))
    message_id = m.group(1).decode("ascii", "replace").strip()[:998] if m else ""
    row = InboundMail(mailbox=mailbox, uidvalidity=uidvalidity, uid=item.uid, message_id=message_id,
                      sha256=sha256, size=len(item.raw), raw=item.raw, received_at=item.received_at,
                      recorded_at=now, state="pending", attempts=0)
    s.add(row)
    return row


def record_batch(app: App, mailbox: str, uidvalidity: int, items: list[Fetched]) -> int:
    """Transaction 1 for a whole fetch batch (one commit, one fsync); returns how many were new.

    If another instance recorded one of them meanwhile, the batch falls back to one
    transaction per message, where that one is simply a no-op.
    """
    now = app.clock()
    try:
        with app.sessions.begin() as s:
            rows = [r for item in items if (r := _inbound_row(app, mailbox, uidvalidity, item, s, now)) is not None]
        return len(rows)
    except IntegrityError:
        return sum(record_inbound(app, mailbox, uidvalidity, i.uid, i.raw, i.received_at) is not None for i in items)


def record_inbound(app: App, mailbox: str, uidvalidity: int, uid: int, raw: bytes, received_at: datetime) -> int | None:
    """Transaction 1 for one message. Returns the new row id, or None when we already had it."""
    try:
        with app.sessions.begin() as s:
            row = _inbound_row(app, mailbox, uidvalidity, Fetched(uid, raw, received_at), s, app.clock())
            if row is None:
                return None
            s.flush()
            return row.id
    except IntegrityError:
        # Another instance recorded it between our check and our insert: same outcome.
        # Anything else (a schema problem) must not pass for a duplicate.
        with app.sessions() as s:
            if s.scalar(select(InboundMail.id).where(
                    InboundMail.mailbox == mailbox, InboundMail.uidvalidity == uidvalidity, InboundMail.uid == uid)) is None:
                raise
        return None


@dataclass(frozen=True)
class Outcome:
    inbound_id: int
    state: str  # done | ignored | duplicate | quarantined | retry
    summary: str
    ticket: int | None = None
    mailbox: str = ""  # the configured mailbox name it came from (a metrics label)

def _claimable(app: App, now: datetime, limit: int) -> Select[tuple[InboundMail]]:
    query = (select(InboundMail).where(
        InboundMail.state == "pending",
        (InboundMail.claimed_until.is_(None)) | (InboundMail.claimed_until <= now))
        .order_by(InboundMail.id).limit(limit))
    if not app.is_sqlite:
        # Several instances: each takes different rows and never waits on another's.
        query = query.with_for_update(skip_locked=True)
    return query

def process_next(app: App) -> Outcome | None:
    """Claim and process one recorded message; None when there is nothing to do."""
    now = app.clock()
    with app.sessions.begin() as s:
        row = s.scalars(_claimable(app, now, 1)).first()
        if row is None:
            return None
        try:
            with s.begin_nested():
                outcome = _process(app, s, row, now)
        except Exception as exc:  # noqa: BLE001 - any failure of one message must not stop the loop
            return _record_failure(app, s, row, exc, now)
        row.state = outcome.state
        row.outcome = outcome.summary
        row.processed_at = now
        row.attempts += 1
    decisions.info("%s", outcome.summary)
    return replace(outcome, mailbox=row.mailbox)

BATCH_SIZE = 20

def process_batch(app: App, limit: int = BATCH_SIZE, stop: threading.Event | None = None) -> list[Outcome]:
    """Claim up to ``limit`` recorded messages and process them in one transaction.

    One commit (one fsync on SQLite) for the batch instead of one per message. Each
    message runs inside its own SAVEPOINT, so one that raises is rolled back alone and
    retried or quarantined exactly as in process_next(), and the others still commit.
    A crash before the commit loses nothing: the whole batch is still pending and is
    processed again (no mail leaves before the commit: the outbox rows are in it).
    If the transaction fails as a whole, one message is processed alone instead, so
    a message that breaks the transaction cannot hold the others back.
    """
    outcomes: list[Outcome] = []
    decided: list[str] = []  # logged once committed, as process_next() does
    try:
        with app.sessions.begin() as s:
            for row in s.scalars(_claimable(app, app.clock(), limit)).all():
                if stop is not None and stop.is_set():
                    break  # shutting down: commit what is done, the rest stays pending
                now = app.clock()
                try:
                    with s.begin_nested():
                        outcome = _process(app, s, row, now)
                except Exception as exc:  # noqa: BLE001 - any failure of one message must not stop the loop
                    outcomes.append(_record_failure(app, s, row, exc, now))
                    continue
                row.state = outcome.state
                row.outcome = outcome.summary
                row.processed_at = now
                row.attempts += 1
                outcomes.append(replace(outcome, mailbox=row.mailbox))
                decided.append(outcome.summary)
    except Exception:  # noqa: BLE001 - e.g. a message that breaks the connection: isolate it
        if limit == 1:
            raise
        log.warning("a batch of messages failed as a whole; processing one alone", exc_info=True)
        one = process_next(app)
        return [one] if one is not None else []
    for summary in decided:
        decisions.info("%s", summary)
    return outcomes

def _record_failure(app: App, s: Session, row: InboundMail, exc: Exception, now: datetime) -> Outcome:
    outcome = _failure_outcome(app, s, row, exc, now)
    return replace(outcome, mailbox=row.mailbox)

def _failure_outcome(app: App, s: Session, row: InboundMail, exc: Exception, now: datetime) -> Outcome:
    row.attempts += 1
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    if row.attempts >= app.settings.quarantine_after_attempts:
        row.state = "quarantined"
        row.outcome = f"quarantined after {row.attempts} attempts: {reason}"
        s.add(Quarantine(inbound_id=row.id, created_at=now, reason=reason, traceback=traceback.format_exc()))
        log.error("message %s (mailbox %s uid %s) quarantined after %d attempts: %s",
                  row.id, row.mailbox, row.uid, row.attempts, reason)
        return Outcome(row.id, "quarantined", row.outcome)
    # Back off so a transient failure (a full disk, a locked database) gets time to clear.
    row.claimed_until = now + timedelta(seconds=app.settings.retry_base_seconds * 2 ** row.attempts)
    log.warning("message %s (mailbox %s uid %s) failed attempt %d, will retry: %s",
                row.id, row.mailbox, row.uid, row.attempts, reason)
    return Outcome(row.id, "retry", reason)

def _process(app: App, s: Session, row: InboundMail, now: datetime) -> Outcome:
    settings = app.settings
    mailbox = settings.mailbox(row.mailbox)
    raw = row.raw
    where = f"mailbox {row.mailbox} uid {row.uid}"

    violation = check_limits(raw, settings.limits)
    if violation is not None:
        headers_only = parse_message(_header_block(raw, settings.limits.max_header_bytes) + b"\n\n", limits=settings.limits)
        notice = _enqueue_limit_notice(app, s, headers_only, violation, mailbox.address, now)
        s.add(Quarantine(inbound_id=row.id, created_at=now, reason=f"limit {violation.limit}: {violation.describe()}"))
        return Outcome(row.id, "quarantined", f"message {row.id} ({where}) kept in quarantine: {violation.describe()}; notice {notice}")

    msg = parse_message(raw, limits=settings.limits)
    if s.scalar(select(Message.id).where(Message.message_id == msg.message_id)) is not None:
        return Outcome(row.id, "duplicate", f"message {row.id} ({where}) ignored: <{msg.message_id}> is already in a ticket")

    automation = automation_reasons(msg, own_addresses=settings.own_addresses, loop_value=app.loop_marker)
    new_text = extract_new_text(msg.text, msg.html)
    match = resolve_thread(msg, _thread_facts(app, s, msg))
    routed = route_agent_mail(app, s, row, msg, new_text, match, automation, now)
    if isinstance(routed, Handled):
        return Outcome(row.id, routed.state, routed.summary, ticket=routed.ticket)
    opened_by = routed  # an agent opening a ticket for a customer (forward, #solicitante), or None
    if opened_by is not None:
        msg, new_text = opened_by.message, opened_by.new_text
        match = ThreadMatch(None, (f"opened-by-agent:{opened_by.how}:{opened_by.agent}",))
    sender = msg.from_addr.email if msg.from_addr else ""
    hold = (app.settings.agents.unknown_senders == "hold" and opened_by is None and match.ticket is None
            and bool(sender) and not known_customer(s, sender))
    customer = _customer(s, msg, now) if sender else None
    ticket = s.get(Ticket, match.ticket) if match.ticket is not None else None
    if match.ticket is not None and ticket is None:
        match = resolve_thread(msg, ThreadFacts())
    facts = PlanFacts(
        mailbox_kind=mailbox.kind,
        customer_tier=Tier(customer.tier) if customer else Tier.BASIC,
        customer_language=customer.language if customer else "",
        sender_is_agent=any(sender in members for members in settings.teams.values()),
        acks_to_sender_last_hour=_acks_sent(s, sender, now - timedelta(hours=1)) if sender else 0,
        ack_rate_limit_per_hour=settings.ack_rate_limit_per_hour,
        ticket_status=Status(ticket.status) if ticket else None,
        default_language=settings.default_language,
        severity_rules=settings.severity_rules,
    )
    decision = decide(msg, new_text, match, automation, facts)

    if decision.action is Action.IGNORE:
        return Outcome(row.id, "ignored", f"message {row.id} ({where}) from {sender or '<none>'} ignored: {', '.join(decision.reasons)}")
    if decision.action is Action.CREATE and customer is None:
        # Nobody could ever be answered on such a ticket: keep the bytes for a person to look at.
        s.add(Quarantine(inbound_id=row.id, created_at=now, reason="no sender address (From missing or invalid)"))
        return Outcome(row.id, "quarantined", f"message {row.id} ({where}) kept in quarantine: no sender address")
    if decision.action is Action.CREATE:
        assert customer is not None
        ticket = _create_ticket(app, s, msg, decision, customer, row, now)
        verb = "created"
        if opened_by is not None:
            _opened_by_agent(s, ticket, opened_by, now)
        if hold:
            # [agents] unknown_senders = "hold": an agent accepts (#status open) or rejects (#spam) it first.
            ticket.status = "held"
            s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="held", detail=f"unknown sender {sender} held for review"))
            decision = replace(decision, send_ack=False, ack_reasons=("held-for-review",))
    else:
        assert ticket is not None
        _append_to_ticket(s, ticket, decision, automation, now)
        verb = "appended"
    stored = _store_message(app, s, ticket, msg, new_text, decision, row, now)
    _add_participants(s, ticket, msg, settings.own_addresses, "requester" if verb == "created" else "cc")
    if (verb == "created" and mailbox.kind is MailboxKind.EMERGENCY and ticket.tier == Tier.PREMIUM.value
            and decision.author_kind == "customer"):
        # A premium emergency pages level 3 and on-call at once, day or night; recorded so it fires once.
        page_emergency(app, s, ticket, now)
    ack = "no ack: " + ", ".join(decision.ack_reasons)
    if decision.send_ack and customer is not None:
        _enqueue_ack(app, s, ticket, customer, stored, msg, decision, mailbox.address, now)
        ack = "ack queued"
    if decision.author_kind == "customer" and not automation:
        # After the ack: the outbox sends in order, and the customer's ack is the mail that must not wait.
        event = "held" if ticket.status == "held" else ("new" if verb == "created" else "reply")
        skip = (opened_by.agent,) if opened_by is not None else ()
        enqueue_notifications(app, s, ticket, stored, event, now, exclude=skip)
    ref = ticket_ref(app, ticket.id)
    summary = (f"ticket {ref} {verb} from {sender or '<none>'} ({where}): severity={ticket.severity} "
               f"level={ticket.level} language={decision.language} [{', '.join(decision.reasons)}]; {ack}")
    return Outcome(row.id, "done", summary, ticket=ticket.id)

def _thread_facts(app: App, s: Session, msg: ParsedMessage) -> ThreadFacts:
    prefix = app.settings.ticket_prefix
    token_ticket = None
    for addr in (*(a.email for a in msg.to), *(a.email for a in msg.cc), *msg.delivered_to):
        token_ticket = ticket_from_address(addr, prefix, app.secret)
        if token_ticket is not None:
            break
    refs = list(dict.fromkeys((*msg.in_reply_to, *msg.references)))[-50:]
    by_id: dict[str, int] = {}
    if refs:
        for message_id, ticket_id in s.execute(select(Message.message_id, Message.ticket_id).where(Message.message_id.in_(refs))):
            by_id[message_id] = ticket_id
    tagged = None
    number = subject_tag_number(msg.subject, prefix)
    if number is not None:
        t = s.get(Ticket, number)
        if t is not None:
            participants = frozenset(s.scalars(select(Participant.email).where(Participant.ticket_id == t.id)))
            org_domains = frozenset()
            if t.requester.organisation:
                org_domains = frozenset(s.scalars(select(Customer.email).where(
                    Customer.organisation == t.requester.organisation)))
                org_domains = frozenset(e.rpartition("@")[2] for e in org_domains)
            tagged = TaggedTicket(t.id, participants, org_domains)
    return ThreadFacts(token_ticket=token_ticket, ticket_by_message_id=by_id, tagged=tagged)

def _customer(s: Session, msg: ParsedMessage, now: datetime) -> Customer:
    assert msg.from_addr is not None
    email = msg.from_addr.email
    found = s.scalar(select(Customer).where(Customer.email == email))
    if found is not None:
        if not found.name and msg.from_addr.name:
            found.name = msg.from_addr.name[:200]
        return found
    try:
        with s.begin_nested():
            # A new sender of a known organisation (a "@empresa.cl" row from `mailbot customers
            # import`) starts with that organisation's tier, language and name.
            org = s.scalar(select(Customer).where(Customer.email == "@" + email.rpartition("@")[2]))
            customer = Customer(email=email, name=msg.from_addr.name[:200], created_at=now,
                                tier=org.tier if org else Tier.BASIC.value, language=org.language if org else "",
                                timezone=org.timezone if org else "",
                                organisation=org.organisation if org else "")
            s.add(customer)
        return customer
    except IntegrityError:
        # Another instance created the same customer a moment ago.
        return s.scalars(select(Customer).where(Customer.email == email)).one()

def _acks_sent(s: Session, email: str, since: datetime) -> int:
    return s.scalar(select(func.count(Outbox.id)).where(
        Outbox.kind == "ack", Outbox.recipient_key == email, Outbox.created_at > since)) or 0

def _create_ticket(app: App, s: Session, msg: ParsedMessage, d: Decision, customer: Customer,
                   row: InboundMail, now: datetime) -> Ticket:
    tier = customer.tier
    ticket = Ticket(
        subject=(msg.subject or "")[:500], status=Status.OPEN.value, severity=d.severity.value,
        severity_reasons=", ".join(d.severity_reasons), tier=tier, language=d.language, level=d.level,
        mailbox=row.mailbox, requester_id=customer.id,
        created_at=row.received_at, updated_at=now,
    )
    target = app.settings.sla[(Tier(tier), d.severity)]
    for clock in compute_clocks(as_utc(row.received_at), target, app.calendar):
        if clock.name == FIRST_RESPONSE:
            ticket.first_response_due_at = clock.due_at
        elif clock.name == RESOLUTION:
            ticket.resolution_due_at = clock.due_at
    s.add(ticket)
    s.flush()
    if not customer.language:
        customer.language = d.language
    s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="created",
                      detail=f"severity {d.severity.value} ({', '.join(d.severity_reasons)}), level {d.level}, tier {tier}",
                      reasons=", ".join(d.reasons)))
    return ticket

def _append_to_ticket(s: Session, ticket: Ticket, d: Decision, automation: tuple[str, ...], now: datetime) -> None:
    ticket.updated_at = now
    if d.reopen:
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="reopened", detail=f"customer replied to a {ticket.status} ticket",
                          reasons=", ".join(d.reasons)))
        ticket.status = Status.OPEN.value
        ticket.resolved_at = None
        ticket.closed_at = None
    elif ticket.status == Status.WAITING.value and d.author_kind == "customer":
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="customer-replied", detail="waiting -> open", reasons=", ".join(d.reasons)))
        ticket.status = Status.OPEN.value
    elif is_bounce(automation):
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="delivery-failure", detail="a bounce threaded into this ticket",
                          reasons=", ".join(d.reasons)))

def _store_message(app: App, s: Session, ticket: Ticket, msg: ParsedMessage, new_text: str, d: Decision,
                   row: InboundMail, now: datetime) -> Message:
    return store_inbound(app, s, ticket.id, row, msg, author_kind=d.author_kind, reply_text=new_text, language=d.language)

def _opened_by_agent(s: Session, ticket: Ticket, opened: OpenForCustomer, now: datetime) -> None:
    agent = s.scalar(select(Agent).where(Agent.email == opened.agent))
    if agent is None:
        agent = Agent(email=opened.agent)
        s.add(agent)
        s.flush()
    ticket.assignee_id = agent.id
    s.add(Participant(ticket_id=ticket.id, email=opened.agent, role="agent"))
    s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="opened-by-agent",
                      detail=f"{opened.how} by {opened.agent}, channel {opened.channel}; assigned to {opened.agent}"
                             + (f"; the agent wrote: {opened.note[:500]}" if opened.note else "")))

def _add_participants(s: Session, ticket: Ticket, msg: ParsedMessage, own: frozenset[str], sender_role: str) -> None:
    existing = set(s.scalars(select(Participant.email).where(Participant.ticket_id == ticket.id)))
    wanted: list[tuple[str, str]] = []
    if msg.from_addr is not None:
        wanted.append((msg.from_addr.email, sender_role))
    wanted += [(a.email, "cc") for a in (*msg.to, *msg.cc)]
    for email, role in wanted:
        if email in existing or base_address(email) in own:
            continue
        existing.add(email)
        s.add(Participant(ticket_id=ticket.id, email=email, role=role))

def _support_context(app: App, language: str) -> dict[str, str]:
    sup = app.settings.support
    return {"email": sup.email, "emergency_email": sup.emergency_email, "phone": sup.phone, "whatsapp": sup.whatsapp,
            "hours": sup.hours_en if language == "en" else sup.hours_es,
            "chat": sup.chat_en if language == "en" else sup.chat_es}

def _enqueue_ack(app: App, s: Session, ticket: Ticket, customer: Customer, stored: Message, msg: ParsedMessage,
                 d: Decision, mailbox_address: str, now: datetime) -> None:
    settings = app.settings
    target = settings.sla[(Tier(ticket.tier), Severity(ticket.severity))]
    ref = ticket_ref(app, ticket.id)
    customer_zone = customer.timezone or app.calendar.tz
    context = {
        "ticket_ref": ref, "subject": ticket.subject, "customer_name": customer.name,
        "severity": ticket.severity, "tier": ticket.tier,
        "first_response": describe_duration(target.first_response_minutes, target.clock, d.language),
        "resolution": describe_duration(target.resolution_minutes, target.clock, d.language) if target.resolution_minutes else "",
        "clock": target.clock, "emergency_upsell": d.emergency_upsell, "company": settings.support.company,
        "support": _support_context(app, d.language),
        # In the customer's own time zone when the directory has one (a customer in Bogotá reads Bogotá time).
        "first_response_due": format_local(ticket.first_response_due_at, d.language, customer_zone, now=now)
        if ticket.first_response_due_at else "",
        "due_zone": "" if customer_zone == app.calendar.tz else customer_zone.replace("_", " "),
        # What a good report has (the seed's "Reporte del problema"), asked only for what seems missing.
        "missing": missing_information(ticket.severity, stored.reply_text, [a.filename for a in msg.attachments],
                                       [a.content_type for a in msg.attachments]),
        "articles": [{"title": sug.article.title, "url": sug.article.url}
                     for sug in (app.kb.suggest(ticket.subject, stored.reply_text, d.language) if app.kb else ())],
    }
    rendered = app.renderer.render("ack", d.language, context)
    refs = tuple(r for r in (*stored.references.split(), stored.message_id) if r)
    envelope = Envelope(
        from_name=f"Soporte {settings.support.company}" if d.language == "es" else f"{settings.support.company} Support",
        from_addr=mailbox_address, to=(customer.email,), message_id=new_message_id(settings.domain), date=now,
        reply_to=reply_address(mailbox_address, settings.ticket_prefix, ticket.id, app.secret),
        in_reply_to=stored.message_id, references=refs, auto_submitted="auto-replied",
        loop_marker=app.loop_marker, ticket_ref=ref, language=d.language,
    )
    enqueue_mail(s, kind="ack", envelope=envelope, rendered=rendered, now=now, ticket_id=ticket.id, mailbox=stored.mailbox)
    s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="ack-queued", detail=f"acknowledgement to {customer.email} in {d.language}",
                      reasons=", ".join(d.ack_reasons)))

def _enqueue_limit_notice(app: App, s: Session, headers: ParsedMessage, violation: object, mailbox_address: str,
                          now: datetime) -> str:
    """A polite notice naming the limit: throttled per sender, never to automated senders."""
    if headers.from_addr is None:
        return "not sent (no sender)"
    automation = automation_reasons(headers, own_addresses=app.settings.own_addresses, loop_value=app.loop_marker)
    if automation:
        return f"not sent ({', '.join(automation)})"
    sender = headers.from_addr.email
    per_day = app.settings.limit_notice_rate_limit_per_day
    sent = s.scalar(select(func.count(Outbox.id)).where(
        Outbox.kind == "limit_notice", Outbox.recipient_key == sender, Outbox.created_at > now - timedelta(days=1))) or 0
    if per_day and sent >= per_day:
        return f"not sent (rate limit: {sent} today)"
    language = detect_language(headers.subject, "", headers.content_language, app.settings.default_language)
    limit_name = getattr(violation, "limit")
    allowed = getattr(violation, "allowed")
    limit_text = f"{allowed / (1024 * 1024):.0f} MB" if limit_name in ("max_message_bytes", "max_header_bytes") and allowed >= 1024 * 1024 \
        else (f"{allowed // 1024} KB" if limit_name == "max_header_bytes" else str(allowed))
    rendered = app.renderer.render("limit_notice", language, {
        "subject": headers.subject, "limit_text": limit_text, "limit_name": limit_name,
        "company": app.settings.support.company, "support": _support_context(app, language)})
    envelope = Envelope(
        from_name=f"Soporte {app.settings.support.company}", from_addr=mailbox_address, to=(sender,),
        message_id=new_message_id(app.settings.domain), date=now,
        in_reply_to=headers.message_id, references=(headers.message_id,), auto_submitted="auto-replied",
        loop_marker=app.loop_marker, language=language)
    enqueue_mail(s, kind="limit_notice", envelope=envelope, rendered=rendered, now=now)
    return "queued"
