"""Enqueue outgoing mail: "send" only ever means "write an outbox row".

The row is written in the caller's transaction, so a mail exists exactly when its
cause was committed. Its Message-ID is fixed here, which is what lets a crash
between SMTP acceptance and marking the row produce, at worst, the same mail again
with the same Message-ID (which receiving clients collapse).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mailbot.compose import Envelope, build_mail
from mailbot.models import Message, Outbox
from mailbot.render import RenderedMail


def enqueue_mail(
    s: Session,
    *,
    kind: str,
    envelope: Envelope,
    rendered: RenderedMail,
    now: datetime,
    ticket_id: int | None = None,
    author_kind: str = "system",
    mailbox: str = "",
    thread_message: bool = True,
    internal: bool = False,
) -> Outbox:
    raw = build_mail(envelope, rendered)
    row = Outbox(
        ticket_id=ticket_id,
        kind=kind,
        message_id=envelope.message_id,
        mail_from=envelope.from_addr,
        rcpt_to=",".join(envelope.to),
        recipient_key=envelope.to[0].lower() if envelope.to else "",
        raw=raw,
        status="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    s.add(row)
    if ticket_id is not None and thread_message:
        # Internal mail (agent notifications, notices) is not part of the thread.
        # Stored as a ticket message too, so a reply that only names it in
        # References still threads into this ticket.
        s.add(Message(
            ticket_id=ticket_id,
            direction="out",
            author_kind=author_kind,
            message_id=envelope.message_id,
            in_reply_to=envelope.in_reply_to,
            references=" ".join(envelope.references),
            from_addr=envelope.from_addr,
            from_name=envelope.from_name,
            to_addrs=", ".join(envelope.to),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            language=envelope.language,
            internal=internal,
            mailbox=mailbox,
            created_at=now,
        ))
    return row
