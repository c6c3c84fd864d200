"""`mailbot backup` while the daemon runs, and a restore from the copy, through the real CLI."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from mailbot.testing.mailservers import wait_until
from tests.conftest import write_config

MARIA = "maria.gonzalez@cliente-demo.cl"
SOPORTE = "soporte@menteautonoma.cl"


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=120)


def send(servers, subject: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = MARIA, SOPORTE, subject
    msg["Message-ID"] = make_msgid(domain="cliente-demo.cl")
    msg.set_content("Hola, el sistema muestra un error al generar la factura electrónica.")
    servers.send(MARIA, [SOPORTE], msg.as_bytes())


def tickets_in(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_backup_while_the_daemon_runs_and_restore_it(tmp_path, servers, config_path, daemon):
    send(servers, "Error al generar la factura")
    assert wait_until(lambda: len(servers.messages("maria")) == 1, timeout=40)
    send(servers, "Otra consulta mientras se respalda")  # the daemon keeps writing during the copy

    backups = tmp_path / "backups"
    backups.mkdir()
    result = cli(config_path, "backup", str(backups))
    assert result.returncode == 0, result.stderr
    assert "integrity check ok" in result.stdout and "rsync -a" in result.stdout
    (copy,) = backups.glob("mailbot-*.db")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # customers' mail: owner only
    assert not list(backups.glob("*.partial"))
    assert tickets_in(copy) >= 1
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # Writing the same file again is refused rather than overwriting a backup.
    again = cli(config_path, "backup", str(copy))
    assert again.returncode == 1 and "already exists" in again.stderr

    # Restore as the README says: the copy becomes the database of a (stopped) installation.
    restored = tmp_path / "restored" / "mailbot.db"
    restored.parent.mkdir()
    restored.write_bytes(copy.read_bytes())
    config = write_config(tmp_path / "restored", servers, f"sqlite:///{restored}")
    assert cli(config, "migrate").returncode == 0
    listing = cli(config, "tickets")
    assert listing.returncode == 0, listing.stderr
    assert "MA-000001" in listing.stdout and "Error al generar la factura" in listing.stdout


def test_backup_of_postgresql_says_how_with_pg_dump(tmp_path, servers):
    config = write_config(tmp_path, servers, "postgresql+psycopg://mailbot@db.internal:5433/mailbot")
    result = cli(config, "backup", str(tmp_path))
    assert result.returncode == 1
    assert "pg_dump --format=custom --host=db.internal --port=5433 --username=mailbot" in result.stdout
    assert "pg_restore" in result.stdout
    assert "no backup made" in result.stderr
