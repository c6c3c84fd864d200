"""Match an inbound message to an existing ticket, in order of trust (pure).

1. a signed per-ticket reply address among the recipients;
2. In-Reply-To / References naming a message we stored or sent;
3. a subject tag ``[MA-000123]``, only when the sender already takes part in that
   ticket (or belongs to its customer's organisation).
Anything else opens a new ticket: a stranger quoting someone else's ticket number
must never read or write that ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailbot.domain import ParsedMessage


@dataclass(frozen=True)
class TaggedTicket:
    number: int
    participants: frozenset[str]
    organisation_domains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ThreadFacts:
    """What the database knows that bears on threading; gathered by the edge."""

    token_ticket: int | None = None
    ticket_by_message_id: dict[str, int] = field(default_factory=dict)
    tagged: TaggedTicket | None = None


@dataclass(frozen=True)
class ThreadMatch:
    ticket: int | None  # None: open a new ticket
    reasons: tuple[str, ...]


def subject_tag_number(subject: str, prefix: str) -> int | None:
    m = re.search(rf"\[{re.escape(prefix)}-(\d{{1,12}})\]", subject, re.IGNORECASE)
    return int(m.group(1)) if m else None


def resolve_thread(msg: ParsedMessage, facts: ThreadFacts) -> ThreadMatch:
    if facts.token_ticket is not None:
        return ThreadMatch(facts.token_ticket, (f"reply-token:{facts.token_ticket}",))
    # In-Reply-To is the direct parent; References is the chain, newest last.
    for ref in (*msg.in_reply_to, *reversed(msg.references)):
        ticket = facts.ticket_by_message_id.get(ref)
        if ticket is not None:
            return ThreadMatch(ticket, (f"references:<{ref}>",))
    if facts.tagged is not None and msg.from_addr is not None:
        sender = msg.from_addr.email
        domain = sender.rpartition("@")[2]
        if sender in facts.tagged.participants:
            return ThreadMatch(facts.tagged.number, (f"subject-tag:{facts.tagged.number}", "sender-is-participant"))
        if domain in facts.tagged.organisation_domains:
            return ThreadMatch(facts.tagged.number, (f"subject-tag:{facts.tagged.number}", "sender-in-organisation"))
        return ThreadMatch(None, (f"subject-tag-ignored:{facts.tagged.number}:sender-not-a-participant",))
    return ThreadMatch(None, ("new-conversation",))
