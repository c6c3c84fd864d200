"""Business calendar: hand-checked Chilean dates and DST, plus properties over 2016–2027.

The expected values in the tables were worked out by hand from the Chilean calendar
(weekends, holidays) and the America/Santiago offsets (-03 in summer, -04 in winter;
the transitions found by ``_transitions`` below). Each row gives the UTC value and the
local wall time, so a wrong offset or a wrong day fails.
"""

from __future__ import annotations

import time as _time
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.business_calendar import (
    BusinessCalendar,
    TwentyFourSeven,
    calendar_for,
)

UTC = timezone.utc
SCL = ZoneInfo("America/Santiago")
CAL = BusinessCalendar()
ALWAYS = TwentyFourSeven()
CL_HOLIDAYS = holidays.country_holidays("CL", years=range(2015, 2029))

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(instant: datetime) -> tuple[int, ...]:
    """Local wall time of an instant as a tuple (y, m, d, H, M)."""
    t = instant.astimezone(SCL)
    return (t.year, t.month, t.day, t.hour, t.minute)


def _transitions(first_year: int = 2016, last_year: int = 2027) -> list[datetime]:
    """Every UTC instant in [first_year, last_year] at which America/Santiago's offset changes.

    Scans in 6-hour steps and bisects each change down to the second.
    """
    step = timedelta(hours=6)
    t = utc(first_year, 1, 1)
    end = utc(last_year + 1, 1, 1)
    found = []
    previous = t.astimezone(SCL).utcoffset()
    while t < end:
        nxt = t + step
        offset = nxt.astimezone(SCL).utcoffset()
        if offset != previous:
            lo, hi = t, nxt  # offset(lo) == previous, offset(hi) == new
            while hi - lo > timedelta(seconds=1):
                mid = lo + timedelta(seconds=int((hi - lo).total_seconds()) // 2)
                if mid.astimezone(SCL).utcoffset() == previous:
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
            previous = offset
        t = nxt
    return found


TRANSITIONS = _transitions()


def _naive_is_open(instant: datetime) -> bool:
    """An independent oracle: local wall time on a weekday, not a holiday, 09:00 <= t < 18:00."""
    t = instant.astimezone(SCL)
    return t.weekday() < 5 and t.date() not in CL_HOLIDAYS and time(9) <= t.time() < time(18)


# ---- DST transitions found in the zone data ---------------------------------------


def test_transitions_found_from_zoneinfo() -> None:
    assert len(TRANSITIONS) == 24  # two a year, 2016–2027
    # Worked out from the scan, written here by hand so a tzdata change is noticed.
    assert utc(2025, 4, 6, 3) in TRANSITIONS  # Sat 5 Apr 2025 24:00 -03 -> Sat 23:00 -04
    assert utc(2025, 9, 7, 4) in TRANSITIONS  # Sat 6 Sep 2025 24:00 -04 -> Sun 7 Sep 01:00 -03
    assert utc(2026, 4, 5, 3) in TRANSITIONS  # Sat 4 Apr 2026 24:00 -03 -> Sat 23:00 -04
    assert utc(2026, 9, 6, 4) in TRANSITIONS  # Sat 5 Sep 2026 24:00 -04 -> Sun 6 Sep 01:00 -03
    assert utc(2016, 5, 15, 3) in TRANSITIONS and utc(2016, 8, 14, 4) in TRANSITIONS


@pytest.mark.parametrize("transition", TRANSITIONS, ids=lambda t: t.date().isoformat())
def test_every_transition_is_at_saturday_midnight_and_business_days_stay_nine_hours(transition: datetime) -> None:
    before = (transition - timedelta(seconds=1)).astimezone(SCL)
    assert before.weekday() == 5 and before.time() == time(23, 59, 59)
    day = before.date()
    lengths = []
    for offset in range(-6, 8):
        interval = CAL.open_interval(day + timedelta(days=offset))
        if interval is not None:
            begin, end = interval
            assert local(begin)[3:] == (9, 0) and local(end)[3:] == (18, 0)
            lengths.append(end - begin)
    assert lengths and set(lengths) == {timedelta(hours=9)}
    # The last open day before the transition night at 17:00, plus two business hours, is
    # the first open day after it at 10:00 local (open days judged without the calendar's code).
    def open_day(d: date) -> bool:
        return d.weekday() < 5 and d not in CL_HOLIDAYS

    last_open = day - timedelta(days=1)
    while not open_day(last_open):
        last_open -= timedelta(days=1)
    next_open_day = day + timedelta(days=1)
    while not open_day(next_open_day):
        next_open_day += timedelta(days=1)
    last_day_5pm = datetime.combine(last_open, time(17), tzinfo=SCL)
    result = CAL.add_business(last_day_5pm, 120)
    assert local(result) == (next_open_day.year, next_open_day.month, next_open_day.day, 10, 0)
    assert CAL.business_minutes_between(last_day_5pm, result) == 120


@FAST
@given(
    index=st.integers(0, len(TRANSITIONS) - 1),
    offset_minutes=st.integers(-4 * 24 * 60, 4 * 24 * 60),
    minutes=st.integers(0, 5 * 540),
)
def test_near_every_transition_round_trip_and_open_result(index: int, offset_minutes: int, minutes: int) -> None:
    start = TRANSITIONS[index] + timedelta(minutes=offset_minutes)
    result = CAL.add_business(start, minutes)
    assert CAL.business_minutes_between(start, result) == minutes
    assert CAL.business_time_between(start, result) == timedelta(minutes=minutes)
    if minutes:
        _assert_in_open_time(result)


# ---- hand-checked table ---------------------------------------------------------------

ADD_TABLE = [
    # (why, start UTC, minutes, expected UTC, expected local wall time)
    ("Fri 17:30 + 60 -> Mon 09:30", utc(2025, 3, 14, 20, 30), 60, utc(2025, 3, 17, 12, 30), (2025, 3, 17, 9, 30)),
    ("Fri 20:00 + 2 h -> Mon 11:00", utc(2025, 3, 14, 23, 0), 120, utc(2025, 3, 17, 14, 0), (2025, 3, 17, 11, 0)),
    ("ends exactly at closing", utc(2025, 3, 17, 12, 0), 540, utc(2025, 3, 17, 21, 0), (2025, 3, 17, 18, 0)),
    ("Fiestas Patrias 18-19 Sep 2025", utc(2025, 9, 17, 20, 0), 120, utc(2025, 9, 22, 13, 0), (2025, 9, 22, 10, 0)),
    ("1 January 2026", utc(2025, 12, 31, 20, 0), 120, utc(2026, 1, 2, 13, 0), (2026, 1, 2, 10, 0)),
    ("Good Friday 18 Apr 2025", utc(2025, 4, 17, 21, 30), 60, utc(2025, 4, 21, 13, 30), (2025, 4, 21, 9, 30)),
    ("San Pedro y San Pablo Mon 29 Jun 2026", utc(2026, 6, 26, 21, 0), 120, utc(2026, 6, 30, 14, 0), (2026, 6, 30, 10, 0)),
    ("bridge Fri 17 Sep 2027", utc(2027, 9, 16, 20, 0), 120, utc(2027, 9, 20, 13, 0), (2027, 9, 20, 10, 0)),
    # Sat 6 Sep 2025 22:00 -04: the transition night (-04 -> -03) lies between start and result.
    ("Sat 6 Sep 2025 22:00 + 1 h", utc(2025, 9, 7, 2, 0), 60, utc(2025, 9, 8, 13, 0), (2025, 9, 8, 10, 0)),
    # Fri 5 Sep 2025 16:00 -04 + 24 business h: Fri 2 h, Mon 9, Tue 9, Wed 4 -> Wed 10 Sep 13:00 -03.
    ("24 h over Sep 2025 DST", utc(2025, 9, 5, 20, 0), 1440, utc(2025, 9, 10, 16, 0), (2025, 9, 10, 13, 0)),
    # Thu 2 Apr 2026 15:00 -03 + 24 business h: Thu 3 h, Good Friday + Holy Saturday + Sunday
    # (with the -03 -> -04 change that night), Mon 9, Tue 9, Wed 3 -> Wed 8 Apr 12:00 -04.
    ("24 h over Apr 2026 DST and Easter", utc(2026, 4, 2, 18, 0), 1440, utc(2026, 4, 8, 16, 0), (2026, 4, 8, 12, 0)),
]


@pytest.mark.parametrize("why,start,minutes,expected,wall", ADD_TABLE, ids=[row[0] for row in ADD_TABLE])
def test_add_business_table(why: str, start: datetime, minutes: int, expected: datetime, wall: tuple[int, ...]) -> None:
    result = CAL.add_business(start, minutes)
    assert result == expected
    assert result.tzinfo is UTC
    assert local(result) == wall
    assert CAL.business_minutes_between(start, result) == minutes


@pytest.mark.parametrize("instant,expected", [
    (utc(2025, 9, 18, 15), False),  # Thu 18 Sep 2025 12:00 local: Independence Day
    (utc(2025, 9, 19, 15), False),  # Fri 19 Sep 2025: Army Day
    (utc(2025, 9, 17, 15), True),  # Wed 17 Sep 2025 12:00
    (utc(2025, 1, 1, 15), False),  # 1 January
    (utc(2025, 4, 18, 16), False),  # Good Friday 2025 12:00 -04
    (utc(2025, 4, 17, 16), True),  # Maundy Thursday is a working day
    (utc(2025, 3, 17, 12, 0), True),  # Mon 09:00:00 -03: opening instant is open
    (utc(2025, 3, 17, 11, 59, 59), False),  # 08:59:59
    (utc(2025, 3, 17, 20, 59), True),  # 17:59
    (utc(2025, 3, 17, 21, 0), False),  # 18:00:00 is closed
    (utc(2025, 3, 15, 15), False),  # Saturday noon
    (utc(2025, 7, 14, 13, 0), True),  # Mon 14 Jul 2025 09:00 -04 (winter offset)
    (utc(2025, 7, 14, 12, 30), False),  # 08:30 -04 (would be 09:30 with the summer offset)
])
def test_is_open_table(instant: datetime, expected: bool) -> None:
    assert CAL.is_open(instant) is expected


def test_next_open() -> None:
    assert CAL.next_open(utc(2025, 3, 14, 23)) == utc(2025, 3, 17, 12)  # Fri 20:00 -> Mon 09:00 -03
    assert CAL.next_open(utc(2025, 3, 17, 15, 7)) == utc(2025, 3, 17, 15, 7)  # open: itself
    assert CAL.next_open(utc(2025, 9, 17, 21)) == utc(2025, 9, 22, 12)  # Wed 18:00 -> Mon 22 Sep 09:00
    assert CAL.next_open(utc(2026, 4, 2, 21)) == utc(2026, 4, 6, 13)  # Thu 18:00 -03 -> Mon 09:00 -04


def test_business_minutes_between_table() -> None:
    assert CAL.business_minutes_between(utc(2025, 3, 14, 20), utc(2025, 3, 17, 13)) == 120  # Fri 17:00 -> Mon 10:00
    assert CAL.business_minutes_between(utc(2025, 3, 17, 13), utc(2025, 3, 14, 20)) == 0  # reversed
    assert CAL.business_minutes_between(utc(2025, 3, 15, 0), utc(2025, 3, 16, 23)) == 0  # a weekend
    assert CAL.business_minutes_between(utc(2025, 9, 5, 20), utc(2025, 9, 10, 16)) == 1440
    assert CAL.business_minutes_between(utc(2026, 4, 2, 18), utc(2026, 4, 8, 16)) == 1440
    # Floors: 90 seconds of open time is 1 minute; the exact value is kept by business_time_between.
    assert CAL.business_minutes_between(utc(2025, 3, 17, 13), utc(2025, 3, 17, 13, 1, 30)) == 1
    assert CAL.business_time_between(utc(2025, 3, 17, 13), utc(2025, 3, 17, 13, 1, 30)) == timedelta(seconds=90)
    # A whole year of 2025: 249 open days (261 weekdays - 12 weekday holidays) x 9 h.
    weekday_holidays = [d for d in CL_HOLIDAYS if d.year == 2025 and d.weekday() < 5]
    assert len(weekday_holidays) == 12
    assert CAL.business_minutes_between(datetime(2025, 1, 1, tzinfo=SCL), datetime(2026, 1, 1, tzinfo=SCL)) == 249 * 540


def test_holidays_2024_to_2027_are_closed() -> None:
    # Weekday holidays as the holidays package knows them, checked by hand against the
    # Chilean calendar (moved holidays, Fiestas Patrias bridges).
    expected = {
        2024: ["01-01", "03-29", "05-01", "05-21", "06-20", "07-16", "08-15", "09-18", "09-19", "09-20",
               "10-31", "11-01", "12-25"],
        2025: ["01-01", "04-18", "05-01", "05-21", "06-20", "07-16", "08-15", "09-18", "09-19", "10-31",
               "12-08", "12-25"],
        2026: ["01-01", "04-03", "05-01", "05-21", "06-29", "07-16", "09-18", "10-12", "12-08", "12-25"],
        2027: ["01-01", "03-26", "05-21", "06-21", "06-28", "07-16", "09-17", "10-11", "11-01", "12-08"],
    }
    for year, days in expected.items():
        closed_weekdays = sorted(d for d in CAL.holidays_in(year) if d.weekday() < 5)
        assert [d.strftime("%m-%d") for d in closed_weekdays] == days, year
        for d in CAL.holidays_in(year):
            noon = datetime.combine(d, time(12), tzinfo=SCL)
            assert not CAL.is_open(noon)
            assert CAL.business_minutes_between(datetime.combine(d, time(0), tzinfo=SCL),
                                                datetime.combine(d + timedelta(days=1), time(0), tzinfo=SCL)) == 0
    # Weekend holidays exist too (e.g. Holy Saturday) and change nothing.
    assert date(2026, 4, 4) in CAL.holidays_in(2026)


def test_extra_closed_and_custom_hours() -> None:
    closed = BusinessCalendar(extra_closed=frozenset({date(2025, 3, 17)}))
    assert closed.add_business(utc(2025, 3, 14, 20, 30), 60) == utc(2025, 3, 18, 12, 30)  # -> Tue 09:30
    short = BusinessCalendar(open_time=time(8, 30), close_time=time(13), weekdays=frozenset({0, 1, 2, 3, 4, 5}))
    # Sat 15 Mar 2025 12:30 -03 + 60 -> Sat 13:00 is 30, then Mon 08:30 + 30 = 09:00 -03.
    assert short.add_business(utc(2025, 3, 15, 15, 30), 60) == utc(2025, 3, 17, 12, 0)
    no_holidays = BusinessCalendar(country="")
    assert no_holidays.is_open(utc(2025, 9, 18, 15))
    with pytest.raises(ValueError):
        BusinessCalendar(open_time=time(18), close_time=time(9))
    with pytest.raises(ValueError):
        BusinessCalendar(weekdays=frozenset({7}))
    with pytest.raises(ValueError):
        BusinessCalendar(weekdays=frozenset()).add_business(utc(2025, 1, 1), 1)


def test_inputs_and_outputs() -> None:
    with pytest.raises(ValueError):
        CAL.add_business(datetime(2025, 3, 17, 12), 10)  # naive
    with pytest.raises(ValueError):
        CAL.add_business(utc(2025, 3, 17, 12), -1)
    # Any aware zone in, UTC out; a start in closed time and 0 minutes stays put.
    assert CAL.add_business(datetime(2025, 3, 14, 17, 30, tzinfo=SCL), 60) == utc(2025, 3, 17, 12, 30)
    assert CAL.add_business(utc(2025, 3, 15, 15), 0) == utc(2025, 3, 15, 15)
    assert CAL.add_business(utc(2025, 3, 17, 12), timedelta(seconds=90)) == utc(2025, 3, 17, 12, 1, 30)


def test_speed_loops_over_days_not_minutes() -> None:
    start = utc(2025, 9, 5, 20)
    began = _time.perf_counter()
    for _ in range(500):
        CAL.add_business(start, 72 * 60)
    per_call = (_time.perf_counter() - began) / 500
    assert per_call < 1e-3
    # Fri 5 Sep 2025 16:00 -04: Fri 2 h, 8-12 Sep 45 h, Mon 15 + Tue 16 18 h (18-19 Sep are
    # holidays, but not reached), Wed 17 Sep 7 h -> 16:00 -03.
    assert CAL.add_business(start, 72 * 60) == utc(2025, 9, 17, 19)


# ---- 24/7 -----------------------------------------------------------------------------


def test_twenty_four_seven() -> None:
    sunday_3am = utc(2025, 3, 16, 6)  # Sun 16 Mar 2025 03:00 -03
    assert ALWAYS.add_business(sunday_3am, 30) == utc(2025, 3, 16, 6, 30)
    assert local(ALWAYS.add_business(sunday_3am, 30)) == (2025, 3, 16, 3, 30)
    assert ALWAYS.is_open(sunday_3am) and ALWAYS.next_open(sunday_3am) == sunday_3am
    # Across the September 2025 gap: Sat 23:30 -04 + 60 min of real time = Sun 01:30 -03.
    assert local(ALWAYS.add_business(utc(2025, 9, 7, 3, 30), 60)) == (2025, 9, 7, 1, 30)
    # Across the April 2026 fold: Sat 23:30 -03 + 60 min = Sat 23:30 -04 (the hour repeats).
    result = ALWAYS.add_business(utc(2026, 4, 5, 2, 30), 60)
    assert result == utc(2026, 4, 5, 3, 30) and local(result) == (2026, 4, 4, 23, 30)
    assert ALWAYS.business_minutes_between(utc(2026, 4, 5, 2, 30), result) == 60
    assert ALWAYS.business_minutes_between(result, utc(2026, 4, 5, 2, 30)) == 0


def test_calendar_for() -> None:
    assert calendar_for("business", CAL) is CAL
    assert isinstance(calendar_for("24/7", CAL), TwentyFourSeven)
    with pytest.raises(ValueError):
        calendar_for("weekdays", CAL)


# ---- properties -------------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2016, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
durations = st.integers(min_value=0, max_value=40 * 540)


def _assert_in_open_time(result: datetime) -> None:
    """Inside an open interval or exactly at its close, checked without the calendar's code."""
    t = result.astimezone(SCL)
    assert t.weekday() < 5, t
    assert t.date() not in CL_HOLIDAYS, t
    assert time(9) < t.time() <= time(18), t


@FAST
@given(start=instants, minutes=durations)
def test_add_then_measure_gives_it_back(start: datetime, minutes: int) -> None:
    result = CAL.add_business(start, minutes)
    assert result >= start
    assert CAL.business_minutes_between(start, result) == minutes
    assert CAL.business_time_between(start, result) == timedelta(minutes=minutes)


@FAST
@given(start=instants, minutes=st.integers(min_value=1, max_value=40 * 540))
def test_result_never_in_closed_time(start: datetime, minutes: int) -> None:
    _assert_in_open_time(CAL.add_business(start, minutes))


@FAST
@given(a=instants, b=instants, minutes=durations)
def test_monotonic_in_start(a: datetime, b: datetime, minutes: int) -> None:
    a, b = min(a, b), max(a, b)
    assert CAL.add_business(a, minutes) <= CAL.add_business(b, minutes)


@FAST
@given(start=instants, m1=durations, m2=durations)
def test_adding_in_two_steps_is_adding_once(start: datetime, m1: int, m2: int) -> None:
    assert CAL.add_business(CAL.add_business(start, m1), m2) == CAL.add_business(start, m1 + m2)


@FAST
@given(a=instants, gap1=st.timedeltas(timedelta(0), timedelta(days=20)), gap2=st.timedeltas(timedelta(0), timedelta(days=20)))
def test_measure_is_additive(a: datetime, gap1: timedelta, gap2: timedelta) -> None:
    b, c = a + abs(gap1), a + abs(gap1) + abs(gap2)
    assert CAL.business_time_between(a, b) + CAL.business_time_between(b, c) == CAL.business_time_between(a, c)


@settings(max_examples=25, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2016, 1, 1), max_value=datetime(2027, 12, 25), timezones=st.just(UTC)),
    span_minutes=st.integers(min_value=0, max_value=4 * 24 * 60),
)
def test_measure_matches_minute_by_minute_oracle(start: datetime, span_minutes: int) -> None:
    start = start.replace(second=0, microsecond=0)
    oracle = sum(_naive_is_open(start + timedelta(minutes=i)) for i in range(span_minutes))
    assert CAL.business_minutes_between(start, start + timedelta(minutes=span_minutes)) == oracle
    assert CAL.is_open(start) == _naive_is_open(start)


@FAST
@given(instant=instants)
def test_next_open_is_open_and_nothing_open_before_it(instant: datetime) -> None:
    opening = CAL.next_open(instant)
    assert opening >= instant and CAL.is_open(opening)
    assert CAL.business_time_between(instant, opening) == timedelta(0)
    assert CAL.is_open(instant) == (opening == instant)


@FAST
@given(start=instants, minutes=durations)
def test_twenty_four_seven_round_trip(start: datetime, minutes: int) -> None:
    result = ALWAYS.add_business(start, minutes)
    assert result - start == timedelta(minutes=minutes)
    assert ALWAYS.business_minutes_between(start, result) == minutes
