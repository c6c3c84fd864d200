"""SLA clocks, pauses and escalation decisions.

Times are written in UTC with the America/Santiago wall time beside them; March 2025
is summer time (-03), so local = UTC - 3 h. Expected values were worked out by hand.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.business_calendar import BusinessCalendar, TwentyFourSeven
from mailbot.config import DEFAULT_SLA, SlaTarget
from mailbot.domain import Severity, Tier
from mailbot.sla import (
    ESCALATION,
    FIRST_RESPONSE,
    RESOLUTION,
    WARNING,
    Clock,
    EscalationStep,
    Pause,
    TicketClockState,
    compute_clocks,
    deadline,
    due_escalations,
    elapsed,
    elapsed_time,
)

UTC = timezone.utc
CAL = BusinessCalendar()
ALWAYS = TwentyFourSeven()
H = timedelta(hours=1)
M = timedelta(minutes=1)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


MON_0900 = utc(2025, 3, 17, 12)  # Mon 17 Mar 2025 09:00 -03


# ---- deadlines and pauses ---------------------------------------------------------------


def test_deadline_without_pauses_is_calendar_addition() -> None:
    assert deadline(MON_0900, 240, CAL) == utc(2025, 3, 17, 16)  # 13:00 local
    assert deadline(utc(2025, 3, 14, 20), 120, CAL) == utc(2025, 3, 17, 13)  # Fri 17:00 -> Mon 10:00
    assert deadline(MON_0900, 0, CAL) == MON_0900


def test_pause_in_open_hours_shifts_deadline_by_covered_time() -> None:
    # Waiting on the customer 10:00-11:30 local: 90 business minutes -> 13:00 becomes 14:30.
    pause = Pause(utc(2025, 3, 17, 13), utc(2025, 3, 17, 14, 30))
    assert deadline(MON_0900, 240, CAL, [pause]) == utc(2025, 3, 17, 17, 30)
    # Overlapping pauses are merged: 10:00-11:00 and 10:30-11:30 cover 90 minutes, not 120.
    pauses = [Pause(utc(2025, 3, 17, 13, 30), utc(2025, 3, 17, 14, 30)), Pause(utc(2025, 3, 17, 13), utc(2025, 3, 17, 14))]
    assert deadline(MON_0900, 240, CAL, pauses) == utc(2025, 3, 17, 17, 30)
    # A pause that began before the clock started only counts from the start.
    early = Pause(utc(2025, 3, 17, 11), utc(2025, 3, 17, 13))  # 08:00-10:00 local
    assert deadline(MON_0900, 240, CAL, [early]) == utc(2025, 3, 17, 17)
    # A pause after the deadline changes nothing.
    late = Pause(utc(2025, 3, 17, 17), utc(2025, 3, 17, 19))
    assert deadline(MON_0900, 240, CAL, [late]) == utc(2025, 3, 17, 16)


def test_pause_in_closed_hours_does_not_shift_a_business_deadline() -> None:
    start = utc(2025, 3, 14, 20)  # Fri 17:00 local; +120 -> Mon 10:00 local
    weekend = Pause(utc(2025, 3, 14, 21, 30), utc(2025, 3, 17, 11))  # Fri 18:30 -> Mon 08:00 local
    assert deadline(start, 120, CAL, [weekend]) == utc(2025, 3, 17, 13)
    # Fri 17:30 -> Mon 09:30 covers 30 + 30 open minutes: Mon 10:00 -> Mon 11:00.
    straddling = Pause(utc(2025, 3, 14, 20, 30), utc(2025, 3, 17, 12, 30))
    assert deadline(start, 120, CAL, [straddling]) == utc(2025, 3, 17, 14)


def test_pause_on_the_24_7_clock() -> None:
    sunday_3am = utc(2025, 3, 16, 6)
    assert deadline(sunday_3am, 30, ALWAYS) == utc(2025, 3, 16, 6, 30)
    assert deadline(sunday_3am, 30, ALWAYS, [Pause(utc(2025, 3, 16, 6, 10), utc(2025, 3, 16, 6, 20))]) == utc(2025, 3, 16, 6, 40)


def test_open_pause_means_no_deadline_unless_already_breached() -> None:
    # Paused (still waiting) from 10:00 local, before the 13:00 deadline: no deadline.
    assert deadline(MON_0900, 240, CAL, [Pause(utc(2025, 3, 17, 13), None)]) is None
    # Paused from 14:00 local, after the 13:00 deadline had passed: the breach stands.
    assert deadline(MON_0900, 240, CAL, [Pause(utc(2025, 3, 17, 17), None)]) == utc(2025, 3, 17, 16)
    # A closed pause then an open one.
    pauses = [Pause(utc(2025, 3, 17, 13), utc(2025, 3, 17, 14)), Pause(utc(2025, 3, 17, 16, 30), None)]
    assert deadline(MON_0900, 240, CAL, pauses) is None


def test_elapsed() -> None:
    noon = utc(2025, 3, 17, 15)  # 12:00 local
    assert elapsed(MON_0900, noon, CAL) == 180
    assert elapsed(MON_0900, noon, CAL, [Pause(utc(2025, 3, 17, 13), utc(2025, 3, 17, 14, 30))]) == 90
    assert elapsed(MON_0900, noon, CAL, [Pause(utc(2025, 3, 17, 13), None)]) == 60  # still waiting since 10:00
    assert elapsed(noon, MON_0900, CAL) == 0
    assert elapsed(utc(2025, 3, 14, 20), utc(2025, 3, 17, 13), CAL) == 120  # over a weekend
    assert elapsed(utc(2025, 3, 14, 20), utc(2025, 3, 17, 13), ALWAYS) == 65 * 60
    assert elapsed_time(MON_0900, MON_0900 + timedelta(seconds=90), CAL) == timedelta(seconds=90)
    with pytest.raises(ValueError):
        Pause(utc(2025, 3, 17, 14), utc(2025, 3, 17, 13))


# ---- clocks ------------------------------------------------------------------------------


def test_compute_clocks_basic_critical_business() -> None:
    target = DEFAULT_SLA[(Tier.BASIC, Severity.CRITICAL)]  # 2 h / 24 h, business clock
    received = utc(2025, 3, 14, 20)  # Fri 17:00 local
    fr, res = compute_clocks(received, target, CAL)
    assert fr == Clock(FIRST_RESPONSE, due_at=utc(2025, 3, 17, 13), warn_at=utc(2025, 3, 17, 12, 30), met_at=None)
    # 24 business hours: Fri 1 h, Mon 9, Tue 9, Wed 5 -> Wed 19 Mar 14:00 local.
    # Warning at 75% = 18 business hours: Fri 1, Mon 9, Tue 8 -> Tue 18 Mar 17:00 local.
    assert res == Clock(RESOLUTION, due_at=utc(2025, 3, 19, 17), warn_at=utc(2025, 3, 18, 20), met_at=None)
    assert res.warn_at == CAL.add_business(received, 18 * 60)


def test_compute_clocks_premium_critical_24_7() -> None:
    target = DEFAULT_SLA[(Tier.PREMIUM, Severity.CRITICAL)]  # 30 min / 4 h, 24/7
    received = utc(2025, 3, 16, 6)  # Sunday 03:00 local
    fr, res = compute_clocks(received, target, CAL, first_response_at=utc(2025, 3, 16, 6, 25))
    assert fr == Clock(FIRST_RESPONSE, utc(2025, 3, 16, 6, 30), utc(2025, 3, 16, 6, 22, 30), utc(2025, 3, 16, 6, 25))
    assert fr.met and not fr.breached(utc(2025, 3, 17))
    assert res == Clock(RESOLUTION, utc(2025, 3, 16, 10), utc(2025, 3, 16, 9), None)
    assert res.breached(utc(2025, 3, 16, 10)) and not res.breached(utc(2025, 3, 16, 9, 59))


def test_compute_clocks_no_resolution_target_and_custom_share() -> None:
    clocks = compute_clocks(MON_0900, DEFAULT_SLA[(Tier.PREMIUM, Severity.GENERAL)], CAL, warn_share=0.5)
    assert clocks == (Clock(FIRST_RESPONSE, utc(2025, 3, 17, 14), utc(2025, 3, 17, 13), None),)
    with pytest.raises(ValueError):
        compute_clocks(MON_0900, SlaTarget(60, None, "business"), CAL, warn_share=0)
    with pytest.raises(ValueError):
        compute_clocks(MON_0900, SlaTarget(60, None, "weekly"), CAL)


def test_compute_clocks_with_waiting_on_customer() -> None:
    target = DEFAULT_SLA[(Tier.BASIC, Severity.CRITICAL)]
    # Answered at 09:30, waiting on the customer Mon 10:00 -> Wed 19 Mar 10:00 local (18 business hours).
    pause = Pause(utc(2025, 3, 17, 13), utc(2025, 3, 19, 13))
    fr, res = compute_clocks(MON_0900, target, CAL, [pause], first_response_at=utc(2025, 3, 17, 12, 30))
    assert fr.due_at == utc(2025, 3, 17, 14) and fr.met_at == utc(2025, 3, 17, 12, 30)  # pause came after: no shift
    # Without the pause resolution is due Wed 15:00 local; the 18 h pause moves it two business days.
    assert res.due_at == utc(2025, 3, 21, 18)  # Fri 21 Mar 15:00 local
    assert res.warn_at == utc(2025, 3, 20, 21)  # 1 h before + 17 h after the pause: Thu 18:00 local
    # Still waiting: the resolution clock has no deadline; the met first-response clock keeps its own.
    fr, res = compute_clocks(MON_0900, target, CAL, [Pause(utc(2025, 3, 17, 13), None)],
                             first_response_at=utc(2025, 3, 17, 12, 30))
    assert fr.due_at == utc(2025, 3, 17, 14)
    assert res.due_at is None and res.warn_at is None


# ---- escalation ---------------------------------------------------------------------------

DUE = utc(2025, 3, 17, 14)
WARN = utc(2025, 3, 17, 13, 30)


def state(level: int = 1, fired: set[tuple[str, int, str]] | None = None, **clock: datetime | None) -> TicketClockState:
    c = Clock(FIRST_RESPONSE, clock.get("due_at", DUE), clock.get("warn_at", WARN), clock.get("met_at"))
    return TicketClockState(ticket_id=7, level=level, clocks=(c,), fired=frozenset(fired or ()))


def test_warning_then_escalations_each_once() -> None:
    assert due_escalations([state()], WARN - M, repeat_minutes=60) == []
    assert due_escalations([state()], WARN, 60) == [EscalationStep(7, FIRST_RESPONSE, 1, WARNING, WARN)]
    fired = {(FIRST_RESPONSE, 1, WARNING)}
    assert due_escalations([state(fired=fired)], DUE - M, 60) == []
    assert due_escalations([state(fired=fired)], DUE, 60) == [EscalationStep(7, FIRST_RESPONSE, 2, ESCALATION, DUE)]
    fired.add((FIRST_RESPONSE, 2, ESCALATION))
    assert due_escalations([state(fired=fired)], DUE + 59 * M, 60) == []
    assert due_escalations([state(fired=fired)], DUE + 60 * M, 60) == [
        EscalationStep(7, FIRST_RESPONSE, 3, ESCALATION, DUE + H)]
    fired.add((FIRST_RESPONSE, 3, ESCALATION))
    assert due_escalations([state(fired=fired)], DUE + 2 * H, 60) == [
        EscalationStep(7, FIRST_RESPONSE, 4, ESCALATION, DUE + 2 * H)]
    fired.add((FIRST_RESPONSE, 4, ESCALATION))
    assert due_escalations([state(fired=fired)], DUE + timedelta(days=30), 60) == []  # level 4 is the top


def test_escalation_edge_levels_and_settings() -> None:
    # Assigned to level 3: breach goes to level 4 at once, then nothing more.
    assert due_escalations([state(level=3)], DUE, 60) == [EscalationStep(7, FIRST_RESPONSE, 4, ESCALATION, DUE)]
    assert due_escalations([state(level=3, fired={(FIRST_RESPONSE, 4, ESCALATION)})], DUE + 9 * H, 60) == []
    # Already at level 4: one escalation mail at level 4.
    assert due_escalations([state(level=4)], DUE + 5 * H, 60) == [EscalationStep(7, FIRST_RESPONSE, 4, ESCALATION, DUE)]
    # No repetition configured: one level up only.
    assert due_escalations([state()], DUE + timedelta(days=3), 0) == [EscalationStep(7, FIRST_RESPONSE, 2, ESCALATION, DUE)]
    assert due_escalations([state(fired={(FIRST_RESPONSE, 2, ESCALATION)})], DUE + timedelta(days=3), 0) == []
    # max_level 3.
    assert due_escalations([state()], DUE + timedelta(days=3), 60, max_level=3) == [
        EscalationStep(7, FIRST_RESPONSE, 3, ESCALATION, DUE + H)]
    # Never back down: once level 4 was mailed for this deadline (say the interval was shorter
    # before a config change), a lower level that is due now is not mailed.
    assert due_escalations([state(fired={(FIRST_RESPONSE, 4, ESCALATION)})], DUE + H, 60) == []
    # Met and paused clocks stay quiet.
    assert due_escalations([state(met_at=DUE - M)], DUE + timedelta(days=3), 60) == []
    assert due_escalations([state(due_at=None, warn_at=None)], DUE + timedelta(days=3), 60) == []


def test_catch_up_after_three_days_down_one_step_per_ticket_and_deadline() -> None:
    """The scheduler was down from Mon 17 Mar 2025 08:00 to Thu 20 Mar 09:00 local."""
    repeat = 240
    now = utc(2025, 3, 20, 12)  # Thu 09:00 local
    sla = DEFAULT_SLA

    def ticket(tid: int, level: int, tier: Tier, severity: Severity, received: datetime,
               fired: set[tuple[str, int, str]] = frozenset(), **met: datetime) -> TicketClockState:
        return TicketClockState(tid, level, compute_clocks(received, sla[(tier, severity)], CAL, **met), frozenset(fired))

    tickets = [
        # A: basic critical at level 3, Mon 09:00. First response due Mon 11:00 local; resolution
        # (24 business h) due Wed 15:00 local. Both climb to level 4 (the top) at breach.
        ticket(1, 3, Tier.BASIC, Severity.CRITICAL, MON_0900),
        # B: basic important at level 2, Mon 09:00. First response (24 business h) due Wed 15:00
        # local = 18:00Z; 18 h past due with a 4 h interval: level 2+5 capped at 4, which level 4
        # first became due at due + 4 h. Resolution (72 business h) not even at warning yet.
        ticket(2, 2, Tier.BASIC, Severity.IMPORTANT, MON_0900),
        # C: premium general, answered in time: nothing.
        ticket(3, 1, Tier.PREMIUM, Severity.GENERAL, MON_0900, first_response_at=utc(2025, 3, 17, 13)),
        # D: basic general, Tue 09:00 local: first response due Thu 15:00 local; warning (18 business h)
        # was due Wed 18:00 local: one warning at level 1.
        ticket(4, 1, Tier.BASIC, Severity.GENERAL, utc(2025, 3, 18, 12)),
        # E: premium critical on the 24/7 clock, Mon 03:00 local; the first-response escalation to
        # level 4 was recorded before the outage; the resolution (4 h) breached Mon 10:00Z.
        ticket(5, 3, Tier.PREMIUM, Severity.CRITICAL, utc(2025, 3, 17, 6), {(FIRST_RESPONSE, 4, ESCALATION)}),
    ]
    steps = due_escalations(tickets, now, repeat)
    assert steps == [
        EscalationStep(5, RESOLUTION, 4, ESCALATION, utc(2025, 3, 17, 10)),
        EscalationStep(1, FIRST_RESPONSE, 4, ESCALATION, utc(2025, 3, 17, 14)),
        EscalationStep(1, RESOLUTION, 4, ESCALATION, utc(2025, 3, 19, 18)),
        EscalationStep(4, FIRST_RESPONSE, 1, WARNING, utc(2025, 3, 19, 21)),
        EscalationStep(2, FIRST_RESPONSE, 4, ESCALATION, utc(2025, 3, 19, 22)),
    ]
    # Recorded, the next run finds nothing new.
    recorded = [TicketClockState(t.ticket_id, t.level, t.clocks,
                                 t.fired | {s.key for s in steps if s.ticket_id == t.ticket_id}) for t in tickets]
    assert due_escalations(recorded, now + 5 * M, repeat) == []


def test_scheduler_every_ten_minutes_climbs_one_level_per_interval() -> None:
    clocks = compute_clocks(MON_0900, DEFAULT_SLA[(Tier.BASIC, Severity.CRITICAL)], CAL)
    t = TicketClockState(9, 1, clocks)
    sent: list[tuple[datetime, tuple[str, int, str]]] = []
    now = MON_0900
    while now < utc(2025, 3, 24):
        for step in due_escalations([t], now, repeat_minutes=120):
            assert step.due_at <= now
            sent.append((now, step.key))
            t = TicketClockState(t.ticket_id, t.level, t.clocks, t.fired | {step.key})
        now += 10 * M
    assert sent == [
        (utc(2025, 3, 17, 13, 30), (FIRST_RESPONSE, 1, WARNING)),  # 10:30 local
        (utc(2025, 3, 17, 14), (FIRST_RESPONSE, 2, ESCALATION)),  # 11:00 local, breach
        (utc(2025, 3, 17, 16), (FIRST_RESPONSE, 3, ESCALATION)),
        (utc(2025, 3, 17, 18), (FIRST_RESPONSE, 4, ESCALATION)),
        (utc(2025, 3, 18, 21), (RESOLUTION, 1, WARNING)),  # Tue 18:00 local = 18 business h
        (utc(2025, 3, 19, 18), (RESOLUTION, 2, ESCALATION)),  # Wed 15:00 local = 24 business h
        (utc(2025, 3, 19, 20), (RESOLUTION, 3, ESCALATION)),
        (utc(2025, 3, 19, 22), (RESOLUTION, 4, ESCALATION)),
    ]


# ---- properties -----------------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2016, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC))


@st.composite
def pause_lists(draw: st.DrawFn, start: datetime) -> list[Pause]:
    pauses = []
    for _ in range(draw(st.integers(0, 4))):
        begin = start + timedelta(minutes=draw(st.integers(-3000, 20000)))
        pauses.append(Pause(begin, begin + timedelta(minutes=draw(st.integers(0, 6000)))))
    return pauses


@FAST
@given(data=st.data(), start=instants, minutes=st.integers(0, 20 * 540), business=st.booleans())
def test_deadline_then_elapsed_gives_the_target_back(data: st.DataObject, start: datetime, minutes: int, business: bool) -> None:
    cal = CAL if business else ALWAYS
    pauses = data.draw(pause_lists(start))
    due = deadline(start, minutes, cal, pauses)
    assert due is not None and due >= start
    assert elapsed(start, due, cal, pauses) == minutes
    assert elapsed_time(start, due, cal, pauses) == timedelta(minutes=minutes)
    # Pauses never bring a deadline forward.
    assert due >= deadline(start, minutes, cal)
    assert due >= deadline(start, minutes, cal, pauses[:-1])


@FAST
@given(
    due=instants,
    warn_before=st.integers(1, 3000),
    level=st.integers(1, 4),
    repeat=st.integers(0, 600),
    offsets=st.lists(st.integers(-4000, 20000), min_size=1, max_size=25),
)
def test_each_step_fires_once_and_levels_only_climb(due: datetime, warn_before: int, level: int, repeat: int,
                                                    offsets: list[int]) -> None:
    clock = Clock(FIRST_RESPONSE, due, due - timedelta(minutes=warn_before), None)
    other = Clock(RESOLUTION, due + H, due, None)
    t = TicketClockState(1, level, (clock, other))
    keys: list[tuple[str, int, str]] = []
    for offset in sorted(offsets):
        steps = due_escalations([t], due + timedelta(minutes=offset), repeat)
        assert all(c == 1 for c in Counter(s.deadline for s in steps).values())
        for s in steps:
            assert s.key not in t.fired
            keys.append(s.key)
        t = TicketClockState(1, level, t.clocks, t.fired | {s.key for s in steps})
    assert len(keys) == len(set(keys))
    for name in (FIRST_RESPONSE, RESOLUTION):
        levels = [lvl for n, lvl, kind in keys if n == name and kind == ESCALATION]
        assert levels == sorted(levels) and all(min(level + 1, 4) <= lvl <= 4 for lvl in levels)
    # Far past breach, a fresh (never fired) ticket gets exactly one step per deadline, at the top
    # level when escalation repeats, one level up when it does not.
    fresh = due_escalations([TicketClockState(1, level, (clock, other))], due + timedelta(days=30), repeat)
    top = 4 if repeat else min(level + 1, 4)
    assert [(s.deadline, s.level, s.kind) for s in fresh] == [(FIRST_RESPONSE, top, ESCALATION), (RESOLUTION, top, ESCALATION)]
