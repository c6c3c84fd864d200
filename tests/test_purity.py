"""The core never imports an edge (DESIGN.md, style rule 2).

Parsing, threading, classification, planning, SLA arithmetic and the knowledge-base
ranking must stay testable without a database, a socket or a mail server.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

EDGES = {"sqlalchemy", "imapclient", "smtplib", "imaplib", "socket", "requests", "alembic", "aiosmtpd"}
PURE = {
    "mailbot.parsers.limits": set(),
    "mailbot.parsers.message": set(),
    "mailbot.parsers.autoreply": set(),
    "mailbot.parsers.reply": set(),
    "mailbot.parsers.forward": set(),
    "mailbot.commands": set(),
    "mailbot.conversation": set(),
    "mailbot.classify": set(),
    "mailbot.plan": set(),
    "mailbot.promise": set(),
    "mailbot.tokens": set(),
    "mailbot.business_calendar": set(),
    "mailbot.sla": set(),
    # No file access at all: it judges text and attachment names only.
    "mailbot.missing_info": {"pathlib", "os"},
    "mailbot.kb": set(),
    # Report metrics: computed from plain records that mailbot.reports loads.
    "mailbot.metrics": set(),
}


def imported_top_level(module: str) -> set[str]:
    source = Path(importlib.import_module(module).__file__).read_text(encoding="utf-8")
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", sorted(PURE))
def test_core_module_imports_no_edge(module):
    assert not imported_top_level(module) & (EDGES | PURE[module])


def test_kb_imports_nothing_of_mailbot():
    # The knowledge base is a library of its own: it can be reused by a CLI without the daemon.
    assert "mailbot" not in imported_top_level("mailbot.kb")
