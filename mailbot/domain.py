"""Frozen values that the pipeline stages hand each other.

No stage passes a dict to the next one: each boundary is one of these types, so a
missing field is a type error and not a KeyError three modules later.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    IMPORTANT = "important"
    GENERAL = "general"


class Tier(str, enum.Enum):
    BASIC = "basic"
    PREMIUM = "premium"


class Status(str, enum.Enum):
    OPEN = "open"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


class MailboxKind(str, enum.Enum):
    SUPPORT = "support"
    EMERGENCY = "emergency"


@dataclass(frozen=True)
class Address:
    """One decoded mailbox address; ``email`` is lower-cased, ``name`` may be empty."""

    name: str
    email: str

    def formatted(self) -> str:
        from email.utils import formataddr

        return formataddr((self.name, self.email)) if self.name else self.email


@dataclass(frozen=True)
class ParsedAttachment:
    """An attachment as found in the message; ``filename`` is already sanitised."""

    filename: str
    content_type: str
    payload: bytes


@dataclass(frozen=True)
class ParsedMessage:
    """What the pipeline needs to know about one inbound message.

    Every header value here that may be echoed into outgoing mail (subject, names)
    has had CR, LF and other control characters removed by the parser.
    """

    message_id: str  # without angle brackets; synthesised from the content hash if absent
    in_reply_to: tuple[str, ...]  # message ids, without angle brackets
    references: tuple[str, ...]  # message ids, oldest first, without angle brackets
    from_addr: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    delivered_to: tuple[str, ...]  # Delivered-To / X-Original-To, lower-cased
    subject: str
    date: datetime | None  # the sender's Date: header; informational only, never an SLA start
    text: str  # text body; HTML converted to text when the message has no text part
    html: str  # the HTML body as sent (sanitise before showing it anywhere)
    attachments: tuple[ParsedAttachment, ...]
    headers: tuple[tuple[str, str], ...]  # (lower-cased name, cleaned value), in order
    content_language: str  # the Content-Language header, lower-cased, or ""
    parse_defects: tuple[str, ...] = field(default=())  # what fell back to the stdlib and why

    def header(self, name: str) -> str:
        """The first value of header ``name`` (case-insensitive), or ""."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return ""

    def header_all(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key == wanted)
