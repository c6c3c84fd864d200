"""``mailbot simulate``: replay mail through the real pipeline on a virtual clock, sending nothing.

A sysadmin checks an SLA configuration before going live: which acks, warnings,
escalations and pages would the configured ``[sla.*]``, ``[escalation]`` and ``[teams]``
produce for these messages, and when?

How it stays honest and harmless:

* The real code runs: :func:`~mailbot.ingest.record_inbound` and
  :func:`~mailbot.ingest.process_next` for every message, and
  :func:`~mailbot.escalation.run_escalations` for the sweeps, with the user's config.
* Against a throw-away SQLite database (migrated with :func:`mailbot.db.migrate`) and data
  folder in a temporary directory that is deleted afterwards; the configured database
  is never opened.
* ``App.clock`` is a virtual clock. Instead of sleeping a minute between sweeps it jumps
  to the next ``tickets.next_due_at`` (rounded up to the whole minute, as the daemon's
  every-minute job would see it), so three simulated days take a second.
* Nothing is sent: the outbox rows *are* the timeline and the outbox sender is never
  started; the SMTP host is also replaced by an ``.invalid`` name, so even a future code
  path that tried to send could not reach the production relay. No IMAP connection is
  made either. A throw-away secret signs the reply addresses, so no credential is needed.
"""

from __future__ import annotations

import json
import logging
import mailbox
import re
import secrets as secrets_module
import sys
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

from mailbot.app import App, build_app
from mailbot.config import ConfigError, Secret, Settings
from mailbot.db import as_utc, migrate
from mailbot.domain import MailboxKind
from mailbot.escalation import load_sla, run_escalations
from mailbot.ingest import Outcome, process_next, record_inbound, ticket_ref
from mailbot.models import Customer, EscalationFired, InboundMail, Outbox, Ticket
from mailbot.parsers import parse_message
from mailbot.sla import FIRST_RESPONSE
from mailbot.tokens import base_address

EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_CONFIG = 78
# A failing ticket is retried every simulated minute (as by the daemon); this bounds the work.
MAX_STEPS = 50_000
_MINUTE = timedelta(minutes=1)
_SPAN_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Escalation-table kinds and the outbox kinds of their mails (shown once, from the table).
_LADDER_OUTBOX_KINDS = frozenset({"sla_warning", "escalation", "page"})
_HEADERS = BytesHeaderParser(policy=default_policy)  # the subject only: the body is not parsed


class InputError(Exception):
    """A message file or option that cannot be used; the text names the file or option."""


# ---- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputMessage:
    source: str  # "crit.eml" or "archive.mbox#3": how the timeline names it
    raw: bytes


def read_inputs(paths: Sequence[str | Path]) -> list[InputMessage]:
    """Every message of every file, in order: a file starting with ``From `` is an mbox, else one message."""
    messages: list[InputMessage] = []
    for p in paths:
        path = Path(p)
        try:
            data = path.read_bytes()
        except IsADirectoryError:
            raise InputError(f"{path}: is a folder; give .eml or mbox files") from None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
        if not data.strip():
            raise InputError(f"{path}: the file is empty")
        if data.startswith(b"From "):
            box = mailbox.mbox(path, create=False)
            try:
                found = [InputMessage(f"{path.name}#{n}", box.get_bytes(key)) for n, key in enumerate(box.iterkeys(), 1)]
            finally:
                box.close()
            if not found:
                raise InputError(f"{path}: an mbox with no messages")
            for m in found:
                _check_looks_like_mail(m.raw, m.source)
            messages += found
        else:
            _check_looks_like_mail(data, str(path))
            messages.append(InputMessage(path.name, data))
    return messages


def _check_looks_like_mail(raw: bytes, name: str) -> None:
    # A message starts with header lines ("Name: value"); a PNG, a PDF or prose does not.
    first = raw.lstrip(b"\r\n").split(b"\n", 1)[0]
    if not re.match(rb"^[!-9;-~]+:", first):
        raise InputError(f"{name}: not an email message (no header line at the start) nor an mbox "
                         "(which starts with a 'From ' line)")


