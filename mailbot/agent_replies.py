"""Mail from agents: authenticated replies relayed to the customer, internal notes, commands.

Who may act: the sender is a configured agent AND the mail came to that agent's
signed reply address for that ticket (and, when configured, our MTA's
Authentication-Results shows DMARC or DKIM pass). Anything else that looks like
agent mail changes nothing: it is kept for review (in the quarantine list, raw
bytes included) and the real agent gets at most one notice per hour.

Also here, because they start from an agent's mail: the satisfaction answers
(signed mailto links, or a bare "1".."5" reply while the question is recent), and
the tickets an agent opens for a customer (forwarded mail, ``#solicitante``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.agent_mail import configured_agents, enqueue_agent_notice, enqueue_notifications, \
    message_attachments, ticket_ref
from mailbot.app import App
from mailbot.classify import level_for
from mailbot.commands import NEW_TICKET_COMMANDS, TICKET_COMMANDS, ParsedCommands, help_lines, parse_commands
from mailbot.compose import Envelope, new_message_id
from mailbot.conversation import ThreadMatch
from mailbot.db import as_utc
from mailbot.domain import Address, ParsedMessage, Severity
from mailbot.escalation import load_sla, mailbox_address_of
from mailbot.lifecycle import parse_rating, record_rating, set_status, survey_open
from mailbot.models import Agent, Customer, InboundMail, Message, Outbox, Participant, Quarantine, Ticket, TicketEvent
from mailbot.outgoing import enqueue_mail
from mailbot.sla import FIRST_RESPONSE, RESOLUTION
from mailbot.stored import store_inbound
from mailbot.tokens import (
    agent_token_matches,
    agent_token_ticket,
    base_address,
    is_agent_token,
    rating_address,
    rating_from_address,
    reply_address,
)

log = logging.getLogger("mailbot.agents")


@dataclass(frozen=True)
class Handled:
    """The agent path took the message: the ingest records this outcome."""

    state: str  # done | quarantined
    summary: str
    ticket: int | None = None


@dataclass(frozen=True)
class OpenForCustomer:
    """An agent opens a ticket on a customer's behalf: the ingest creates it from ``message``."""

    message: ParsedMessage  # from the customer, with the customer's text and attachments
    new_text: str
    agent: str
    channel: str  # email | phone | whatsapp
    how: str  # forwarded | requester-command
    note: str = ""  # what the agent wrote above a forwarded message


def _recipients(msg: ParsedMessage) -> list[str]:
    return [*(a.email for a in msg.to), *(a.email for a in msg.cc), *msg.delivered_to]


def route_agent_mail(app: App, s: Session, row: InboundMail, msg: ParsedMessage, new_text: str,
                     match: ThreadMatch, automation: tuple[str, ...], now: datetime) -> Handled | OpenForCustomer | None:
    """Take the message when it is agent business or a rating; None: the customer path goes on."""
    prefix = app.settings.ticket_prefix
    recipients = _recipients(msg)
    if automation:
        # An out-of-office or bounce answering an agent notification: nobody acts on it.
        if any(is_agent_token(a) for a in recipients):
            return Handled("ignored", f"message {row.id}: automatic mail ({', '.join(automation)}) to an agent "
                                      "reply address ignored")
        return None
    sender = msg.from_addr.email if msg.from_addr else ""
    agents = configured_agents(app, s)

    for address in recipients:
        rating = rating_from_address(address, prefix, app.secrets)
        if rating is not None:
            return _rating(app, s, row, msg, new_text, rating[0], rating[1], "mailto-link", now)

    token_address = next((a for a in recipients if is_agent_token(a)), None)
    if token_address is not None:
        verified = agent_token_ticket(token_address, prefix, app.secrets)
        if verified is None:
            return _review(app, s, row, sender, None, "the reply address's signature is not valid (tampered, or "
                           "signed with a secret this installation does not have)", now)
        number, key = verified
        ticket = s.get(Ticket, number)
        if sender not in agents:
            return _review(app, s, row, sender, ticket, f"{sender or 'a sender without address'} is not a configured agent", now)
        if not agent_token_matches(key, sender, app.secrets):
            return _review(app, s, row, sender, ticket, "the reply address belongs to another agent", now)
        problem = _authentication_problem(app, msg)
        if problem:
            return _review(app, s, row, sender, ticket, problem, now)
        if ticket is None:
            return _review(app, s, row, sender, None, f"ticket {number} does not exist", now)
        return handle_agent_reply(app, s, row, msg, new_text, ticket, sender, now)

    if sender in agents:
        if match.ticket is not None:
            ticket = s.get(Ticket, match.ticket)
            return _review(app, s, row, sender, ticket, "an agent's mail to the ticket did not come through the agent's "
                           "own reply address (the Reply-To of the notification); nothing was relayed", now)
        return _open_for_customer(app, msg, new_text, sender)

    if match.ticket is not None:
        ticket = s.get(Ticket, match.ticket)
        if ticket is not None and ticket.status in ("resolved", "closed") and \
                survey_open(s, ticket, now, app.settings.agents.survey_window_days):
            rating = parse_rating(new_text)
            if rating is not None:
                return _rating(app, s, row, msg, new_text, ticket.id, rating, "reply", now)
    return None


