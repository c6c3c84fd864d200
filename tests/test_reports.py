"""Reports: every kind in every format and language, valid charts, and mailed once per period.

History is written with the ORM into a real (migrated) database; the mail tests run the
real daemon and outbox sender against the aiosmtpd/pymap servers of the fixtures, with a
clock the test moves, and read what arrives in the recipient's mailbox.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import re
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select

from mailbot.app import build_app
from mailbot.charts import PNG_SIGNATURE
from mailbot.config import ConfigError, ReportSettings, load_settings
from mailbot.daemon import Daemon
from mailbot.db import migrate
from mailbot.models import Customer, Heartbeat, Message, Outbox, ReportRun, Ticket, TicketEvent
from mailbot.reports import (
    build_report,
    latest_due,
    load_period_metrics,
    period_containing,
    render_report,
    report_charts,
    send_due_reports,
)
from mailbot.testing.mailservers import wait_until
from tests.conftest import write_config

CL = ZoneInfo("America/Santiago")
RECIPIENT = "agente@menteautonoma.cl"  # the loopback servers deliver it to the login "agente"
REPORTS_TOML = f'\n[reports]\nrecipients = ["{RECIPIENT}"]\n'


def cl(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Santiago wall time, as the UTC instant mailbot stores (SQLite keeps no offset)."""
    return datetime(2026, month, day, hour, minute, tzinfo=CL).astimezone(timezone.utc)


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at.astimezone(timezone.utc)


@pytest.fixture
def report_config(tmp_path, servers, database_url):
    path = write_config(tmp_path, servers, database_url, extra=REPORTS_TOML)
    migrate(load_settings(path).database_url)
    return path


@pytest.fixture
def clock():
    return FakeClock(cl(12, 7, 8, 5))  # Monday 7 December 2026, 08:05 in Santiago


@pytest.fixture
def rapp(report_config, clock):
    application = build_app(load_settings(report_config), clock=clock)
    yield application
    application.engine.dispose()


def seed(app) -> None:
    """Two weeks of tickets (23 Nov - 6 Dec 2026), replies, ratings and heartbeats."""
    with app.sessions.begin() as s:
        maria = Customer(email="maria@empresa.cl", name="María", tier="premium", language="es",
                         created_at=cl(11, 1))
        john = Customer(email="john@example.com", name="John", tier="basic", language="en", created_at=cl(11, 1))
        s.add_all([maria, john])
        s.flush()
        specs = [
            # created, customer, severity, first response after (h), resolved after (h), rating
            (cl(11, 24, 10), maria, "critical", 0.25, 2, "5"),
            (cl(11, 25, 11), john, "general", 3, 30, "4"),
            (cl(12, 1, 9, 30), maria, "important", 1, 5, "5"),
            (cl(12, 2, 15), john, "general", 20, None, None),
            (cl(12, 3, 10), maria, "critical", 0.75, 3, "2"),
            (cl(12, 5, 3), maria, "critical", 0.2, 1, "5"),
            (cl(12, 6, 22), john, "important", None, None, None),
        ]
        for i, (created, customer, severity, fr, res, rating) in enumerate(specs):
            resolved = created + timedelta(hours=res) if res is not None else None
            t = Ticket(subject=f"Consulta {i}", status="resolved" if resolved else "open", severity=severity,
                       tier=customer.tier, language=customer.language, mailbox="soporte", requester_id=customer.id,
                       created_at=created, updated_at=resolved or created,
                       first_responded_at=created + timedelta(hours=fr) if fr is not None else None,
                       resolved_at=resolved)
            s.add(t)
            s.flush()
            s.add(Message(ticket_id=t.id, direction="in", author_kind="customer", message_id=f"c{i}@x",
                          from_addr=customer.email, created_at=created))
            if fr is not None:
                s.add(Message(ticket_id=t.id, direction="in", author_kind="agent", message_id=f"a{i}@x",
                              from_addr="ana@menteautonoma.cl", created_at=created + timedelta(hours=fr)))
                s.add(Message(ticket_id=t.id, direction="out", author_kind="agent", message_id=f"o{i}@x",
                              from_addr="soporte@menteautonoma.cl", created_at=created + timedelta(hours=fr)))
            if resolved is not None:
                s.add(TicketEvent(ticket_id=t.id, at=resolved, kind="survey-sent"))
            if rating is not None:
                s.add(TicketEvent(ticket_id=t.id, at=resolved + timedelta(hours=1), kind="satisfaction", detail=rating))
        # Heartbeats for Friday 4 December: all fine but a 20-minute hole at 12:00.
        at = cl(12, 4)
        while at < cl(12, 5):
            if not cl(12, 4, 12) <= at < cl(12, 4, 12, 20):
                s.add(Heartbeat(at=at + timedelta(seconds=5), instance="test", mailboxes_ok=True, pipeline_ok=True,
                                outbox_ok=True))
            at += timedelta(minutes=1)


