"""Escalation-scan benchmark: does the every-minute sweep stay cheap as closed tickets pile up?

    python -m benchmarks.escalation_scan [--sizes 10000,100000,1000000] [--repeat 20]
                                         [--json benchmarks/results/escalation_scan.json]

For each size N, a fresh SQLite database (the real schema, migrated with Alembic, WAL and
``synchronous=FULL`` as in production) gets N tickets by SQLAlchemy Core ``executemany``:
95% closed (``next_due_at`` NULL, as the ORM listeners leave a closed ticket) and 5% open,
with ``next_due_at`` spread over the next three days. Then, with the real
:func:`mailbot.escalation.run_escalations` on an ``App`` whose clock is fixed:

* **nothing due**: a sweep at an instant before every open ticket's ``next_due_at``;
* **100 due**: 100 open tickets are made overdue (basic critical, received 4 business
  hours ago), and one sweep escalates each of them: 100 ticket transactions, 100
  rendered escalation mails in the outbox. Between repetitions those 100 tickets are
  reset with Core updates (their escalation and outbox rows deleted);
* the due query alone (``next_due_at <= now ORDER BY next_due_at, id``) while 100 tickets
  are due, its ``EXPLAIN QUERY PLAN``, and the same query with ``NOT INDEXED`` for contrast.

Times are wall-clock medians over ``--repeat`` runs (the 100-due sweep: a fifth as many).
The target (issue 4): a sweep does not grow with the number of closed tickets; under
50 ms at 10^6.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update

from mailbot.app import App, build_app
from mailbot.config import parse_settings
from mailbot.db import migrate
from mailbot.escalation import run_escalations
from mailbot.models import CHECK_NOW, Customer, EscalationFired, Outbox, Ticket

CHILE = ZoneInfo("America/Santiago")
# Monday 2 March 2026, 14:00 in Santiago: an ordinary working day.
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=CHILE).astimezone(timezone.utc)
OPEN_SHARE = 0.05
DUE = 100
CHUNK = 50_000
CUSTOMERS = 1000
TARGET_MS = 50.0


def config_text(folder: Path) -> str:
    (folder / "secret").write_text("benchmark-secret", encoding="utf-8")
    return f"""
[instance]
domain = "menteautonoma.cl"
data_dir = "{folder / 'data'}"
secret_file = "{folder / 'secret'}"
secret_env = ""
secret_credential = ""

[database]
url = "sqlite:///{folder / 'bench.db'}"

[[mailboxes]]
name = "soporte"
address = "soporte@menteautonoma.cl"
host = "127.0.0.1"
security = "plain"

[teams]
level1 = ["nivel1@menteautonoma.cl"]
level2 = ["supervisor@menteautonoma.cl"]
level3 = ["gerente@menteautonoma.cl"]
level4 = ["director@menteautonoma.cl"]
"""


def load(app: App, n: int, rng: random.Random) -> tuple[float, list[int]]:
    """Insert ``n`` tickets (5% open) with Core executemany; return seconds taken and the open ids."""
    started = time.perf_counter()
    with app.engine.begin() as conn:
        conn.execute(insert(Customer.__table__), [
            {"id": i, "email": f"cliente{i}@empresa{i % 50}.cl", "name": f"Cliente {i}", "organisation": "",
             "tier": "basic", "language": "es", "timezone": "", "created_at": NOW - timedelta(days=400)}
            for i in range(1, CUSTOMERS + 1)])
    open_ids: list[int] = []
    every = round(1 / OPEN_SHARE)
    for first in range(1, n + 1, CHUNK):
        rows = []
        for i in range(first, min(first + CHUNK, n + 1)):
            is_open = i % every == 0
            created = NOW - timedelta(minutes=rng.randint(1, 60 * 24 * 365)) if not is_open else NOW - timedelta(minutes=5)
            rows.append({
                "id": i, "subject": f"Consulta {i}", "status": "open" if is_open else "closed",
                "severity": "general", "severity_reasons": "", "tier": "basic", "language": "es",
                "level": 1, "assigned_level": 1, "mailbox": "soporte", "requester_id": 1 + i % CUSTOMERS,
                "created_at": created, "updated_at": created,
                "first_response_due_at": created + timedelta(days=1), "resolution_due_at": None,
                "first_responded_at": None if is_open else created + timedelta(hours=2),
                "resolved_at": None if is_open else created + timedelta(days=1),
                "closed_at": None if is_open else created + timedelta(days=2),
                # Open: looked at again some time in the next three days; closed: out of the index's range.
                "next_due_at": NOW + timedelta(minutes=rng.randint(1, 3 * 24 * 60)) if is_open else None,
                "merged_into_id": None,
            })
            if is_open:
                open_ids.append(i)
        with app.engine.begin() as conn:
            conn.execute(insert(Ticket.__table__), rows)
    return time.perf_counter() - started, open_ids


def make_due(app: App, ids: list[int]) -> None:
    """These tickets become basic critical ones received at 10:00: 2 business hours, breached at 12:00."""
    received = datetime(2026, 3, 2, 10, 0, tzinfo=CHILE).astimezone(timezone.utc)
    with app.engine.begin() as conn:
        conn.execute(delete(Outbox.__table__).where(Outbox.ticket_id.in_(ids)))
        conn.execute(delete(EscalationFired.__table__).where(EscalationFired.ticket_id.in_(ids)))
        conn.execute(update(Ticket.__table__).where(Ticket.id.in_(ids)).values(
            severity="critical", level=3, assigned_level=3, created_at=received, updated_at=received,
            first_response_due_at=received + timedelta(hours=2), next_due_at=CHECK_NOW))


def median_ms(samples: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(samples) * 1000, 3), "min_ms": round(min(samples) * 1000, 3),
            "max_ms": round(max(samples) * 1000, 3), "runs": len(samples)}


def due_query_sql(conn, indexed: bool) -> tuple[str, tuple]:  # type: ignore[no-untyped-def]
    """The sweep's due query as the SQLite driver receives it (and a NOT INDEXED twin)."""
    stmt = select(Ticket.id).where(Ticket.next_due_at <= NOW).order_by(Ticket.next_due_at, Ticket.id)
    sql = str(stmt.compile(dialect=conn.dialect))
    # The one parameter, converted to the text SQLite stores by the column type itself.
    column_type = Ticket.__table__.c.next_due_at.type.dialect_impl(conn.dialect)
    value = column_type.bind_processor(conn.dialect)(NOW)
    if not indexed:
        sql = sql.replace("FROM tickets", "FROM tickets NOT INDEXED")
    return sql, (value,)


