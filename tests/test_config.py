"""`mailbot check-config` as a sysadmin meets it: run the real command, read its output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mailbot.config import ConfigError, load_settings

EXAMPLE = Path(__file__).parent.parent / "config" / "mailbot.example.toml"


def check_config(path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(path), "check-config"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})})


def test_example_config_parses_and_names_missing_passwords(tmp_path):
    settings = load_settings(EXAMPLE)
    assert [m.name for m in settings.mailboxes] == ["soporte", "emergencias"]
    result = check_config(EXAMPLE, {"MAILBOT_SECRET": "", "MAILBOT_SOPORTE_PASSWORD": ""})
    assert result.returncode == 78
    assert "MAILBOT_SOPORTE_PASSWORD" in result.stderr and "$CREDENTIALS_DIRECTORY/imap-soporte" in result.stderr


def test_example_config_passes_with_passwords_from_credentials_directory(tmp_path):
    creds = tmp_path / "creds"
    creds.mkdir()
    for name in ("mailbot-secret", "imap-soporte", "imap-emergencias", "smtp"):
        (creds / name).write_text("s3cret\n")
    result = check_config(EXAMPLE, {"CREDENTIALS_DIRECTORY": str(creds)})
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "soporte@menteautonoma.cl" in result.stdout


@pytest.mark.parametrize("old,new,expected", [
    ("port = 993                           # default", "port = \"nine\"                       # default",
     "mailboxes[0].port (line 38): expected an integer, got str 'nine'"),
    ('security = "tls"                     # "tls" (implicit), "starttls", or "plain" (loopback only)', 'security = "ssl"',
     "mailboxes[0].security (line 39): must be one of tls, starttls, plain; got 'ssl'"),
    ("max_mime_parts = 1000", "max_mime_parts = -5", "limits.max_mime_parts (line 78): must be greater than 0"),
    ("first_response_minutes = 30", "first_reponse_minutes = 30", "sla"),
    ('address = "soporte@menteautonoma.cl" # required; the address customers write to', 'adress = "soporte@menteautonoma.cl"',
     "mailboxes[0].adress (line 35): unknown key"),
    ('host = "imap.menteautonoma.cl"       # required', 'host = "imap.menteautonoma.cl"\nsecurity_level = 3',
     "mailboxes[0].security_level (line 38): unknown key"),
])
def test_broken_config_names_key_and_line(tmp_path, old, new, expected):
    text = EXAMPLE.read_text()
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1))
    result = check_config(path)
    if expected == "sla":
        # An unknown key under [sla.*] is not silently ignored either.
        assert result.returncode == 78 and "first_reponse_minutes" in result.stderr
        return
    assert result.returncode == 78, result.stdout
    assert expected in result.stderr, result.stderr


def test_invalid_toml_reports_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[instance]\nname = "x"\ndomain = menteautonoma.cl\n')
    result = check_config(path)
    assert result.returncode == 78
    assert "line 3" in result.stderr


def test_plain_imap_to_a_remote_host_is_refused():
    text = EXAMPLE.read_text().replace('security = "tls"                     # "tls" (implicit), "starttls", or "plain" (loopback only)',
                                       'security = "plain"', 1)
    with pytest.raises(ConfigError) as err:
        from mailbot.config import parse_settings
        parse_settings(text)
    assert any("only allowed on loopback" in p for p in err.value.problems)


def test_bad_severity_rule_names_rule_field_and_line(tmp_path):
    rules = (Path(__file__).parent.parent / "config" / "severity-rules.example.toml").read_text()
    path = tmp_path / "rules.toml"
    path.write_text(EXAMPLE.read_text() + "\n" + rules.replace('\nseverity = "critical"', '\nseverity = "urgent"', 1))
    result = check_config(path)
    assert result.returncode == 78
    assert "classify.rules[0].severity (line" in result.stderr and "urgent" in result.stderr


def test_severity_rules_from_the_example_file_load():
    from mailbot.classify import DEFAULT_SEVERITY_RULES
    from mailbot.config import parse_settings

    rules = (Path(__file__).parent.parent / "config" / "severity-rules.example.toml").read_text()
    settings = parse_settings(EXAMPLE.read_text() + "\n" + rules)
    assert settings.severity_rules == DEFAULT_SEVERITY_RULES
