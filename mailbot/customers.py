"""Customer directory: CSV import/export, listing, and the tier/language lookup.

The CSV format (one header row, UTF-8 with or without BOM, ``,`` or ``;`` sniffed from
the header) has the columns ``email`` (required), ``name``, ``organisation``, ``tier``
(basic|premium, default basic) and ``language`` (es|en|empty). ``email`` is either a full
address or a domain written ``@empresa.cl``, meaning every address of that domain; a
domain row is stored as a ``Customer`` whose email is ``@empresa.cl``.

Import is all-or-nothing: :func:`parse_customers_csv` validates every line first, and
:func:`import_customers` applies the rows in the caller's transaction. A column left out
of the header leaves that field as it is on existing customers; a column that is present
is authoritative (an empty ``tier`` means basic). Customers not in the file are untouched.
"""

from __future__ import annotations

import csv
import zoneinfo
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.models import Customer

_ZONES = frozenset(zoneinfo.available_timezones())

COLUMNS = ("email", "name", "organisation", "tier", "language", "timezone")
OPTIONAL = COLUMNS[1:]
TIERS = ("basic", "premium")
LANGUAGES = ("es", "en", "")
DEFAULT_TIER = "basic"
MAX_EMAIL = 320
MAX_TEXT = 200  # name and organisation columns

_LOCAL = r"[^\s@,;<>\"()\[\]\\]+"
_LABEL = r"[^\s@.,;<>\"()\[\]\\]+"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})+"
_ADDRESS_RE = re.compile(rf"^{_LOCAL}@{_DOMAIN}$")
_DOMAIN_RE = re.compile(rf"^@{_DOMAIN}$")


@dataclass(frozen=True)
class CustomerRow:
    """One valid CSV line. ``None`` means "column not in the file": keep the stored value."""

    line: int
    email: str
    name: str | None = None
    organisation: str | None = None
    tier: str | None = None
    language: str | None = None
    timezone: str | None = None  # IANA name, e.g. America/Bogota; "" = Chile time

    @property
    def is_domain(self) -> bool:
        return self.email.startswith("@")


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    # email -> [(field, old, new), ...]
    updated: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"added {len(self.added)}, updated {len(self.updated)}"
        if self.updated:
            parts = []
            for email, changes in self.updated.items():
                fields = ", ".join(f"{name} {_show(old)} → {_show(new)}" for name, old, new in changes)
                parts.append(f"{email}: {fields}")
            text += " (" + "; ".join(parts) + ")"
        return text + f", unchanged {len(self.unchanged)}"


def _show(value: str) -> str:
    return value if value else '""'


class CsvFormatError(Exception):
    """The file as a whole is unusable (not UTF-8, no header...)."""


def normalise_email(value: str) -> str:
    return value.strip().lower()


def email_problem(email: str) -> str | None:
    """Why ``email`` (already normalised) is not a valid address or ``@domain``; None if fine."""
    if not email:
        return "missing email"
    if len(email) > MAX_EMAIL:
        return f"bad email {email[:40]!r}…: longer than {MAX_EMAIL} characters"
    if email.startswith("@"):
        if not _DOMAIN_RE.match(email):
            return f"bad email {email!r}: a domain row is written @empresa.cl"
        return None
    if not _ADDRESS_RE.match(email):
        return f"bad email {email!r}: expected name@domain.tld or @domain.tld"
    return None


def decode_csv_bytes(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvFormatError(f"line {line}: not UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start})") from None


def sniff_delimiter(text: str) -> str:
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def parse_customers_csv(text: str) -> tuple[list[CustomerRow], list[LineError]]:
    """Validate a whole CSV text; returns (rows, errors). Pure: no database, no clock."""
    text = text.lstrip("\ufeff")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    errors: list[LineError] = []
    rows: list[CustomerRow] = []
    header: list[str] | None = None
    seen: dict[str, int] = {}
    previous_end = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(LineError(reader.line_num, f"unreadable CSV: {exc}"))
            break
        line = previous_end + 1
        previous_end = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue  # blank line
        if header is None:
            header = [cell.strip().lower() for cell in record]
            problems = _header_problems(header)
            if problems:
                errors.extend(LineError(line, p) for p in problems)
                return [], errors
            continue
        if len(record) != len(header):
            errors.append(LineError(line, f"wrong column count: {len(record)} values, the header has {len(header)}"))
            continue
        row, problems = _parse_record(line, dict(zip(header, record)))
        if row is not None and row.email in seen:
            problems.append(f"duplicate email {row.email} (first on line {seen[row.email]})")
        if problems:
            errors.extend(LineError(line, p) for p in problems)
            continue
        assert row is not None
        seen[row.email] = line
        rows.append(row)
    if header is None and not errors:
        errors.append(LineError(1, f"empty file: a header row is required ({','.join(COLUMNS)})"))
    return rows, errors


def _header_problems(header: list[str]) -> list[str]:
    problems = []
    if "email" not in header:
        problems.append(f"header row must name an email column (columns: {', '.join(COLUMNS)}); got {', '.join(header) or 'nothing'}")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(repr(u) for u in unknown)}; expected {', '.join(COLUMNS)}")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        problems.append(f"column(s) named twice: {', '.join(dupes)}")
    return problems


