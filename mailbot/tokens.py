"""Signed per-ticket reply addresses: ``soporte+ma000123-k2v9c4xq7mfe@menteautonoma.cl``.

The token is the ticket number plus an HMAC of it, lower-case (some servers and
clients fold the local part), checked in constant time. Anyone can read a ticket
number off a subject line; only mail that went through our own reply address
carries a valid signature, so the token is the most trusted way to thread.

Two more kinds share the scheme, each with its own HMAC domain so one can never
pass for another:

* agent tokens ``soporte+ma000123-a<agent>-<sig>``: the Reply-To of an agent
  notification. ``<agent>`` is a keyed hash of the agent's address and the
  signature covers ticket and agent, so the token proves "this agent, this ticket"
  only when the mail also comes From that agent;
* rating tokens ``soporte+ma000123-r5-<sig>``: the mailto links of the
  satisfaction question.

Verification accepts the current secret and any previous ones, so the secret can
be rotated without breaking the reply addresses already in people's mailboxes.
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


_AGENT_TOKEN_RE = re.compile(r"^([a-z]{1,8})(\d{1,12})-a([a-z2-7]{8})-([a-z2-7]{12})$")
_RATING_TOKEN_RE = re.compile(r"^([a-z]{1,8})(\d{1,12})-r([1-5])-([a-z2-7]{12})$")


def _mac(secret: bytes, message: str, length: int) -> str:
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:length]


def agent_key(email: str, secret: bytes) -> str:
    """Eight characters naming an agent in a token without showing the address."""
    return _mac(secret, f"agent:{email.strip().lower()}", 8)


def agent_reply_address(mailbox_address: str, prefix: str, number: int, agent_email: str, secret: bytes) -> str:
    local, _, domain = mailbox_address.partition("@")
    key = agent_key(agent_email, secret)
    sig = _mac(secret, f"agent-ticket:{prefix.lower()}:{number}:{key}", 12)
    return f"{local}+{prefix.lower()}{number:06d}-a{key}-{sig}@{domain}"


def _token_part(address: str) -> str:
    local = address.lower().partition("@")[0]
    return local.partition("+")[2] if "+" in local else ""


def agent_token_ticket(address: str, prefix: str, secrets: tuple[bytes, ...]) -> tuple[int, str] | None:
    """(ticket number, agent key) of a well-signed agent token; the caller checks the key against From."""
    m = _AGENT_TOKEN_RE.match(_token_part(address))
    if not m or m.group(1) != prefix.lower():
        return None
    number, key = int(m.group(2)), m.group(3)
    for secret in secrets:
        if hmac.compare_digest(m.group(4), _mac(secret, f"agent-ticket:{prefix.lower()}:{number}:{key}", 12)):
            return number, key
    return None


def agent_token_matches(key: str, agent_email: str, secrets: tuple[bytes, ...]) -> bool:
    return any(hmac.compare_digest(key, agent_key(agent_email, secret)) for secret in secrets)


def is_agent_token(address: str) -> bool:
    """Shaped like an agent token (signature not checked): such mail is never a customer's."""
    return _AGENT_TOKEN_RE.match(_token_part(address)) is not None


def rating_address(mailbox_address: str, prefix: str, number: int, rating: int, secret: bytes) -> str:
    local, _, domain = mailbox_address.partition("@")
    sig = _mac(secret, f"rating:{prefix.lower()}:{number}:{rating}", 12)
    return f"{local}+{prefix.lower()}{number:06d}-r{rating}-{sig}@{domain}"


def rating_from_address(address: str, prefix: str, secrets: tuple[bytes, ...]) -> tuple[int, int] | None:
    """(ticket number, rating 1-5) of a well-signed rating address."""
    m = _RATING_TOKEN_RE.match(_token_part(address))
    if not m or m.group(1) != prefix.lower():
        return None
    number, rating = int(m.group(2)), int(m.group(3))
    for secret in secrets:
        if hmac.compare_digest(m.group(4), _mac(secret, f"rating:{prefix.lower()}:{number}:{rating}", 12)):
            return number, rating
    return None


def base_address(address: str) -> str:
    """``soporte+anything@domain`` -> ``soporte@domain``, lower-cased."""
    local, _, domain = address.lower().partition("@")
    return f"{local.partition('+')[0]}@{domain}"