# ---- periods -------------------------------------------------------------------------------


def test_periods_and_when_each_report_is_due():
    cfg = ReportSettings()
    assert period_containing("weekly", date(2026, 12, 3)).first == date(2026, 11, 30)
    assert period_containing("monthly", date(2026, 12, 31)).stop == date(2027, 1, 1)
    # Monday 07:59: the daily report of Saturday and the weekly one of two weeks ago are the latest due.
    assert latest_due("daily", cl(12, 7, 7, 59), cfg).first == date(2026, 12, 5)
    assert latest_due("weekly", cl(12, 7, 7, 59), cfg).first == date(2026, 11, 23)
    # 08:00: yesterday's and last week's.
    assert latest_due("daily", cl(12, 7, 8), cfg).first == date(2026, 12, 6)
    assert latest_due("weekly", cl(12, 7, 8), cfg).first == date(2026, 11, 30)
    assert latest_due("monthly", cl(12, 1, 7, 59), cfg).first == date(2026, 10, 1)
    assert latest_due("monthly", cl(12, 1, 8), cfg).first == date(2026, 11, 1)
    # Periods are local days: Chile's spring-forward night (5-6 Sep 2026, 00:00 does not exist) has 23 hours.
    day = period_containing("daily", date(2026, 9, 6))
    assert day.end - day.start == timedelta(hours=23)


