"""A report mail with inline charts: multipart/alternative (text, multipart/related (HTML, PNGs)).

The HTML refers to each image as ``<img src="cid:...">``; mail clients show them in
place, without loading anything from the network. Pure: the Message-ID and the date
are passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from typing import Sequence

from mailbot.render import RenderedMail

# RFC 5322 allows 998 columns; the stdlib's 78 refolds non-ASCII subjects badly (see compose.py).
_WIRE = SMTP.clone(max_line_length=998)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class InlineImage:
    cid: str  # without angle brackets; the HTML says src="cid:<cid>"
    data: bytes
    filename: str
    subtype: str = "png"


def build_report_mail(*, from_name: str, from_addr: str, to: Sequence[str], message_id: str, date: datetime,
                      rendered: RenderedMail, images: Sequence[InlineImage] = (), language: str = "",
                      loop_marker: str = "", report_key: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"] = formataddr((_CONTROL.sub(" ", from_name).strip(), from_addr))
    msg["To"] = ", ".join(to)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<{message_id}>"
    # Generated, not a reply (RFC 3834): nobody should auto-answer it.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    if loop_marker:
        msg["X-Mailbot-Loop"] = loop_marker
    if report_key:
        msg["X-Mailbot-Report"] = report_key  # "weekly 2026-11-16": which report and period
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    html_part = msg.get_payload()[1]
    for image in images:
        # add_related turns the HTML part into multipart/related and appends the image to it.
        html_part.add_related(image.data, maintype="image", subtype=image.subtype, cid=f"<{image.cid}>",
                              disposition="inline", filename=image.filename)
    if language:
        msg["Content-Language"] = language
    return msg.as_bytes(policy=_WIRE)
