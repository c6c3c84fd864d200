"""Where transaction 2 spends its time, without IMAP in the way.

    python -m benchmarks.profile_pipeline [--messages 300] [--profile out.prof]

Records N of the ingest benchmark's synthetic messages straight into a fresh SQLite
database (transaction 1, as the watcher would), then drains them with the pipeline
worker's own call under cProfile and prints the slowest functions, plus the time
per message of each stage (parse, render, compose) measured separately.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import tempfile
import time
from pathlib import Path

from benchmarks.ingest import synthetic_message
from mailbot.app import build_app
from mailbot.config import load_settings
from mailbot.db import migrate, utcnow
from mailbot import ingest
from mailbot.ingest import Fetched, record_batch
from mailbot.parsers import extract_new_text, parse_message
from mailbot.testing.loopback import loopback_config_text


class _NoServers:
    """loopback_config_text only needs ports and passwords."""

    imap_port = 1
    smtp_port = 2

    class _Box:
        def __init__(self, login: str) -> None:
            self.login, self.password = login, "x"

    mailboxes = [_Box("soporte"), _Box("emergencias")]


STAGES = ("parse_message", "check_limits", "automation_reasons", "extract_new_text", "resolve_thread", "_thread_facts",
          "_customer", "_acks_sent", "decide", "_create_ticket", "_append_to_ticket", "_store_message",
          "_add_participants", "_enqueue_ack", "enqueue_mail", "missing_information")


def _instrument(app) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """Wall time per stage: wraps the names ingest.py calls (harness only, nothing is changed for real)."""
    spent: dict[str, list[float]] = {}

    def wrap(owner, name: str, label: str) -> None:  # type: ignore[no-untyped-def]
        inner = getattr(owner, name)

        def timed(*a, **k):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return inner(*a, **k)
            finally:
                spent.setdefault(label, []).append(time.perf_counter() - t0)

        setattr(owner, name, timed)

    for name in STAGES:
        if hasattr(ingest, name):
            wrap(ingest, name, name)
    from mailbot import outgoing
    wrap(outgoing, "build_mail", "build_mail (in enqueue_mail)")
    wrap(app.renderer, "render", "render (in _enqueue_ack)")
    if app.kb is not None:
        wrap(app.kb, "suggest", "kb.suggest (in _enqueue_ack)")
    from sqlalchemy import event

    @event.listens_for(app.engine, "commit")
    def _commit_start(conn):  # type: ignore[no-untyped-def]
        conn.info["t_commit"] = time.perf_counter()

    return spent


def _drain(app, one_by_one: bool) -> int:  # type: ignore[no-untyped-def]
    step = None if one_by_one else ingest.process_batch
    done = 0
    while True:
        if step is not None:
            outcomes = step(app)
            if not outcomes:
                return done
            done += len(outcomes)
        else:
            if ingest.process_next(app) is None:
                return done
            done += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--profile", default="")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--one-by-one", action="store_true", help="process_next() per message instead of process_batch()")
    parser.add_argument("--no-profile", action="store_true", help="time the pipeline without cProfile's overhead")
    parser.add_argument("--database-url", default=os.environ.get("MAILBOT_BENCH_DATABASE_URL", ""))
    args = parser.parse_args()
    rng = random.Random(42)
    raws = [synthetic_message(i, rng) for i in range(args.messages)]
    with tempfile.TemporaryDirectory(prefix="mailbot-prof-") as tmp:
        folder = Path(tmp)
        config = folder / "mailbot.toml"
        text = loopback_config_text(folder, _NoServers(), args.database_url)  # type: ignore[arg-type]
        config.write_text(text + "\n[acks]\nrate_limit_per_sender_per_hour = 0\n", encoding="utf-8")
        settings = load_settings(config)
        migrate(settings.database_url)
        app = build_app(settings)

        t0 = time.perf_counter()
        for i in range(0, len(raws), 50):
            record_batch(app, "soporte", 1, [Fetched(i + j + 1, raw, utcnow()) for j, raw in enumerate(raws[i:i + 50])])
        recorded = time.perf_counter() - t0

        t0 = time.perf_counter()
        parsed = [parse_message(raw) for raw in raws]
        parse_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for m in parsed:
            extract_new_text(m.text, m.html)
        reply_s = time.perf_counter() - t0

        spent = _instrument(app) if args.no_profile else {}
        profiler = cProfile.Profile()
        t0 = time.perf_counter()
        if not args.no_profile:
            profiler.enable()
        done = _drain(app, args.one_by_one)
        profiler.disable()
        pipeline = time.perf_counter() - t0
        app.engine.dispose()
    n = len(raws)
    print(f"messages {n}, processed {done}")
    print(f"record (txn 1, batches of 50): {recorded / n * 1000:.2f} ms/message")
    print(f"parse_message alone:           {parse_s / n * 1000:.2f} ms/message")
    print(f"extract_new_text alone:        {reply_s / n * 1000:.2f} ms/message")
    print(f"pipeline (txn 2):              {pipeline / n * 1000:.2f} ms/message = {n / pipeline:.1f} msg/s")
    if args.no_profile:
        for label, values in sorted(spent.items(), key=lambda kv: -sum(kv[1])):
            print(f"  {label:<34} {sum(values) / n * 1000:7.2f} ms/message ({len(values)} calls)")
        return
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(args.top)
    stats.sort_stats("tottime").print_stats(20)
    if args.profile:
        stats.dump_stats(args.profile)


if __name__ == "__main__":
    main()
