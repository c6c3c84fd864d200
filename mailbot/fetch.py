"""One watcher per mailbox: IMAP IDLE where the server has it, polling where not.

The watcher only ever does transaction 1 (record the raw bytes), then moves the
message out of the INBOX. It owns reconnects (jittered exponential backoff) and
IDLE renewal, which IMAPClient leaves to the caller. Messages are fetched with
BODY.PEEK[] so that a crash never leaves a message marked \\Seen but unrecorded.
"""

from __future__ import annotations

import logging
import random
import select as io_select  # sqlalchemy's select is the "select" of this module
import socket
import ssl
import threading
import time
from datetime import datetime, timezone
from typing import Callable

from imapclient import IMAPClient
from imapclient.exceptions import LoginError
from imapclient.imapclient import SocketTimeout, _parse_untagged_response
from sqlalchemy import select

from mailbot.app import App
from mailbot.config import MailboxConfig
from mailbot.ingest import Fetched, record_batch
from mailbot.leases import hold_lease, release_lease
from mailbot.models import InboundMail, MailboxCursor, Quarantine

log = logging.getLogger("mailbot.fetch")

FETCH_BATCH = 50
# Every recorded message of one sync leaves the INBOX in as few MOVE commands as possible:
# on pymap's maildir a MOVE costs seconds per command whatever its size, and every FETCH
# after one is about 5x slower (measured, 1,000 messages: a MOVE every 500 took 48.5 s in
# all, one MOVE at the end 18.3 s). The cap only bounds how much a crash makes us fetch again.
MOVE_BATCH = 5000
# A session that lived this long was healthy; losing it is not a reason to back off.
HEALTHY_SESSION_SECONDS = 10.0
# After taking mail, the first IDLE lasts at most this long before one more look (see idle()).
SETTLE_SECONDS = 0.5


