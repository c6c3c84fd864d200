"""Inbound-mail parsing: raw-size limits, MIME parsing, loop detection, reply trimming.

``check_limits`` runs on the raw bytes before anything parses them;
``parse_message`` turns bytes into a ParsedMessage and never raises;
``automation_reasons`` tells machine-written mail apart; ``extract_new_text``
keeps the newly written part of a reply; ``find_forwarded`` finds the original
of a forwarded mail (inline or attached).
"""

from mailbot.parsers.autoreply import automation_reasons, is_bounce
from mailbot.parsers.forward import ForwardedOriginal, find_forwarded, parse_address
from mailbot.parsers.limits import Limits, LimitViolation, check_limits
from mailbot.parsers.message import (
    clean_header_value,
    decode_bytes,
    decode_header_value,
    html_to_text,
    parse_message,
    parse_message_ids,
    sanitize_filename,
)
from mailbot.parsers.reply import extract_new_text

__all__ = [
    "ForwardedOriginal",
    "LimitViolation",
    "Limits",
    "automation_reasons",
    "check_limits",
    "clean_header_value",
    "decode_bytes",
    "decode_header_value",
    "extract_new_text",
    "find_forwarded",
    "html_to_text",
    "is_bounce",
    "parse_address",
    "parse_message",
    "parse_message_ids",
    "sanitize_filename",
]
