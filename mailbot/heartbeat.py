"""One ``heartbeats`` row a minute per instance: what was working, for the availability metric.

``mailboxes_ok``: every mailbox is connected here, or read recently by the instance
holding its lease; ``pipeline_ok``: the pipeline loop is alive; ``outbox_ok``: the sender
loop is alive, nothing has been queued longer than ``[alerts] outbox_age_minutes`` and
the SMTP relay answered its last attempt. ``detail`` says what was wrong.
"""

from __future__ import annotations

import logging
from typing import Any

from mailbot.health import SystemState
from mailbot.models import Heartbeat

log = logging.getLogger("mailbot.heartbeat")


def heartbeat_row(state: SystemState, settings: Any, instance: str, pipeline_name: str, outbox_name: str) -> Heartbeat:
    window = max(settings.http.ready_max_fetch_age_seconds, 60.0)
    problems = []
    down = [m.name for m in state.mailboxes if not m.ok(state.at, window)]
    if down:
        problems.append("mailboxes not connected: " + ", ".join(down))
    pipeline_ok = state.loops.get(pipeline_name, False)
    if not pipeline_ok:
        problems.append("pipeline loop not running")
    outbox_problems = []
    if not state.loops.get(outbox_name, False):
        outbox_problems.append("outbox loop not running")
    if state.outbox_oldest_seconds() > settings.alerts.outbox_age_minutes * 60:
        outbox_problems.append(f"oldest queued mail {int(state.outbox_oldest_seconds())} s old")
    if state.relay.down_since is not None:
        outbox_problems.append(f"SMTP relay down: {state.relay.last_error}")
    problems += outbox_problems
    if not state.database_ok:
        problems.append(f"database: {state.database_error}")
    return Heartbeat(at=state.at, instance=instance, mailboxes_ok=not down, pipeline_ok=pipeline_ok,
                     outbox_ok=not outbox_problems, detail="; ".join(problems)[:2000])


def write_heartbeat(app: Any, state: SystemState, pipeline_name: str = "pipeline", outbox_name: str = "outbox") -> Heartbeat:
    row = heartbeat_row(state, app.settings, app.instance_id, pipeline_name, outbox_name)
    with app.sessions.begin() as s:
        s.add(row)
    if row.detail:
        log.warning("heartbeat: %s", row.detail)
    else:
        log.debug("heartbeat: all ok")
    return row