# ---- authentication -------------------------------------------------------------------

_AUTH_PASS = re.compile(r"\b(?:dmarc|dkim)\s*=\s*pass\b", re.IGNORECASE)


def _authentication_problem(app: App, msg: ParsedMessage) -> str:
    """When configured: our own MTA's Authentication-Results must show DMARC or DKIM pass."""
    cfg = app.settings.agents
    if not cfg.require_authentication_results:
        return ""
    # Only the header our MTA added (its authserv-id first): anyone can write the others.
    ours = [v for v in msg.header_all("authentication-results")
            if v.split(";", 1)[0].strip().lower() == cfg.authserv_id.lower()]
    if any(_AUTH_PASS.search(v) for v in ours):
        return ""
    return f"Authentication-Results from {cfg.authserv_id} does not show dmarc=pass or dkim=pass"


def _review(app: App, s: Session, row: InboundMail, sender: str, ticket: Ticket | None, reason: str,
            now: datetime) -> Handled:
    """Change nothing; keep the mail for a person, tell the real agent (at most once an hour)."""
    s.add(Quarantine(inbound_id=row.id, created_at=now, reason=f"agent mail not accepted: {reason}"))
    where = f"ticket {ticket_ref(app, ticket.id)}" if ticket is not None else "no ticket"
    told = ""
    per_hour = app.settings.agents.auth_notice_per_hour
    if ticket is not None and sender in configured_agents(app, s) and per_hour:
        sent = s.scalar(select(func.count(Outbox.id)).where(
            Outbox.kind == "agent_auth", Outbox.recipient_key == sender, Outbox.created_at > now - timedelta(hours=1))) or 0
        if sent < per_hour:
            enqueue_agent_notice(app, s, ticket, sender, "auth", [reason], now)
            told = f"; {sender} told"
    log.warning("message %s from %s kept for review (%s): %s", row.id, sender or "<none>", where, reason)
    return Handled("quarantined", f"message {row.id} from {sender or '<none>'} kept for review ({where}): {reason}{told}",
                   ticket.id if ticket is not None else None)


# ---- agent replies ----------------------------------------------------------------------


def _agent_row(s: Session, email: str, name: str = "") -> Agent:
    agent = s.scalar(select(Agent).where(Agent.email == email))
    if agent is None:
        agent = Agent(email=email, name=name[:200])
        s.add(agent)
        s.flush()
    elif name and not agent.name:
        agent.name = name[:200]
    return agent


def _find_agent(app: App, s: Session, who: str) -> str | None:
    """An agent's address from ``#assign``: an address, or a (part of a) name in the agents table."""
    wanted = who.strip().strip("<>").lower()
    agents = configured_agents(app, s)
    if wanted in agents:
        return wanted
    named = [a.email for a in s.scalars(select(Agent)) if a.name and wanted in a.name.lower()]
    if len(named) == 1:
        return named[0]
    local = [a for a in agents if a.partition("@")[0] == wanted]
    return local[0] if len(local) == 1 else None


