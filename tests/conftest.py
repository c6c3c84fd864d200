"""Shared fixtures: real servers on loopback, a fresh database per test.

Storage and end-to-end tests take the ``database_url`` fixture, which runs them
twice: on SQLite, and on PostgreSQL when MAILBOT_TEST_POSTGRES_URL is set (a fresh
database is created for each test and dropped after). On CI the PostgreSQL run must
not skip: an unreachable server there is a failure, not a skip.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mailbot.app import App, build_app
from mailbot.config import load_settings
from mailbot.daemon import Daemon
from mailbot.db import migrate
from mailbot.testing.loopback import loopback_config_text
from mailbot.testing.mailservers import MailServers, default_demo_mailboxes

PG_ENV = "MAILBOT_TEST_POSTGRES_URL"


def _postgres_database() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL run skipped: set {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    admin = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"mailbot_test_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is set on CI but PostgreSQL did not answer: {exc}")
        pytest.skip(f"PostgreSQL at {base} did not answer: {exc}")
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mailbot.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[MailServers]:
    with MailServers(tmp_path / "mail", default_demo_mailboxes()) as s:
        yield s


def write_config(tmp_path: Path, servers: MailServers, database_url: str, extra: str = "", poll_seconds: float = 2.0) -> Path:
    path = tmp_path / "mailbot.toml"
    path.write_text(loopback_config_text(tmp_path, servers, database_url, poll_seconds=poll_seconds, extra=extra), encoding="utf-8")
    return path


@pytest.fixture
def config_path(tmp_path: Path, servers: MailServers, database_url: str) -> Path:
    path = write_config(tmp_path, servers, database_url)
    migrate(load_settings(path).database_url)
    return path


@pytest.fixture
def app(config_path: Path) -> Iterator[App]:
    application = build_app(load_settings(config_path))
    yield application
    application.engine.dispose()


@pytest.fixture
def daemon(app: App) -> Iterator[Daemon]:
    d = Daemon(app)
    d.start()
    yield d
    d.shutdown()