def time_query(app: App, indexed: bool, repeat: int, expected: int) -> tuple[dict[str, float], list[str]]:
    samples = []
    with app.engine.connect() as conn:
        sql, values = due_query_sql(conn, indexed)
        plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, values)]
        for _ in range(repeat):
            started = time.perf_counter()
            rows = conn.exec_driver_sql(sql, values).fetchall()
            samples.append(time.perf_counter() - started)
            # Same rows as SQLAlchemy finds: the hand-bound parameter is the stored format.
            assert len(rows) == expected, f"the due query found {len(rows)}, expected {expected}"
    return median_ms(samples), plan


def bench_size(n: int, repeat: int, seed: int) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="mailbot-escalation-bench-") as folder:
        settings = parse_settings(config_text(Path(folder)), "<benchmark>")
        migrate(settings.database_url)
        app = build_app(settings, clock=lambda: NOW)
        try:
            load_seconds, open_ids = load(app, n, rng)
            with app.sessions() as s:
                counts = dict(s.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
            print(f"  {n:>9,} tickets loaded in {load_seconds:.1f} s ({counts})", file=sys.stderr)

            run_escalations(app)  # warm the page cache and the template environment
            idle = []
            for _ in range(repeat):
                started = time.perf_counter()
                mails = run_escalations(app)
                idle.append(time.perf_counter() - started)
                assert mails == 0, f"the nothing-due sweep sent {mails}"

            due_ids = rng.sample(open_ids, DUE)
            busy, mails_per_sweep = [], []
            for _ in range(max(3, repeat // 5)):
                make_due(app, due_ids)
                started = time.perf_counter()
                mails = run_escalations(app)
                busy.append(time.perf_counter() - started)
                mails_per_sweep.append(mails)
            assert mails_per_sweep == [DUE] * len(busy), f"expected {DUE} escalations per sweep, got {mails_per_sweep}"

            make_due(app, due_ids)  # the query alone, while it has 100 tickets to find
            query, plan = time_query(app, True, repeat, DUE)
            full, full_plan = time_query(app, False, max(3, repeat // 5), DUE)
            db_bytes = sum(p.stat().st_size for p in Path(folder).glob("bench.db*"))
        finally:
            app.engine.dispose()
    result = {
        "tickets": n, "open": counts.get("open", 0), "closed": counts.get("closed", 0),
        "load_seconds": round(load_seconds, 2), "load_rows_per_second": round(n / load_seconds),
        "database_mb": round(db_bytes / 1e6, 1),
        "sweep_nothing_due": median_ms(idle),
        "sweep_100_due": {**median_ms(busy), "mails_per_sweep": DUE,
                          "per_ticket_ms": round(statistics.median(busy) * 1000 / DUE, 3)},
        "due_query": {**query, "plan": plan},
        "due_query_not_indexed": {**full, "plan": full_plan},
    }
    print(f"  {n:>9,}: nothing due {result['sweep_nothing_due']['median_ms']:.2f} ms, "
          f"100 due {result['sweep_100_due']['median_ms']:.1f} ms, due query {query['median_ms']:.3f} ms "
          f"(NOT INDEXED {full['median_ms']:.1f} ms); plan {plan}", file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--json", default="benchmarks/results/escalation_scan.json")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"escalation scan: sizes {sizes}, {args.repeat} runs each", file=sys.stderr)
    results = [bench_size(n, args.repeat, args.seed) for n in sizes]
    first, last = results[0], results[-1]
    growth = {
        "sizes": f"{first['tickets']} -> {last['tickets']}",
        "nothing_due_ratio": round(last["sweep_nothing_due"]["median_ms"] / first["sweep_nothing_due"]["median_ms"], 2),
        "100_due_ratio": round(last["sweep_100_due"]["median_ms"] / first["sweep_100_due"]["median_ms"], 2),
        "due_query_ratio": round(last["due_query"]["median_ms"] / first["due_query"]["median_ms"], 2),
    }
    largest = last["sweep_nothing_due"]["median_ms"]
    doc = {
        "benchmark": "escalation_scan",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                    "platform": platform.platform()},
        "settings": {"open_share": OPEN_SHARE, "due": DUE, "repeat": args.repeat, "now": NOW.isoformat(),
                     "sqlite": "WAL, synchronous=FULL (as in production)"},
        "target": f"the sweep does not grow with closed tickets; nothing-due sweep under {TARGET_MS:g} ms at the largest size",
        "target_met": largest < TARGET_MS and growth["nothing_due_ratio"] < 2,
        "growth": growth,
        "results": results,
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"growth": growth, "target_met": doc["target_met"]}), file=sys.stderr)
    print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
