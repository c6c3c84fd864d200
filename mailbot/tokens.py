"""Signed per-ticket reply addresses: ``soporte+ma000123-k2v9c4xq7mfe@menteautonoma.cl``.

The token is the ticket number plus an HMAC of it, lower-case (some servers and
clients fold the local part), checked in constant time. Anyone can read a ticket
number off a subject line; only mail that went through our own reply address
carries a valid signature, so the token is the most trusted way to thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_TOKEN_RE = re.compile(r"^([a-z]{1,8})(\d{1,12})-([a-z2-7]{12})$")


def _signature(prefix: str, number: int, secret: bytes) -> str:
    digest = hmac.new(secret, f"ticket:{prefix.lower()}:{number}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:12]


def ticket_token(prefix: str, number: int, secret: bytes) -> str:
    return f"{prefix.lower()}{number:06d}-{_signature(prefix, number, secret)}"


def reply_address(mailbox_address: str, prefix: str, number: int, secret: bytes) -> str:
    local, _, domain = mailbox_address.partition("@")
    return f"{local}+{ticket_token(prefix, number, secret)}@{domain}"


def ticket_from_address(address: str, prefix: str, secret: bytes) -> int | None:
    """The ticket number a ``local+token@domain`` address names, if its signature is valid."""
    local = address.lower().partition("@")[0]
    if "+" not in local:
        return None
    m = _TOKEN_RE.match(local.partition("+")[2])
    if not m or m.group(1) != prefix.lower():
        return None
    number = int(m.group(2))
    if hmac.compare_digest(m.group(3), _signature(prefix, number, secret)):
        return number
    return None


def base_address(address: str) -> str:
    """``soporte+anything@domain`` -> ``soporte@domain``, lower-cased."""
    local, _, domain = address.lower().partition("@")
    return f"{local.partition('+')[0]}@{domain}"