def _validate(app: App, s: Session, ticket: Ticket, parsed: ParsedCommands) -> list[str]:
    errors = list(parsed.errors)
    for c in parsed.commands:
        if c.name == "assign" and _find_agent(app, s, c.value) is None:
            errors.append(f"{c.line}: no agent with that address or name")
        if c.name == "merge":
            prefix, _, number = c.value.partition(":")
            target = s.get(Ticket, int(number)) if prefix == app.settings.ticket_prefix else None
            if target is None:
                errors.append(f"{c.line}: no such ticket")
            elif target.id == ticket.id:
                errors.append(f"{c.line}: a ticket cannot be merged into itself")
            elif target.merged_into_id is not None or target.status == "spam":
                errors.append(f"{c.line}: that ticket was itself merged or marked as spam")
        if c.name == "kb":
            status = parsed.get("status")
            final = status.value if status else ticket.status
            if final not in ("resolved", "closed"):
                errors.append(f"{c.line}: only on a resolved ticket (add #status resolved)")
    return errors


def refresh_deadlines(app: App, s: Session, ticket: Ticket) -> None:
    """Deadlines again from the (tier, severity) table, the pauses so far and the original start."""
    s.flush()
    sla = load_sla(app, s, ticket)
    for clock in sla.clocks:
        if clock.name == FIRST_RESPONSE and clock.due_at is not None:
            ticket.first_response_due_at = clock.due_at
        elif clock.name == RESOLUTION and clock.due_at is not None:
            ticket.resolution_due_at = clock.due_at
    if sla.clock(RESOLUTION) is None:
        ticket.resolution_due_at = None


def _apply(app: App, s: Session, ticket: Ticket, parsed: ParsedCommands, agent: str, now: datetime) -> tuple[Ticket, list[str]]:
    """Apply every command (already validated); returns the ticket replies now go to, and what changed."""
    changes: list[str] = []
    ref = ticket_ref(app, ticket.id)
    for c in parsed.commands:
        if c.name == "status":
            done = set_status(s, ticket, c.value, now, agent, "command")
            changes.append(f"status {done}" if done else f"status already {c.value}")
        elif c.name == "severity":
            old = ticket.severity
            ticket.severity = c.value
            ticket.severity_reasons = f"set by {agent}"
            new_level = level_for(Severity(c.value))
            escalated = ticket.level > ticket.assigned_level
            ticket.assigned_level = new_level
            # An escalated ticket keeps its higher level; otherwise it moves to the new owner.
            ticket.level = max(new_level, ticket.level) if escalated else new_level
            refresh_deadlines(app, s, ticket)
            s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="severity", detail=f"{old} -> {c.value} by {agent}"))
            changes.append(f"severity {old} -> {c.value} (level {ticket.level}; deadlines recomputed)")
        elif c.name == "assign":
            email = _find_agent(app, s, c.value)
            assert email is not None
            row = _agent_row(s, email)
            ticket.assignee_id = row.id
            s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="assigned", detail=f"to {email} by {agent}"))
            changes.append(f"assigned to {email}")
        elif c.name == "level":
            old = ticket.level
            ticket.level = int(c.value)
            ticket.assigned_level = int(c.value)
            s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="level", detail=f"{old} -> {c.value} by {agent}"))
            changes.append(f"level {old} -> {c.value}")
        elif c.name == "tier":
            customer = ticket.requester
            old = ticket.tier
            customer.tier = c.value
            ticket.tier = c.value
            refresh_deadlines(app, s, ticket)
            s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="tier", detail=f"{old} -> {c.value} for {customer.email} by {agent}"))
            changes.append(f"customer {customer.email} is now {c.value} (deadlines recomputed)")
        elif c.name == "merge":
            target = s.get(Ticket, int(c.value.partition(":")[2]))
            assert target is not None
            ticket.merged_into_id = target.id
            for p in s.scalars(select(Participant).where(Participant.ticket_id == ticket.id)):
                if s.scalar(select(Participant.id).where(Participant.ticket_id == target.id, Participant.email == p.email)) is None:
                    s.add(Participant(ticket_id=target.id, email=p.email, role="cc" if p.role == "requester" else p.role))
            set_status(s, ticket, "closed", now, agent, f"merged into {ticket_ref(app, target.id)}")
            s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="merged", detail=f"into {ticket_ref(app, target.id)} by {agent}"))
            s.add(TicketEvent(ticket_id=target.id, at=now, kind="merged", detail=f"{ref} merged into this ticket by {agent}"))
            changes.append(f"{ref} merged into {ticket_ref(app, target.id)} (replies now go there)")
            ticket = target
        elif c.name == "spam":
            set_status(s, ticket, "spam", now, agent, "command")
            changes.append("marked as spam (closed, no SLA, nothing sent)")
    return ticket, changes


