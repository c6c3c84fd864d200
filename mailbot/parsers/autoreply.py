"""RFC 3834 loop protection: was this message written by a machine?

Pure functions over a ParsedMessage. Each reason is a short stable name, so the
pipeline can log why it stayed silent and tests can assert on it. An empty tuple
means nothing marks the message as automated, i.e. treat it as written by a human.
"""

from __future__ import annotations

import re

from mailbot.domain import ParsedMessage

_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_ROBOT_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply", "donotreply"})
# Only unmistakable prefixes: a human's "Auto insurance quote" must not match.
_AUTO_SUBJECT = re.compile(
    r"^(?:auto:|automatic reply:|respuesta automática:|out of office|fuera de la oficina"
    r"|autoreply|réponse automatique)",
    re.IGNORECASE,
)
_BOUNCE_REASONS = frozenset({"dsn", "mailer-daemon", "empty-return-path"})


def _canonical(address: str) -> str:
    """Lower-cased, with a "+tag" removed from the local part (soporte+123@x -> soporte@x)."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return domain
    return local.split("+", 1)[0] + "@" + domain


def _is_dsn(msg: ParsedMessage) -> bool:
    content_type = msg.header("content-type").lower()
    if "multipart/report" in content_type or re.search(r"report-type\s*=\s*\"?delivery-status", content_type):
        return True
    return any(att.content_type.lower() == "message/delivery-status" for att in msg.attachments)


def automation_reasons(
    msg: ParsedMessage,
    *,
    own_addresses: frozenset[str],
    loop_header: str = "X-Mailbot-Loop",
    loop_value: str = "",
) -> tuple[str, ...]:
    """Why ``msg`` looks machine-generated, in a fixed order; () for a human."""
    reasons: list[str] = []
    auto_submitted = msg.header("auto-submitted").split(";", 1)[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        reasons.append(f"auto-submitted:{auto_submitted}")
    precedence = msg.header("precedence").strip().lower()
    if precedence in _PRECEDENCE:
        reasons.append(f"precedence:{precedence}")
    if msg.header_all("list-id"):
        reasons.append("list-id")
    if msg.header_all("list-unsubscribe"):
        reasons.append("list-unsubscribe")
    if any(re.fullmatch(r"<\s*>", value.strip()) for value in msg.header_all("return-path")):
        reasons.append("empty-return-path")
    if _is_dsn(msg):
        reasons.append("dsn")
    sender = msg.from_addr.email if msg.from_addr else ""
    if sender and _canonical(sender).split("@", 1)[0] in _ROBOT_LOCAL_PARTS:
        reasons.append("mailer-daemon")
    if sender and _canonical(sender) in {_canonical(own) for own in own_addresses}:
        reasons.append("own-address")
    loop_values = msg.header_all(loop_header)
    if loop_values and (not loop_value or any(value.strip() == loop_value for value in loop_values)):
        reasons.append("loop-header")
    # X-Auto-Response-Suppress is deliberately not a reason: Outlook sets it on mail
    # people write too (meeting responses, some clients' every message). It asks the
    # recipient not to auto-reply; it says nothing about who wrote the message.
    if msg.header_all("x-autoreply") or msg.header_all("x-autorespond"):
        reasons.append("x-autoreply")
    if _AUTO_SUBJECT.match(msg.subject.strip()):
        reasons.append("subject-auto-reply")
    return tuple(reasons)


def is_bounce(reasons: tuple[str, ...]) -> bool:
    """Whether the reasons say delivery failed (a DSN or a mailer daemon), as
    opposed to an out-of-office or a list message."""
    return any(reason in _BOUNCE_REASONS for reason in reasons)
