"""`mailbot simulate`, as a sysadmin uses it: real mail files in, the timeline out, nothing sent.

The config points at real loopback servers (aiosmtpd SMTP, pymap IMAP) and at a
database file: the simulation must reach neither — no mail arrives at the SMTP server,
the soporte INBOX is untouched and the configured database is never created.

Dates: Friday 6 and Saturday 7 March 2026 in Chile (summer time, UTC-3); no holiday
until Good Friday, 3 April.
"""

from __future__ import annotations

import json
import mailbox
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.testing.mailservers import MailServers

TEAMS = """
[teams]
level1 = ["nivel1@menteautonoma.cl"]
level2 = ["supervisor@menteautonoma.cl"]
level3 = ["gerente@menteautonoma.cl"]
level4 = ["director@menteautonoma.cl"]
on_call = ["guardia@menteautonoma.cl"]
"""
IMPORTANT = "La integración con el ERP está lenta y a veces da error al sincronizar."
CRITICAL = "No podemos operar: la plataforma no responde."


def config(tmp_path: Path, servers: MailServers, extra: str = TEAMS) -> Path:
    """A production-like config: the real servers' ports, a database file, and no secret at all."""
    boxes = "".join(f"""
[[mailboxes]]
name = "{name}"
address = "{name}@menteautonoma.cl"
kind = "{kind}"
host = "127.0.0.1"
port = {servers.imap_port}
security = "plain"
username = "{name}"
""" for name, kind in (("soporte", "support"), ("emergencias", "emergency")))
    path = tmp_path / "mailbot.toml"
    path.write_text(f"""[instance]
domain = "menteautonoma.cl"
data_dir = "{tmp_path / 'data'}"
secret_env = "MAILBOT_SIMULATE_TEST_NO_SUCH_SECRET"

[database]
url = "sqlite:///{tmp_path / 'production.db'}"
{boxes}
[smtp]
host = "127.0.0.1"
port = {servers.smtp_port}
security = "plain"
{extra}""", encoding="utf-8")
    return path


def eml(tmp_path: Path, name: str, sender: str, to: str, subject: str, body: str, date: str | None,
        message_id: str, extra: dict[str, str] | None = None) -> Path:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, to, subject, f"<{message_id}>"
    if date:
        msg["Date"] = date
    for key, value in (extra or {}).items():
        msg[key] = value
    msg.set_content(body)
    path = tmp_path / name
    path.write_bytes(msg.as_bytes())
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailbot", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


LADDER = ("received", "created", "appended", "ack", "PAGE", "WARNING", "ESCALATION")


def timeline(out: str, kinds: tuple[str, ...] = LADDER) -> list[str]:
    """The timeline lines (between the header and "At the end") of these kinds, spaces collapsed.

    Other mails (agent notifications...) are left out: this is about acks and the SLA ladder.
    """
    body = out.split("\n\n")[1]
    lines = [" ".join(line.split()) for line in body.splitlines()]
    return [line for line in lines if line.split(" ")[3] in kinds]


def test_premium_emergency_saturday_night_pages_at_once_then_escalates_after_30_minutes(tmp_path, servers):
    cfg = config(tmp_path, servers)
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text("email,name,organisation,tier,language\n@banco.cl,,Banco Austral,premium,es\n", encoding="utf-8")
    mail = eml(tmp_path, "caida.eml", "Pedro Soto <ops@banco.cl>", "emergencias@menteautonoma.cl", "Producción caída",
               CRITICAL, "Sat, 07 Mar 2026 03:00:00 -0300", "p1@banco.cl")
    servers.append("soporte", b"From: x@y.cl\r\nSubject: real mail\r\n\r\nuntouched\r\n")

    result = run("-c", cfg, "simulate", mail, "--customers", csv_file, "--until", "2h")

    assert result.returncode == 0, result.stderr
    assert timeline(result.stdout) == [
        "Sat 2026-03-07 03:00 received caida.eml from ops@banco.cl in emergencias: 'Producción caída'",
        "Sat 2026-03-07 03:00 created MA-000001 tier premium, severity critical, level 3, language es; "
        "first response due Sat 2026-03-07 03:30, resolution due Sat 2026-03-07 07:00 (24/7 clock)",
        "Sat 2026-03-07 03:00 PAGE MA-000001 premium emergency: paged level 3 and on-call; "
        "first response due Sat 2026-03-07 03:30 → gerente@menteautonoma.cl, guardia@menteautonoma.cl",
        "Sat 2026-03-07 03:00 ack MA-000001 '[MA-000001] Re: Producción caída' → ops@banco.cl",
        # 75% of the 30-minute 24/7 clock is 03:22:30: the every-minute sweep sends it at 03:23.
        "Sat 2026-03-07 03:23 WARNING MA-000001 first response due Sat 2026-03-07 03:30: warning to level 3 "
        "→ gerente@menteautonoma.cl",
        "Sat 2026-03-07 03:30 ESCALATION MA-000001 first response overdue since Sat 2026-03-07 03:30: "
        "escalated to level 4 → director@menteautonoma.cl",
    ]
    assert "MA-000001  open, premium critical, level 4 (assigned 3); first response due Sat 2026-03-07 03:30 BREACHED" \
        in result.stdout
    summary = result.stdout.rstrip().splitlines()[-1]
    assert summary.startswith("Summary: 1 ticket(s) created, 0 appended, 1 ack(s), 1 page(s), 1 warning(s), "
                              "1 escalation(s);") and summary.endswith("would be sent, none was.")
    # Nothing reached the SMTP server, the mailboxes or the configured database.
    assert servers.received_snapshot() == []
    assert [m.replace(b"\r\n", b"\n") for m in servers.messages("soporte")] == [
        b"From: x@y.cl\nSubject: real mail\n\nuntouched\n"]
    assert servers.count("emergencias") == 0
    assert not (tmp_path / "production.db").exists() and not (tmp_path / "data").exists()