def handle_agent_reply(app: App, s: Session, row: InboundMail, msg: ParsedMessage, new_text: str, ticket: Ticket,
                       agent: str, now: datetime) -> Handled:
    for _ in range(20):  # follow merges to the surviving ticket (bounded: a bad row must not loop forever)
        survivor = s.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id is not None else None
        if survivor is None or survivor.id == ticket.id:
            break
        ticket = survivor
    ref = ticket_ref(app, ticket.id)
    agent_name = msg.from_addr.name if msg.from_addr else ""
    agent_row = _agent_row(s, agent, agent_name)
    comment = app.settings.agents.comment_address
    to_comment = bool(comment) and any(base_address(a) == comment for a in _recipients(msg))
    parsed = parse_commands(new_text, TICKET_COMMANDS)
    internal = to_comment or "internal" in parsed.names()
    stored = store_inbound(app, s, ticket.id, row, msg, author_kind="agent", reply_text=parsed.body, internal=internal)

    errors = _validate(app, s, ticket, parsed)
    if errors:
        stored.internal = True
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="commands-rejected", detail=f"from {agent}: {'; '.join(errors)}"))
        enqueue_agent_notice(app, s, ticket, agent, "rejected", errors + [""] + help_lines(app.settings.agents.language), now)
        return Handled("done", f"ticket {ref}: mail from agent {agent} not applied, bad command(s): {'; '.join(errors)}; "
                               "nothing changed, agent told", ticket.id)

    target, changes = _apply(app, s, ticket, parsed, agent, now)
    if target is not ticket:
        stored.ticket_id = target.id
        ticket = target
        ref = ticket_ref(app, ticket.id)
    if not any(p.email == agent for p in s.scalars(select(Participant).where(Participant.ticket_id == ticket.id))):
        s.add(Participant(ticket_id=ticket.id, email=agent, role="agent"))
    what = []
    if parsed.body and internal:
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="note", detail=f"internal note by {agent}"))
        told = enqueue_notifications(app, s, ticket, stored, "note", now, exclude=(agent,))
        what.append(f"internal note (to {', '.join(told) or 'no other agent'})")
    elif ticket.status == "spam":
        what.append("nothing relayed (spam)")
    elif parsed.body or parsed.get("status") and parsed.get("status").value == "resolved" and ticket.status == "resolved":
        to = _relay(app, s, ticket, stored, parsed.body, agent, agent_row.name or agent_name, now)
        what.append(f"relayed to {', '.join(to)}" if to else "not relayed: the ticket has no customer address")
        if parsed.body:
            if ticket.assignee_id is None:
                ticket.assignee_id = agent_row.id
                s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="assigned", detail=f"to {agent} (first reply)"))
            if ticket.first_responded_at is None:
                ticket.first_responded_at = now
            s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="agent-replied", detail=agent))
            what += _collisions(app, s, ticket, agent, now)
    if parsed.get("kb") is not None:
        from mailbot.kb_drafts import write_draft

        path = write_draft(app, s, ticket, now)
        changes.append(f"knowledge-base draft written: {path}")
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="kb-draft", detail=str(path)))
    if parsed.commands:
        enqueue_agent_notice(app, s, ticket, agent, "confirmation", changes + what, now)
    ticket.updated_at = now
    summary = "; ".join([*changes, *what]) or "stored (no text, no command)"
    return Handled("done", f"ticket {ref} reply from agent {agent}: {summary}", ticket.id)