def test_reports_config_keys_are_checked_with_their_line(tmp_path, servers, database_url):
    path = write_config(tmp_path, servers, database_url,
                        extra='\n[reports]\nrecipients = ["jefe"]\nweekly_day = "lunes"\nsatisfaction_target = 95\n'
                              'daily_time = "8am"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    text = "\n".join(info.value.problems)
    for key in ("reports.recipients", "reports.weekly_day", "reports.satisfaction_target", "reports.daily_time"):
        assert re.search(rf"{re.escape(key)} \(line \d+\)", text), (key, text)
    ok = write_config(tmp_path, servers, database_url, extra=REPORTS_TOML + 'weekly_recipients = []\nlanguage = "en"\n')
    cfg = load_settings(ok).reports
    assert cfg.recipients_for("daily") == (RECIPIENT,) and cfg.recipients_for("weekly") == ()
    assert cfg.language == "en" and cfg.satisfaction_target == 0.95


# ---- rendering -----------------------------------------------------------------------------


WORDS = {"es": ("Tickets nuevos", "Satisfacción"), "en": ("New tickets", "Satisfaction")}
TITLES = {("daily", "es"): "Estado diario de soporte", ("weekly", "es"): "Desempeño semanal de soporte",
          ("monthly", "es"): "Uso mensual de soporte", ("daily", "en"): "Daily support status",
          ("weekly", "en"): "Weekly support performance", ("monthly", "en"): "Monthly support usage"}


@pytest.mark.parametrize("kind", ["daily", "weekly", "monthly"])
def test_each_report_renders_in_every_format_and_both_languages(rapp, kind):
    seed(rapp)
    day = date(2026, 12, 3)
    report = build_report(rapp, kind, day)
    for language in ("es", "en"):
        text = render_report(rapp, report, "text", language)
        assert TITLES[(kind, language)] in text
        assert all(word in text for word in WORDS[language])
        html = render_report(rapp, report, "html", language)
        assert html.startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in html
        assert TITLES[(kind, language)] in html
        images = re.findall(r'<img src="data:image/png;base64,', html)
        assert len(images) == (0 if kind == "daily" else 3)
    rows = list(csv.DictReader(io.StringIO(render_report(rapp, report, "csv"))))
    created = next(r for r in rows if r["section"] == "headline" and r["key"] == "created")
    data = json.loads(render_report(rapp, report, "json"))
    assert data["kind"] == kind
    # Created: 3 Dec (daily) vs 2 Dec; 30 Nov - 6 Dec vs 23-29 Nov; December vs November.
    expected = {"daily": (1, 1), "weekly": (5, 2), "monthly": (5, 2)}[kind]
    assert (int(created["value"]), int(created["previous"])) == expected
    assert (data["current"]["created"], data["previous"]["created"]) == expected


def test_weekly_report_numbers_flags_and_deltas(rapp):
    seed(rapp)
    report = build_report(rapp, "weekly", date(2026, 12, 2))  # 30 Nov - 6 Dec
    m = report.current
    # Ratings in the week: 5, 2, 5 -> 2 of 3; the target of 95 % is missed and flagged.
    assert (m.satisfaction.answers, m.satisfaction.positive) == (3, 2)
    text = render_report(rapp, report, "text", "es")
    assert re.search(r"Satisfacción \(4–5 de 5\)\s+66,7 %.*NO CUMPLIDO", text)
    assert "- Satisfacción (4–5 de 5): 66,7 % (objetivo 95,0 %)" in text
    # 5 tickets created against 2 the week before: "↑ +3".
    assert re.search(r"Tickets nuevos\s+5\s+↑ \+3", text)
    english = render_report(rapp, report, "text", "en")
    assert re.search(r"Satisfaction \(4–5 of 5\)\s+66.7 %.*MISSED", english)
    # Availability of Friday 4 December: 20 of 1440 minutes down.
    friday = load_period_metrics(rapp, cl(12, 4), cl(12, 5))
    assert (friday.availability.part, friday.availability.whole) == (1420, 1440)


def test_charts_are_valid_pngs(rapp):
    seed(rapp)
    for kind in ("weekly", "monthly"):
        charts = report_charts(build_report(rapp, kind, date(2026, 12, 2)), "es")
        assert len(charts) == 3
        for chart in charts:
            assert chart.png.startswith(PNG_SIGNATURE)
            with Image.open(io.BytesIO(chart.png)) as image:
                image.load()  # decodes every pixel: a truncated or corrupt file raises
                assert image.format == "PNG" and image.width >= 400 and image.height >= 200


def test_cli_prints_each_format(report_config, rapp):
    seed(rapp)
    for fmt, check in (("json", lambda out: json.loads(out)["period_start"] == "2026-11-30"),
                       ("csv", lambda out: out.startswith("kind,period_start,section,key")),
                       ("text", lambda out: "Desempeño semanal de soporte — 2026-11-30 – 2026-12-06" in out),
                       ("html", lambda out: "data:image/png;base64," in out)):
        done = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(report_config), "report", "weekly",
                               "--date", "2026-12-02", "--format", fmt], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert check(done.stdout), done.stdout[:500]
    out = report_config.parent / "monthly.html"
    done = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(report_config), "report", "monthly",
                           "--date", "2026-11-15", "--format", "html", "--language", "en", "--output", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert "Monthly support usage — 2026-11" in out.read_text(encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(report_config), "report", "daily",
                          "--date", "2026-02-30"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "not a date" in bad.stderr


# ---- mailing once per period -----------------------------------------------------------------


def reports_received(servers) -> list[email.message.EmailMessage]:
    mails = [email.message_from_bytes(raw, policy=email.policy.default) for raw in servers.messages("agente")]
    return [m for m in mails if m["X-Mailbot-Report"]]


def drained(app) -> bool:
    with app.sessions() as s:
        return not s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "queued"))