class MailboxWatcher(threading.Thread):
    def __init__(self, app: App, mailbox: MailboxConfig, stop: threading.Event,
                 on_recorded: Callable[[], None]) -> None:
        super().__init__(name=f"watch-{mailbox.name}", daemon=True)
        self.app = app
        self.mailbox = mailbox
        self.stop_event = stop
        self.on_recorded = on_recorded
        self.connected = False
        self.last_fetch_at: datetime | None = None
        self.last_error = ""
        self.login_rejected = False  # the server refused our login: wrong password or revoked credential (an alert)
        self._lease = f"mailbox:{mailbox.name}"

    # -- connection -------------------------------------------------------------
    def connect(self) -> IMAPClient:
        m = self.mailbox
        timeout = SocketTimeout(connect=m.timeout_seconds, read=m.timeout_seconds)
        context = ssl.create_default_context()
        client = IMAPClient(m.host, port=m.port, ssl=m.security == "tls", ssl_context=context,
                            timeout=timeout, use_uid=True)
        if m.security == "starttls":
            client.starttls(context)
        password = m.password.resolve()
        if password is None:
            client.logout()
            raise LoginError(f"no password for mailbox {m.name} in {m.password.describe()}")
        client.login(m.username, password)
        for folder in (m.processed_folder, m.quarantine_folder):
            if not client.folder_exists(folder):
                client.create_folder(folder)
        return client

    def run(self) -> None:
        backoff = 1.0
        while not self.stop_event.is_set():
            if not hold_lease(self.app, self._lease, self.app.settings.lease_seconds):
                # Another instance reads this mailbox; check again before its lease could expire.
                self.stop_event.wait(self.app.settings.lease_seconds / 3)
                continue
            client = None
            watched_since = None
            try:
                client = self.connect()
                self.connected = True
                self.last_error = ""
                self.login_rejected = False
                log.info("mailbox %s: connected to %s:%s (%s), IDLE %s", self.mailbox.name, self.mailbox.host,
                         self.mailbox.port, self.mailbox.security,
                         "available" if client.has_capability("IDLE") else "not offered, polling")
                backoff = 1.0
                watched_since = time.monotonic()
                self.watch(client)
            except LoginError as exc:
                self.last_error = f"login rejected: {exc}"
                self.login_rejected = True
                log.error("mailbox %s: login rejected by %s for user %s (wrong password or revoked credential): %s",
                          self.mailbox.name, self.mailbox.host, self.mailbox.username, exc)
                backoff = max(backoff, 60.0)
            except Exception as exc:  # noqa: BLE001 - one failed iteration must not end the watcher
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("mailbox %s: %s; reconnecting in about %.0f s", self.mailbox.name, self.last_error, backoff)
            finally:
                self.connected = False
                if client is not None:
                    try:
                        client.shutdown()
                    except Exception:  # noqa: BLE001 - the socket may already be gone
                        pass
            if watched_since is not None and time.monotonic() - watched_since >= HEALTHY_SESSION_SECONDS:
                # A connection that had been working dropped (servers do that inside IDLE): reconnect
                # at once, so mail is not left waiting; backoff is for servers that keep failing.
                self.stop_event.wait(random.uniform(0.0, 0.1))
                continue
            # Full jitter: many instances restarting together do not reconnect in lockstep.
            self.stop_event.wait(random.uniform(0.5, 1.0) * backoff)
            backoff = min(backoff * 2, 300.0)
        release_lease(self.app, self._lease)

    # -- the loop on one connection ---------------------------------------------
    def watch(self, client: IMAPClient) -> None:
        m = self.mailbox
        use_idle = m.use_idle and client.has_capability("IDLE")
        while not self.stop_event.is_set():
            if not hold_lease(self.app, self._lease, self.app.settings.lease_seconds):
                log.warning("mailbox %s: lost the lease to another instance", m.name)
                return
            new = self.sync(client)
            self.move_quarantined(client)
            if use_idle:
                self.idle(client, settle=new > 0)
            else:
                self.stop_event.wait(m.poll_interval_seconds)

    def idle(self, client: IMAPClient, settle: bool = False) -> None:
        """Wait in IDLE until the server reports new mail, the renewal is due, or we stop.

        ``settle``: we just took mail. Mail that lands while we go back into IDLE can fall
        between the NOOP and IDLE's own snapshot, and some servers (pymap) then never
        announce it; so after activity the first IDLE is cut short (SETTLE_SECONDS) for one
        more look, instead of leaving such a message to the poll-interval re-check.
        """
        # Mail that arrived between our SEARCH and IDLE is announced on the next command,
        # not inside IDLE: a NOOP first collects it.
        _, untagged = client.noop()
        if _announces_new_mail(untagged):
            return
        now = self.app.clock().timestamp()
        # Besides renewing IDLE well within the server's 29-minute limit, re-check the folder
        # at the poll interval: a server that forgets an EXISTS must not strand a message.
        renew_at = now + min(self.mailbox.idle_renew_seconds, self.mailbox.poll_interval_seconds,
                             SETTLE_SECONDS if settle else float("inf"))
        lease_check_at = now + self.app.settings.lease_seconds / 3
        client.idle()
        try:
            while not self.stop_event.is_set():
                wait = min(1.0, max(0.05, min(renew_at, lease_check_at) - self.app.clock().timestamp()))
                if _announces_new_mail(idle_responses(client, timeout=wait)):
                    return
                now = self.app.clock().timestamp()
                if now >= renew_at or now >= lease_check_at:
                    return
        finally:
            client.idle_done()

    def sync(self, client: IMAPClient) -> int:
        """Record every new message, then move it out of the INBOX. Returns how many were new."""
        m = self.mailbox
        status = client.select_folder(m.inbox_folder)
        uidvalidity = int(status[b"UIDVALIDITY"])
        with self.app.sessions.begin() as s:
            cursor = s.get(MailboxCursor, m.name)
            if cursor is None:
                cursor = MailboxCursor(mailbox=m.name, uidvalidity=uidvalidity, last_uid=0)
                s.add(cursor)
            if cursor.uidvalidity != uidvalidity:
                log.warning("mailbox %s: UIDVALIDITY changed from %s to %s; rescanning the whole folder "
                            "(already recorded messages are recognised by their content)", m.name,
                            cursor.uidvalidity, uidvalidity)
                cursor.uidvalidity, cursor.last_uid = uidvalidity, 0
            last_uid = cursor.last_uid
        # "UID n:*" always matches the highest UID even when it is below n (RFC 3501 6.4.8).
        uids = sorted(u for u in client.search(["NOT", "DELETED", "UID", f"{last_uid + 1}:*"]) if u > last_uid)
        log.debug("mailbox %s: UIDVALIDITY %s, last UID %s, new UIDs %s", m.name, uidvalidity, last_uid, uids[:20])
        new = 0
        recorded: list[int] = []
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start:start + FETCH_BATCH]
            fetched = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
            # Messages expunged by someone else meanwhile come back without a body: skip them.
            items = [Fetched(uid, bytes(fetched[uid][b"BODY[]"]), _as_utc(fetched[uid].get(b"INTERNALDATE")) or self.app.clock())
                     for uid in batch if b"BODY[]" in fetched.get(uid, {})]
            new += record_batch(self.app, m.name, uidvalidity, items)
            recorded += batch
            if new:
                self.on_recorded()
            # Every message of the batch is committed: it may leave the INBOX now. Moves go in
            # large groups because a MOVE costs servers (maildir ones above all) per command.
            if len(recorded) >= MOVE_BATCH or start + FETCH_BATCH >= len(uids):
                self.move(client, recorded, m.processed_folder)
                with self.app.sessions.begin() as s:
                    cursor = s.get(MailboxCursor, m.name)
                    cursor.last_uid = max(cursor.last_uid, recorded[-1])
                    cursor.last_fetch_at = self.app.clock()
                recorded = []
        self.last_fetch_at = self.app.clock()
        if not uids:
            with self.app.sessions.begin() as s:
                cursor = s.get(MailboxCursor, m.name)
                cursor.last_fetch_at = self.last_fetch_at
        return new

    def move(self, client: IMAPClient, uid_list: list[int], folder: str) -> None:
        if not uid_list:
            return
        uids = sequence_set(uid_list)  # "1:500,502": thousands of UIDs in a short command line
        if client.has_capability("MOVE"):
            client.move(uids, folder)
            return
        client.copy(uids, folder)
        client.add_flags(uids, [b"\\Deleted", b"\\Seen"])
        if client.has_capability("UIDPLUS"):
            # UID EXPUNGE removes exactly these messages, never others someone flagged.
            client.uid_expunge(uids)

    def move_quarantined(self, client: IMAPClient) -> None:
        """Move quarantined messages from the processed folder to the quarantine folder."""
        m = self.mailbox
        with self.app.sessions.begin() as s:
            rows = s.execute(select(Quarantine, InboundMail.message_id).join(InboundMail, Quarantine.inbound_id == InboundMail.id)
                             .where(Quarantine.moved.is_(False), InboundMail.mailbox == m.name).limit(20)).all()
            pending = [(q.id, message_id) for q, message_id in rows]
        if not pending:
            return
        client.select_folder(m.processed_folder)
        try:
            for qid, message_id in pending:
                uids = client.search(["HEADER", "Message-ID", message_id]) if message_id else []
                if uids:
                    self.move(client, list(uids), m.quarantine_folder)
                with self.app.sessions.begin() as s:
                    s.get(Quarantine, qid).moved = True
        finally:
            client.select_folder(m.inbox_folder)


