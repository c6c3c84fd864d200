"""Mail to agents: ticket notifications and short notices, each with its own signed Reply-To.

Every agent gets their own copy, whose Reply-To is a per-ticket, per-agent signed
address (``soporte+ma000123-a<agent>-<sig>@``): a plain "Reply" in any client comes
back to mailbot and proves both the ticket and the agent. Notifications of one
ticket thread together in the agent's mailbox through a stable References root.
None of these mails is part of the customer-visible thread.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.commands import help_lines
from mailbot.compose import Envelope, new_message_id
from mailbot.db import as_utc
from mailbot.escalation import mailbox_address_of, ticket_context, ticket_ref, trim_text
from mailbot.models import Agent, Attachment, Message, Participant, Ticket, TicketEvent
from mailbot.outgoing import enqueue_mail
from mailbot.promise import format_local
from mailbot.tokens import agent_key, agent_reply_address


def configured_agents(app: App, s: Session) -> set[str]:
    """Every address that may act as an agent: the [teams] members and the agents table."""
    members = {m for members in app.settings.teams.values() for m in members}
    members |= {m for m in app.settings.on_call}
    members |= set(s.scalars(select(Agent.email)))
    return {m.lower() for m in members}


def agents_for(app: App, s: Session, ticket: Ticket, exclude: tuple[str, ...] = (), everyone: bool = False) -> list[str]:
    """Who hears about a ticket: its assignee, else the team of its current level.

    ``everyone`` (internal notes): the assignee, the level's team and every agent who
    has taken part in the ticket.
    """
    assignee = s.get(Agent, ticket.assignee_id) if ticket.assignee_id is not None else None
    # The assigned level's team (1 general, 2 important, 3 critical): escalations mail the higher
    # levels themselves, and the people doing the work keep hearing from the customer.
    team = list(app.settings.teams.get(ticket.assigned_level, ()))
    if everyone:
        involved = list(s.scalars(select(Participant.email).where(Participant.ticket_id == ticket.id,
                                                                  Participant.role == "agent").order_by(Participant.id)))
        recipients = ([assignee.email] if assignee else []) + team + involved
    elif assignee is not None:
        recipients = [assignee.email]
    else:
        recipients = team
    skip = {e.lower() for e in exclude}
    return [r for r in dict.fromkeys(recipients) if r.lower() not in skip]


def agent_thread_root(app: App, ticket: Ticket, agent_email: str) -> str:
    # Stable per (ticket, agent): every notification names it, so clients keep one thread.
    key = agent_key(agent_email, app.secret)
    return f"{app.settings.ticket_prefix.lower()}{ticket.id:06d}.{key}.agents@{app.settings.domain}"


def _ticket_context(app: App, s: Session, ticket: Ticket, language: str, now: datetime) -> dict[str, object]:
    tz = app.calendar.tz
    assignee = s.get(Agent, ticket.assignee_id) if ticket.assignee_id is not None else None
    return {
        **ticket_context(app, ticket),
        "status": ticket.status,
        "level": ticket.level,
        "assignee": (assignee.name or assignee.email) if assignee else "",
        "first_response_due": format_local(as_utc(ticket.first_response_due_at), language, tz, now)
        if ticket.first_response_due_at and ticket.first_responded_at is None else "",
        "resolution_due": format_local(as_utc(ticket.resolution_due_at), language, tz, now)
        if ticket.resolution_due_at and ticket.status in ("open", "waiting") else "",
        "commands": help_lines(language),
        "comment_address": app.settings.agents.comment_address,
    }


def _send_to_agent(app: App, s: Session, ticket: Ticket, agent_email: str, kind: str, template: str,
                   context: dict[str, object], now: datetime, attachments: tuple[tuple[str, str, bytes], ...] = (),
                   from_name: str = "") -> None:
    language = app.settings.agents.language
    rendered = app.renderer.render(template, language, context)
    mailbox_address = mailbox_address_of(app, ticket.mailbox)
    root = agent_thread_root(app, ticket, agent_email)
    envelope = Envelope(
        from_name=from_name or (f"{app.settings.support.company} Support" if language == "en"
                                else f"Soporte {app.settings.support.company}"),
        from_addr=mailbox_address, to=(agent_email,), message_id=new_message_id(app.settings.domain), date=now,
        reply_to=agent_reply_address(mailbox_address, app.settings.ticket_prefix, ticket.id, agent_email, app.secret),
        in_reply_to=root, references=(root,), loop_marker=app.loop_marker,
        # RFC 3834: an agent's out-of-office must not answer it (the agent's own reply is not automatic).
        auto_submitted="auto-generated",
        ticket_ref=ticket_ref(app, ticket.id), language=language, attachments=attachments,
    )
    enqueue_mail(s, kind=kind, envelope=envelope, rendered=rendered, now=now, ticket_id=ticket.id,
                 mailbox=ticket.mailbox, thread_message=False)


def message_attachments(app: App, s: Session, message: Message) -> tuple[tuple[str, str, bytes], ...]:
    """The stored attachments of ``message`` that are within the size limit, as (name, type, bytes)."""
    from mailbot.attachments import read_blob

    out = []
    for att in s.scalars(select(Attachment).where(Attachment.message_id == message.id, Attachment.stored.is_(True))):
        payload = read_blob(app.settings.data_dir, att.sha256)
        if payload is not None:
            out.append((att.filename, att.content_type, payload))
    return tuple(out)


def enqueue_notifications(app: App, s: Session, ticket: Ticket, message: Message, event: str, now: datetime,
                          exclude: tuple[str, ...] = ()) -> list[str]:
    """Tell the ticket's agents about ``message`` (event: new | reply | note | held | forwarded)."""
    recipients = agents_for(app, s, ticket, exclude, everyone=event == "note")
    if not recipients:
        return []
    language = app.settings.agents.language
    attachments = message_attachments(app, s, message)
    sender = message.from_name or message.from_addr
    for agent_email in recipients:
        context = _ticket_context(app, s, ticket, language, now)
        context.update({
            "event": event,
            "message_text": message.text if event != "note" else (message.reply_text or message.text),
            "message_from": f"{message.from_name} <{message.from_addr}>" if message.from_name else message.from_addr,
            "message_at": format_local(as_utc(message.created_at), language, app.calendar.tz, now),
            "attachment_names": [a[0] for a in attachments],
        })
        name = f"{sender} ({ticket_ref(app, ticket.id)})" if sender else ""
        _send_to_agent(app, s, ticket, agent_email, "notification", "agent_notification", context, now,
                       attachments=attachments, from_name=name)
    s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="agents-notified", detail=f"{event}: {', '.join(recipients)}"))
    return recipients


def enqueue_agent_notice(app: App, s: Session, ticket: Ticket, agent_email: str, notice: str, lines: list[str],
                         now: datetime) -> None:
    """One short mail to one agent: confirmation | rejected | auth | collision | reminder | kb."""
    language = app.settings.agents.language
    context = _ticket_context(app, s, ticket, language, now)
    context.update({"notice": notice, "lines": lines})
    _send_to_agent(app, s, ticket, agent_email, f"agent_{notice}", "agent_notice", context, now)


def enqueue_reminder(app: App, s: Session, ticket: Ticket, now: datetime) -> None:
    agent = s.get(Agent, ticket.assignee_id) if ticket.assignee_id is not None else None
    if agent is None:
        return
    last = s.scalars(select(Message).where(Message.ticket_id == ticket.id, Message.direction == "in",
                                           Message.author_kind == "customer").order_by(Message.id.desc()).limit(1)).first()
    text, _ = trim_text(last.reply_text or last.text) if last is not None else ("", False)
    enqueue_agent_notice(app, s, ticket, agent.email, "reminder", [text] if text else [], now)
    s.add(TicketEvent(ticket_id=ticket.id, at=now, kind="reminder", detail=f"weekly reminder to {agent.email}"))
