"""SLA clocks, deadlines and escalation decisions — pure functions of their inputs.

No I/O and no clock reads: ``now`` is always a parameter, instants are aware
datetimes (returned in UTC). The scheduler loads tickets, calls these functions and
records what it fired; this module only decides.

Pauses
    The clock does not run while a ticket waits on the customer. A :class:`Pause` is
    ``[start, end)``; ``end=None`` means the ticket is still waiting. Pauses may be
    given in any order and may overlap (they are merged) or begin before the clock
    started (they are clipped). A pause shifts a deadline by the *clock time* it
    covered: a pause that lies entirely in closed hours (a weekend, for a business
    clock) does not move a business deadline at all.

Open pause
    While a ticket is paused there is no deadline: :func:`deadline` returns ``None``
    when the clock time would run out after the open pause began. If the target was
    already used up *before* the pause began (the ticket had breached, then was put on
    hold), that earlier deadline is returned — a breach is not undone by pausing.

Deadline semantics
    ``deadline(start, m)`` is the earliest instant at which ``m`` minutes of clock time
    (open time of the calendar, minus pauses) have elapsed since ``start``; so
    ``elapsed(start, deadline(start, m)) == m`` and ``deadline(start, 0) == start``.

Escalation (see :func:`due_escalations`)
    warning at ``warn_share`` (75%) of the clock time → assigned level's team; at breach
    → one level up; past breach one more level every ``repeat_minutes`` (plain elapsed
    time) up to ``max_level``. Each (deadline, level, kind) fires once; after downtime
    only the highest step now due is returned (one mail per ticket and deadline).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Protocol, Sequence

from mailbot.business_calendar import BusinessCalendar, Calendar, TwentyFourSeven, as_duration, calendar_for, to_utc

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
WARNING = "warning"
ESCALATION = "escalation"
MAX_LEVEL = 4

_ZERO = timedelta(0)
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Pause:
    """The clock is stopped in ``[start, end)``; ``end=None``: still stopped."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        to_utc(self.start)
        if self.end is not None and to_utc(self.end) < to_utc(self.start):
            raise ValueError(f"pause ends before it starts: {self.start.isoformat()} > {self.end.isoformat()}")