def idle_responses(client: IMAPClient, timeout: float) -> list:
    """What the server sent during IDLE within ``timeout`` seconds, as whole parsed lines.

    Used instead of IMAPClient.idle_check(), which reads in non-blocking mode: when a
    response arrives in two TCP segments (pymap writes "* 3 FETCH (" and "FLAGS ())"
    separately) it loses the first half, the next command fails with "unexpected
    response" and the watcher must reconnect (measured: dozens of reconnects per
    hundred messages, and ack latencies over 2 s). Here we only wait for readability,
    then read complete lines in blocking mode under the connection's read timeout.
    """
    imap = client._imap  # IMAPClient's own idle_check reads through it the same way
    sock = client.socket()
    if not _buffered(client, sock) and not io_select.select([sock], [], [], timeout)[0]:
        return []
    responses = []
    while True:
        line = imap._get_line()
        try:
            responses.append(_parse_untagged_response(line))
        except Exception:  # noqa: BLE001 - a line we cannot parse is not new mail; IDLE goes on
            log.debug("mailbox: unparsed response during IDLE: %r", line[:200])
        if not _buffered(client, sock) and not io_select.select([sock], [], [], 0)[0]:
            return responses


def _buffered(client: IMAPClient, sock: socket.socket) -> bool:
    """Whether a response is already read into the connection's buffers (select() cannot see it)."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    sock.setblocking(False)
    try:
        return bool(client._imap.file.peek(1))  # peek never consumes; on an empty socket it reads nothing
    except OSError:  # would block (TLS raises SSLWantReadError here)
        return False
    finally:
        client._set_read_timeout()


def sequence_set(uids: list[int]) -> str:
    """An IMAP sequence set with runs of consecutive numbers as ranges: [1, 2, 3, 7] -> "1:3,7"."""
    runs: list[str] = []
    ordered = sorted(set(uids))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        runs.append(str(ordered[i]) if i == j else f"{ordered[i]}:{ordered[j]}")
        i = j + 1
    return ",".join(runs)


def _announces_new_mail(responses: list) -> bool:
    return any(isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)


def _as_utc(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        # IMAPClient normalises INTERNALDATE to local naive time by default.
        return value.astimezone(timezone.utc)
    return value.astimezone(timezone.utc)
