"""Decide what one inbound message does (pure: no I/O, no clock).

The edge gathers facts from the database, this module turns them into a
``Decision`` whose reasons are stored and logged, and the edge applies it in one
transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailbot.classify import DEFAULT_SEVERITY_RULES, SeverityRule, classify_severity, detect_language, level_for
from mailbot.conversation import ThreadMatch
from mailbot.domain import MailboxKind, ParsedMessage, Severity, Status, Tier
from mailbot.parsers.autoreply import is_bounce


class Action(str, enum.Enum):
    CREATE = "create"
    APPEND = "append"
    IGNORE = "ignore"


@dataclass(frozen=True)
class PlanFacts:
    mailbox_kind: MailboxKind
    customer_tier: Tier
    customer_language: str
    sender_is_agent: bool
    acks_to_sender_last_hour: int
    ack_rate_limit_per_hour: int
    ticket_status: Status | None  # of the matched ticket
    default_language: str = "es"
    severity_rules: tuple[SeverityRule, ...] = DEFAULT_SEVERITY_RULES


@dataclass(frozen=True)
class Decision:
    action: Action
    ticket: int | None
    reasons: tuple[str, ...]
    author_kind: str = "customer"  # customer | agent | system
    severity: Severity = Severity.GENERAL
    severity_reasons: tuple[str, ...] = ()
    language: str = "es"
    level: int = 1
    reopen: bool = False
    send_ack: bool = False
    ack_reasons: tuple[str, ...] = ()
    emergency_upsell: bool = False


def decide(msg: ParsedMessage, new_text: str, match: ThreadMatch, automation: tuple[str, ...], facts: PlanFacts) -> Decision:
    reasons = match.reasons + tuple(f"auto:{r}" for r in automation)
    language = detect_language(msg.subject, new_text, msg.content_language, facts.customer_language or facts.default_language)
    author = "agent" if facts.sender_is_agent else ("system" if automation else "customer")

    if match.ticket is not None:
        # A customer writing again to a resolved or closed ticket reopens it; an automatic
        # reply (out-of-office, bounce) never does.
        reopen = facts.ticket_status in (Status.RESOLVED, Status.CLOSED) and not automation and author == "customer"
        return Decision(Action.APPEND, match.ticket, reasons + (("reopen",) if reopen else ()),
                        author_kind=author, language=language, reopen=reopen,
                        ack_reasons=("follow-up-in-thread",))

    if is_bounce(automation):
        # A bounce that threads nowhere has nobody to tell: record why and stop.
        return Decision(Action.IGNORE, None, reasons + ("bounce-without-ticket",), author_kind="system", language=language)

    forced = Severity.CRITICAL if facts.mailbox_kind is MailboxKind.EMERGENCY else None
    severity, fired = classify_severity(msg.subject, new_text, rules=facts.severity_rules, forced=forced)
    ack_reasons: list[str] = []
    if automation:
        ack_reasons.append("rfc3834-no-auto-reply-to-automatic-mail")
    if msg.from_addr is None:
        ack_reasons.append("no-sender-address")
    if facts.ack_rate_limit_per_hour and facts.acks_to_sender_last_hour >= facts.ack_rate_limit_per_hour:
        ack_reasons.append(f"rate-limit:{facts.acks_to_sender_last_hour}-acks-last-hour")
    return Decision(
        Action.CREATE, None, reasons,
        author_kind=author,
        severity=severity,
        severity_reasons=fired,
        language=language,
        level=level_for(severity),
        send_ack=not ack_reasons,
        ack_reasons=tuple(ack_reasons) or ("new-ticket",),
        emergency_upsell=facts.mailbox_kind is MailboxKind.EMERGENCY and facts.customer_tier is Tier.BASIC,
    )