def _parse_record(line: int, values: dict[str, str]) -> tuple[CustomerRow | None, list[str]]:
    problems: list[str] = []
    email = normalise_email(values["email"])
    problem = email_problem(email)
    if problem:
        problems.append(problem)
    fields: dict[str, str | None] = {}
    for name in ("name", "organisation"):
        value = values[name].strip() if name in values else None
        if value is not None and len(value) > MAX_TEXT:
            problems.append(f"{name} longer than {MAX_TEXT} characters")
        fields[name] = value
    if "tier" in values:
        tier = values["tier"].strip().lower() or DEFAULT_TIER
        if tier not in TIERS:
            problems.append(f"unknown tier {values['tier'].strip()!r} (expected basic or premium)")
        fields["tier"] = tier
    if "language" in values:
        language = values["language"].strip().lower()
        if language not in LANGUAGES:
            problems.append(f"unknown language {values['language'].strip()!r} (expected es, en or empty)")
        fields["language"] = language
    if "timezone" in values:
        zone = values["timezone"].strip()
        if zone and zone not in _ZONES:
            problems.append(f"unknown time zone {zone!r} (an IANA name such as America/Santiago or Europe/Madrid)")
        fields["timezone"] = zone
    if problem:
        return None, problems
    return CustomerRow(line=line, email=email, **fields), problems  # type: ignore[arg-type]


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def import_customers(session: Session, rows: list[CustomerRow], now: datetime) -> ImportReport:
    """Apply validated rows in ``session``'s transaction (the caller commits or rolls back)."""
    report = ImportReport()
    existing: dict[str, Customer] = {}
    for chunk in _chunks([r.email for r in rows]):
        for c in session.scalars(select(Customer).where(Customer.email.in_(chunk)).with_for_update()):
            existing[c.email] = c
    for row in rows:
        customer = existing.get(row.email)
        if customer is None:
            session.add(Customer(
                email=row.email, name=row.name or "", organisation=row.organisation or "",
                tier=row.tier or DEFAULT_TIER, language=row.language or "", timezone=row.timezone or "", created_at=now))
            report.added.append(row.email)
            continue
        changes = []
        for name in OPTIONAL:
            new = getattr(row, name)
            old = getattr(customer, name) or ""
            if new is not None and new != old:
                changes.append((name, old, new))
                setattr(customer, name, new)
        if changes:
            report.updated[row.email] = changes
        else:
            report.unchanged.append(row.email)
    session.flush()
    return report


def tier_for(email: str, exact: Mapping[str, tuple[str, str]],
             domains: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    """(tier, language) for a sender. Pure.

    ``exact`` maps full addresses, ``domains`` maps ``@domain`` keys (as stored), both to
    (tier, language). The exact address wins for the tier; the language comes from the
    exact row if it has one, else from the domain row; defaults are basic and "".
    """
    email = normalise_email(email)
    domain = "@" + email.rpartition("@")[2] if "@" in email else ""
    own = exact.get(email)
    org = domains.get(domain) if domain else None
    tier = (own or org or (DEFAULT_TIER, ""))[0] or DEFAULT_TIER
    language = (own[1] if own else "") or (org[1] if org else "")
    return tier, language


def lookup_tier(session: Session, email: str) -> tuple[str, str]:
    """(tier, language) for a sender from the customers table: exact address, then ``@domain`` row."""
    email = normalise_email(email)
    keys = [email]
    if "@" in email:
        keys.append("@" + email.rpartition("@")[2])
    found = {c.email: (c.tier, c.language) for c in session.scalars(select(Customer).where(Customer.email.in_(keys)))}
    exact = {k: v for k, v in found.items() if not k.startswith("@")}
    domains = {k: v for k, v in found.items() if k.startswith("@")}
    return tier_for(email, exact, domains)


def query_customers(session: Session, tier: str | None = None) -> list[Customer]:
    query = select(Customer).order_by(Customer.email)
    if tier:
        query = query.where(Customer.tier == tier)
    return list(session.scalars(query))


def format_table(customers: list[Customer], tier: str | None = None) -> str:
    if not customers:
        return "no customers" + (f" with tier {tier}" if tier else "")
    headers = ("email", "tier", "lang", "time zone", "name", "organisation")
    table = [(c.email, c.tier, c.language or "-", c.timezone or "-", c.name or "-", c.organisation or "-") for c in customers]
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headers[:-1])]
    lines = []
    for r in [headers, *table]:
        lines.append("  ".join(v.ljust(w) for v, w in zip(r, widths)) + "  " + r[-1])
    domains = sum(1 for c in customers if c.email.startswith("@"))
    lines.append(f"{len(customers)} customer(s)" + (f", {domains} of them domain rows (@domain)" if domains else ""))
    return "\n".join(line.rstrip() for line in lines)


def export_csv(customers: list[Customer]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in customers:
        writer.writerow([c.email, c.name or "", c.organisation or "", c.tier or DEFAULT_TIER, c.language or "", c.timezone or ""])
    return out.getvalue()
