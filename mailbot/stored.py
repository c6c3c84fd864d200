"""One inbound mail as a ticket message, with its attachments on disk (in the caller's transaction).

Shared by every path that keeps an inbound mail in a ticket: customer mail (mailbot.ingest),
agent replies and satisfaction answers (mailbot.agent_replies).
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.attachments import store_blob
from mailbot.domain import ParsedMessage
from mailbot.models import Attachment, InboundMail, Message


def store_inbound(app: App, s: Session, ticket_id: int, row: InboundMail, msg: ParsedMessage, *, author_kind: str,
                  reply_text: str, language: str = "", internal: bool = False, attachments: bool = True) -> Message:
    stored = Message(
        ticket_id=ticket_id, inbound_id=row.id, direction="in", author_kind=author_kind,
        message_id=msg.message_id, in_reply_to=" ".join(msg.in_reply_to), references=" ".join(msg.references),
        from_addr=msg.from_addr.email if msg.from_addr else "", from_name=msg.from_addr.name[:200] if msg.from_addr else "",
        to_addrs=", ".join(a.email for a in msg.to), cc_addrs=", ".join(a.email for a in msg.cc),
        subject=msg.subject, text=msg.text, html=msg.html, reply_text=reply_text, language=language, internal=internal,
        mailbox=row.mailbox, uidvalidity=row.uidvalidity, uid=row.uid, created_at=row.received_at,
    )
    s.add(stored)
    s.flush()
    if attachments:
        store_attachments(app, s, stored, msg)
    return stored


def store_attachments(app: App, s: Session, stored: Message, msg: ParsedMessage) -> None:
    """Each attachment on disk under its hash (over the size limit: only its metadata)."""
    limit = app.settings.max_attachment_bytes
    for att in msg.attachments:
        keep = len(att.payload) <= limit
        sha256 = store_blob(app.settings.data_dir, att.payload) if keep else hashlib.sha256(att.payload).hexdigest()
        s.add(Attachment(message_id=stored.id, sha256=sha256, size=len(att.payload), filename=att.filename[:200],
                         content_type=att.content_type[:200], stored=keep))
