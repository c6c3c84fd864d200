"""Agent commands: ``#estado resuelto``, ``#status waiting``, ... (pure).

Commands are read only from the top of an agent's *new* text (after quoted text
and signatures are gone), one per line; the first line that is not a command ends
them, so a ``#status closed`` further down, or in a quoted customer mail, is just
text. Spanish and English spellings and values are accepted, accents and case
ignored. Parsing is all-or-nothing: if any command line is unknown or malformed,
the caller applies none and answers with the list of valid commands.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_MERGE_REF = re.compile(r"^\[?([a-z]{1,8})-?(\d{1,12})\]?$", re.IGNORECASE)
_ADDRESS = re.compile(r"^<?([^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>?$")

# Canonical command name → its spellings (accent-folded, lower-case).
NAMES = {
    "status": ("estado", "status"),
    "severity": ("prioridad", "severidad", "severity", "priority"),
    "assign": ("asignar", "assign"),
    "level": ("nivel", "level"),
    "tier": ("cliente", "tier", "plan"),
    "merge": ("fusionar", "merge"),
    "spam": ("spam",),
    "internal": ("interno", "internal", "nota", "note"),
    "kb": ("kb", "documentar"),
    "requester": ("solicitante", "requester"),
    "channel": ("canal", "channel"),
}
_BY_SPELLING = {spelling: name for name, spellings in NAMES.items() for spelling in spellings}

STATUS_VALUES = {
    "open": ("open", "abierto", "abierta", "abrir", "reabrir", "reopen"),
    "waiting": ("waiting", "esperando", "en espera", "espera", "pendiente", "pending"),
    "resolved": ("resolved", "resuelto", "resuelta", "solved"),
    "closed": ("closed", "cerrado", "cerrada", "close", "cerrar"),
}
SEVERITY_VALUES = {
    "critical": ("critical", "critica", "critico"),
    "important": ("important", "importante", "high", "alta"),
    "general": ("general", "normal", "low", "baja"),
}
TIER_VALUES = {"basic": ("basic", "basico"), "premium": ("premium",)}
CHANNEL_VALUES = {
    "phone": ("phone", "telefono", "llamada", "call"),
    "whatsapp": ("whatsapp", "wsp", "wa"),
    "email": ("email", "correo", "mail"),
}

# Which commands make sense where: on an existing ticket (a reply through an agent
# token) or on a new ticket an agent opens at soporte@ for a customer.
TICKET_COMMANDS = ("status", "severity", "assign", "level", "tier", "merge", "spam", "internal", "kb")
NEW_TICKET_COMMANDS = ("requester", "channel", "severity", "level", "tier", "assign", "internal")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().strip()


@dataclass(frozen=True)
class Command:
    name: str  # canonical, a key of NAMES
    value: str  # canonical value ("resolved", "critical", "3", "ma:45", an address, ...) or ""
    line: str  # as the agent wrote it


@dataclass(frozen=True)
class ParsedCommands:
    commands: tuple[Command, ...]
    body: str  # the new text without the command lines
    errors: tuple[str, ...]  # one per bad line: "line: reason"

    def names(self) -> set[str]:
        return {c.name for c in self.commands}

    def get(self, name: str) -> Command | None:
        return next((c for c in self.commands if c.name == name), None)


def _lookup(table: dict[str, tuple[str, ...]], value: str) -> str | None:
    folded = fold(value)
    return next((key for key, spellings in table.items() if folded in spellings), None)


def _parse_value(name: str, arg: str) -> tuple[str, str]:
    """(canonical value, error or "")."""
    if name == "status":
        v = _lookup(STATUS_VALUES, arg)
        return (v, "") if v else ("", "use open|waiting|resolved|closed (abierto|esperando|resuelto|cerrado)")
    if name == "severity":
        v = _lookup(SEVERITY_VALUES, arg)
        return (v, "") if v else ("", "use critical|important|general (crítica|importante|general)")
    if name == "tier":
        v = _lookup(TIER_VALUES, arg)
        return (v, "") if v else ("", "use basic|premium (básico|premium)")
    if name == "channel":
        v = _lookup(CHANNEL_VALUES, arg)
        return (v, "") if v else ("", "use phone|whatsapp|email (teléfono|whatsapp|correo)")
    if name == "level":
        return (arg, "") if arg in ("1", "2", "3", "4") else ("", "use a level from 1 to 4")
    if name == "merge":
        m = _MERGE_REF.match(arg.strip())
        return (f"{m.group(1).upper()}:{int(m.group(2))}", "") if m else ("", "use a ticket number, e.g. MA-000045")
    if name == "requester":
        m = _ADDRESS.match(arg.strip())
        return (m.group(1).lower(), "") if m else ("", "use the customer's mail address")
    if name == "assign":
        return (arg.strip(), "") if arg.strip() else ("", "use an agent's address or name")
    if name in ("spam", "kb", "internal"):
        return ("", "") if not arg.strip() or name == "internal" else ("", "takes no value")
    return "", "unknown"


def parse_commands(new_text: str, allowed: tuple[str, ...] = TICKET_COMMANDS) -> ParsedCommands:
    lines = new_text.replace("\r\n", "\n").split("\n")
    commands: list[Command] = []
    errors: list[str] = []
    i = 0
    while i < len(lines):
        raw = lines[i].strip()
        if not raw:
            i += 1
            continue
        if not raw.startswith("#") or raw.startswith("##"):
            break
        head, _, arg = raw[1:].partition(" ")
        head = fold(head).rstrip(":")
        name = _BY_SPELLING.get(head)
        if name is None:
            if not re.fullmatch(r"[a-z_]{2,20}:?", head):
                break  # "#1 priority for us" or a hashtag mid-sentence: prose, not a command
            errors.append(f"{raw}: unknown command")
        elif name not in allowed:
            errors.append(f"{raw}: not available here")
        else:
            value, error = _parse_value(name, arg.strip())
            if error:
                errors.append(f"{raw}: {error}")
            elif name == "internal" and arg.strip():
                # "#interno la nota va aquí": the rest of the line is the start of the note.
                commands.append(Command(name, "", raw))
                lines[i] = arg.strip()
                break
            else:
                commands.append(Command(name, value, raw))
        i += 1
    body = "\n".join(lines[i:]).strip()
    return ParsedCommands(tuple(commands), body, tuple(errors))


def help_lines(language: str) -> list[str]:
    """The valid commands, for the answer to a malformed one."""
    if language == "en":
        return [
            "#status open|waiting|resolved|closed",
            "#severity critical|important|general",
            "#assign agent@example.com (or a name)",
            "#level 1|2|3|4",
            "#tier basic|premium (the customer's plan)",
            "#merge MA-000045 (fold this ticket into that one)",
            "#spam",
            "#internal (the rest is a note for agents only)",
            "#kb (on a resolved ticket: draft a knowledge-base article)",
        ]
    return [
        "#estado abierto|esperando|resuelto|cerrado",
        "#prioridad critica|importante|general",
        "#asignar agente@ejemplo.cl (o un nombre)",
        "#nivel 1|2|3|4",
        "#cliente basico|premium (el plan del cliente)",
        "#fusionar MA-000045 (une este ticket a ese otro)",
        "#spam",
        "#interno (el resto es una nota solo para agentes)",
        "#kb (en un ticket resuelto: borrador de artículo de la base de conocimiento)",
    ]