def test_each_report_is_mailed_once_per_period_across_restarts_and_downtime(servers, report_config, rapp, clock):
    seed(rapp)
    first = Daemon(rapp)
    first.start()
    try:
        # Monday 7 December 08:05: yesterday's daily, last week's weekly and November's monthly are due.
        assert sorted(first.send_reports()) == ["daily 2026-12-06", "monthly 2026-11-01", "weekly 2026-11-30"]
        assert first.send_reports() == []  # the next minute: nothing new
        assert wait_until(lambda: len(reports_received(servers)) == 3, timeout=30)
    finally:
        first.shutdown()

    # A restart (a new process: new app, same database) at 08:30 sends nothing again.
    clock.at = cl(12, 7, 8, 30)
    again = build_app(load_settings(report_config), clock=clock)
    second = Daemon(again)
    second.start()
    try:
        assert second.send_reports() == []
    finally:
        second.shutdown()
        again.engine.dispose()

    # Down all Tuesday; back on Wednesday 08:30 through the scheduler's start-up catch-up: only Tuesday's
    # daily report (the latest due) goes out, not Monday's one that was missed.
    clock.at = cl(12, 9, 8, 30)
    third = Daemon(build_app(load_settings(report_config), clock=clock))
    third.start()
    loop = threading.Thread(target=third.run_scheduler_until_stopped, daemon=True)
    loop.start()
    try:
        assert wait_until(lambda: len(reports_received(servers)) == 4, timeout=60)
        third.stop.set()
        loop.join(30)
        assert wait_until(lambda: drained(rapp), timeout=30)
    finally:
        third.stop.set()
        third.shutdown()
    keys = sorted(m["X-Mailbot-Report"] for m in reports_received(servers))
    assert keys == ["daily 2026-12-06", "daily 2026-12-08", "monthly 2026-11-01", "weekly 2026-11-30"]
    with rapp.sessions() as s:
        runs = sorted((r.kind, r.period_start) for r in s.scalars(select(ReportRun)))
    assert runs == [("daily", "2026-12-06"), ("daily", "2026-12-08"), ("monthly", "2026-11-01"),
                    ("weekly", "2026-11-30")]


def test_weekly_mail_carries_its_charts_inline(servers, rapp):
    seed(rapp)
    d = Daemon(rapp)
    d.start()
    try:
        assert "weekly 2026-11-30" in d.send_reports()
        assert wait_until(lambda: any(m["X-Mailbot-Report"] == "weekly 2026-11-30" for m in reports_received(servers)),
                          timeout=30)
    finally:
        d.shutdown()
    mail = next(m for m in reports_received(servers) if m["X-Mailbot-Report"] == "weekly 2026-11-30")
    assert mail["To"] == RECIPIENT and mail["Auto-Submitted"] == "auto-generated"
    # (strip: the test IMAP server refolds a header that starts with an encoded word onto a continuation line)
    subject = str(mail["Subject"]).strip()
    assert subject.startswith("Desempeño semanal de soporte 2026-11-30 – 2026-12-06 — ")
    assert subject.endswith("objetivo(s) no cumplido(s)")
    related = next(p for p in mail.walk() if p.get_content_type() == "multipart/related")
    html = related.get_body(("html",)).get_content()
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert len(cids) == 3
    parts = {p["Content-ID"].strip("<>"): p for p in related.iter_parts() if p["Content-ID"]}
    for cid in cids:
        png = parts[cid].get_content()
        assert parts[cid].get_content_type() == "image/png" and png.startswith(PNG_SIGNATURE)
        with Image.open(io.BytesIO(png)) as image:
            image.load()
    assert "Satisfacción (4–5 de 5)" in mail.get_body(("plain",)).get_content()


def test_no_recipients_means_no_report(tmp_path, servers, database_url):
    path = write_config(tmp_path, servers, database_url)
    migrate(load_settings(path).database_url)
    app = build_app(load_settings(path), clock=FakeClock(cl(12, 7, 9)))
    try:
        assert send_due_reports(app) == []
        with app.sessions() as s:
            assert s.scalar(select(func.count()).select_from(ReportRun)) == 0
    finally:
        app.engine.dispose()


def test_example_config_documents_every_reports_key():
    from pathlib import Path

    example = (Path(__file__).parent.parent / "config" / "mailbot.example.toml").read_text(encoding="utf-8")
    block = example.split("[reports]", 1)[1].split("\n[", 1)[0]
    for name in ReportSettings.__dataclass_fields__:
        assert re.search(rf"^#?\s*{name}\s*=", block, re.MULTILINE), name
