"""``mailbot backup DEST``: a consistent copy of the database while the daemon runs.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database in
one read transaction: in WAL mode readers do not block the daemon's writers, and the copy
is the database as of one instant, never a torn file. The copy is written next to its
destination and renamed into place, checked with ``PRAGMA integrity_check``, and made
readable by its owner only (it holds customers' mail).

PostgreSQL: ``pg_dump`` is the tool; ``pg_instructions`` says how to run it and restore.
Attachments are files under ``data_dir/attachments`` (named by their SHA-256, never
rewritten): copy that folder as well, e.g. with ``rsync -a``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    tickets: int
    seconds: float


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def backup_sqlite(database_url: str, dest: Path, now: datetime | None = None) -> BackupResult:
    source = sqlite_path(database_url)
    if source is None:
        raise BackupError("not a SQLite database; use pg_dump (see `mailbot backup --help`)")
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    when = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    target = dest / f"mailbot-{when}.db" if dest.is_dir() else dest
    if target.exists():
        raise BackupError(f"{target} already exists; not overwriting it")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")
    partial = target.with_name(target.name + ".partial")
    started = time.monotonic()
    src = sqlite3.connect(str(source), timeout=30)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        dst = sqlite3.connect(str(partial))
        try:
            # pages=-1: the whole database in one step, i.e. one consistent snapshot.
            src.backup(dst, pages=-1)
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"the copy failed its integrity check: {verdict}")
            tickets = dst.execute("SELECT count(*) FROM tickets").fetchone()[0]
            # A single file: the copy does not need the WAL side files to be read.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    return BackupResult(target, target.stat().st_size, tickets, time.monotonic() - started)


def pg_instructions(database_url: str) -> str:
    url = make_url(database_url)
    host = url.host or "localhost"
    port = url.port or 5432
    user = url.username or "mailbot"
    name = url.database or "mailbot"
    return "\n".join([
        "mailbot uses PostgreSQL here: back it up with pg_dump, which takes a consistent snapshot while the daemon runs:",
        f"  pg_dump --format=custom --host={host} --port={port} --username={user} --file=mailbot-$(date -u +%Y%m%dT%H%M%SZ).dump {name}",
        "Restore into an empty database (daemon stopped):",
        f"  createdb --host={host} --port={port} --username={user} {name}",
        f"  pg_restore --host={host} --port={port} --username={user} --dbname={name} --no-owner mailbot-YYYYMMDDTHHMMSSZ.dump",
        "The password comes from ~/.pgpass or PGPASSWORD, never the command line.",
    ])
