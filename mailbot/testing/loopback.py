"""A mailbot config for servers on loopback, shared by `mailbot demo`, the tests and the benchmarks."""

from __future__ import annotations

import os
from pathlib import Path

from mailbot.testing.mailservers import MailServers

DOMAIN = "menteautonoma.cl"
SECRET_ENV = "MAILBOT_LOOPBACK_SECRET"


def loopback_config_text(folder: Path, servers: MailServers, database_url: str = "", *, poll_seconds: float = 2.0,
                         extra: str = "") -> str:
    """Config for the soporte@ and emergencias@ mailboxes of ``servers``; sets their passwords in the environment."""
    passwords = {m.login: m.password for m in servers.mailboxes}
    os.environ.setdefault(SECRET_ENV, "loopback-secret-not-for-production")
    os.environ["MAILBOT_LOOPBACK_SOPORTE_PASSWORD"] = passwords["soporte"]
    os.environ["MAILBOT_LOOPBACK_EMERGENCIAS_PASSWORD"] = passwords["emergencias"]
    database_url = database_url or f"sqlite:///{folder / 'mailbot.db'}"
    # The starter articles of a source checkout (config/kb), when there is one.
    kb = Path(__file__).resolve().parents[2] / "config" / "kb"
    kb_line = f'kb_dir = "{kb}"\n' if kb.is_dir() else ""
    mailbox = """
[[mailboxes]]
name = "{name}"
address = "{name}@{domain}"
kind = "{kind}"
host = "127.0.0.1"
port = {port}
security = "plain"
username = "{name}"
password_env = "MAILBOT_LOOPBACK_{upper}_PASSWORD"
poll_interval_seconds = {poll}
timeout_seconds = 30
"""
    boxes = "".join(mailbox.format(name=n, kind=k, upper=n.upper(), domain=DOMAIN, port=servers.imap_port, poll=poll_seconds)
                    for n, k in (("soporte", "support"), ("emergencias", "emergency")))
    return f"""# Loopback servers: plain IMAP/SMTP is allowed on 127.0.0.1 only.
[instance]
name = "mailbot-loopback"
domain = "{DOMAIN}"
data_dir = "{folder / 'data'}"
secret_env = "{SECRET_ENV}"
{kb_line}
[database]
url = "{database_url}"
{boxes}
[smtp]
host = "127.0.0.1"
port = {servers.smtp_port}
security = "plain"
timeout_seconds = 30
backoff_base_seconds = 1

[teams]
level1 = ["agente@{DOMAIN}"]
level2 = ["agente@{DOMAIN}"]
level3 = ["agente@{DOMAIN}"]
{extra}
"""
