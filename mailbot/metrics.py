"""Quality metrics over stored ticket history, for any period — pure functions of a :class:`History`.

No I/O and no clock reads: :mod:`mailbot.reports` loads a :class:`History` from the
database (with ``now``) and calls :func:`compute`. Periods are half-open ``[start, end)``
aware instants (reports use Chile-time midnights); everything returned is plain data.

Definitions (also in the README, "Reports and quality metrics"):

* **Counted tickets**: every ticket except spam and tickets merged into another one.
* **First response time**: tickets whose first public agent reply (``first_responded_at``,
  never the automatic ack) falls in the period; from receipt (``created_at``). *Business*
  time counts only the hours the desk is open (Mon–Fri 09:00–18:00 Chile, Chilean
  holidays closed) and leaves out time waiting on the customer; *wall* time is plain
  elapsed time.
* **Resolution time**: tickets resolved in the period (``resolved_at``), same two clocks.
* **First-contact resolution (FCR)**: of the tickets resolved in the period, the share
  resolved after exactly one public agent reply and never reopened (no ``reopened``
  event: a customer reply to a resolved ticket reopens it).
* **Satisfaction**: ``satisfaction`` answers (rating 1–5) given in the period; the
  share rated 4 or 5. Response rate = answers / surveys sent in the period.
* **SLA compliance** (per tier × severity, on each ticket's own SLA clock with its
  pauses): each first-response and resolution deadline is counted once, in the period
  where its outcome became known — when it was met in time, or at the deadline when it
  was missed. A ticket resolved or closed without any public reply stops its
  first-response clock at that moment.
* **Volume**: tickets created in the period, by mailbox, severity, language and assigned level.
* **Backlog**: tickets still open (open, waiting or held) at the end of the period (or
  now, for a period not over yet), by age (wall time since receipt) and current level.
* **Escalations**: ``escalation`` and ``page`` steps fired in the period, by the level mailed.
* **Reopen rate**: tickets reopened in the period / tickets resolved in the period.
* **Load per agent**: per agent address, the mails the agent sent into tickets in the
  period (inbound, ``author_kind = agent``), split into public replies and internal notes,
  the distinct tickets touched, tickets resolved while assigned to them, and open
  tickets assigned to them now.
* **Availability**: the share of whole minutes, from the later of the period start and
  the first heartbeat ever to the earlier of the period end and now, that were *up*.
  A minute ``[m, m+60 s)`` is up when no heartbeat inside it reports a problem
  (mailboxes, pipeline or outbox) and at least one all-ok heartbeat lies in
  ``[m-30 s, m+60 s)``: the 30 s of grace absorb the scheduler's drift (a "once a
  minute" job occasionally slips past a minute boundary), while a gap of two minutes or
  more always counts.
"""

from __future__ import annotations

import bisect
import functools
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Mapping, Protocol

from mailbot.business_calendar import BusinessCalendar, calendar_for, to_utc
from mailbot.sla import FIRST_RESPONSE, Pause, compute_clocks, elapsed_time

OPEN_STATUSES = frozenset({"open", "waiting", "held"})
EXCLUDED_STATUSES = frozenset({"spam"})
SEVERITIES = ("critical", "important", "general")
TIERS = ("premium", "basic")
# Backlog age buckets: (key, upper bound exclusive); the last one is open-ended.
AGE_BUCKETS = (("lt_1d", timedelta(days=1)), ("1_3d", timedelta(days=3)), ("3_7d", timedelta(days=7)),
               ("ge_7d", None))
HEARTBEAT_GRACE = timedelta(seconds=30)
_MINUTE = timedelta(minutes=1)


class TargetLike(Protocol):
    first_response_minutes: int
    resolution_minutes: int | None
    clock: str


# ---- input ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketRecord:
    id: int
    created_at: datetime
    status: str
    severity: str
    tier: str
    mailbox: str
    language: str
    level: int = 1
    assigned_level: int = 1
    assignee: str = ""  # the assigned agent's address, lower case
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    merged_into_id: int | None = None
    pauses: tuple[Pause, ...] = ()  # waiting on the customer

    @property
    def counted(self) -> bool:
        return self.status not in EXCLUDED_STATUSES and self.merged_into_id is None