def parse_span(text: str) -> timedelta | None:
    """``3d``, ``12h``, ``90m``, ``1d12h``; None when ``text`` is not a span."""
    m = _SPAN_RE.match(text.strip().lower())
    if not m or not any(m.groups()):
        return None
    days, hours, minutes = (int(g or 0) for g in m.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def parse_instant(text: str, tz: str) -> datetime:
    """An ISO 8601 instant; without an offset it is wall time in ``tz`` (Chile time by default)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not an ISO date and time (e.g. 2026-03-06T17:55 or 2026-03-06T17:55-03:00)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(timezone.utc)


def _ceil_minute(at: datetime) -> datetime:
    floor = at.replace(second=0, microsecond=0)
    return floor if floor == at else floor + _MINUTE


# ---- the timeline --------------------------------------------------------------------------


@dataclass
class Event:
    at: datetime  # UTC
    kind: str  # received | created | appended | ignored | duplicate | quarantined | retry | ack | <outbox kind> |
    #            warning | escalation | page | problem
    ticket: str  # "MA-000001", or "" when the event has no ticket
    summary: str
    recipients: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class TicketState:
    ref: str
    subject: str
    status: str
    tier: str
    severity: str
    level: int
    assigned_level: int
    language: str
    clock: str
    clocks: list[dict[str, Any]]


@dataclass
class Simulation:
    config: str
    tz: str
    start: datetime
    end: datetime
    messages: int
    events: list[Event]
    tickets: list[TicketState]
    sweeps: int

    def count(self, *kinds: str) -> int:
        return sum(1 for e in self.events if e.kind in kinds)


class _VirtualClock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now


class _Problems(logging.Handler):
    """Errors the pipeline logs during the run become timeline entries (at the virtual time)."""

    # Their warnings are already visible in the timeline (a retry, an empty team).
    _SHOWN_ELSEWHERE = ("mailbot.escalation", "mailbot.ingest")

    def __init__(self, clock: _VirtualClock, events: list[Event]) -> None:
        super().__init__(logging.WARNING)
        self.clock, self.events = clock, events
        self.seen: dict[str, Event] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.ERROR and record.name in self._SHOWN_ELSEWHERE:
            return
        text = record.getMessage()
        if text in self.seen:  # a ticket failing at every sweep: once, with a count
            self.seen[text].details["repeated"] = self.seen[text].details.get("repeated", 1) + 1
            return
        ev = Event(self.clock.now, "problem", "", f"{record.levelname.lower()} ({record.name}): {text}")
        self.seen[text] = ev
        self.events.append(ev)


@dataclass
class _Scheduled:
    message: InputMessage
    at: datetime
    mailbox: str
    sender: str
    subject: str


def simulate(settings: Settings, messages: Sequence[InputMessage], *, until: str = "3d", start: str | None = None,
             spacing: str | None = None, mailbox_name: str | None = None, tier: str | None = None,
             customers_csv: str | None = None) -> Simulation:
    """Replay ``messages`` through the pipeline with ``settings`` on a throw-away database; see the module doc.

    Raises :class:`InputError` for a bad option or customer file, :class:`ConfigError`
    when the config cannot be used (as ``build_app`` does).
    """
    if not messages:
        raise InputError("no messages to replay")
    tz = "America/Santiago"
    if mailbox_name is not None and mailbox_name not in {m.name for m in settings.mailboxes}:
        raise InputError(f"--mailbox {mailbox_name!r} is not a mailbox of {settings.path}; "
                         f"configured: {', '.join(m.name for m in settings.mailboxes)}")
    customer_rows = _customer_rows(customers_csv) if customers_csv else []
    step = parse_span(spacing) if spacing else None
    if spacing and step is None:
        raise InputError(f"--spacing {spacing!r}: expected a span such as 10m, 2h or 1d")
    begin = _option("--start", start, tz) if start else None
    schedule = _schedule(settings, messages, begin, step, mailbox_name)
    last = schedule[-1].at
    span = parse_span(until)
    end = last + span if span is not None else _option("--until", until, tz)
    if end < last:
        raise InputError(f"--until {until}: is before the last message ({_when(last, tz)} Chile time)")

    with tempfile.TemporaryDirectory(prefix="mailbot-simulate-") as folder:
        work = Path(folder)
        secret_file = work / "secret"
        secret_file.write_text(secrets_module.token_hex(32), encoding="utf-8")
        url = f"sqlite:///{work / 'simulate.db'}"
        migrate(url)
        sim_settings = replace(
            settings, database_url=url, data_dir=work / "data", secret=Secret(file=str(secret_file)),
            smtp=replace(settings.smtp, host="simulation-sends-nothing.invalid"))
        clock = _VirtualClock(schedule[0].at)
        app = build_app(sim_settings, clock=clock)
        tz = app.calendar.tz

        @event.listens_for(app.engine, "connect")
        def _fast(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # A throw-away database: durability buys nothing here, and every sweep commits.
            dbapi_conn.execute("PRAGMA synchronous=OFF")

        try:
            return _Runner(app, clock, tz).run(schedule, end, customer_rows, tier)
        finally:
            app.engine.dispose()


def _option(name: str, value: str, tz: str) -> datetime:
    try:
        return parse_instant(value, tz)
    except InputError as exc:
        raise InputError(f"{name}: {exc}; or a span such as 3d, 12h, 90m" if name == "--until" else f"{name}: {exc}") \
            from None


def _customer_rows(path: str) -> list[Any]:
    from mailbot.customers import CsvFormatError, decode_csv_bytes, parse_customers_csv

    try:
        text = decode_csv_bytes(sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except CsvFormatError as exc:
        raise InputError(f"{path}: {exc}") from None
    rows, errors = parse_customers_csv(text)
    if errors:
        raise InputError(f"{path}: " + "; ".join(str(e) for e in errors))
    return rows


def _schedule(settings: Settings, messages: Sequence[InputMessage], begin: datetime | None, step: timedelta | None,
              forced_mailbox: str | None) -> list[_Scheduled]:
    """When and where each message arrives, in order of arrival (input order on ties)."""
    parsed = [parse_message(m.raw, limits=settings.limits) for m in messages]
    dates = [as_utc(p.date) if p.date else None for p in parsed]
    base = begin or next((d for d in dates if d is not None), None) or _ceil_minute(datetime.now(timezone.utc))
    out: list[_Scheduled] = []
    previous = base
    for i, (m, p, date) in enumerate(zip(messages, parsed, dates)):
        if step is not None:
            at = base + i * step
        else:
            at = date if date is not None else previous
        previous = at
        out.append(_Scheduled(m, at, forced_mailbox or _mailbox_for(settings, p), p.from_addr.email if p.from_addr else "",
                              p.subject))
    return sorted(out, key=lambda s: s.at)  # stable: input order on ties


def _mailbox_for(settings: Settings, parsed: Any) -> str:
    """The configured mailbox the message was addressed to; else the first support mailbox."""
    by_address = {m.address: m.name for m in settings.mailboxes}
    for addr in (*(a.email for a in parsed.to), *(a.email for a in parsed.cc), *parsed.delivered_to):
        name = by_address.get(base_address(addr))
        if name:
            return name
    support = [m for m in settings.mailboxes if m.kind is MailboxKind.SUPPORT]
    return (support or list(settings.mailboxes))[0].name


class _Runner:
    def __init__(self, app: App, clock: _VirtualClock, tz: str) -> None:
        self.app, self.clock, self.tz = app, clock, tz
        self.events: list[Event] = []
        self.known_tickets: set[int] = set()
        self.last_outbox = 0
        self.last_escalation = 0
        self.last_sweep: datetime | None = None
        self.sweeps = 0
        self.steps = 0
        self.sources: dict[int, str] = {}

    def run(self, schedule: list[_Scheduled], end: datetime, customer_rows: list[Any], tier: str | None) -> Simulation:
        root = logging.getLogger("mailbot")
        handler = _Problems(self.clock, self.events)
        root.addHandler(handler)
        try:
            self._preload(customer_rows, tier, {s.sender for s in schedule if s.sender})
            for uid, item in enumerate(schedule, 1):
                self._advance(item.at)
                self.clock.now = max(self.clock.now, item.at)
                self._receive(uid, item)
            self._advance(end)
            self.clock.now = end
            tickets = self._final_states()
        finally:
            root.removeHandler(handler)
        return Simulation(config=self.app.settings.path, tz=self.tz, start=schedule[0].at, end=end,
                          messages=len(schedule), events=self.events, tickets=tickets, sweeps=self.sweeps)

    # -- set-up -------------------------------------------------------------------------

    def _preload(self, rows: list[Any], tier: str | None, senders: set[str]) -> None:
        from mailbot.customers import import_customers

        now = self.clock.now
        with self.app.sessions.begin() as s:
            if rows:
                import_customers(s, rows, now)
                s.flush()
            if tier:
                # Senders the directory does not know (neither the address nor its @domain) get --tier.
                known = set(s.scalars(select(Customer.email)))
                for sender in sorted(senders):
                    if sender not in known and "@" + sender.rpartition("@")[2] not in known:
                        s.add(Customer(email=sender, tier=tier, created_at=now))

    # -- the loop -----------------------------------------------------------------------

    def _advance(self, until: datetime) -> None:
        """Do what the daemon would do before ``until``: each sweep (at the whole minute something is
        due) and each retry of a message whose processing failed (when its back-off ends)."""
        while self.steps < MAX_STEPS:
            with self.app.sessions() as s:
                due = as_utc(s.scalar(select(func.min(Ticket.next_due_at))))
                retry = as_utc(s.scalar(select(func.min(InboundMail.claimed_until)).where(
                    InboundMail.state == "pending")))
            wakes = []
            if due is not None:
                at = _ceil_minute(max(due, self.clock.now))
                if self.last_sweep is not None and at <= self.last_sweep:
                    at = self.last_sweep + _MINUTE  # still due after a sweep (it failed): the next minute
                wakes.append((at, "sweep"))
            if retry is not None:
                wakes.append((max(retry, self.clock.now), "retry"))
            if not wakes or min(wakes)[0] > until:
                return
            self.steps += 1
            at, what = min(wakes)
            self.clock.now = at
            if what == "sweep":
                self.last_sweep = at
                self.sweeps += 1
                run_escalations(self.app)
                self._collect()
            self._drain()
        self.events.append(Event(self.clock.now, "problem", "", f"stopped after {MAX_STEPS} steps"))

    def _receive(self, uid: int, item: _Scheduled) -> None:
        at = self.clock.now
        inbound = record_inbound(self.app, item.mailbox, 1, uid, item.message.raw, at)
        details = {"source": item.message.source, "mailbox": item.mailbox, "from": item.sender, "subject": item.subject}
        if inbound is None:
            self.events.append(Event(at, "duplicate", "", f"{item.message.source}: the same bytes were already received "
                                     f"in {item.mailbox}; ignored", details=details))
            return
        self.sources[inbound] = item.message.source
        self.events.append(Event(at, "received", "", f"{item.message.source} from {item.sender or '<no sender>'} "
                                 f"in {item.mailbox}: {item.subject!r}", details=details))
        self._drain()

    def _drain(self) -> None:
        while (outcome := process_next(self.app)) is not None:
            self._outcome(outcome)
            self._collect()

    def _outcome(self, outcome: Outcome) -> None:
        at = self.clock.now
        source = self.sources.get(outcome.inbound_id, f"message {outcome.inbound_id}")
        if outcome.state != "done" or outcome.ticket is None:
            self.events.append(Event(at, outcome.state, "", f"{source}: {outcome.summary}",
                                     details={"source": source, "outcome": outcome.summary}))
            return
        verb = "appended" if outcome.ticket in self.known_tickets else "created"
        self.known_tickets.add(outcome.ticket)
        ack = outcome.summary.rpartition("; ")[2]
        with self.app.sessions() as s:
            t = s.get(Ticket, outcome.ticket)
            target = self.app.settings.sla[(_tier(t.tier), _severity(t.severity))]
            ref = ticket_ref(self.app, t.id)
            details = {"source": source, "status": t.status, "tier": t.tier, "severity": t.severity,
                       "level": t.level, "language": t.language, "clock": target.clock,
                       "first_response_due": _iso(t.first_response_due_at), "resolution_due": _iso(t.resolution_due_at),
                       "ack": ack, "outcome": outcome.summary}
        if verb == "created":
            dues = [f"first response due {_when(as_utc(t.first_response_due_at), self.tz)}"]
            if t.resolution_due_at is not None:
                dues.append(f"resolution due {_when(as_utc(t.resolution_due_at), self.tz)}")
            summary = (f"tier {t.tier}, severity {t.severity}, level {t.level}, language {t.language}; "
                       f"{', '.join(dues)} ({'24/7' if target.clock == '24/7' else 'business'} clock)")
        else:
            summary = f"{source} added to the thread; status {t.status}, level {t.level}"
        if ack.startswith("no ack"):
            summary += f"; {ack}"
        self.events.append(Event(at, verb, ref, summary, details=details))

    def _collect(self) -> None:
        """The escalation steps and outbox mails written since the last look, as timeline entries."""
        with self.app.sessions() as s:
            fired = s.scalars(select(EscalationFired).where(EscalationFired.id > self.last_escalation)
                              .order_by(EscalationFired.id)).all()
            mails = s.scalars(select(Outbox).where(Outbox.id > self.last_outbox).order_by(Outbox.id)).all()
            tickets = {t.id: t for t in s.scalars(select(Ticket).where(
                Ticket.id.in_({f.ticket_id for f in fired})))}
            for f in fired:
                self.last_escalation = f.id
                self.events.append(self._ladder_event(f, tickets[f.ticket_id]))
            for m in mails:
                self.last_outbox = m.id
                if m.kind in _LADDER_OUTBOX_KINDS:
                    continue  # shown from the escalations table (which also has the steps nobody was mailed)
                subject = str(_HEADERS.parsebytes(m.raw)["Subject"] or "")
                self.events.append(Event(as_utc(m.created_at), m.kind, ticket_ref(self.app, m.ticket_id) if m.ticket_id else "",
                                         f"{subject!r}", recipients=tuple(m.rcpt_to.split(",")),
                                         details={"subject": subject, "status": f"{m.status} (not sent)"}))

    def _ladder_event(self, f: EscalationFired, t: Ticket) -> Event:
        due = as_utc(t.first_response_due_at if f.deadline == FIRST_RESPONSE else t.resolution_due_at)
        name = f.deadline.replace("_", " ")
        team = f"[teams] level{f.level}" + (" and on_call" if f.kind == "page" else "")
        if f.kind == "warning":
            summary = f"{name} due {_when(due, self.tz)}: warning to level {f.level}"
        elif f.kind == "escalation":
            summary = f"{name} overdue since {_when(due, self.tz)}: escalated to level {f.level}"
        else:
            summary = f"premium emergency: paged level {f.level} and on-call; {name} due {_when(due, self.tz)}"
        recipients = tuple(r for r in f.recipients.split(",") if r)
        if not recipients:
            summary += f"; nobody mailed: {team} is empty"
        return Event(as_utc(f.fired_at), f.kind, ticket_ref(self.app, f.ticket_id), summary, recipients,
                     {"deadline": f.deadline, "level": f.level, "deadline_due": _iso(due),
                      "step_due": _iso(as_utc(f.due_at))})

    def _final_states(self) -> list[TicketState]:
        now = self.clock.now
        out = []
        with self.app.sessions() as s:
            for t in s.scalars(select(Ticket).order_by(Ticket.id)):
                sla = load_sla(self.app, s, t)
                clocks = []
                for c in sla.clocks:
                    if c.met_at is not None:
                        state = "met"
                    elif c.due_at is None:
                        state = "paused"
                    else:
                        state = "BREACHED" if now >= c.due_at else "running"
                    clocks.append({"name": c.name, "due": _iso(c.due_at), "warn": _iso(c.warn_at), "state": state})
                out.append(TicketState(ticket_ref(self.app, t.id), t.subject, t.status, t.tier, t.severity, t.level,
                                       t.assigned_level, t.language, sla.target.clock, clocks))
        return out


def _tier(value: str) -> Any:
    from mailbot.domain import Tier

    return Tier(value)


def _severity(value: str) -> Any:
    from mailbot.domain import Severity

    return Severity(value)


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def _when(at: datetime | None, tz: str) -> str:
    if at is None:
        return "-"
    local = as_utc(at).astimezone(ZoneInfo(tz))
    return f"{_DAYS[local.weekday()]} {local:%Y-%m-%d %H:%M}"


# ---- output ----------------------------------------------------------------------------------

_LABEL = {"warning": "WARNING", "escalation": "ESCALATION", "page": "PAGE", "problem": "PROBLEM"}


def format_text(sim: Simulation) -> str:
    tz = sim.tz
    out = [
        f"Simulation of {sim.messages} message(s) with {sim.config}: nothing is sent; "
        f"times in {tz}; throw-away database",
        f"from {_when(sim.start, tz)} until {_when(sim.end, tz)} ({sim.sweeps} escalation sweep(s))",
        "",
    ]
    for e in sorted(sim.events, key=lambda e: e.at):  # stable: collection order within a minute
        line = f"{_when(e.at, tz)}  {_LABEL.get(e.kind, e.kind):<12} {e.ticket:<10} {e.summary}"
        if e.recipients:
            line += " → " + ", ".join(e.recipients)
        if e.details.get("repeated"):
            line += f" (repeated {e.details['repeated']} times)"
        out.append(line)
    out += ["", f"At the end ({_when(sim.end, tz)}):"]
    if not sim.tickets:
        out.append("  no tickets")
    for t in sim.tickets:
        clocks = "; ".join(f"{c['name'].replace('_', ' ')} due {_when(_parse(c['due']), tz)} {c['state']}"
                           for c in t.clocks)
        out.append(f"  {t.ref}  {t.status}, {t.tier} {t.severity}, level {t.level} (assigned {t.assigned_level}); "
                   f"{clocks} — {t.subject!r}")
    out += ["", _summary_line(sim)]
    return "\n".join(out)


def _summary_line(sim: Simulation) -> str:
    mails = sum(1 for e in sim.events if e.recipients)
    parts = [f"{sim.count('created')} ticket(s) created", f"{sim.count('appended')} appended",
             f"{sim.count('ack')} ack(s)", f"{sim.count('page')} page(s)", f"{sim.count('warning')} warning(s)",
             f"{sim.count('escalation')} escalation(s)"]
    for kind in ("ignored", "duplicate", "quarantined", "retry", "problem"):
        if sim.count(kind):
            parts.append(f"{sim.count(kind)} {kind}")
    return f"Summary: {', '.join(parts)}; {mails} mail(s) would be sent, none was."


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def format_json(sim: Simulation) -> str:
    tz = sim.tz
    doc = {
        "config": sim.config, "timezone": tz, "start": _iso(sim.start), "end": _iso(sim.end), "sweeps": sim.sweeps,
        "messages": sim.messages, "sent": 0,
        "events": [{"at": _iso(e.at), "at_local": _when(e.at, tz), "kind": e.kind, "ticket": e.ticket,
                    "summary": e.summary, "recipients": list(e.recipients), **e.details}
                   for e in sorted(sim.events, key=lambda e: e.at)],
        "tickets": [t.__dict__ for t in sim.tickets],
        "summary": _summary_line(sim),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def run_cli(settings: Settings, files: Sequence[str], *, until: str, start: str | None, spacing: str | None,
            mailbox_name: str | None, tier: str | None, customers: str | None, output: str) -> int:
    """``mailbot simulate``: 0 on success; 1 for an unusable input file; 2 for a bad option; 78 for the config."""
    try:
        messages = read_inputs(files)
    except InputError as exc:
        print(f"mailbot simulate: {exc}", file=sys.stderr)
        return EXIT_INPUT
    try:
        sim = simulate(settings, messages, until=until, start=start, spacing=spacing, mailbox_name=mailbox_name,
                       tier=tier, customers_csv=customers)
    except InputError as exc:
        print(f"mailbot simulate: {exc}", file=sys.stderr)
        return EXIT_USAGE if str(exc).startswith("--") else EXIT_INPUT
    except ConfigError as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(format_json(sim) if output == "json" else format_text(sim))
    return 0


__all__ = ["Event", "InputError", "InputMessage", "Simulation", "format_json", "format_text", "parse_instant",
           "parse_span", "read_inputs", "run_cli", "simulate"]