def _customer_recipients(app: App, s: Session, ticket: Ticket) -> list[str]:
    agents = configured_agents(app, s)
    own = app.settings.own_addresses
    people = [ticket.requester.email] + list(s.scalars(select(Participant.email).where(
        Participant.ticket_id == ticket.id, Participant.role.in_(("requester", "cc"))).order_by(Participant.id)))
    return [p for p in dict.fromkeys(people) if p and p not in agents and base_address(p) not in own]


def _relay(app: App, s: Session, ticket: Ticket, stored: Message, body: str, agent: str, agent_name: str,
           now: datetime) -> list[str]:
    """The agent's new text to the customer and the other participants, from the ticket's mailbox."""
    recipients = _customer_recipients(app, s, ticket)
    if not recipients:
        return []
    settings = app.settings
    language = ticket.language if ticket.language in ("es", "en") else settings.default_language
    mailbox_address = mailbox_address_of(app, ticket.mailbox)
    ref = ticket_ref(app, ticket.id)
    resolved = ticket.status == "resolved"
    ratings = []
    if resolved:
        subject = f"{ref} " + ("rating" if language == "en" else "evaluación")
        ratings = [{"value": n, "mailto": f"mailto:{rating_address(mailbox_address, settings.ticket_prefix, ticket.id, n, app.secret)}"
                    f"?subject={subject.replace(' ', '%20')}%20{n}"} for n in range(1, 6)]
        s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="survey-sent", detail=", ".join(recipients)))
    company = settings.support.company
    team = f"{company} Support" if language == "en" else f"Soporte {company}"
    shown_name = agent_name if settings.agents.show_agent_name and agent_name else ""
    context = {
        "ticket_ref": ref, "subject": ticket.subject, "company": company, "body": body,
        "agent_name": shown_name, "agent_address": agent if settings.agents.expose_agent_address else "",
        "resolved": resolved, "ratings": ratings, "customer_name": ticket.requester.name,
    }
    rendered = app.renderer.render("agent_reply", language, context)
    last = s.scalars(select(Message).where(Message.ticket_id == ticket.id, Message.direction == "in",
                                           Message.author_kind == "customer").order_by(Message.id.desc()).limit(1)).first()
    parent = last.message_id if last is not None else ""
    refs = tuple(r for r in ((last.references.split() if last is not None else []) + [parent]) if r)
    envelope = Envelope(
        from_name=f"{shown_name} ({team})" if shown_name else team, from_addr=mailbox_address, to=tuple(recipients),
        message_id=new_message_id(settings.domain), date=now,
        reply_to=reply_address(mailbox_address, settings.ticket_prefix, ticket.id, app.secret),
        in_reply_to=parent, references=refs, loop_marker=app.loop_marker, ticket_ref=ref, language=language,
        attachments=message_attachments(app, s, stored),
    )
    enqueue_mail(s, kind="reply", envelope=envelope, rendered=rendered, now=now, ticket_id=ticket.id,
                 author_kind="agent", mailbox=ticket.mailbox)
    return recipients


def _collisions(app: App, s: Session, ticket: Ticket, agent: str, now: datetime) -> list[str]:
    """Two agents answering the same customer message within minutes: both replies go; both are told."""
    minutes = app.settings.agents.collision_minutes
    if not minutes:
        return []
    last_customer = s.scalar(select(func.max(Message.created_at)).where(
        Message.ticket_id == ticket.id, Message.direction == "in", Message.author_kind == "customer"))
    since = max(as_utc(last_customer), now - timedelta(minutes=minutes)) if last_customer else now - timedelta(minutes=minutes)
    others = sorted({d for d in s.scalars(select(TicketEvent.detail).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "agent-replied", TicketEvent.at >= since)) if d != agent})
    if not others:
        return []
    enqueue_agent_notice(app, s, ticket, agent, "collision", others, now)
    for other in others:
        enqueue_agent_notice(app, s, ticket, other, "collision", [agent], now)
    s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="collision", detail=f"{agent} and {', '.join(others)} both answered"))
    return [f"collision with {', '.join(others)} (both told)"]


# ---- satisfaction ---------------------------------------------------------------------------


