"""systemd/mailbot.service as systemd itself judges it, and the daemon's side of Type=notify.

`systemd-analyze verify` and `systemd-analyze security --offline=true` run on the unit
(CI installs systemd through .ci/run; elsewhere the test skips, naming what is missing).
The readiness and watchdog protocol is checked the way systemd receives it: a Unix
datagram socket in $NOTIFY_SOCKET, with `mailbot run` as a real subprocess.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from mailbot.db import migrate
from mailbot.models import MailboxCursor
from mailbot.testing.mailservers import wait_until
from tests.conftest import write_config

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "mailbot.service"
MAX_EXPOSURE = 2.0


def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("CI must have systemd-analyze (.ci/run installs the systemd package)")
    pytest.skip("systemd-analyze not found: apt-get install -y systemd (the unit checks need it)")


def installed_unit(tmp_path: Path) -> Path:
    """The unit as installed, with ExecStart pointing at this checkout's mailbot (verify checks it exists)."""
    exe = shutil.which("mailbot", path=str(Path(sys.executable).parent)) or shutil.which("mailbot")
    if exe is None:
        pytest.skip("the mailbot console script is not installed in this environment")
    unit = tmp_path / "mailbot.service"
    unit.write_text(UNIT.read_text().replace("/opt/mailbot/bin/mailbot", exe))
    return unit


def test_unit_passes_systemd_analyze_verify(tmp_path):
    analyze = systemd_analyze()
    result = subprocess.run([analyze, "verify", str(installed_unit(tmp_path))], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mailbot.service" not in result.stderr, result.stderr  # no warnings about our unit either


def test_unit_exposure_is_at_most_two(tmp_path):
    analyze = systemd_analyze()
    # --threshold is on a 0-100 scale: 20 = exposure 2.0; above it the command fails.
    result = subprocess.run([analyze, "security", "--offline=true", f"--threshold={int(MAX_EXPOSURE * 10)}", "--no-pager",
                             str(installed_unit(tmp_path))], capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for mailbot\.service: (\d+\.\d+)", result.stdout)
    assert m, result.stdout + result.stderr
    assert float(m.group(1)) <= MAX_EXPOSURE, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_promises_what_the_daemon_does():
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "RestartPreventExitStatus=78", "User=mailbot",
                 "StateDirectory=mailbot", "LoadCredential=imap-soporte:", "ProtectSystem=strict", "PrivateTmp=yes",
                 "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                 "SystemCallFilter=@system-service", "CapabilityBoundingSet=\n"):
        assert line in text, line


class NotifySocket:
    """What systemd listens on for sd_notify messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.5)
        self.messages: list[str] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except OSError:
                continue

    def seen(self, word: str) -> bool:
        return any(word in m.split("\n") for m in list(self.messages))

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ready_only_after_every_mailbox_was_read_and_watchdog_pings(tmp_path, servers, database_url):
    config = write_config(tmp_path, servers, database_url, extra="[http]\nport = 0\n", poll_seconds=1.0)
    migrate(database_url)
    notify = NotifySocket(tmp_path / "notify.sock")
    servers.stop_imap()  # start with the IMAP server down: mailbot must not claim to be ready
    env = dict(os.environ, NOTIFY_SOCKET=str(notify.path), WATCHDOG_USEC="2000000")
    log = open(tmp_path / "daemon.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        daemon_log = lambda: (tmp_path / "daemon.log").read_text(errors="replace")  # noqa: E731
        assert wait_until(lambda: "mailbox soporte: ConnectionRefusedError" in daemon_log()
                          and "mailbox emergencias: ConnectionRefusedError" in daemon_log(), timeout=30), daemon_log()
        assert notify.seen("STATUS=waiting for every mailbox to answer once")
        assert not notify.seen("READY=1")

        servers.restart_imap()
        assert wait_until(lambda: notify.seen("READY=1"), timeout=60), daemon_log()
        engine = create_engine(database_url)
        with engine.connect() as conn:
            read = dict(conn.execute(select(MailboxCursor.mailbox, MailboxCursor.last_fetch_at)).all())
        engine.dispose()
        assert read.get("soporte") and read.get("emergencias"), read
        # WATCHDOG_USEC=2 s: pinged every second while every loop lives.
        assert wait_until(lambda: notify.seen("WATCHDOG=1"), timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        finally:
            log.close()
            notify.close()
    assert process.returncode == 0
    assert notify.seen("STOPPING=1")
