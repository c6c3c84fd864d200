"""Business time: when the support desk is open, and how much open time lies between instants.

Pure: no I/O, no clock reads. Every instant is a parameter; instants come in as aware
datetimes (any zone) and go out as aware UTC datetimes. A naive datetime is refused
(``ValueError``) rather than guessed.

Two calendars share one interface (:class:`Calendar`):

* :class:`BusinessCalendar` — Monday–Friday 09:00–18:00 ``America/Santiago`` by
  default, closed on Chilean public holidays (the ``holidays`` package, country
  ``CL``, category ``public``; computed lazily, cached per year) and on the dates of
  ``extra_closed``. Time is walked day by day over *local* dates: for each open local
  date the open interval is ``[date open_time, date close_time)`` in local wall time,
  converted to UTC with zoneinfo. So a business day is always 9 hours long, while its
  UTC offset follows Chile's DST changes (which happen at local midnight on a weekend
  night: 24:00 → 01:00 in September, 24:00 → 23:00 in April).
* :class:`TwentyFourSeven` — every instant is open; durations are plain elapsed time.

Semantics:

* ``add_business(start, minutes)`` is the *earliest* instant ``t >= start`` such that
  the open time in ``[start, t]`` equals ``minutes``. Hence ``add_business(s, 0) == s``
  (even in a closed period), a clock started in a closed period starts running at the
  next opening, and a duration that ends exactly at closing time returns the closing
  instant (18:00 local), not the next morning. ``minutes`` may be an ``int`` or an
  exact ``timedelta``; the arithmetic is exact ``timedelta`` arithmetic (microsecond
  resolution, no floats).
* ``business_time_between(a, b)`` is the exact open time in ``[a, b]`` as a timedelta
  (zero when ``b <= a``); ``business_minutes_between`` is that, floored to whole
  minutes, as an ``int``. For any start and any whole ``m >= 0``:
  ``business_minutes_between(s, add_business(s, m)) == m``.
* ``is_open(t)`` uses half-open intervals: open at 09:00:00, closed at 18:00:00.
  ``next_open(t)`` is ``t`` itself when open, else the start of the next open interval.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

UTC = timezone.utc
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
# A calendar that has been closed for this many consecutive days is treated as
# misconfigured (e.g. no weekdays) instead of looping forever.
MAX_CLOSED_DAYS = 1000

BUSINESS = "business"
TWENTY_FOUR_SEVEN = "24/7"


def to_utc(instant: datetime) -> datetime:
    """The same instant as an aware UTC datetime; a naive datetime is an error."""
    if instant.tzinfo is None or instant.tzinfo.utcoffset(instant) is None:
        raise ValueError(f"naive datetime {instant!r}: pass an aware datetime (UTC)")
    return instant.astimezone(UTC)


def as_duration(minutes: int | timedelta) -> timedelta:
    if isinstance(minutes, timedelta):
        duration = minutes
    elif isinstance(minutes, int) and not isinstance(minutes, bool):
        duration = timedelta(minutes=minutes)
    else:
        raise TypeError(f"minutes must be an int or a timedelta, not {type(minutes).__name__}")
    if duration < _ZERO:
        raise ValueError(f"a duration cannot be negative: {minutes!r}")
    return duration


@functools.lru_cache(maxsize=512)
def holiday_dates(country: str, year: int, subdiv: str | None = None,
                  categories: tuple[str, ...] = ("public",)) -> frozenset[date]:
    """The public holidays of ``country`` in ``year`` as the ``holidays`` package knows them."""
    if not country:
        return frozenset()
    import holidays  # imported lazily: only business calendars with a country need it

    table = holidays.country_holidays(country, subdiv=subdiv, years=year, categories=categories)
    return frozenset(d for d in table if d.year == year)


@runtime_checkable
class Calendar(Protocol):
    """What the SLA code needs from a clock: both calendars below implement it."""

    def is_open(self, instant: datetime) -> bool: ...

    def next_open(self, instant: datetime) -> datetime: ...

    def add_business(self, start: datetime, minutes: int | timedelta) -> datetime: ...

    def business_time_between(self, a: datetime, b: datetime) -> timedelta: ...

    def business_minutes_between(self, a: datetime, b: datetime) -> int: ...


@dataclass(frozen=True)
class BusinessCalendar:
    """Open ``open_time``–``close_time`` local time on ``weekdays`` (0 = Monday), except holidays.

    ``extra_closed`` are additional closed local dates (from the config). ``subdiv``
    adds a Chilean region's own holidays (e.g. ``"AP"`` for Arica y Parinacota);
    ``holiday_categories`` may add ``"bank"`` (31 December) for a bank-like schedule.
    ``country=""`` means no public holidays at all.
    """

    tz: str = "America/Santiago"
    open_time: time = time(9, 0)
    close_time: time = time(18, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    country: str = "CL"
    extra_closed: frozenset[date] = frozenset()
    subdiv: str | None = None
    holiday_categories: frozenset[str] = field(default=frozenset({"public"}))

    def __post_init__(self) -> None:
        # Accept any iterable for the set-valued fields (e.g. a list from the config).
        for name in ("weekdays", "extra_closed", "holiday_categories"):
            value = getattr(self, name)
            if not isinstance(value, frozenset):
                object.__setattr__(self, name, frozenset(value))
        if not self.weekdays <= frozenset(range(7)):
            raise ValueError(f"weekdays must be numbers 0 (Monday) to 6 (Sunday): {sorted(self.weekdays)}")
        if self.open_time.tzinfo is not None or self.close_time.tzinfo is not None:
            raise ValueError("open_time and close_time are local wall times and must not carry a tzinfo")
        if not self.open_time < self.close_time:
            raise ValueError(f"open_time {self.open_time} must be before close_time {self.close_time}")
        ZoneInfo(self.tz)  # raises ZoneInfoNotFoundError for an unknown zone

    # ---- days -------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)  # ZoneInfo caches instances per key

    def holidays_in(self, year: int) -> frozenset[date]:
        return holiday_dates(self.country, year, self.subdiv, tuple(sorted(self.holiday_categories)))

    def is_open_day(self, day: date) -> bool:
        """Whether local date ``day`` has opening hours (weekday, not a holiday, not closed by config)."""
        return (day.weekday() in self.weekdays and day not in self.extra_closed
                and day not in self.holidays_in(day.year))

    def local_date(self, instant: datetime) -> date:
        return to_utc(instant).astimezone(self.zone).date()

    def open_interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC ``[open, close)`` interval of local date ``day``, or None when closed that day."""
        if not self.is_open_day(day):
            return None
        zone = self.zone
        begin = datetime.combine(day, self.open_time, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day, self.close_time, tzinfo=zone).astimezone(UTC)
        # Only a pathological configuration (hours inside a DST gap) can make this empty.
        return (begin, end) if end > begin else None

    def open_intervals(self, start: datetime, end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (UTC) that end after ``start``, clipped to ``[start, end]``, in order.

        Without ``end`` the iterator is unbounded. Raises ValueError after
        ``MAX_CLOSED_DAYS`` consecutive closed days (a calendar that never opens).
        """
        start = to_utc(start)
        stop = to_utc(end) if end is not None else None
        zone = self.zone
        day = start.astimezone(zone).date()
        last_day = stop.astimezone(zone).date() if stop is not None else None
        closed_run = 0
        while last_day is None or day <= last_day:
            interval = self.open_interval(day)
            if interval is None:
                closed_run += 1
                if last_day is None and closed_run > MAX_CLOSED_DAYS:
                    raise ValueError(f"the business calendar has no open time in {MAX_CLOSED_DAYS} days before {day}")
            else:
                closed_run = 0
                begin, finish = interval
                if stop is not None and begin >= stop:
                    return
                if finish > start:
                    begin = max(begin, start)
                    if stop is not None:
                        finish = min(finish, stop)
                    if finish > begin:
                        yield begin, finish
            day += _ONE_DAY

    # ---- instants and durations ------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        instant = to_utc(instant)
        interval = self.open_interval(instant.astimezone(self.zone).date())
        return interval is not None and interval[0] <= instant < interval[1]

    def next_open(self, instant: datetime) -> datetime:
        """``instant`` if the desk is open then, else the start of the next open interval."""
        for begin, _ in self.open_intervals(instant):
            return begin
        raise AssertionError("unreachable: open_intervals without an end never stops")  # pragma: no cover

    def add_business(self, start: datetime, minutes: int | timedelta) -> datetime:
        """The earliest instant at which ``minutes`` of open time have elapsed since ``start``."""
        remaining = as_duration(minutes)
        start = to_utc(start)
        if not remaining:
            return start
        for begin, finish in self.open_intervals(start):
            available = finish - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable")  # pragma: no cover

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Exact open time in ``[a, b]``; zero when ``b <= a``."""
        a, b = to_utc(a), to_utc(b)
        if b <= a:
            return _ZERO
        total = _ZERO
        for begin, finish in self.open_intervals(a, b):
            total += finish - begin
        return total

    def business_minutes_between(self, a: datetime, b: datetime) -> int:
        """Open time in ``[a, b]`` in whole minutes, floored; 0 when ``b <= a``."""
        return self.business_time_between(a, b) // timedelta(minutes=1)


@dataclass(frozen=True)
class TwentyFourSeven:
    """The 24/7 clock: always open, durations are plain elapsed time.

    Implements the same interface as :class:`BusinessCalendar` (the method names say
    "business" so that SLA code can take either calendar).
    """

    tz: str = "America/Santiago"  # only for display; arithmetic is zone-independent

    def is_open(self, instant: datetime) -> bool:
        to_utc(instant)
        return True

    def next_open(self, instant: datetime) -> datetime:
        return to_utc(instant)

    def open_intervals(self, start: datetime, end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
        start = to_utc(start)
        stop = to_utc(end) if end is not None else datetime.max.replace(tzinfo=UTC)
        if stop > start:
            yield start, stop

    def add_business(self, start: datetime, minutes: int | timedelta) -> datetime:
        return to_utc(start) + as_duration(minutes)

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        return max(to_utc(b) - to_utc(a), _ZERO)

    def business_minutes_between(self, a: datetime, b: datetime) -> int:
        return self.business_time_between(a, b) // timedelta(minutes=1)


ALWAYS_OPEN = TwentyFourSeven()


def calendar_for(clock: str, cal: BusinessCalendar | TwentyFourSeven) -> BusinessCalendar | TwentyFourSeven:
    """The calendar an SLA target's ``clock`` runs on: ``"business"`` → ``cal``, ``"24/7"`` → always open."""
    if clock == TWENTY_FOUR_SEVEN:
        return TwentyFourSeven(tz=cal.tz)
    if clock == BUSINESS:
        return cal
    raise ValueError(f"unknown SLA clock {clock!r}; expected {BUSINESS!r} or {TWENTY_FOUR_SEVEN!r}")


__all__ = [
    "ALWAYS_OPEN", "BUSINESS", "BusinessCalendar", "Calendar", "MAX_CLOSED_DAYS", "TWENTY_FOUR_SEVEN",
    "TwentyFourSeven", "calendar_for", "holiday_dates", "to_utc",
]
