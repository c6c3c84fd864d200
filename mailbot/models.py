"""SQLAlchemy 2 typed models: the one place where mailbot's state lives.

Idempotence is enforced here, by unique keys, not by code paths: a second delivery
of the same IMAP message, a second enqueue of the same mail, a second claim of the
same ticket number all fail at the database.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def UtcDateTime() -> DateTime:  # noqa: N802 - reads like a column type
    return DateTime(timezone=True)


# ``tickets.next_due_at`` value meaning "look at this ticket at the next escalation sweep":
# earlier than any real instant, so the sweep's ``next_due_at <= now`` picks it up at once.
CHECK_NOW = datetime(2000, 1, 1, tzinfo=timezone.utc)
# Ticket statuses whose SLA clocks run (or are paused, for "waiting").
ACTIVE_STATUSES = ("open", "waiting")


def _assigned_level_default(context: Any) -> int:
    # A ticket created without an explicit assigned level is owned by the level it starts at.
    return int(context.get_current_parameters().get("level") or 1)


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    tier: Mapped[str] = mapped_column(String(16), default="basic")
    language: Mapped[str] = mapped_column(String(8), default="")
    # IANA zone name ("America/Bogota"); empty: the support calendar's zone (America/Santiago).
    timezone: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Agent(Base):
    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[int] = mapped_column(Integer, default=1)


class Ticket(Base):
    __tablename__ = "tickets"
    # The ticket number is the primary key: unique across every instance sharing the database.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    severity: Mapped[str] = mapped_column(String(16), default="general")
    severity_reasons: Mapped[str] = mapped_column(Text, default="")
    tier: Mapped[str] = mapped_column(String(16), default="basic")
    language: Mapped[str] = mapped_column(String(8), default="es")
    # The level currently handling the ticket: starts at the assigned level, raised by escalations.
    level: Mapped[int] = mapped_column(Integer, default=1)
    # The support level (1-3) that owns the ticket; escalation progress is in `escalations`, not here.
    assigned_level: Mapped[int] = mapped_column(Integer, default=_assigned_level_default)
    mailbox: Mapped[str] = mapped_column(String(64))
    requester_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_response_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    first_responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # When the escalation sweep must next look at this ticket (the earliest warning or
    # escalation instant of an unmet clock); NULL when nothing can come due. A cache kept
    # by mailbot.escalation: changing any input of the SLA clocks through the ORM resets it
    # to CHECK_NOW (see the listeners below), so it is never later than the truth.
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)
    # Set by `#merge`: this ticket was folded into that one and is closed.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)

    requester: Mapped[Customer] = relationship()
    messages: Mapped[list[Message]] = relationship(back_populates="ticket", order_by="Message.id")
    participants: Mapped[list[Participant]] = relationship(back_populates="ticket")
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id")


def _status_changed(target: Ticket, value: str, _old: object, _initiator: object) -> None:
    # An open or waiting ticket is looked at by the next sweep; a resolved or closed one
    # leaves the due index for good (reopening it sets the status again).
    target.next_due_at = CHECK_NOW if value in ACTIVE_STATUSES else None


def _clock_input_changed(target: Ticket, _value: object, _old: object, _initiator: object) -> None:
    if target.status is None or target.status in ACTIVE_STATUSES:
        target.next_due_at = CHECK_NOW


event.listen(Ticket.status, "set", _status_changed)
for _attribute in (Ticket.severity, Ticket.tier, Ticket.assigned_level, Ticket.created_at,
                   Ticket.first_responded_at, Ticket.resolved_at):
    event.listen(_attribute, "set", _clock_input_changed)


class EscalationFired(Base):
    """One SLA warning, escalation or page that was sent: the database makes each fire once.

    The unique key is what keeps a restart, two sweeps at once or two instances from
    mailing the same step twice: the row is inserted in the same transaction as the
    outbox row, and a second insert fails.
    """

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("ticket_id", "deadline", "level", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    deadline: Mapped[str] = mapped_column(String(32))  # first_response | resolution
    level: Mapped[int] = mapped_column(Integer)  # whose team was mailed
    kind: Mapped[str] = mapped_column(String(16))  # warning | escalation | page
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)  # when the step became due
    fired_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recipients: Mapped[str] = mapped_column(Text, default="")  # comma-separated; empty when no team is configured


class InboundMail(Base):
    """Transaction 1 of the ingest: the raw bytes, committed before anything else.

    Once this row exists the message may leave the INBOX; processing works from here.
    """

    __tablename__ = "inbound"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid"),
        Index("ix_inbound_mailbox_sha256", "mailbox", "sha256"),
        Index("ix_inbound_state_id", "state", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(64))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str] = mapped_column(String(998), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    # When we received it (IMAP INTERNALDATE, else our clock): the SLA start, never the Date: header.
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # pending -> done | ignored | quarantined | duplicate
    state: Mapped[str] = mapped_column(String(16), default="pending")
    outcome: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str] = mapped_column(String(128), default="")
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound.id"), nullable=True)
    direction: Mapped[str] = mapped_column(String(4))  # "in" | "out"
    author_kind: Mapped[str] = mapped_column(String(16))  # customer | agent | system
    # Unique: the same message can belong to one ticket only, once.
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    in_reply_to: Mapped[str] = mapped_column(Text, default="")
    references: Mapped[str] = mapped_column(Text, default="")
    from_addr: Mapped[str] = mapped_column(String(320), default="")
    from_name: Mapped[str] = mapped_column(String(200), default="")
    to_addrs: Mapped[str] = mapped_column(Text, default="")
    cc_addrs: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    reply_text: Mapped[str] = mapped_column(Text, default="")
    # An agents-only note (#interno / #internal): never relayed to the customer.
    internal: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(8), default="")
    mailbox: Mapped[str] = mapped_column(String(64), default="")
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    uid: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message")


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))  # the file is data_dir/attachments/ab/cd/<sha256>
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))  # sanitised; only metadata, never a path
    content_type: Mapped[str] = mapped_column(String(200))
    stored: Mapped[bool] = mapped_column(default=True)  # False when over the size limit

    message: Mapped[Message] = relationship(back_populates="attachments")


class Participant(Base):
    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("ticket_id", "email"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))  # requester | cc | agent

    ticket: Mapped[Ticket] = relationship(back_populates="participants")


class TicketEvent(Base):
    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    reasons: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class Outbox(Base):
    """Every outgoing mail, written in the same transaction as its cause."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_kind_rcpt_created", "kind", "recipient_key", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(32))  # ack | limit_notice | ...
    message_id: Mapped[str] = mapped_column(String(998), unique=True)  # fixed at enqueue
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[str] = mapped_column(Text)  # comma-separated
    recipient_key: Mapped[str] = mapped_column(String(320), default="")  # first recipient, for rate limits
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class MailboxCursor(Base):
    __tablename__ = "mailbox_cursors"
    mailbox: Mapped[str] = mapped_column(String(64), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=0)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_fetch_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Lease(Base):
    """A renewable lease: one instance at a time reads a mailbox or runs a singleton loop."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Quarantine(Base):
    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Text)
    traceback: Mapped[str] = mapped_column(Text, default="")
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    moved: Mapped[bool] = mapped_column(default=False)  # to the mailbox's Quarantine folder


class Heartbeat(Base):
    """One row a minute per running instance: what was working (the availability metric)."""

    __tablename__ = "heartbeats"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    instance: Mapped[str] = mapped_column(String(128))
    mailboxes_ok: Mapped[bool] = mapped_column(default=True)  # every mailbox connected
    pipeline_ok: Mapped[bool] = mapped_column(default=True)
    outbox_ok: Mapped[bool] = mapped_column(default=True)  # nothing queued too long, SMTP reachable
    detail: Mapped[str] = mapped_column(Text, default="")


class ReportRun(Base):
    """A periodic report that was mailed: unique per (kind, period), so it goes out once."""

    __tablename__ = "report_runs"
    __table_args__ = (UniqueConstraint("kind", "period_start"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # daily | weekly | monthly
    period_start: Mapped[str] = mapped_column(String(10))  # ISO date, Chile time
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recipients: Mapped[str] = mapped_column(Text, default="")


class AlertState(Base):
    """The current state of one automatic alert condition, so start/clear mail once each."""

    __tablename__ = "alert_states"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)  # e.g. "mailbox-unreachable:soporte"
    active: Mapped[bool] = mapped_column(default=False)
    since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_mail_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
