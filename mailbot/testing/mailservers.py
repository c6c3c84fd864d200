"""Real IMAP (pymap) and SMTP (aiosmtpd) servers on 127.0.0.1 for tests and the demo.

Why real servers instead of mocks: the daemon's IMAP/SMTP code paths (IDLE, MOVE,
UIDPLUS, literal handling, SMTP replies) are exactly where mocks lie.  Both servers
start in ~0.2 s (measured), so each test can get a fresh pair.

Topology::

    smtplib / mailbot ──SMTP──▶ aiosmtpd (thread in this process)
                                    │ IMAP APPEND (one short-lived client per delivery)
                                    ▼
    imapclient / mailbot ──IMAP──▶ pymap maildir (subprocess)

Usage::

    with MailServers(tmp_path, default_demo_mailboxes()) as ms:
        ms.send("john.smith@example-customer.com", ["soporte@menteautonoma.cl"], raw)
        assert wait_until(lambda: ms.count("soporte") == 1)
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

__all__ = [
    "Mailbox",
    "MailServers",
    "ReceivedMail",
    "default_demo_mailboxes",
    "free_port",
    "wait_until",
]

LOOPBACK = "127.0.0.1"
# Every network call in this module is bounded by one of these.
IMAP_TIMEOUT = 5.0
SMTP_TIMEOUT = 10.0
START_TIMEOUT = 20.0
STOP_GRACE = 5.0
PROBE_TIMEOUT = 1.0  # readiness probe during start()
BIND_ATTEMPTS = 3
# pysasl defaults to 500,000 PBKDF2 rounds (~0.5 s per LOGIN).  These are throw-away
# passwords, and every SMTP delivery logs in, so keep hashing cheap.
HASH_ROUNDS = 1000


def free_port() -> int:
    """Return a TCP port that was free on loopback a moment ago.

    aiosmtpd's threaded Controller cannot report the port of a ``port=0`` bind, and pymap
    needs the number on its command line, so we pick one up front.  There is a small
    race (someone else may grab it before the server binds); harmless on a test box.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05
) -> bool:
    """Poll ``predicate`` until it is truthy or ``timeout`` seconds pass; return its last verdict."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def normalize_address(address: str) -> str:
    """Canonical form used for routing: lower case, no ``<>``, no ``+tag`` in the local part.

    The ``+tag`` rule is what lets ``soporte+ma-000001-abcd@menteautonoma.cl`` (the
    per-ticket reply address) land in the ``soporte`` mailbox.
    """
    address = address.strip().strip("<>").strip().lower()
    local, at, domain = address.rpartition("@")
    if not at:  # no domain at all: treat the whole thing as a local part
        local, domain = address, ""
    local = local.split("+", 1)[0]
    return f"{local}@{domain}" if at else local


@dataclass
class Mailbox:
    """One IMAP login and the email addresses delivered to it."""

    login: str
    password: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class ReceivedMail:
    """An envelope the SMTP server accepted (i.e. answered 250 to DATA)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # as received, without the Return-Path/Delivered-To we prepend on delivery
    at: float  # time.monotonic() when DATA arrived; lets benchmarks measure latency


def default_demo_mailboxes(domain: str = "menteautonoma.cl") -> list[Mailbox]:
    """The cast of ``mailbot demo``: two support queues, two customers, one agent."""
    return [
        Mailbox("soporte", "demo-soporte", (f"soporte@{domain}",)),
        Mailbox("emergencias", "demo-emergencias", (f"emergencias@{domain}",)),
        # Spanish-speaking customer
        Mailbox("maria", "demo-maria", ("maria.gonzalez@cliente-demo.cl",)),
        # English-speaking customer
        Mailbox("john", "demo-john", ("john.smith@example-customer.com",)),
        Mailbox("agente", "demo-agente", (f"agente@{domain}",)),
    ]


class _PortTaken(RuntimeError):
    """pymap could not bind the port free_port() picked (lost the race); start() retries."""


class _DeliveryHandler:
    """aiosmtpd handler: accept only known recipients, deliver by IMAP APPEND."""

    def __init__(self, servers: MailServers) -> None:
        self._servers = servers

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        # Refuse at RCPT time (like a real MTA) so senders see a permanent 5xx per address.
        if self._servers.login_for(address) is None:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.monotonic()
        mail_from: str = envelope.mail_from or ""
        rcpt_tos: tuple[str, ...] = tuple(envelope.rcpt_tos)
        data: bytes = envelope.original_content or b""
        loop = asyncio.get_running_loop()
        try:
            # imapclient is blocking; run it off the event loop so other SMTP sessions
            # keep being served while pymap works.
            await loop.run_in_executor(None, self._deliver_all, mail_from, rcpt_tos, data)
        except Exception as exc:  # noqa: BLE001 - any failure means "try again later"
            # Note: with several recipients some may already have their copy; a retry
            # then duplicates it.  Acceptable for a test harness.
            return f"451 4.3.0 delivery failed: {type(exc).__name__}: {exc}"[:500]
        self._servers._record(ReceivedMail(mail_from, rcpt_tos, data, at))
        return "250 OK delivered"

    def _deliver_all(self, mail_from: str, rcpt_tos: tuple[str, ...], data: bytes) -> None:
        for rcpt in rcpt_tos:
            login = self._servers.login_for(rcpt)
            if login is None:  # cannot happen: handle_RCPT filtered them
                raise LookupError(f"no mailbox for {rcpt}")
            # Same trace headers a real MDA adds; tests and the bot's loop detection use them.
            headers = f"Return-Path: <{mail_from}>\r\nDelivered-To: {rcpt}\r\n".encode()
            self._servers.append(login, headers + data)