def test_basic_important_friday_1755_warns_and_breaches_on_the_right_business_minute(tmp_path, servers, capsys):
    cfg = config(tmp_path, servers)
    mail = eml(tmp_path, "erp.eml", "Ana Rojas <ana@pyme.cl>", "soporte@menteautonoma.cl", "ERP lento", IMPORTANT,
               "Fri, 06 Mar 2026 17:55:00 -0300", "a1@pyme.cl")

    assert main(["-c", str(cfg), "simulate", str(mail), "--until", "6d", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)

    assert doc["sent"] == 0 and doc["timezone"] == "America/Santiago"
    created = next(e for e in doc["events"] if e["kind"] == "created")
    assert (created["tier"], created["severity"], created["level"], created["clock"]) == ("basic", "important", 2,
                                                                                         "business")
    # 24 business hours from Friday 17:55: 5 min Friday, Monday and Tuesday 9 h each, then 5 h 55 min on Wednesday.
    assert created["first_response_due"] == "2026-03-11T17:55:00+00:00"  # Wed 14:55 in Santiago
    steps = [(e["at_local"], e["kind"], e["level"], e["recipients"]) for e in doc["events"]
             if e["kind"] in ("warning", "escalation", "page")]
    assert steps == [
        ("Tue 2026-03-10 17:55", "warning", 2, ["supervisor@menteautonoma.cl"]),  # 18 business hours = 75%
        ("Wed 2026-03-11 14:55", "escalation", 3, ["gerente@menteautonoma.cl"]),  # the breach
        ("Wed 2026-03-11 15:55", "escalation", 4, ["director@menteautonoma.cl"]),  # 60 minutes later
    ]
    assert [e["kind"] for e in doc["events"]].count("ack") == 1
    assert all(e["status"] == "queued (not sent)" for e in doc["events"] if e["kind"] == "ack")
    assert [t["level"] for t in doc["tickets"]] == [4]
    assert servers.received_snapshot() == []


def test_tier_option_and_forced_mailbox_make_an_unknown_sender_a_premium_emergency(tmp_path, servers, capsys):
    cfg = config(tmp_path, servers)
    mail = eml(tmp_path, "x.eml", "ops@nuevo.cl", "soporte@menteautonoma.cl", "Caída total", CRITICAL,
               "Sat, 07 Mar 2026 03:00:00 -0300", "n1@nuevo.cl")
    assert main(["-c", str(cfg), "simulate", str(mail), "--tier", "premium", "--mailbox", "emergencias",
                 "--until", "10m"]) == 0
    out = capsys.readouterr().out
    assert "in emergencias: 'Caída total'" in out
    assert "PAGE MA-000001 premium emergency" in " ".join(out.split())
    # Without --tier the same sender is basic: a basic critical on the business clock, no page on a Saturday.
    assert main(["-c", str(cfg), "simulate", str(mail), "--mailbox", "emergencias", "--until", "10m"]) == 0
    out = capsys.readouterr().out
    assert "tier basic, severity critical" in out and "PAGE" not in out and "WARNING" not in out


def test_mbox_with_spacing_threads_the_follow_up_and_an_empty_team_is_reported(tmp_path, servers):
    cfg = config(tmp_path, servers, extra=TEAMS.replace('level4 = ["director@menteautonoma.cl"]', "level4 = []"))
    box = mailbox.mbox(tmp_path / "archive.mbox")
    first = EmailMessage()
    first["From"], first["To"], first["Subject"] = "Ana <ana@pyme.cl>", "soporte@menteautonoma.cl", "Sistema caído"
    first["Message-ID"], first["Date"] = "<m1@pyme.cl>", "Mon, 01 Jan 2024 00:00:00 +0000"  # ignored: --spacing
    first.set_content("El sistema de facturación está caído, nadie puede emitir boletas. Urgente.")
    second = EmailMessage()
    second["From"], second["To"], second["Subject"] = "Ana <ana@pyme.cl>", "soporte@menteautonoma.cl", "Re: Sistema caído"
    second["Message-ID"], second["In-Reply-To"], second["References"] = "<m2@pyme.cl>", "<m1@pyme.cl>", "<m1@pyme.cl>"
    second.set_content("¿Alguna novedad?")
    box.add(first)
    box.add(second)
    box.close()

    result = run("-c", cfg, "simulate", tmp_path / "archive.mbox", "--start", "2026-03-02T10:00", "--spacing", "15m",
                 "--until", "3h")

    assert result.returncode == 0, result.stderr
    lines = timeline(result.stdout)
    assert lines[0].startswith("Mon 2026-03-02 10:00 received archive.mbox#1 from ana@pyme.cl in soporte")
    assert lines[1].startswith("Mon 2026-03-02 10:00 created MA-000001 tier basic, severity critical, level 3")
    assert any(line.startswith("Mon 2026-03-02 10:15 appended MA-000001 archive.mbox#2 added to the thread")
               for line in lines)
    # Basic critical: 2 business hours, due 12:00; warning at 11:30; level 4 has nobody, and the timeline says so.
    assert "Mon 2026-03-02 11:30 WARNING MA-000001 first response due Mon 2026-03-02 12:00: warning to level 3 " \
           "→ gerente@menteautonoma.cl" in lines
    assert "Mon 2026-03-02 12:00 ESCALATION MA-000001 first response overdue since Mon 2026-03-02 12:00: " \
           "escalated to level 4; nobody mailed: [teams] level4 is empty" in lines


def test_unusable_inputs_and_options_are_named(tmp_path, servers):
    cfg = config(tmp_path, servers)
    good = eml(tmp_path, "ok.eml", "ana@pyme.cl", "soporte@menteautonoma.cl", "Hola", "Consulta", None, "ok@pyme.cl")
    picture = tmp_path / "captura.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    empty = tmp_path / "vacio.eml"
    empty.write_bytes(b"")

    missing = run("-c", cfg, "simulate", good, tmp_path / "no-such.eml")
    assert missing.returncode == 1 and f"cannot read {tmp_path / 'no-such.eml'}" in missing.stderr
    assert missing.stdout == ""
    png = run("-c", cfg, "simulate", picture)
    assert png.returncode == 1 and f"{picture}: not an email message" in png.stderr
    blank = run("-c", cfg, "simulate", empty)
    assert blank.returncode == 1 and f"{empty}: the file is empty" in blank.stderr
    until = run("-c", cfg, "simulate", good, "--until", "tomorrow")
    assert until.returncode == 2 and "--until: 'tomorrow' is not an ISO date" in until.stderr
    box = run("-c", cfg, "simulate", good, "--mailbox", "ventas")
    assert box.returncode == 2 and "--mailbox 'ventas' is not a mailbox" in box.stderr and "soporte" in box.stderr
    bad_csv = tmp_path / "c.csv"
    bad_csv.write_text("email,tier\nana@pyme.cl,gold\n", encoding="utf-8")
    csv_result = run("-c", cfg, "simulate", good, "--customers", bad_csv)
    assert csv_result.returncode == 1 and f"{bad_csv}: line 2" in csv_result.stderr

    broken = tmp_path / "broken.toml"
    broken.write_text(cfg.read_text(encoding="utf-8") + "\n[escalation]\nwarn_share = 2\n", encoding="utf-8")
    config_error = run("-c", broken, "simulate", good)
    assert config_error.returncode == 78 and "escalation.warn_share" in config_error.stderr


@pytest.mark.parametrize("until", ["2026-03-02T09:00", "2026-03-02T12:00-03:00"])
def test_until_as_an_instant_and_a_message_without_date_at_start(tmp_path, servers, capsys, until):
    cfg = config(tmp_path, servers)
    mail = eml(tmp_path, "nodate.eml", "ana@pyme.cl", "soporte@menteautonoma.cl", "Sistema caído",
               "El sistema de facturación está caído, nadie puede emitir boletas. Urgente.", None, "nd@pyme.cl")
    code = main(["-c", str(cfg), "simulate", str(mail), "--start", "2026-03-02T10:00", "--until", until])
    out, err = capsys.readouterr()
    if until.endswith("T09:00"):  # before the message
        assert code == 2 and "is before the last message (Mon 2026-03-02 10:00" in err
        return
    assert code == 0, err
    assert "from Mon 2026-03-02 10:00 until Mon 2026-03-02 12:00" in out
    lines = timeline(out)
    assert [line.split(" ")[:5] for line in lines if " WARNING " in line or " ESCALATION " in line] == [
        ["Mon", "2026-03-02", "11:30", "WARNING", "MA-000001"], ["Mon", "2026-03-02", "12:00", "ESCALATION", "MA-000001"]]