@dataclass(frozen=True)
class MessageRecord:
    ticket_id: int
    at: datetime
    direction: str  # in | out
    author_kind: str  # customer | agent | system
    internal: bool = False
    from_addr: str = ""

    @property
    def public_agent_reply(self) -> bool:
        return self.direction == "out" and self.author_kind == "agent" and not self.internal


@dataclass(frozen=True)
class EventRecord:
    ticket_id: int
    at: datetime
    kind: str
    detail: str = ""


@dataclass(frozen=True)
class EscalationRecord:
    ticket_id: int
    deadline: str
    level: int
    kind: str  # warning | escalation | page
    fired_at: datetime


@dataclass(frozen=True)
class HeartbeatRecord:
    at: datetime
    ok: bool  # mailboxes, pipeline and outbox all fine


@dataclass(frozen=True)
class History:
    """Everything :func:`compute` reads. Records outside a period are simply ignored.

    ``tickets`` must include every ticket whose metrics can fall in the periods asked
    for; ``messages`` and ``events`` every row of those tickets (FCR and pauses look at
    the whole thread) plus the period's rows of any ticket. ``heartbeats`` cover
    ``[heartbeats_since, now]``; availability is None for a period starting earlier.
    """

    now: datetime
    tickets: tuple[TicketRecord, ...] = ()
    messages: tuple[MessageRecord, ...] = ()
    events: tuple[EventRecord, ...] = ()
    escalations: tuple[EscalationRecord, ...] = ()
    heartbeats: tuple[HeartbeatRecord, ...] = ()
    first_heartbeat_at: datetime | None = None
    heartbeats_since: datetime | None = None
    sla: Mapping[tuple[str, str], TargetLike] = field(default_factory=dict)
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    agent_names: Mapping[str, str] = field(default_factory=dict)

    # Memos (computed once per History, shared by the periods of a report's trend).

    @functools.cached_property
    def clock_cache(self) -> dict[int, tuple]:
        """Ticket id -> its SLA clocks (they do not depend on the period asked for)."""
        return {}

    @functools.cached_property
    def up_minutes(self) -> tuple[int, ...]:
        """Sorted minutes (since the epoch, UTC) that were up; see the module docstring."""
        bad: set[int] = set()
        covered: set[int] = set()
        grace = (_MINUTE - HEARTBEAT_GRACE).total_seconds()
        for hb in self.heartbeats:
            seconds = to_utc(hb.at).timestamp()
            minute = int(seconds // 60)
            if not hb.ok:
                bad.add(minute)
                continue
            covered.add(minute)
            # Grace: a heartbeat in the last 30 s of a minute also vouches for the next one.
            if seconds - minute * 60 >= grace:
                covered.add(minute + 1)
        return tuple(sorted(covered - bad))


# ---- output -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Durations:
    """A sample of durations in minutes (``values`` sorted)."""

    values: tuple[float, ...] = ()

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.values) if self.values else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None