class MailServers:
    """pymap (IMAP, subprocess) + aiosmtpd (SMTP, thread) on loopback.

    Use as a context manager, or call ``start()`` / ``stop()`` yourself.
    """

    def __init__(self, base_dir: Path, mailboxes: list[Mailbox]) -> None:
        self.base_dir = Path(base_dir)
        self.mailboxes = list(mailboxes)
        self.imap_host = LOOPBACK
        self.smtp_host = LOOPBACK
        self.imap_port = 0
        self.smtp_port = 0
        self.received: list[ReceivedMail] = []
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.base_dir / "pymap.log"
        self._received_lock = threading.Lock()
        self._controller: Controller | None = None
        self._log_file: Any = None
        self._log_offset = 0
        # pymap's maildir backend races on concurrent APPENDs to one mailbox (measured:
        # 8 parallel SMTP deliveries of 40 mails -> 41-43 messages, duplicated UIDs that
        # persist on disk).  Serialise our own APPENDs per login.
        self._append_locks = {m.login: threading.Lock() for m in self.mailboxes}
        self._passwords = {m.login: m.password for m in self.mailboxes}
        self._routes: dict[str, str] = {}
        for mailbox in self.mailboxes:
            for address in mailbox.addresses:
                self._routes[normalize_address(address)] = mailbox.login

    # ---------------------------------------------------------------- lifecycle

    def __enter__(self) -> MailServers:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start pymap, wait for a working LOGIN, then start the SMTP server."""
        try:
            # free_port() is racy: if someone grabbed pymap's port, just pick another.
            for attempt in range(BIND_ATTEMPTS):
                try:
                    self._start_imap(timeout)
                    break
                except _PortTaken:
                    if attempt == BIND_ATTEMPTS - 1:
                        raise
            self._start_smtp()
        except BaseException:
            self.stop()  # never leak a pymap process on a failed start
            raise

    def stop(self) -> None:
        """Stop SMTP, then terminate pymap (SIGTERM, SIGKILL after 5 s).  Idempotent."""
        controller, self._controller = self._controller, None
        if controller is not None:
            try:
                controller.stop()
            except Exception:  # noqa: BLE001 - best effort; pymap must still be stopped
                pass
        self.stop_imap()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def stop_imap(self) -> None:
        """Stop pymap alone (the mail stays on disk), to simulate an IMAP outage; see restart_imap()."""
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_GRACE)

    def restart_imap(self, timeout: float = START_TIMEOUT) -> None:
        """Start pymap again on the same port after stop_imap(), so clients reconnect to the address they know."""
        self._start_imap(timeout, port=self.imap_port)

    def stop_smtp(self) -> None:
        """Stop the SMTP server alone, to simulate a relay outage; see restart_smtp()."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def restart_smtp(self) -> None:
        """Start the SMTP server again on the same port after stop_smtp()."""
        self._start_smtp(port=self.smtp_port)

    def _write_users(self) -> None:
        # Imported lazily: pysasl comes with pymap, an optional dependency.
        from pysasl.hashing import BuiltinHash

        hasher = BuiltinHash(rounds=HASH_ROUNDS)
        # pymap's maildir backend reads passwd(5)/shadow(5)-style files from base_dir;
        # home_dir = login, i.e. each user's maildir is base_dir/<login>.
        passwd = "".join(f"{m.login}:::::{m.login}:\n" for m in self.mailboxes)
        shadow = "".join(
            f"{m.login}:{hasher.hash(m.password)}:::::::\n" for m in self.mailboxes
        )
        (self.base_dir / "pymap-etc-passwd").write_text(passwd)
        (self.base_dir / "pymap-etc-shadow").write_text(shadow)

    def _start_imap(self, timeout: float, port: int = 0) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self._write_users()
        self.imap_port = port or free_port()
        if self._log_file is not None:  # previous attempt lost the port race
            self._log_file.close()
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        # The log is appended to across attempts and restarts; errors quote only ours.
        self._log_offset = self._log_file.tell()
        # There is no `python -m pymap`; call its console-script entry point.
        self.process = subprocess.Popen(
            [
                sys.executable, "-c", "from pymap.main import main; main()",
                "--port", str(self.imap_port), "--host", LOOPBACK,
                "--no-service", "admin",  # the admin gRPC service would need another port
                "maildir", str(self.base_dir),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        # A successful LOGIN proves the listener is up AND the user files parse.
        probe = self.mailboxes[0] if self.mailboxes else None
        deadline = time.monotonic() + timeout
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._fail(f"pymap exited with code {self.process.returncode}")
            try:
                # Short timeout: a foreign listener on our port must not stall the loop.
                client = IMAPClient(self.imap_host, port=self.imap_port, ssl=False, timeout=PROBE_TIMEOUT)
                try:
                    if probe is not None:
                        client.login(probe.login, probe.password)
                    return
                finally:
                    _close_quietly(client)
            except LoginError as exc:
                # Server is up but rejects the credentials: waiting will not help.
                self._fail(f"pymap rejected LOGIN for {probe.login if probe else '?'}: {exc}")
            except Exception as exc:  # noqa: BLE001 - not up yet (refused) or still starting
                last_error = exc
                time.sleep(0.05)
        self._fail(f"pymap did not accept a LOGIN within {timeout:.0f} s (last error: {last_error!r})")

    def _fail(self, reason: str) -> None:
        if self._log_file is not None:
            self._log_file.flush()
        try:
            with open(self.log_path, "rb") as log_file:
                log_file.seek(self._log_offset)
                log = log_file.read().decode(errors="replace")[-4000:]
        except OSError:
            log = "<no log>"
        if "address already in use" in log.lower():
            raise _PortTaken(f"{reason}; pymap log ({self.log_path}):\n{log}")
        raise RuntimeError(f"{reason}; pymap log ({self.log_path}):\n{log}")

    def _start_smtp(self, port: int = 0) -> None:
        self.smtp_port = port or free_port()
        controller = Controller(
            _DeliveryHandler(self),
            hostname=self.smtp_host,
            port=self.smtp_port,
            ready_timeout=SMTP_TIMEOUT,
        )
        controller.start()
        self._controller = controller

    # ---------------------------------------------------------------- routing / records

    def login_for(self, address: str) -> str | None:
        """The login that receives mail for ``address`` (case-insensitive, ``+tag`` ignored)."""
        return self._routes.get(normalize_address(address))

    def _record(self, mail: ReceivedMail) -> None:
        with self._received_lock:
            self.received.append(mail)

    def received_snapshot(self) -> list[ReceivedMail]:
        """A copy of ``received`` taken under the lock (safe while SMTP is delivering)."""
        with self._received_lock:
            return list(self.received)

    # ---------------------------------------------------------------- IMAP helpers

    def imap(self, login: str) -> IMAPClient:
        """A logged-in IMAPClient for ``login``; the caller must ``logout()`` it."""
        client = IMAPClient(self.imap_host, port=self.imap_port, ssl=False, timeout=IMAP_TIMEOUT)
        try:
            client.login(login, self._passwords[login])
        except BaseException:
            _close_quietly(client)
            raise
        return client

    @contextmanager
    def _session(self, login: str) -> Iterator[IMAPClient]:
        """A logged-in client that is always logged out, even if the body raises."""
        client = self.imap(login)
        try:
            yield client
        finally:
            _close_quietly(client)

    def append(self, login: str, raw: bytes, folder: str = "INBOX") -> None:
        """Store ``raw`` in ``login``'s ``folder`` (created if missing)."""
        with self._append_locks[login], self._session(login) as client:
            if folder.upper() != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)

    def messages(self, login: str, folder: str = "INBOX") -> list[bytes]:
        """All messages in ``folder`` in UID order ([] if it does not exist; LF line endings)."""
        with self._session(login) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            if not uids:
                return []
            fetched = client.fetch(uids, ["BODY.PEEK[]"])
            return [bytes(fetched[uid][b"BODY[]"]) for uid in uids if uid in fetched]

    def count(self, login: str, folder: str = "INBOX") -> int:
        """Number of messages in ``folder`` (0 if it does not exist)."""
        with self._session(login) as client:
            if not client.folder_exists(folder):
                return 0
            return int(client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"])

    # ---------------------------------------------------------------- SMTP helper

    def send(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> None:
        """Submit ``raw`` to our SMTP server; raises smtplib errors (e.g. SMTPRecipientsRefused)."""
        # Like any mail client, submit CRLF lines: email's as_bytes() writes bare LF, which an
        # SMTP server reads as one endless line (RFC 5321 4.5.3.1.6).
        wire = re.sub(rb"\r?\n", b"\r\n", raw)
        with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
            smtp.sendmail(mail_from, rcpt_tos, wire)

    # Convenience so callers holding only a MailServers can poll.
    wait_until = staticmethod(wait_until)


def _close_quietly(client: IMAPClient) -> None:
    """LOGOUT if possible, else just drop the socket: cleanup must not mask the real error."""
    try:
        client.logout()
    except Exception:  # noqa: BLE001
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass
