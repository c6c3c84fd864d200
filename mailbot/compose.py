"""Turn a rendered mail into RFC 5322 bytes (pure: the Message-ID is passed in)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from datetime import datetime

from mailbot.render import RenderedMail

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# The stdlib refolds long non-ASCII headers at 78 columns and loses or doubles spaces between
# encoded words ("Austral: Producción" arrives as "Austral:Producción"); RFC 5322 allows 998.
_WIRE = SMTP.clone(max_line_length=998)


def new_message_id(domain: str) -> str:
    """A globally unique id (without angle brackets), fixed when a mail is enqueued."""
    return f"{secrets.token_hex(12)}@{domain}"


def _clean(value: str) -> str:
    # Values echoed from inbound mail must not smuggle extra header lines.
    return _CONTROL.sub(" ", value).strip()


@dataclass(frozen=True)
class Envelope:
    from_name: str
    from_addr: str
    to: tuple[str, ...]
    message_id: str
    date: datetime
    reply_to: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    auto_submitted: str = ""  # "auto-replied" for acks (RFC 3834), "auto-generated" for notices
    loop_marker: str = ""  # our X-Mailbot-Loop value, so we recognise our own mail coming back
    ticket_ref: str = ""
    language: str = ""
    # (filename, content type, bytes): the agent's attachments relayed to the customer,
    # the customer's attached to an agent notification.
    attachments: tuple[tuple[str, str, bytes], ...] = ()


def build_mail(envelope: Envelope, rendered: RenderedMail) -> bytes:
    msg = EmailMessage()
    msg["From"] = formataddr((_clean(envelope.from_name), envelope.from_addr))
    msg["To"] = ", ".join(envelope.to)
    msg["Subject"] = _clean(rendered.subject)
    msg["Date"] = format_datetime(envelope.date)
    msg["Message-ID"] = f"<{envelope.message_id}>"
    if envelope.reply_to:
        msg["Reply-To"] = envelope.reply_to
    if envelope.in_reply_to:
        msg["In-Reply-To"] = f"<{envelope.in_reply_to}>"
    if envelope.references:
        # RFC 5322 3.6.4: keep the chain, but cap it so a long thread cannot grow the header forever.
        refs = envelope.references[:1] + envelope.references[-19:] if len(envelope.references) > 20 else envelope.references
        msg["References"] = " ".join(f"<{r}>" for r in refs)
    if envelope.auto_submitted:
        msg["Auto-Submitted"] = envelope.auto_submitted
        # Ask Exchange and others not to answer our automatic mail with their own.
        msg["X-Auto-Response-Suppress"] = "All"
    if envelope.loop_marker:
        msg["X-Mailbot-Loop"] = envelope.loop_marker
    if envelope.ticket_ref:
        msg["X-Mailbot-Ticket"] = envelope.ticket_ref
    msg.set_content(rendered.text)
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html")
    for filename, content_type, payload in envelope.attachments:
        maintype, _, subtype = content_type.partition("/")
        if maintype == "text" or not subtype or maintype == "multipart":
            # Re-encoding text would change its bytes; a multipart type would be a lie.
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=_clean(filename) or "attachment")
    if envelope.language:
        # After set_content(), which drops any Content-* header set before it.
        msg["Content-Language"] = envelope.language
    return msg.as_bytes(policy=_WIRE)