@dataclass(frozen=True)
class Ratio:
    part: int = 0
    whole: int = 0

    @property
    def rate(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Satisfaction:
    ratings: Mapping[int, int]  # rating 1..5 -> answers
    surveys_sent: int

    @property
    def answers(self) -> int:
        return sum(self.ratings.values())

    @property
    def positive(self) -> int:
        return self.ratings.get(4, 0) + self.ratings.get(5, 0)

    @property
    def share(self) -> float | None:
        return self.positive / self.answers if self.answers else None

    @property
    def response_rate(self) -> float | None:
        return self.answers / self.surveys_sent if self.surveys_sent else None


@dataclass(frozen=True)
class AgentLoad:
    email: str
    name: str
    inbound: int  # mails the agent sent into tickets (replies and notes)
    replies: int  # of which public: relayed to the customer
    notes: int  # of which internal notes
    tickets: int  # distinct tickets touched
    resolved: int  # tickets resolved in the period while assigned to this agent
    open_assigned: int  # open tickets assigned now (at the end of the period)


@dataclass(frozen=True)
class PeriodMetrics:
    """The metrics of ``[start, end)``; ``as_of`` = min(end, now): later facts are not known yet."""

    start: datetime
    end: datetime
    as_of: datetime
    created: int
    resolved: int
    first_response_business: Durations
    first_response_wall: Durations
    resolution_business: Durations
    resolution_wall: Durations
    first_contact_resolution: Ratio
    satisfaction: Satisfaction
    # "tier/severity" -> deadlines met in time / deadlines whose outcome fell in the period
    sla_first_response: Mapping[str, Ratio]
    sla_resolution: Mapping[str, Ratio]
    # "tier/severity" -> first-response time on that SLA's own clock, and its target in minutes
    first_response_by_sla: Mapping[str, Durations]
    first_response_targets: Mapping[str, int]
    volume_by_mailbox: Mapping[str, int]
    volume_by_severity: Mapping[str, int]
    volume_by_language: Mapping[str, int]
    volume_by_level: Mapping[int, int]
    volume_by_day: Mapping[date, Mapping[str, int]]  # local day -> severity -> tickets created
    backlog_by_age: Mapping[str, int]
    backlog_by_level: Mapping[int, int]
    escalations_by_level: Mapping[int, int]
    warnings: int
    reopened: int
    reopen_rate: Ratio
    agents: tuple[AgentLoad, ...]
    availability: Ratio | None  # up minutes / minutes observed; None: no heartbeat data for the period

    @property
    def backlog(self) -> int:
        return sum(self.backlog_by_age.values())

    @property
    def sla_first_response_total(self) -> Ratio:
        return _sum_ratios(self.sla_first_response.values())

    @property
    def sla_resolution_total(self) -> Ratio:
        return _sum_ratios(self.sla_resolution.values())

    @property
    def escalations(self) -> int:
        return sum(self.escalations_by_level.values())


def _sum_ratios(ratios) -> Ratio:  # type: ignore[no-untyped-def]
    ratios = list(ratios)
    return Ratio(sum(r.part for r in ratios), sum(r.whole for r in ratios))


# ---- computing ----------------------------------------------------------------------------


def _within(at: datetime | None, start: datetime, end: datetime) -> bool:
    return at is not None and start <= to_utc(at) < end


def _minutes(span: timedelta) -> float:
    return span.total_seconds() / 60.0


def compute(history: History, start: datetime, end: datetime) -> PeriodMetrics:
    """The metrics of ``[start, end)`` from ``history``."""
    start, end, now = to_utc(start), to_utc(end), to_utc(history.now)
    if end <= start:
        raise ValueError(f"empty period: {start.isoformat()} .. {end.isoformat()}")
    as_of = min(end, now)
    cal = history.calendar
    tickets = [t for t in history.tickets if t.counted]
    messages: dict[int, list[MessageRecord]] = defaultdict(list)
    for m in history.messages:
        messages[m.ticket_id].append(m)
    reopened_ever = {e.ticket_id for e in history.events if e.kind == "reopened"}

    created = [t for t in tickets if _within(t.created_at, start, end)]
    responded = [t for t in tickets if _within(t.first_responded_at, start, as_of)]
    resolved = [t for t in tickets if _within(t.resolved_at, start, as_of)]
    responded_ids = {t.id for t in responded}

    def durations(items: list[TicketRecord], until: str, business: bool) -> Durations:
        values = []
        for t in items:
            stop = to_utc(getattr(t, until))
            span = elapsed_time(t.created_at, stop, cal, t.pauses) if business else stop - to_utc(t.created_at)
            values.append(_minutes(span))
        return Durations(tuple(sorted(values)))

    fcr = sum(1 for t in resolved
              if sum(1 for m in messages[t.id] if m.public_agent_reply) == 1 and t.id not in reopened_ever)

    # SLA: each deadline counted once, where its outcome became known.
    sla_fr: dict[str, list[int]] = {}
    sla_res: dict[str, list[int]] = {}
    fr_by_sla: dict[str, list[float]] = defaultdict(list)
    targets: dict[str, int] = {}
    for t in tickets:
        target = history.sla.get((t.tier, t.severity))
        if target is None or to_utc(t.created_at) >= as_of:
            continue
        key = f"{t.tier}/{t.severity}"
        targets[key] = target.first_response_minutes
        stopped = t.first_responded_at or t.resolved_at or t.closed_at
        clocks = history.clock_cache.get(t.id)
        if clocks is None:
            clocks = history.clock_cache[t.id] = compute_clocks(
                t.created_at, target, cal, t.pauses, first_response_at=stopped, resolved_at=t.resolved_at or t.closed_at)
        for clock in clocks:
            if clock.due_at is None:
                continue  # paused: no deadline to judge yet
            met_in_time = clock.met_at is not None and clock.met_at <= clock.due_at
            known_at = clock.met_at if met_in_time else clock.due_at
            if not (start <= known_at < as_of):
                continue
            cell = (sla_fr if clock.name == FIRST_RESPONSE else sla_res).setdefault(key, [0, 0])
            cell[0] += int(met_in_time)
            cell[1] += 1
        if t.id in responded_ids:
            clock_cal = calendar_for(target.clock, cal)
            fr_by_sla[key].append(_minutes(elapsed_time(t.created_at, t.first_responded_at, clock_cal, t.pauses)))

    # Events and messages of the period.
    ratings: Counter[int] = Counter()
    surveys = 0
    reopened_now: set[int] = set()
    excluded = frozenset(t.id for t in history.tickets if not t.counted)
    for e in history.events:
        if e.ticket_id in excluded or not _within(e.at, start, as_of):
            continue
        if e.kind == "satisfaction":
            try:
                rating = int(e.detail.strip())
            except ValueError:
                continue
            if 1 <= rating <= 5:
                ratings[rating] += 1
        elif e.kind == "survey-sent":
            surveys += 1
        elif e.kind == "reopened":
            reopened_now.add(e.ticket_id)

    escalations: Counter[int] = Counter()
    warnings = 0
    for x in history.escalations:
        if _within(x.fired_at, start, as_of):
            if x.kind == "warning":
                warnings += 1
            else:
                escalations[x.level] += 1

    backlog_age: Counter[str] = Counter({key: 0 for key, _ in AGE_BUCKETS})
    backlog_level: Counter[int] = Counter()
    open_assigned: Counter[str] = Counter()
    for t in tickets:
        if _open_at(t, as_of, now):
            age = as_of - to_utc(t.created_at)
            backlog_age[next(k for k, bound in AGE_BUCKETS if bound is None or age < bound)] += 1
            backlog_level[t.level] += 1
            if t.assignee:
                open_assigned[t.assignee] += 1

    return PeriodMetrics(
        start=start, end=end, as_of=as_of,
        created=len(created), resolved=len(resolved),
        first_response_business=durations(responded, "first_responded_at", True),
        first_response_wall=durations(responded, "first_responded_at", False),
        resolution_business=durations(resolved, "resolved_at", True),
        resolution_wall=durations(resolved, "resolved_at", False),
        first_contact_resolution=Ratio(fcr, len(resolved)),
        satisfaction=Satisfaction(dict(sorted(ratings.items())), surveys),
        sla_first_response={k: Ratio(*v) for k, v in sorted(sla_fr.items())},
        sla_resolution={k: Ratio(*v) for k, v in sorted(sla_res.items())},
        first_response_by_sla={k: Durations(tuple(sorted(v))) for k, v in sorted(fr_by_sla.items())},
        first_response_targets=dict(sorted(targets.items())),
        volume_by_mailbox=_count(t.mailbox for t in created),
        volume_by_severity=_count(t.severity for t in created),
        volume_by_language=_count(t.language or "?" for t in created),
        volume_by_level=_count(t.assigned_level for t in created),
        volume_by_day=_by_day(created, start, end, cal),
        backlog_by_age=dict(backlog_age),
        backlog_by_level=dict(sorted(backlog_level.items())),
        escalations_by_level=dict(sorted(escalations.items())),
        warnings=warnings,
        reopened=len(reopened_now),
        reopen_rate=Ratio(len(reopened_now), len(resolved)),
        agents=_agents(history, tickets, messages, resolved, open_assigned, start, as_of),
        availability=availability(history, start, end),
    )


def _count(values) -> dict:  # type: ignore[no-untyped-def]
    return dict(sorted(Counter(values).items(), key=lambda kv: (-kv[1], str(kv[0]))))


def _by_day(created: list[TicketRecord], start: datetime, end: datetime, cal: BusinessCalendar) -> dict[date, dict[str, int]]:
    days: dict[date, dict[str, int]] = {}
    day, last = cal.local_date(start), cal.local_date(end - timedelta(microseconds=1))
    while day <= last:
        days[day] = {s: 0 for s in SEVERITIES}
        day += timedelta(days=1)
    for t in created:
        row = days.setdefault(cal.local_date(t.created_at), {s: 0 for s in SEVERITIES})
        row[t.severity] = row.get(t.severity, 0) + 1
    return days


def _open_at(t: TicketRecord, at: datetime, now: datetime) -> bool:
    if to_utc(t.created_at) >= at:
        return False
    if at >= now:
        return t.status in OPEN_STATUSES  # the present: the status says it
    # The past: reconstructed from the timestamps (a later reopening is not known then).
    for stamp in (t.resolved_at, t.closed_at):
        if stamp is not None and to_utc(stamp) <= at:
            return False
    return True


def _agents(history: History, tickets: list[TicketRecord], messages: Mapping[int, list[MessageRecord]],
            resolved: list[TicketRecord], open_assigned: Mapping[str, int], start: datetime,
            as_of: datetime) -> tuple[AgentLoad, ...]:
    excluded = frozenset(t.id for t in history.tickets if not t.counted)
    inbound: Counter[str] = Counter()
    replies: Counter[str] = Counter()
    notes: Counter[str] = Counter()
    touched: dict[str, set[int]] = defaultdict(set)
    for ticket_id, rows in messages.items():
        if ticket_id in excluded:
            continue
        for m in rows:
            # The agent's own mail into the ticket names the agent; the copy we relay to the
            # customer comes from the mailbox address, so it cannot.
            if m.author_kind != "agent" or m.direction != "in" or not _within(m.at, start, as_of):
                continue
            who = m.from_addr.lower()
            inbound[who] += 1
            if m.internal:
                notes[who] += 1
            else:
                replies[who] += 1
            touched[who].add(ticket_id)
    resolved_by: Counter[str] = Counter(t.assignee for t in resolved if t.assignee)
    everyone = set(touched) | set(resolved_by) | set(open_assigned)
    loads = [AgentLoad(email=a, name=history.agent_names.get(a, ""), inbound=inbound[a], replies=replies[a],
                       notes=notes[a], tickets=len(touched[a]), resolved=resolved_by[a],
                       open_assigned=open_assigned.get(a, 0)) for a in everyone if a]
    return tuple(sorted(loads, key=lambda x: (-(x.inbound + x.replies + x.notes), -x.open_assigned, x.email)))


def availability(history: History, start: datetime, end: datetime) -> Ratio | None:
    """Up minutes / observed minutes in ``[start, end)`` (see the module docstring); None without data."""
    start, end, now = to_utc(start), to_utc(end), to_utc(history.now)
    if history.first_heartbeat_at is None:
        return None
    if history.heartbeats_since is not None and start < to_utc(history.heartbeats_since):
        return None
    first = _floor_minute(to_utc(history.first_heartbeat_at))
    begin = max(_ceil_minute(start), first)
    stop = min(_floor_minute(end), _floor_minute(now))
    if stop <= begin:
        return None
    total = int((stop - begin) / _MINUTE)
    up = history.up_minutes
    first_minute, stop_minute = int(begin.timestamp() // 60), int(stop.timestamp() // 60)
    return Ratio(bisect.bisect_left(up, stop_minute) - bisect.bisect_left(up, first_minute), total)


def _floor_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _ceil_minute(at: datetime) -> datetime:
    floor = _floor_minute(at)
    return floor if floor == at else floor + _MINUTE


# ---- comparing and judging ------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    satisfaction: float = 0.95
    availability: float = 0.995
    sla_compliance: float = 0.95
    first_contact_resolution: float = 0.0  # 0: no target


# key, higher-is-better, unit ("min" | "pct" | "count")
HEADLINE = (
    ("created", None, "count"),
    ("resolved", None, "count"),
    ("backlog", False, "count"),
    ("first_response_business_mean", False, "min"),
    ("first_response_business_median", False, "min"),
    ("first_response_wall_mean", False, "min"),
    ("first_response_wall_median", False, "min"),
    ("resolution_business_mean", False, "min"),
    ("resolution_business_median", False, "min"),
    ("resolution_wall_mean", False, "min"),
    ("resolution_wall_median", False, "min"),
    ("first_contact_resolution", True, "pct"),
    ("satisfaction", True, "pct"),
    ("satisfaction_answers", None, "count"),
    ("satisfaction_response_rate", True, "pct"),
    ("sla_first_response", True, "pct"),
    ("sla_resolution", True, "pct"),
    ("escalations", False, "count"),
    ("reopen_rate", False, "pct"),
    ("availability", True, "pct2"),  # shown with two decimals: 99.95 % is not 100 %
)


def headline_values(m: PeriodMetrics) -> dict[str, float | None]:
    return {
        "created": m.created,
        "resolved": m.resolved,
        "backlog": m.backlog,
        "first_response_business_mean": m.first_response_business.mean,
        "first_response_business_median": m.first_response_business.median,
        "first_response_wall_mean": m.first_response_wall.mean,
        "first_response_wall_median": m.first_response_wall.median,
        "resolution_business_mean": m.resolution_business.mean,
        "resolution_business_median": m.resolution_business.median,
        "resolution_wall_mean": m.resolution_wall.mean,
        "resolution_wall_median": m.resolution_wall.median,
        "first_contact_resolution": m.first_contact_resolution.rate,
        "satisfaction": m.satisfaction.share,
        "satisfaction_answers": m.satisfaction.answers,
        "satisfaction_response_rate": m.satisfaction.response_rate,
        "sla_first_response": m.sla_first_response_total.rate,
        "sla_resolution": m.sla_resolution_total.rate,
        "escalations": m.escalations,
        "reopen_rate": m.reopen_rate.rate,
        "availability": m.availability.rate if m.availability else None,
    }


@dataclass(frozen=True)
class Row:
    """One headline metric against the previous period."""

    key: str
    unit: str
    value: float | None
    previous: float | None
    target: float | None
    missed: bool

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def mark(self) -> str:
        """↑ / ↓ / = (direction of the change), or "" when either value is unknown."""
        d = self.delta
        if d is None:
            return ""
        if abs(d) < 1e-9:
            return "="
        return "↑" if d > 0 else "↓"

    better: bool | None = None  # whether the change is an improvement (None: neutral or unknown)


def target_of(key: str, targets: Targets) -> float | None:
    return {
        "satisfaction": targets.satisfaction,
        "availability": targets.availability,
        "sla_first_response": targets.sla_compliance,
        "sla_resolution": targets.sla_compliance,
        "first_contact_resolution": targets.first_contact_resolution or None,
    }.get(key)


def compare(current: PeriodMetrics, previous: PeriodMetrics | None, targets: Targets) -> list[Row]:
    """The headline rows: value, previous value, delta mark, target and whether it was missed."""
    now_values = headline_values(current)
    before = headline_values(previous) if previous is not None else {}
    rows = []
    for key, higher_better, unit in HEADLINE:
        value, prev = now_values[key], before.get(key)
        target = target_of(key, targets)
        better = None
        if higher_better is not None and value is not None and prev is not None and abs(value - prev) > 1e-9:
            better = (value > prev) == higher_better
        rows.append(Row(key, unit, value, prev, target, missed=target is not None and value is not None and value < target,
                        better=better))
    return rows


@dataclass(frozen=True)
class Miss:
    """A target missed in the period: ``key`` (a headline key or ``sla_*:tier/severity``), value and target."""

    key: str
    value: float
    target: float


def missed_targets(m: PeriodMetrics, targets: Targets) -> list[Miss]:
    """Every target missed: the headline ones and SLA compliance per tier × severity."""
    misses = []
    values = headline_values(m)
    for key, _, _ in HEADLINE:
        target = target_of(key, targets)
        value = values[key]
        if target is not None and value is not None and value < target:
            misses.append(Miss(key, value, target))
    for name, cells in (("sla_first_response", m.sla_first_response), ("sla_resolution", m.sla_resolution)):
        for cell, ratio in cells.items():
            if ratio.rate is not None and ratio.rate < targets.sla_compliance:
                misses.append(Miss(f"{name}:{cell}", ratio.rate, targets.sla_compliance))
    return misses


__all__ = [
    "AgentLoad", "Durations", "EscalationRecord", "EventRecord", "HEADLINE", "HeartbeatRecord", "History",
    "MessageRecord", "Miss", "PeriodMetrics", "Ratio", "Row", "Satisfaction", "Targets", "TicketRecord",
    "availability", "compare", "compute", "headline_values", "missed_targets",
]
