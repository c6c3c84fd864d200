"""The daemon is SIGKILLed at random moments while 200 messages arrive.

After a final restart every message is in exactly one ticket message: none lost,
none duplicated, none left unprocessed in the INBOX.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select

from mailbot.config import load_settings
from mailbot.db import migrate
from mailbot.models import InboundMail, Message, Outbox
from mailbot.testing.mailservers import wait_until
from tests.conftest import write_config

N = 200


def _message(i: int) -> bytes:
    sender = f"cliente{i % 17}@empresa{i % 5}.cl"
    return (f"From: Cliente {i} <{sender}>\r\nTo: soporte@menteautonoma.cl\r\nSubject: Consulta número {i}\r\n"
            f"Message-ID: <crash-{i}@empresa.cl>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Hola, tengo una consulta sobre la factura {i}. Gracias.\r\n").encode()


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"],
                            stdout=subprocess.DEVNULL, stderr=log.open("ab"), env=dict(os.environ))


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path, servers, database_url):
    config = write_config(tmp_path, servers, database_url, poll_seconds=1)
    settings = load_settings(config)
    migrate(settings.database_url)
    log = tmp_path / "daemon.log"
    rng = random.Random(1234)

    def arrive() -> None:
        for i in range(N):
            servers.append("soporte", _message(i))
            time.sleep(rng.uniform(0, 0.01))

    feeder = threading.Thread(target=arrive)
    feeder.start()
    kills = 0
    proc = _start(config, log)
    while feeder.is_alive() or kills < 4:
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        kills += 1
        proc = _start(config, log)
    feeder.join()

    engine = create_engine(settings.database_url)
    try:
        def settled() -> bool:
            with engine.connect() as c:
                pending = c.scalar(select(func.count(InboundMail.id)).where(InboundMail.state == "pending"))
                done = c.scalar(select(func.count(Message.id)).where(Message.direction == "in"))
            return pending == 0 and done >= N and servers.count("soporte") == 0
        assert wait_until(settled, timeout=120, interval=0.5), log.read_text()[-3000:]
        # SIGTERM now: the daemon must stop cleanly and quickly.
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert time.monotonic() - started < 10
        with engine.connect() as c:
            ids = c.scalars(select(Message.message_id).where(Message.direction == "in")).all()
            acks = c.execute(select(Outbox.ticket_id, func.count(Outbox.id)).where(Outbox.kind == "ack")
                             .group_by(Outbox.ticket_id)).all()
        assert sorted(ids) == sorted(f"crash-{i}@empresa.cl" for i in range(N))
        assert all(count == 1 for _, count in acks), "a ticket got two acks"
        assert servers.count("soporte") == 0
        assert servers.count("soporte", "Processed") >= N
        assert kills >= 4
    finally:
        if proc.poll() is None:
            proc.kill()
        engine.dispose()