def _rating(app: App, s: Session, row: InboundMail, msg: ParsedMessage, new_text: str, number: int, rating: int,
            source: str, now: datetime) -> Handled:
    ticket = s.get(Ticket, number)
    if ticket is None:
        return Handled("ignored", f"message {row.id}: rating for ticket {number}, which does not exist")
    ref = ticket_ref(app, ticket.id)
    if s.scalar(select(Message.id).where(Message.message_id == msg.message_id)) is None:
        store_inbound(app, s, ticket.id, row, msg, author_kind="customer", reply_text=new_text, attachments=False)
    first = record_rating(s, ticket, rating, now, source)
    if first and msg.from_addr is not None:
        _thank(app, s, ticket, msg, rating, now)
    return Handled("done", f"ticket {ref}: satisfaction {rating}/5 from {msg.from_addr.email if msg.from_addr else '?'} "
                           f"({source}){'; thanked' if first else '; repeat answer, kept the first'}", ticket.id)


def _thank(app: App, s: Session, ticket: Ticket, msg: ParsedMessage, rating: int, now: datetime) -> None:
    assert msg.from_addr is not None
    language = ticket.language if ticket.language in ("es", "en") else app.settings.default_language
    mailbox_address = mailbox_address_of(app, ticket.mailbox)
    rendered = app.renderer.render("satisfaction_thanks", language, {
        "ticket_ref": ticket_ref(app, ticket.id), "subject": ticket.subject, "rating": rating,
        "company": app.settings.support.company, "customer_name": ticket.requester.name})
    company = app.settings.support.company
    envelope = Envelope(
        from_name=f"{company} Support" if language == "en" else f"Soporte {company}", from_addr=mailbox_address,
        to=(msg.from_addr.email,), message_id=new_message_id(app.settings.domain), date=now,
        in_reply_to=msg.message_id, references=(*msg.references, msg.message_id), auto_submitted="auto-replied",
        loop_marker=app.loop_marker, ticket_ref=ticket_ref(app, ticket.id), language=language)
    enqueue_mail(s, kind="thanks", envelope=envelope, rendered=rendered, now=now, ticket_id=ticket.id, mailbox=ticket.mailbox)


# ---- tickets opened by an agent for a customer ------------------------------------------------


def _open_for_customer(app: App, msg: ParsedMessage, new_text: str, agent: str) -> OpenForCustomer | None:
    parsed = parse_commands(new_text, NEW_TICKET_COMMANDS)
    requester = parsed.get("requester")
    if requester is not None and not parsed.errors:
        channel = parsed.get("channel")
        customer = Address("", requester.value)
        opened = _as_customer_message(msg, customer, parsed.body, msg.attachments)
        return OpenForCustomer(opened, parsed.body, agent, channel.value if channel else "email", "requester-command")
    try:
        from mailbot.parsers.forward import find_forwarded
    except ImportError:  # pragma: no cover - the forward parser ships with the package
        return None
    original = find_forwarded(msg)
    if original is None or original.from_addr is None or original.from_addr.email == agent:
        return None
    text = original.text
    attachments = tuple(original.attachments) or msg.attachments
    opened = _as_customer_message(msg, original.from_addr, text, attachments, subject=original.subject or msg.subject)
    return OpenForCustomer(opened, text, agent, "email", "forwarded", original.note)


_FORWARD_PREFIX = re.compile(r"^\s*(?:(?:fw|fwd|rv|enc|tr)\s*:\s*)+", re.IGNORECASE)


def _as_customer_message(msg: ParsedMessage, customer: Address, text: str, attachments: tuple, subject: str = "") -> ParsedMessage:
    from dataclasses import replace

    return replace(msg, from_addr=customer, reply_to=(), to=(), cc=(), text=text, html="",
                   attachments=tuple(attachments), subject=_FORWARD_PREFIX.sub("", subject or msg.subject),
                   in_reply_to=(), references=())


def known_customer(s: Session, email: str) -> bool:
    """In the directory: the address itself, or its organisation's ``@domain`` row."""
    return s.scalar(select(Customer.id).where(Customer.email.in_((email, "@" + email.rpartition("@")[2])))) is not None


