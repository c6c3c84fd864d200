"""Human phrases for SLA durations ("2 horas hábiles", "30 minutes", "4 hours").

Pure functions, no I/O: the acknowledgement and the notifications show the customer
what was promised, and these phrases are that promise in words.

Choices (also the answer to "what does 90 minutes look like?"):

* under an hour → minutes: ``30 minutos`` / ``30 minutes``;
* a whole number of hours → hours: ``2 horas`` / ``2 hours`` (24 h stays ``24 horas``:
  the policy speaks in hours, and on a business clock 24 business hours are not one day);
* anything else → ``1 h 30 min``.

On the business clock whole hours read ``2 horas hábiles`` / ``2 business hours``;
minutes and mixed durations, where "minutos hábiles" would sound odd, get a suffix
instead: ``30 minutos en horario hábil`` / ``30 minutes of business time``.
On the 24/7 clock there is no qualifier at all.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from mailbot.business_calendar import to_utc

__all__ = ["BUSINESS", "CHILE_TZ", "CLOCKS", "LANGUAGES", "TWENTY_FOUR_SEVEN", "describe_duration", "format_local"]

BUSINESS = "business"
TWENTY_FOUR_SEVEN = "24/7"
CLOCKS = (BUSINESS, TWENTY_FOUR_SEVEN)
LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"


def _normalise_language(language: str) -> str:
    primary = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def describe_duration(minutes: int, clock: str, language: str) -> str:
    """Say ``minutes`` on ``clock`` ("business" or "24/7") in ``language`` ("es"/"en").

    An unknown language falls back to Spanish (the company's default); an unknown clock
    or a negative/non-integer duration is a programming error and raises.
    """
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise TypeError(f"minutes must be an int, not {type(minutes).__name__}")
    if minutes < 0:
        raise ValueError(f"minutes must not be negative: {minutes}")
    if clock not in CLOCKS:
        raise ValueError(f"unknown clock {clock!r}; expected one of {CLOCKS}")
    lang = _normalise_language(language)
    business = clock == BUSINESS
    hours, rest = divmod(minutes, 60)

    if lang == "en":
        if minutes and rest == 0:
            unit = "hour" if hours == 1 else "hours"
            return f"{hours} business {unit}" if business else f"{hours} {unit}"
        if hours == 0:
            phrase = f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
        else:
            phrase = f"{hours} h {rest} min"
        return f"{phrase} of business time" if business else phrase

    if minutes and rest == 0:
        if hours == 1:
            return "1 hora hábil" if business else "1 hora"
        return f"{hours} horas hábiles" if business else f"{hours} horas"
    if hours == 0:
        phrase = f"{minutes} minuto" if minutes == 1 else f"{minutes} minutos"
    else:
        phrase = f"{hours} h {rest} min"
    return f"{phrase} en horario hábil" if business else phrase


CHILE_TZ = "America/Santiago"

_DAYS = {
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def format_local(instant: datetime, language: str, tz: str = CHILE_TZ, now: datetime | None = None) -> str:
    """"lunes 3 de marzo, 11:00" / "Monday 3 March, 11:00" in ``tz``; the year only when it is not ``now``'s.

    The names are written here, not taken from the process locale (which a systemd
    service usually runs as C/POSIX).
    """
    lang = "en" if language == "en" else "es"
    zone = ZoneInfo(tz)
    local = to_utc(instant).astimezone(zone)
    show_year = now is not None and to_utc(now).astimezone(zone).year != local.year
    day, month = _DAYS[lang][local.weekday()], _MONTHS[lang][local.month - 1]
    if lang == "en":
        return f"{day} {local.day} {month}{f' {local.year}' if show_year else ''}, {local:%H:%M}"
    return f"{day} {local.day} de {month}{f' de {local.year}' if show_year else ''}, {local:%H:%M}"
