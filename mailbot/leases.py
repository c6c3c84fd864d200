"""Renewable lease rows: one instance at a time owns a mailbox (or another singleton).

A lease is taken or renewed in one short transaction; an instance that dies simply
stops renewing and another takes over once the lease expires.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.app import App
from mailbot.db import as_utc
from mailbot.models import Lease


def hold_lease(app: App, name: str, seconds: float) -> bool:
    """Take or renew lease ``name``; False while another live instance holds it."""
    now = app.clock()
    try:
        with app.sessions.begin() as s:
            query = select(Lease).where(Lease.name == name)
            if not app.is_sqlite:
                query = query.with_for_update()
            lease = s.scalars(query).first()
            if lease is None:
                s.add(Lease(name=name, holder=app.instance_id, expires_at=now + timedelta(seconds=seconds)))
                return True
            if lease.holder != app.instance_id and as_utc(lease.expires_at) > now:
                return False
            lease.holder = app.instance_id
            lease.expires_at = now + timedelta(seconds=seconds)
            return True
    except IntegrityError:
        return False


def release_lease(app: App, name: str) -> None:
    with app.sessions.begin() as s:
        lease = s.get(Lease, name)
        if lease is not None and lease.holder == app.instance_id:
            s.delete(lease)
