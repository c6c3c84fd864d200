"""The handful of long-lived objects every loop needs, passed in explicitly."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailbot.business_calendar import BusinessCalendar
from mailbot.config import ConfigError, Settings
from mailbot.kb import KbError, KnowledgeBase
from mailbot.db import make_engine, make_sessionmaker, utcnow
from mailbot.render import TemplateRenderer


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    renderer: TemplateRenderer
    secret: bytes
    instance_id: str
    clock: Callable[[], datetime] = field(default=utcnow)
    # Monday-Friday 09:00-18:00 America/Santiago, Chilean holidays: the business clock of the SLA table.
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    kb: KnowledgeBase | None = None
    # Secrets of before a rotation: tokens they signed are still accepted, new ones use ``secret``.
    previous_secrets: tuple[bytes, ...] = ()

    @property
    def secrets(self) -> tuple[bytes, ...]:
        return (self.secret, *self.previous_secrets)

    @property
    def loop_marker(self) -> str:
        # Stamped on every mail we send; seeing it on inbound mail means a loop.
        return f"{self.settings.instance_name}@{self.settings.domain}"

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


def build_app(settings: Settings, clock: Callable[[], datetime] = utcnow) -> App:
    kb = None
    if settings.kb_dir is not None:
        try:
            kb = KnowledgeBase.from_folder(settings.kb_dir)
        except KbError as exc:
            raise ConfigError(settings.path, [f"instance.kb_dir: {exc}"]) from exc
    engine = make_engine(settings.database_url)
    return App(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        renderer=TemplateRenderer(settings.template_dir),
        secret=settings.resolved_secret(),
        instance_id=f"{socket.gethostname()}:{os.getpid()}",
        clock=clock,
        kb=kb,
        previous_secrets=tuple(p.encode() for p in (settings.agents.previous_secret.resolve(),) if p),
    )
