"""The ``mailbot`` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from pathlib import Path

from sqlalchemy import select

from mailbot.config import DEFAULT_CONFIG_PATH, ConfigError, Settings, load_settings, missing_secrets

EXIT_CONFIG = 78  # EX_CONFIG from sysexits.h: systemd and shells know it means "fix the config"


def setup_logging(level: str = "INFO") -> None:
    # stderr, no timestamps when journald adds its own.
    fmt = "%(levelname)s %(name)s: %(message)s" if os.environ.get("JOURNAL_STREAM") else \
        "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=getattr(logging, level, logging.INFO), format=fmt, stream=sys.stderr, force=True)


def _config_path(args: argparse.Namespace) -> Path:
    return Path(args.config or os.environ.get("MAILBOT_CONFIG") or DEFAULT_CONFIG_PATH)


def _load(args: argparse.Namespace) -> Settings:
    try:
        return load_settings(_config_path(args))
    except ConfigError as exc:
        print(f"mailbot: configuration errors in {exc.path}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = _load(args)
    problems = missing_secrets(settings)
    if problems:
        print(f"mailbot: {settings.path} parses, but:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"{settings.path}: OK — {len(settings.mailboxes)} mailbox(es) "
          f"({', '.join(m.address for m in settings.mailboxes)}), SMTP {settings.smtp.host}:{settings.smtp.port}, "
          f"database {settings.database_url.split('://')[0]}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from mailbot.db import migrate

    settings = _load(args)
    revision = migrate(settings.database_url)
    print(f"database schema is at revision {revision}")
    return 0


def _app(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from mailbot.app import build_app
    from mailbot.db import SchemaOutOfDate, require_current_schema

    settings = _load(args)
    try:
        app = build_app(settings)
    except ConfigError as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    try:
        require_current_schema(app.engine)
    except SchemaOutOfDate as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    return app


def cmd_run(args: argparse.Namespace) -> int:
    from mailbot.daemon import run_daemon

    settings = _load(args)
    setup_logging(settings.log_level)
    return run_daemon(_app(args))


def cmd_tickets(args: argparse.Namespace) -> int:
    from mailbot.views import list_tickets

    print(list_tickets(_app(args), status=args.status, limit=args.limit))
    return 0


def _print_ticket_view(args: argparse.Namespace, view) -> int:  # type: ignore[no-untyped-def]
    from mailbot.views import TicketNotFound

    try:
        print(view(_app(args), args.ticket))
    except TicketNotFound as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from mailbot.views import show_ticket

    return _print_ticket_view(args, show_ticket)


def cmd_sla(args: argparse.Namespace) -> int:
    from mailbot.escalation import sla_report

    return _print_ticket_view(args, sla_report)


def cmd_simulate(args: argparse.Namespace) -> int:
    from mailbot.simulate import run_cli

    return run_cli(_load(args), args.files, until=args.until, start=args.start, spacing=args.spacing,
                   mailbox_name=args.mailbox, tier=args.tier, customers=args.customers, output=args.format)


def cmd_quarantine(args: argparse.Namespace) -> int:
    from mailbot.views import list_quarantine

    print(list_quarantine(_app(args), show_all=args.all))
    return 0


def cmd_requeue(args: argparse.Namespace) -> int:
    from mailbot.models import InboundMail, Quarantine

    app = _app(args)
    now = app.clock()
    with app.sessions.begin() as s:
        q = s.get(Quarantine, args.id)
        if q is None:
            print(f"mailbot: no quarantine entry {args.id}", file=sys.stderr)
            return 1
        row = s.get(InboundMail, q.inbound_id)
        row.state, row.attempts, row.claimed_until, row.outcome = "pending", 0, None, f"requeued from quarantine {q.id}"
        q.released_at = now
        for other in s.scalars(select(Quarantine).where(Quarantine.inbound_id == row.id, Quarantine.released_at.is_(None))):
            other.released_at = now
    print(f"quarantine {args.id}: message {q.inbound_id} requeued; a running daemon picks it up within seconds")
    return 0


def cmd_customers_import(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import IntegrityError

    from mailbot.customers import CsvFormatError, decode_csv_bytes, import_customers, parse_customers_csv

    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
        text = decode_csv_bytes(data)
    except OSError as exc:
        print(f"mailbot: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except CsvFormatError as exc:
        print(f"mailbot: {args.file}: {exc}; nothing imported", file=sys.stderr)
        return 1
    rows, errors = parse_customers_csv(text)
    if errors:
        for error in errors:
            print(error, file=sys.stderr)
        print(f"mailbot: {args.file}: {len(errors)} problem(s); nothing imported", file=sys.stderr)
        return 1
    app = _app(args)
    try:
        with app.sessions.begin() as s:
            report = import_customers(s, rows, app.clock())
    except IntegrityError as exc:
        print(f"mailbot: {args.file}: the database refused the import, nothing imported "
              f"(another process changed the same customers? try again): {exc.orig}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def cmd_customers_list(args: argparse.Namespace) -> int:
    from mailbot.customers import format_table, query_customers

    with _app(args).sessions() as s:
        print(format_table(query_customers(s, args.tier), args.tier))
    return 0


def cmd_customers_export(args: argparse.Namespace) -> int:
    from mailbot.customers import export_csv, query_customers

    with _app(args).sessions() as s:
        text = export_csv(query_customers(s))
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"exported {text.count(chr(10)) - 1} customer(s) to {args.file}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import date

    from mailbot.reports import build_report, render_report

    day = None
    if args.date:
        try:
            day = date.fromisoformat(args.date)
        except ValueError:
            print(f"mailbot: --date {args.date!r} is not a date like 2026-03-02", file=sys.stderr)
            return 2
    app = _app(args)
    text = render_report(app, build_report(app, args.kind, day), args.format, args.language)
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{args.kind} report written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from mailbot.backup import BackupError, backup_sqlite, pg_instructions, sqlite_path

    settings = _load(args)
    try:
        if sqlite_path(settings.database_url) is None:
            print(pg_instructions(settings.database_url))
            print("mailbot: no backup made (PostgreSQL: use pg_dump as above)", file=sys.stderr)
            return 1
        result = backup_sqlite(settings.database_url, Path(args.dest))
    except (BackupError, OSError, sqlite3.Error) as exc:
        print(f"mailbot: backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backup written to {result.path} ({result.size_bytes / 1e6:.1f} MB, {result.tickets} tickets, "
          f"{result.seconds:.1f} s; integrity check ok)")
    print(f"attachments are files in {settings.data_dir / 'attachments'}: copy them too, e.g. "
          f"rsync -a {settings.data_dir / 'attachments'}/ <backup folder>/attachments/")
    return 0


def cmd_kb_list(args: argparse.Namespace) -> int:
    from mailbot.kb_drafts import list_articles

    print(list_articles(_app(args)))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from mailbot.demo import run_demo

    return run_demo(folder=Path(args.dir) if args.dir else None, keep_running=args.keep_running, verbose=args.verbose)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailbot", description="Email-driven support ticketing daemon.")
    parser.add_argument("-c", "--config", help=f"config file (default: $MAILBOT_CONFIG or {DEFAULT_CONFIG_PATH})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo", help="run a self-contained demo with its own IMAP and SMTP servers")
    p.add_argument("--dir", help="keep the demo's database and mailboxes in this folder (default: a temporary one)")
    p.add_argument("--keep-running", action="store_true", help="leave the servers and daemon up for a mail client")
    p.add_argument("-v", "--verbose", action="store_true", help="also print the daemon's log")
    p.set_defaults(func=cmd_demo)

    sub.add_parser("check-config", help="validate the config file and find every password").set_defaults(func=cmd_check_config)
    sub.add_parser("migrate", help="create or upgrade the database schema (Alembic)").set_defaults(func=cmd_migrate)
    sub.add_parser("run", help="run the daemon until SIGTERM").set_defaults(func=cmd_run)

    p = sub.add_parser("tickets", help="list tickets")
    p.add_argument("--status", choices=["open", "waiting", "resolved", "closed", "all"], default="all")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_tickets)

    p = sub.add_parser("show", help="show one ticket's thread, e.g. mailbot show MA-000123")
    p.add_argument("ticket")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("sla", help="one ticket's SLA clocks, deadlines and escalations, e.g. mailbot sla MA-000123")
    p.add_argument("ticket")
    p.set_defaults(func=cmd_sla)

    p = sub.add_parser(
        "simulate", help="replay mails through the pipeline on a virtual clock and print the acks, warnings, "
                         "escalations and pages that would happen (sends nothing)",
        description="Replay .eml or mbox files through the real pipeline with this config's SLA, escalation and "
                    "teams settings, on a throw-away database and a virtual clock; print the timeline in Chile "
                    "time. Nothing is sent and the configured database is not opened.")
    p.add_argument("files", nargs="+", metavar="FILE", help=".eml files and/or mbox files")
    p.add_argument("--until", default="3d", help="how long after the last message to keep the clock running "
                   "(3d, 12h, 90m, 1d12h) or an ISO instant (default 3d)")
    p.add_argument("--start", help="ISO instant (Chile time unless an offset is given) for messages without a "
                   "Date header, or of the first message with --spacing")
    p.add_argument("--spacing", help="ignore Date headers: one message every SPAN (e.g. 10m) from --start")
    p.add_argument("--mailbox", help="the configured mailbox every message arrives in (default: the one it is "
                   "addressed to, else the first support mailbox)")
    p.add_argument("--tier", choices=["basic", "premium"], help="tier of senders not in the customer directory")
    p.add_argument("--customers", metavar="FILE.csv", help="preload the customer directory (mailbot customers "
                   "import format)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("report", help="print the daily, weekly or monthly report (what the scheduler mails)")
    p.add_argument("kind", choices=["daily", "weekly", "monthly"])
    p.add_argument("--date", help="a day inside the period (YYYY-MM-DD, Chile time); default: the last complete period")
    p.add_argument("--format", choices=["text", "html", "csv", "json"], default="text")
    p.add_argument("--language", choices=["es", "en"], help="default: [reports] language")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("quarantine", help="messages that could not be processed")
    qsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = qsub.add_parser("list", help="list quarantined messages")
    q.add_argument("--all", action="store_true", help="include requeued entries")
    q.set_defaults(func=cmd_quarantine)

    p = sub.add_parser("requeue", help="process a quarantined message again (after fixing the cause)")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_requeue)

    p = sub.add_parser("backup", help="copy the SQLite database consistently while the daemon runs (PostgreSQL: how to pg_dump)")
    p.add_argument("dest", metavar="DEST", help="a new file, or a folder for mailbot-<UTC time>.db")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("kb", help="the knowledge base: published articles and #kb drafts")
    ksub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ksub.add_parser("list", help="list articles and drafts").set_defaults(func=cmd_kb_list)

    p = sub.add_parser("customers", help="the customer directory: import/export CSV, list")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = csub.add_parser(
        "import", help="add or update customers from a CSV file (all or nothing)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Add or update customers from a CSV file: a header row, then one customer per line.\n"
                    "Columns: email (required), name, organisation, tier (basic|premium, default basic),\n"
                    "language (es|en|empty). UTF-8 (a BOM is fine), comma or semicolon separated.\n"
                    "email is an address, or @empresa.cl for every address of that domain.\n\n"
                    "Every line is checked first: if any is wrong, each one is reported as\n"
                    "'line N: reason', nothing changes and the exit code is 1. Otherwise all\n"
                    "lines are applied in one transaction. Importing the same file again changes\n"
                    "nothing. Existing customers not in the file are left alone (never deleted);\n"
                    "a column missing from the header leaves that field as it is.")
    c.add_argument("file", metavar="FILE.csv", help="the CSV file ('-' for standard input)")
    c.set_defaults(func=cmd_customers_import)
    c = csub.add_parser("list", help="list customers as a table")
    c.add_argument("--tier", choices=["basic", "premium"], help="only this tier")
    c.set_defaults(func=cmd_customers_list)
    c = csub.add_parser("export", help="write every customer as CSV in the import format")
    c.add_argument("file", nargs="?", default="-", metavar="FILE", help="output file (default '-': standard output)")
    c.set_defaults(func=cmd_customers_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command not in ("run", "demo"):
        setup_logging("WARNING")
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