def merge_pauses(start: datetime, pauses: Iterable[Pause]) -> list[tuple[datetime, datetime | None]]:
    """Pauses as sorted, disjoint UTC ``(begin, end|None)`` spans, clipped to begin at ``start`` or later.

    Spans that ended at or before ``start`` and empty spans are dropped; everything
    after an open pause is swallowed by it (so an open pause, if any, is last).
    """
    start = to_utc(start)
    spans: list[tuple[datetime, datetime | None]] = []
    for p in pauses:
        b = max(to_utc(p.start), start)
        e = None if p.end is None else to_utc(p.end)
        if e is not None and e <= b:
            continue
        spans.append((b, e))
    spans.sort(key=lambda s: s[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for b, e in spans:
        if merged:
            last_b, last_e = merged[-1]
            if last_e is None:
                break
            if b <= last_e:
                merged[-1] = (last_b, None if e is None else max(last_e, e))
                continue
        merged.append((b, e))
    return merged


def deadline(start: datetime, minutes: int | timedelta, cal: Calendar,
             pauses: Sequence[Pause] = ()) -> datetime | None:
    """When ``minutes`` of clock time have elapsed since ``start`` on ``cal``, not counting pauses.

    ``None`` while paused (an open pause that began before the time ran out).
    """
    remaining = as_duration(minutes)
    cursor = to_utc(start)
    if not remaining:
        return cursor
    for begin, end in merge_pauses(cursor, pauses):
        if begin > cursor:
            available = cal.business_time_between(cursor, begin)
            if remaining <= available:
                return cal.add_business(cursor, remaining)
            remaining -= available
        if end is None:
            return None
        cursor = max(cursor, end)
    return cal.add_business(cursor, remaining)


def elapsed_time(start: datetime, now: datetime, cal: Calendar, pauses: Sequence[Pause] = ()) -> timedelta:
    """Exact clock time used in ``[start, now]``: open time of ``cal`` minus the paused part of it."""
    start, now = to_utc(start), to_utc(now)
    if now <= start:
        return _ZERO
    used = cal.business_time_between(start, now)
    for begin, end in merge_pauses(start, pauses):
        if begin >= now:
            break
        used -= cal.business_time_between(begin, now if end is None else min(end, now))
    return used


def elapsed(start: datetime, now: datetime, cal: Calendar, pauses: Sequence[Pause] = ()) -> int:
    """Clock time used in ``[start, now]`` in whole minutes (floored)."""
    return elapsed_time(start, now, cal, pauses) // _MINUTE


class SlaTargetLike(Protocol):
    first_response_minutes: int
    resolution_minutes: int | None
    clock: str


@dataclass(frozen=True)
class Clock:
    """One SLA clock of a ticket.

    ``due_at``/``warn_at`` are None while the ticket is paused (see :func:`deadline`);
    they are still computed when the clock is met, so reports can compare
    ``met_at <= due_at``.
    """

    name: str  # FIRST_RESPONSE | RESOLUTION
    due_at: datetime | None
    warn_at: datetime | None
    met_at: datetime | None = None

    @property
    def met(self) -> bool:
        return self.met_at is not None

    def breached(self, now: datetime) -> bool:
        """Missed: met late, or not met and ``now`` is at or past the deadline."""
        if self.due_at is None:
            return False
        if self.met_at is not None:
            return self.met_at > self.due_at
        return to_utc(now) >= self.due_at


def compute_clocks(received_at: datetime, target: SlaTargetLike, cal: BusinessCalendar | TwentyFourSeven,
                   pauses: Sequence[Pause] = (), warn_share: float = 0.75,
                   first_response_at: datetime | None = None,
                   resolved_at: datetime | None = None) -> tuple[Clock, ...]:
    """The ticket's clocks: first response, and resolution when the target has one.

    ``cal`` is the business calendar; ``target.clock`` picks it or the 24/7 clock.
    ``warn_at`` is when ``warn_share`` of the clock time to the deadline has elapsed, on
    the same calendar and with the same pauses (75% of 24 business hours = 18 business
    hours after the start, plus pauses). A target with ``resolution_minutes`` None has
    no resolution clock (it is left out of the tuple).

    A met clock stopped at its ``met_at``: pauses that begin later are ignored and an
    open pause is taken to end there, so a met clock always has a ``due_at`` to compare
    ``met_at`` with (the verdict met-in-time or late is the same either way).
    """
    if not 0 < warn_share <= 1:
        raise ValueError(f"warn_share must be in (0, 1]; got {warn_share!r}")
    clock_cal = calendar_for(target.clock, cal)
    received_at = to_utc(received_at)
    pauses = tuple(pauses)
    goals = [(FIRST_RESPONSE, target.first_response_minutes, first_response_at)]
    if target.resolution_minutes is not None:
        goals.append((RESOLUTION, target.resolution_minutes, resolved_at))
    clocks = []
    for name, minutes, met_at in goals:
        full = as_duration(minutes)
        met = None if met_at is None else to_utc(met_at)
        relevant = pauses if met is None else _pauses_until(pauses, met)
        clocks.append(Clock(
            name=name,
            due_at=deadline(received_at, full, clock_cal, relevant),
            warn_at=deadline(received_at, full * warn_share, clock_cal, relevant),
            met_at=met,
        ))
    return tuple(clocks)


def _pauses_until(pauses: Sequence[Pause], met_at: datetime) -> tuple[Pause, ...]:
    """A met clock stopped at ``met_at``: later pauses do not concern it, open ones end there."""
    kept = []
    for p in pauses:
        if to_utc(p.start) >= met_at:
            continue
        end = met_at if p.end is None else min(to_utc(p.end), met_at)
        kept.append(Pause(p.start, end))
    return tuple(kept)


@dataclass(frozen=True)
class TicketClockState:
    """What :func:`due_escalations` needs to know about one open ticket.

    ``level`` is the ticket's *assigned* support level (1–3, the team that owns it), not
    the escalation level reached so far: the progress of escalation is read from
    ``fired``, the set of ``(deadline name, level, kind)`` already sent for it. (If the
    scheduler bumped ``level`` on every escalation, the next level would be due at once.)
    """

    ticket_id: int
    level: int
    clocks: tuple[Clock, ...]
    fired: frozenset[tuple[str, int, str]] = frozenset()


@dataclass(frozen=True)
class EscalationStep:
    ticket_id: int
    deadline: str  # the clock name
    level: int  # whom to mail: the team/contact of this level
    kind: str  # WARNING | ESCALATION
    due_at: datetime  # when this step became due

    @property
    def key(self) -> tuple[str, int, str]:
        """The tuple to add to ``TicketClockState.fired`` once this step is recorded."""
        return (self.deadline, self.level, self.kind)


def due_escalations(tickets: Iterable[TicketClockState], now: datetime, repeat_minutes: int,
                    max_level: int = MAX_LEVEL) -> list[EscalationStep]:
    """The warnings and escalations to send at ``now``; at most one per ticket and deadline.

    For each clock that is not met and has a deadline (not paused), with ``L`` the
    ticket's assigned level (capped at ``max_level``):

    * before the deadline, from ``warn_at`` on: a ``warning`` at level ``L``, unless
      ``(name, L, "warning")`` has fired;
    * from the deadline on: escalation level ``L + k`` is due at
      ``due_at + (k - 1) * repeat_minutes`` (k = 1, 2, …; plain elapsed time), capped at
      ``max_level``. The step returned is the *highest* level due now, and only if no
      escalation at that level or above has fired for this deadline. So a scheduler
      that runs every minute climbs one level per interval, and one that was down for
      three days sends one mail per ticket and deadline, at the level the ticket would
      have reached (the warning it missed is not sent: the escalation supersedes it).
      A ticket already at ``max_level`` gets one escalation at ``max_level`` at breach.
      ``repeat_minutes <= 0`` disables the climbing past breach (one level only).

    Met clocks and paused clocks (``due_at`` None) produce nothing. The result is
    sorted by ``due_at``, ticket id and deadline name.
    """
    now = to_utc(now)
    repeat = timedelta(minutes=repeat_minutes) if repeat_minutes > 0 else None
    steps: list[EscalationStep] = []
    for ticket in tickets:
        base = max(1, min(ticket.level, max_level))
        for clock in ticket.clocks:
            if clock.met_at is not None or clock.due_at is None:
                continue
            if now >= clock.due_at:
                k_due = 1 if repeat is None else 1 + (now - clock.due_at) // repeat
                level = min(base + k_due, max_level)
                k = max(1, level - base)  # the step that first reached this level
                already = max((lvl for name, lvl, kind in ticket.fired
                               if name == clock.name and kind == ESCALATION), default=0)
                if level > already:
                    due = clock.due_at + (k - 1) * repeat if repeat is not None else clock.due_at
                    steps.append(EscalationStep(ticket.ticket_id, clock.name, level, ESCALATION, due))
            elif clock.warn_at is not None and now >= clock.warn_at:
                if (clock.name, base, WARNING) not in ticket.fired:
                    steps.append(EscalationStep(ticket.ticket_id, clock.name, base, WARNING, clock.warn_at))
    steps.sort(key=lambda s: (s.due_at, s.ticket_id, s.deadline))
    return steps


__all__ = [
    "Clock", "ESCALATION", "EscalationStep", "FIRST_RESPONSE", "MAX_LEVEL", "Pause", "RESOLUTION",
    "TicketClockState", "WARNING", "compute_clocks", "deadline", "due_escalations", "elapsed", "elapsed_time",
    "merge_pauses",
]
