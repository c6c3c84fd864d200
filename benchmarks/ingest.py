"""Ingest benchmark: mailbot against the floor of bare fetch + parse + insert.

    python -m benchmarks.ingest [--messages 2000] [--latency-messages 200] [--json benchmarks/results/ingest.json]

All three measurements run in one process on the same machine, against the same
pymap server, so only their ratio is meaningful:

* floor: IMAP fetch (BODY.PEEK[]) + mail-parser + one SQLite insert per message,
  no ticket logic;
* mailbot: the real daemon from an empty database until every message is a ticket
  message and every ack is in the outbox, then until every ack reached SMTP;
* ack latency: the daemon idle in IDLE (every recorded message out of the INBOX),
  messages delivered one at a time, time from delivery to the ack arriving at the
  SMTP server.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import statistics
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from imapclient import IMAPClient
from sqlalchemy import func, select

from mailbot.app import build_app
from mailbot.config import load_settings
from mailbot.daemon import Daemon
from mailbot.db import migrate
from mailbot.models import InboundMail, Outbox
from mailbot.testing.loopback import loopback_config_text
from mailbot.testing.mailservers import MailServers, default_demo_mailboxes, free_port, wait_until

ES = ["Hola, desde esta mañana el sistema muestra un error al generar la factura electrónica.",
      "Buenos días, ¿cómo puedo agregar un usuario nuevo con permisos de solo lectura?",
      "El módulo de reportes está muy lento desde la actualización de ayer.",
      "No podemos operar: el sistema está caído y nadie puede iniciar sesión."]
EN = ["Hello, the invoice export fails with error 500 since this morning.",
      "Hi team, how do I configure single sign-on for our organisation?",
      "The integration with our ERP is intermittent and some orders are missing.",
      "Production is down and we are losing data, please help urgently."]


def synthetic_message(i: int, rng: random.Random) -> bytes:
    spanish = rng.random() < 0.6
    body = rng.choice(ES if spanish else EN)
    msg = EmailMessage()
    msg["From"] = f"Cliente {i} <{customer(i)}>"
    msg["To"] = "soporte@menteautonoma.cl"
    msg["Subject"] = ("Consulta " if spanish else "Question ") + str(i)
    msg["Message-ID"] = f"<bench-{i}-{rng.getrandbits(32)}@empresa.cl>"
    kind = i % 4
    if kind == 1:  # a reply with a quoted original
        quote = "\n".join("> " + line for line in (rng.choice(ES) + "\n" + rng.choice(EN)).splitlines() * 5)
        header = "El lun, 3 mar 2025 a las 10:00, Soporte escribió:" if spanish else "On Mon, Mar 3, 2025 at 10:00 AM Support wrote:"
        msg.set_content(f"{body}\n\n{header}\n{quote}\n")
    elif kind == 2:  # HTML only
        msg.set_content(f"<html><body><p>{body}</p><div class='gmail_quote'><blockquote>anterior</blockquote></div></body></html>",
                        subtype="html")
    else:
        msg.set_content(body + "\n\n--\nCliente\n")
        if kind == 3:  # an attachment
            msg.add_attachment(rng.randbytes(rng.randint(20_000, 120_000)), maintype="image", subtype="png",
                               filename=f"captura-{i}.png")
    return msg.as_bytes()


class Sink:
    """An SMTP server that accepts everything and records when each customer's ack arrived.

    Only mail to the synthetic customers counts (other mail, such as notifications
    to agents, goes to other addresses and is ignored).
    """

    def __init__(self) -> None:
        self.acks: dict[str, float] = {}  # customer address -> arrival time of the first mail to it
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        now = time.monotonic()
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                if rcpt.startswith("cliente"):
                    self.acks.setdefault(rcpt.lower(), now)
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.acks)

    def arrival(self, address: str) -> float | None:
        with self.lock:
            return self.acks.get(address)


def customer(i: int) -> str:
    return f"cliente{i}@empresa{i % 40}.cl"


def measure_floor(servers: MailServers, folder: Path, n: int) -> float:
    import mailparser

    db = sqlite3.connect(folder / "floor.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE m (uid INTEGER, message_id TEXT, subject TEXT, body TEXT, raw BLOB)")
    started = time.perf_counter()
    client = IMAPClient(servers.imap_host, port=servers.imap_port, ssl=False, timeout=30)
    client.login("soporte", "demo-soporte")
    client.select_folder("INBOX", readonly=True)
    uids = client.search("ALL")
    for start in range(0, len(uids), 50):
        batch = uids[start:start + 50]
        for uid, item in client.fetch(batch, ["BODY.PEEK[]"]).items():
            raw = item[b"BODY[]"]
            parsed = mailparser.parse_from_bytes(raw)
            db.execute("BEGIN")
            db.execute("INSERT INTO m VALUES (?,?,?,?,?)", (uid, parsed.message_id, parsed.subject, parsed.body, raw))
            db.execute("COMMIT")
    client.logout()
    elapsed = time.perf_counter() - started
    assert db.execute("SELECT count(*) FROM m").fetchone()[0] == n
    return elapsed


def measure_idle_baseline(servers: MailServers, count: int, rng: random.Random) -> list[float]:
    """How long the IMAP server itself takes to announce a new message to an IDLE client.

    This is the floor of any IDLE-driven ack latency on this server; pymap checks its
    maildir about once a second, Dovecot reacts to inotify at once.
    """
    def connect() -> IMAPClient:
        client = IMAPClient(servers.imap_host, port=servers.imap_port, ssl=False, timeout=30)
        client.login("agente", "demo-agente")  # a mailbox the daemon does not read
        client.select_folder("INBOX")
        return client

    client = connect()
    delays = []
    for i in range(count):
        try:
            client.idle()
            time.sleep(rng.uniform(0, 0.2))  # arrive at a random phase of the server's check cycle
            servers.append("agente", synthetic_message(10_000 + i, rng))
            t0 = time.monotonic()
            while not any(r[1:2] == (b"EXISTS",) for r in client.idle_check(timeout=5)):
                pass
            delays.append(time.monotonic() - t0)
            client.idle_done()
        except IMAPClient.AbortError:
            # pymap now and then splits an untagged FETCH inside IDLE; the watcher reconnects
            # the same way. The sample is dropped.
            client = connect()
    client.logout()
    return delays


def run(n: int, latency_n: int) -> dict[str, float]:
    rng = random.Random(42)
    messages = [synthetic_message(i, rng) for i in range(n)]
    with tempfile.TemporaryDirectory(prefix="mailbot-bench-") as tmp:
        folder = Path(tmp)
        servers = MailServers(folder / "mail", default_demo_mailboxes())
        servers.start()
        sink = Sink()
        sink.controller.start()
        try:
            for raw in messages:
                servers.append("soporte", raw)
            floor_seconds = measure_floor(servers, folder, n)
            idle_baseline = measure_idle_baseline(servers, min(latency_n, 50), rng)

            config = folder / "mailbot.toml"
            text = loopback_config_text(folder, servers).replace(f"port = {servers.smtp_port}", f"port = {sink.port}")
            # Each synthetic sender writes once, but keep the per-sender limit out of the measurement.
            config.write_text(text + "\n[acks]\nrate_limit_per_sender_per_hour = 0\n", encoding="utf-8")
            settings = load_settings(config)
            migrate(settings.database_url)
            app = build_app(settings)
            daemon = Daemon(app)
            started = time.perf_counter()
            daemon.start()

            def all_ticketed() -> bool:
                with app.sessions() as s:
                    pending = s.scalar(select(func.count(InboundMail.id)).where(InboundMail.state == "pending"))
                    total = s.scalar(select(func.count(InboundMail.id)))
                    acks = s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "ack"))
                return total == n and pending == 0 and acks == n

            assert wait_until(all_ticketed, timeout=3600, interval=0.2)
            ticketed_seconds = time.perf_counter() - started
            assert wait_until(lambda: sink.count() >= n, timeout=3600, interval=0.2)
            delivered_seconds = time.perf_counter() - started

            def inbox_empty() -> bool:
                try:
                    return servers.count("soporte") == 0
                except (OSError, IMAPClient.Error):  # pymap is busy with the MOVE and answers late
                    return False

            # Not part of the measurement the issue defines (ticket + ack), but reported: the
            # recorded messages leave the INBOX afterwards, in one MOVE on a second connection.
            assert wait_until(inbox_empty, timeout=3600, interval=0.5)
            inbox_empty_seconds = time.perf_counter() - started

            # Ack latency: the daemon is idle in IDLE now; one message at a time.
            latencies = []
            for i in range(latency_n):
                raw = synthetic_message(n + i, rng)
                servers.append("soporte", raw)
                t0 = time.monotonic()
                address = customer(n + i)
                assert wait_until(lambda: sink.arrival(address) is not None, timeout=60, interval=0.005)
                latencies.append(sink.arrival(address) - t0)
            daemon.shutdown()
            app.engine.dispose()
        finally:
            sink.controller.stop()
            servers.stop()
    q = statistics.quantiles(latencies, n=100)
    b = statistics.quantiles(idle_baseline, n=100)
    return {
        "messages": n,
        "floor_seconds": round(floor_seconds, 3),
        "floor_messages_per_second": round(n / floor_seconds, 1),
        "mailbot_ticketed_seconds": round(ticketed_seconds, 3),
        "mailbot_ticketed_messages_per_second": round(n / ticketed_seconds, 1),
        "mailbot_delivered_seconds": round(delivered_seconds, 3),
        "mailbot_delivered_messages_per_second": round(n / delivered_seconds, 1),
        "mailbot_inbox_empty_seconds": round(inbox_empty_seconds, 3),
        "ratio_ticketed_to_floor": round(floor_seconds / ticketed_seconds, 3),
        "ratio_delivered_to_floor": round(floor_seconds / delivered_seconds, 3),
        "ack_latency_messages": latency_n,
        "ack_latency_p50_seconds": round(q[49], 3),
        "ack_latency_p95_seconds": round(q[94], 3),
        "ack_latency_p99_seconds": round(q[98], 3),
        "imap_idle_notify_p50_seconds": round(b[49], 3),
        "imap_idle_notify_p99_seconds": round(b[98], 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--latency-messages", type=int, default=200)
    parser.add_argument("--json", default="benchmarks/results/ingest.json")
    args = parser.parse_args()
    result = run(args.messages, args.latency_messages)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
