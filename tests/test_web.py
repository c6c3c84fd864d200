"""The daemon's HTTP side as a sysadmin meets it: /metrics, /healthz, /readyz, the dashboard, the token.

Real daemon, real pymap and aiosmtpd on loopback, real HTTP requests; the dashboard is
loaded in a real headless Chromium.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from mailbot.app import build_app
from mailbot.config import load_settings
from mailbot.daemon import Daemon
from mailbot.db import migrate
from mailbot.models import AlertState, Heartbeat, Outbox
from mailbot.testing.mailservers import MailServers, wait_until
from tests.conftest import write_config

CONFIG = Path(__file__).resolve().parents[1] / "config"
MARIA = "maria.gonzalez@cliente-demo.cl"
JOHN = "john.smith@example-customer.com"
SOPORTE = "soporte@menteautonoma.cl"
ADMIN = "agente@menteautonoma.cl"

HTTP = """
[http]
port = 0
refresh_seconds = 15
ready_max_fetch_age_seconds = 60
"""
ALERTS = f"""
[alerts]
recipients = ["{ADMIN}"]
check_seconds = 0.5
mailbox_unreachable_minutes = 0.05
"""


class Running:
    """A daemon with its scheduler loop (alerts, heartbeats) in a thread, as `mailbot run` has in its main thread."""

    def __init__(self, config: Path) -> None:
        self.settings = load_settings(config)
        migrate(self.settings.database_url)
        self.app = build_app(self.settings)
        self.daemon = Daemon(self.app)
        self.daemon.start()
        self.scheduler = threading.Thread(target=self.daemon.run_scheduler_until_stopped, name="scheduler", daemon=True)
        self.scheduler.start()
        assert self.daemon.web is not None
        self.base = f"http://127.0.0.1:{self.daemon.web.port}"

    def get(self, path: str, token: str | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path)
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def stop(self) -> None:
        self.daemon.stop.set()
        self.scheduler.join(10)
        self.daemon.shutdown()
        self.app.engine.dispose()


@pytest.fixture
def running(tmp_path: Path, servers: MailServers, database_url: str) -> Iterator[Running]:
    r = Running(write_config(tmp_path, servers, database_url, extra=HTTP + ALERTS, poll_seconds=1.0))
    yield r
    r.stop()


def mail(sender: str, subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, SOPORTE, subject
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    msg.set_content(body)
    return msg.as_bytes()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page, parsed by prometheus_client's own parser."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(page: dict, name: str, **labels: str) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


def subjects_to(servers: MailServers, rcpt: str) -> list[str]:
    found = []
    for m in servers.received_snapshot():
        if rcpt in m.rcpt_tos:
            found.append(str(email.message_from_bytes(m.data, policy=email.policy.default)["Subject"]))
    return found


def test_metrics_count_mail_as_it_flows(servers, running):
    assert wait_until(lambda: running.get("/readyz")[0] == 200, timeout=30), running.get("/readyz")[1]
    before = samples(running.get("/metrics")[1])

    servers.send(MARIA, [SOPORTE], mail(MARIA, "Error al generar la factura", "Hola, el sistema muestra un error al generar la factura."))
    servers.send(JOHN, [SOPORTE], mail(JOHN, "Question about exports", "Hello, how do I export a report to Excel?"))
    assert wait_until(lambda: len(servers.messages("maria")) == 1 and len(servers.messages("john")) == 1, timeout=40)

    def settled() -> bool:
        page = samples(running.get("/metrics")[1])
        open_tickets = sum(v for (n, labels), v in page.items() if n == "mailbot_tickets" and ("status", "open") in labels)
        return open_tickets == 2 and value(page, "mailbot_outbox_sent_total", kind="ack") - value(before, "mailbot_outbox_sent_total", kind="ack") == 2
    # Database facts are cached for a few seconds per scrape: wait for the cache to turn over.
    assert wait_until(settled, timeout=30)
    after = samples(running.get("/metrics")[1])

    ingested = "mailbot_messages_ingested_total"
    assert value(after, ingested, mailbox="soporte", outcome="done") - value(before, ingested, mailbox="soporte", outcome="done") == 2
    assert value(after, "mailbot_ack_latency_seconds_count") - value(before, "mailbot_ack_latency_seconds_count") == 2
    assert value(after, "mailbot_pipeline_latency_seconds_count") - value(before, "mailbot_pipeline_latency_seconds_count") == 2
    assert value(after, "mailbot_outbox_depth") == 0
    assert value(after, "mailbot_quarantine_size") == 0
    assert value(after, "mailbot_mailbox_connected", mailbox="soporte") == 1
    assert value(after, "mailbot_mailbox_last_fetch_timestamp_seconds", mailbox="soporte") > 0
    assert value(after, "mailbot_loop_up", loop="pipeline") == 1
    assert value(after, "mailbot_deadlines_approaching", deadline="first_response") + \
        value(after, "mailbot_deadlines_breached", deadline="first_response") <= 2

    status, body = running.get("/healthz")
    assert status == 200 and body.startswith("alive")

    # The shipped alert rules and Grafana dashboard name only metrics that exist.
    exported = set()
    for family in text_string_to_metric_families(running.get("/metrics")[1]):
        exported.add(family.name)
        exported.update({"counter": [family.name + "_total"], "histogram": [family.name + s for s in ("_bucket", "_count", "_sum")]}
                        .get(family.type, []))
    for shipped in (CONFIG / "prometheus-alerts.yml", CONFIG / "grafana-dashboard.json"):
        named = set(re.findall(r"\b(mailbot_[a-z_]+)", shipped.read_text()))
        assert named and named <= exported, (shipped.name, named - exported)


def latest_heartbeat(running: Running) -> Heartbeat:
    with running.app.sessions() as s:
        return s.scalars(select(Heartbeat).where(Heartbeat.instance == running.app.instance_id).order_by(Heartbeat.id.desc())).first()


def test_readyz_follows_the_imap_server_and_the_alert_and_recovery_mails_arrive_once(servers, running, caplog):
    caplog.set_level("INFO", logger="mailbot")
    assert wait_until(lambda: running.get("/readyz")[0] == 200, timeout=30), running.get("/readyz")[1]
    # Becoming ready writes the first heartbeat (availability counts from it).
    assert wait_until(lambda: latest_heartbeat(running) is not None, timeout=10)
    first = latest_heartbeat(running)
    assert first.mailboxes_ok and first.pipeline_ok and first.outbox_ok and first.detail == ""

    servers.stop_imap()
    assert wait_until(lambda: "FAIL mailbox soporte" in running.get("/readyz")[1], timeout=30)
    status, body = running.get("/readyz")
    assert status == 503 and body.startswith("not ready")
    running.daemon.heartbeat()  # the minute's heartbeat, now: this minute counts as down
    down = latest_heartbeat(running)
    assert not down.mailboxes_ok and "mailboxes not connected: soporte" in down.detail

    def active(name: str) -> bool:
        with running.app.sessions() as s:
            row = s.get(AlertState, name)
            return bool(row and row.active)
    assert wait_until(lambda: active("mailbox-unreachable:soporte"), timeout=30)
    assert "ALERT mailbox-unreachable:soporte started" in caplog.text

    servers.restart_imap()
    assert wait_until(lambda: running.get("/readyz")[0] == 200, timeout=90), running.get("/readyz")[1]
    assert wait_until(lambda: not active("mailbox-unreachable:soporte") and not active("mailbox-unreachable:emergencias"), timeout=30)
    assert wait_until(lambda: running.get("/readyz")[0] == 200, timeout=30)
    running.daemon.heartbeat()
    assert latest_heartbeat(running).mailboxes_ok

    started = "[mailbot] ALERTA: el buzón soporte no responde"
    cleared = "[mailbot] RESUELTO: el buzón soporte vuelve a responder"
    # The start mail waited in the outbox while the IMAP server behind our SMTP server was down.
    assert wait_until(lambda: started in subjects_to(servers, ADMIN) and cleared in subjects_to(servers, ADMIN), timeout=90), \
        subjects_to(servers, ADMIN)
    # More checks change nothing: one mail when it started, one when it cleared.
    for _ in range(3):
        running.daemon.run_alerts()

    def outbox_idle() -> bool:
        with running.app.sessions() as s:
            return not s.scalar(select(func.count(Outbox.id)).where(Outbox.kind == "alert", Outbox.status == "queued"))
    assert wait_until(outbox_idle, timeout=60)
    got = subjects_to(servers, ADMIN)
    assert got.count(started) == 1 and got.count(cleared) == 1, got
    in_mailbox = [str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"]) for raw in servers.messages("agente")]
    assert in_mailbox.count(started) == 1 and in_mailbox.count(cleared) == 1, in_mailbox
    assert "alert mailbox-unreachable:soporte cleared" in caplog.text


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("CI must have chromium (.ci/run installs it with apt-get)")
    pytest.skip("no chromium here: apt-get install -y --no-install-recommends chromium")


def dump_dom(url: str) -> str:
    # --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
    result = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--virtual-time-budget=3000", "--dump-dom", url],
                            capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def counter(dom: str, element_id: str) -> str:
    m = re.search(rf'id="{re.escape(element_id)}"[^>]*>([^<]*)<', dom)
    assert m, f"#{element_id} is not on the page"
    return m.group(1).strip()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_dashboard_in_a_headless_browser_shows_todays_counters(servers, running):
    chromium()
    assert wait_until(lambda: running.get("/readyz")[0] == 200, timeout=30)
    servers.send(MARIA, [SOPORTE], mail(MARIA, "Error al generar la factura", "Hola, el sistema muestra un error al generar la factura."))
    servers.send(JOHN, [SOPORTE], mail(JOHN, "Production is down", "Hello, production is down, we cannot log in."))
    assert wait_until(lambda: len(servers.messages("maria")) == 1 and len(servers.messages("john")) == 1, timeout=40)

    dom = dump_dom(running.base + "/")
    assert '<meta http-equiv="refresh" content="15">' in dom
    assert counter(dom, "today-received") == "2"
    assert counter(dom, "today-tickets_new") == "2"
    assert counter(dom, "today-acks") == "2"
    assert counter(dom, "today-quarantined") == "0"
    assert sum(int(counter(dom, f"open-level-{level}")) for level in (1, 2, 3, 4)) == 2
    assert counter(dom, "ready") == "Operando"
    # The quality metrics come from the reports module (7 days, against their targets).
    assert "Satisfacción" in dom and "Disponibilidad" in dom
    assert 'name="viewport"' in dom  # readable on a phone


def test_off_loopback_every_page_needs_the_token(tmp_path, servers, monkeypatch):
    monkeypatch.setenv("MAILBOT_TEST_HTTP_TOKEN", "s3cret-token")
    extra = HTTP.replace("[http]", '[http]\naddress = "0.0.0.0"\ntoken_env = "MAILBOT_TEST_HTTP_TOKEN"')
    r = Running(write_config(tmp_path, servers, f"sqlite:///{tmp_path / 'mailbot.db'}", extra=extra))
    try:
        for path in ("/", "/metrics", "/readyz", "/healthz"):
            status, body = r.get(path)
            assert status == 401, (path, status)
            assert r.get(path, token="wrong")[0] == 401
        assert r.get("/healthz", token="s3cret-token")[0] == 200
        assert wait_until(lambda: r.get("/readyz", token="s3cret-token")[0] == 200, timeout=30)
        status, body = r.get("/", token="s3cret-token")
        assert status == 200 and "mailbot" in body
    finally:
        r.stop()


def test_check_config_refuses_a_non_loopback_address_without_a_token(tmp_path, servers, monkeypatch):
    monkeypatch.delenv("MAILBOT_HTTP_TOKEN", raising=False)
    config = write_config(tmp_path, servers, f"sqlite:///{tmp_path / 'mailbot.db'}", extra='[http]\naddress = "0.0.0.0"\n')
    result = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), "check-config"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 78
    assert "http: listening on 0.0.0.0 (not loopback) requires a bearer token" in result.stderr


def test_example_alert_rules_load_in_prometheus():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not found (Debian package prometheus); the rules' metric names are checked above")
    result = subprocess.run([promtool, "check", "rules", str(CONFIG / "prometheus-alerts.yml")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
