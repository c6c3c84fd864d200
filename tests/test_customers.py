"""`mailbot customers import|list|export`: run as the admin runs it, checked in the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from mailbot.customers import lookup_tier, parse_customers_csv, tier_for
from mailbot.models import Customer

DATA = Path(__file__).parent / "data"
GOOD = DATA / "customers-good.csv"
BAD = DATA / "customers-bad.csv"
UPDATE = DATA / "customers-update.csv"


def mailbot(config: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), "customers", *args],
                          capture_output=True, text=True, timeout=120, input=stdin,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def customers(app) -> dict[str, tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    with app.sessions() as s:
        return {c.email: (c.name, c.organisation, c.tier, c.language) for c in s.scalars(select(Customer))}


GOOD_ROWS = {
    "maria@cliente.cl": ("María Pérez", "Cliente SpA", "basic", "es"),
    "john@example.com": ("John Smith", "Example Inc", "premium", "en"),
    "@empresa.cl": ("", "Empresa Ltda", "premium", "es"),
    "ana@empresa.cl": ("Ana Rojas", "Empresa Ltda", "basic", ""),
}


def test_import_good_file(config_path, app):
    result = mailbot(config_path, "import", str(GOOD))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "added 4, updated 0, unchanged 0"
    assert customers(app) == GOOD_ROWS

    listed = mailbot(config_path, "list")
    assert listed.returncode == 0, listed.stderr
    assert "María Pérez" in listed.stdout and "@empresa.cl" in listed.stdout and "4 customer(s)" in listed.stdout
    premium = mailbot(config_path, "list", "--tier", "premium")
    assert "john@example.com" in premium.stdout and "maria@cliente.cl" not in premium.stdout


def test_bad_lines_are_all_reported_and_nothing_is_imported(config_path, app):
    with app.sessions.begin() as s:  # an existing customer the failed import must not touch
        s.add(Customer(email="ok@cliente.cl", name="Before", tier="premium", language="en",
                       created_at=app.clock()))
    result = mailbot(config_path, "import", str(BAD))
    assert result.returncode == 1
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    assert errors[0].startswith("line 3: bad email 'not-an-address'")
    assert errors[1].startswith("line 4: unknown tier 'gold'")
    assert errors[2].startswith("line 5: duplicate email ok@cliente.cl (first on line 2)")
    assert errors[3].startswith("line 6: wrong column count: 2 values, the header has 5")
    assert errors[4].startswith("line 7: unknown language 'fr'")
    assert len(errors) == 5
    assert "nothing imported" in result.stderr
    assert customers(app) == {"ok@cliente.cl": ("Before", "", "premium", "en")}


def test_reimport_changes_nothing(config_path, app):
    assert mailbot(config_path, "import", str(GOOD)).returncode == 0
    with app.sessions() as s:
        before = {c.email: (c.id, c.created_at) for c in s.scalars(select(Customer))}
    again = mailbot(config_path, "import", str(GOOD))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "added 0, updated 0, unchanged 4"
    with app.sessions() as s:
        assert {c.email: (c.id, c.created_at) for c in s.scalars(select(Customer))} == before
    assert customers(app) == GOOD_ROWS


def test_tier_update_is_reported_and_other_fields_kept(config_path, app):
    assert mailbot(config_path, "import", str(GOOD)).returncode == 0
    result = mailbot(config_path, "import", str(UPDATE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "added 0, updated 1 (maria@cliente.cl: tier basic → premium), unchanged 0"
    rows = customers(app)
    assert rows["maria@cliente.cl"] == ("María Pérez", "Cliente SpA", "premium", "es")  # columns not in the file kept
    assert {k: v for k, v in rows.items() if k != "maria@cliente.cl"} == \
        {k: v for k, v in GOOD_ROWS.items() if k != "maria@cliente.cl"}  # customers not in the file untouched


def test_export_import_round_trip(config_path, app, tmp_path):
    assert mailbot(config_path, "import", str(GOOD)).returncode == 0
    with app.sessions.begin() as s:  # an awkward value: a comma and quotes must survive the trip
        s.add(Customer(email="x@y.cl", name='Ltda, "X"', organisation="Y; Z", tier="basic", language="",
                       created_at=app.clock()))
    out = tmp_path / "export.csv"
    result = mailbot(config_path, "export", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "email,name,organisation,tier,language,timezone"
    stdout_export = mailbot(config_path, "export")
    assert stdout_export.stdout == text

    rows, errors = parse_customers_csv(text)
    assert errors == [] and len(rows) == 5
    again = mailbot(config_path, "import", str(out))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "added 0, updated 0, unchanged 5"

    # Into an empty directory: the same customers come back.
    with app.sessions.begin() as s:
        for c in s.scalars(select(Customer)):
            s.delete(c)
    fresh = mailbot(config_path, "import", "-", stdin=text)
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.strip() == "added 5, updated 0, unchanged 0"
    assert customers(app) == {**GOOD_ROWS, "x@y.cl": ('Ltda, "X"', "Y; Z", "basic", "")}


def test_domain_row_lookup(config_path, app):
    assert mailbot(config_path, "import", str(GOOD)).returncode == 0
    with app.sessions() as s:
        assert lookup_tier(s, "pedro@empresa.cl") == ("premium", "es")  # domain row
        assert lookup_tier(s, "Pedro@EMPRESA.cl") == ("premium", "es")
        assert lookup_tier(s, "ana@empresa.cl") == ("basic", "es")  # exact row wins; language from the domain
        assert lookup_tier(s, "john@example.com") == ("premium", "en")
        assert lookup_tier(s, "someone@sub.empresa.cl") == ("basic", "")  # only the exact domain
        assert lookup_tier(s, "nobody@elsewhere.cl") == ("basic", "")


def test_tier_for_is_pure():
    exact = {"ana@empresa.cl": ("basic", "")}
    domains = {"@empresa.cl": ("premium", "es")}
    assert tier_for("ana@empresa.cl", exact, domains) == ("basic", "es")
    assert tier_for("luis@empresa.cl", exact, domains) == ("premium", "es")
    assert tier_for("luis@otra.cl", exact, domains) == ("basic", "")


def test_parse_rejects_header_and_email_mistakes():
    rows, errors = parse_customers_csv("mail,name\nx@y.cl,X\n")
    assert rows == [] and [str(e) for e in errors][0].startswith("line 1: header row must name an email column")
    rows, errors = parse_customers_csv("")
    assert [str(e) for e in errors] == ["line 1: empty file: a header row is required (email,name,organisation,tier,language,timezone)"]
    bad = ["juan@empresa", "juan@@empresa.cl", "juan @empresa.cl", "@", "@empresa", "Juan <juan@empresa.cl>", "juan@empresa..cl"]
    rows, errors = parse_customers_csv("email\n" + "\n".join(f'"{b}"' for b in bad) + "\n")
    assert rows == [] and len(errors) == len(bad), errors
    rows, errors = parse_customers_csv("email\r\nA@B.CL\r\n\r\n@c.cl\r\n")
    assert errors == [] and [r.email for r in rows] == ["a@b.cl", "@c.cl"]
