"""The loopback mail-server harness (mailbot.testing.mailservers) against real servers."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymap")

from mailbot.testing.mailservers import (  # noqa: E402
    MailServers,
    default_demo_mailboxes,
    free_port,
    wait_until,
)

CUSTOMER = "john.smith@example-customer.com"


def _raw(subject: str, to: str) -> bytes:
    return (
        f"From: John Smith <{CUSTOMER}>\r\n"
        f"To: {to}\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@example-customer.com>\r\n"
        "\r\n"
        "Hello, my printer is on fire.\r\n"
    ).encode()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[MailServers]:
    started = time.monotonic()
    ms = MailServers(tmp_path, default_demo_mailboxes())
    ms.start()
    # Visible with `pytest -rP`; the harness is meant to be cheap enough per test.
    print(f"MailServers.start() took {time.monotonic() - started:.2f} s")
    try:
        yield ms
    finally:
        ms.stop()


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 1024 <= port <= 65535


def test_smtp_delivery_lands_in_inbox(servers: MailServers) -> None:
    servers.send(CUSTOMER, ["soporte@menteautonoma.cl"], _raw("first", "soporte@menteautonoma.cl"))

    # 250 is only answered after the APPEND, so no polling is needed.
    bodies = servers.messages("soporte")
    assert len(bodies) == 1
    assert b"Delivered-To: soporte@menteautonoma.cl" in bodies[0]
    assert f"Return-Path: <{CUSTOMER}>".encode() in bodies[0]
    assert b"Subject: first" in bodies[0]
    assert servers.count("soporte") == 1
    assert servers.count("emergencias") == 0


def test_plus_tag_and_case_route_to_base_login(servers: MailServers) -> None:
    rcpt = "Soporte+ma-000001-abcd@MenteAutonoma.cl"
    servers.send(CUSTOMER, [rcpt], _raw("tagged", rcpt))

    assert servers.count("soporte") == 1
    assert f"Delivered-To: {rcpt}".encode() in servers.messages("soporte")[0]


def test_unknown_recipient_is_refused_with_550(servers: MailServers) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        servers.send(CUSTOMER, ["nobody@menteautonoma.cl"], _raw("lost", "nobody@menteautonoma.cl"))
    code, message = info.value.recipients["nobody@menteautonoma.cl"]
    assert code == 550
    assert b"no such user" in message
    assert servers.received == []


def test_received_records_accepted_envelopes(servers: MailServers) -> None:
    before = time.monotonic()
    servers.send(
        CUSTOMER,
        ["soporte@menteautonoma.cl", "agente@menteautonoma.cl"],
        _raw("two", "soporte@menteautonoma.cl"),
    )

    assert wait_until(lambda: len(servers.received) == 1, timeout=5)
    mail = servers.received[0]
    assert mail.mail_from == CUSTOMER
    assert mail.rcpt_tos == ("soporte@menteautonoma.cl", "agente@menteautonoma.cl")
    assert b"Subject: two" in mail.data
    assert b"Delivered-To" not in mail.data  # trace headers are added on delivery only
    assert before <= mail.at <= time.monotonic()
    assert servers.count("soporte") == 1
    assert servers.count("agente") == 1


def test_imap_capabilities_and_helpers(servers: MailServers) -> None:
    client = servers.imap("soporte")
    try:
        caps = set(client.capabilities())
    finally:
        client.logout()
    assert {b"IDLE", b"MOVE"} <= caps

    assert servers.messages("soporte", "Archive") == []
    assert servers.count("soporte", "Archive") == 0
    servers.append("soporte", _raw("filed", "soporte@menteautonoma.cl"), folder="Archive")
    assert servers.count("soporte", "Archive") == 1
    assert b"Subject: filed" in servers.messages("soporte", "Archive")[0]


def test_stop_terminates_pymap_and_is_idempotent(tmp_path: Path) -> None:
    with MailServers(tmp_path, default_demo_mailboxes()) as ms:
        process = ms.process
        assert process is not None and process.poll() is None
        smtp_port = ms.smtp_port
    assert process.poll() is not None  # reaped: no pymap left running
    ms.stop()  # second stop is a no-op
    with pytest.raises(OSError):
        smtplib.SMTP(ms.smtp_host, smtp_port, timeout=2)


def test_start_failure_reports_pymap_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ms = MailServers(tmp_path, default_demo_mailboxes())
    # Break the user files after they are written: every LOGIN fails.
    real_write = ms._write_users

    def write_then_corrupt() -> None:
        real_write()
        (tmp_path / "pymap-etc-shadow").write_text("")

    monkeypatch.setattr(ms, "_write_users", write_then_corrupt)
    with pytest.raises(RuntimeError, match="pymap rejected LOGIN.*pymap log"):
        ms.start(timeout=10)
    assert ms.process is not None and ms.process.poll() is not None


def test_concurrent_deliveries_are_not_duplicated(servers: MailServers) -> None:
    # pymap's maildir duplicates messages under concurrent APPENDs to one mailbox;
    # the harness serialises its deliveries per login to keep counts exact.
    from concurrent.futures import ThreadPoolExecutor

    def deliver(i: int) -> None:
        servers.send(CUSTOMER, ["soporte@menteautonoma.cl"], _raw(f"burst {i}", "soporte@menteautonoma.cl"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(deliver, range(30)))

    assert len(servers.received) == 30
    assert servers.count("soporte") == 30
