"""Reply extraction measured on replies shaped like real mail clients produce them.

Every case in ``tests/data/replies/*.json`` is run through ``extract_new_text`` the
way the pipeline calls it (``text`` is the HTML converted to text when a message has
no text part, as ``parse_message`` does). A case is correct when the result keeps
every line the agent wrote AND contains no line that only occurs in the quoted
part (header block included). The share of correct cases is printed and must
reach 95% (issue 5).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mailbot.parsers import extract_new_text, html_to_text

CASES = sorted((Path(__file__).parent / "data" / "replies").glob("*.json"))
TARGET = 0.95


def _norm(line: str) -> str:
    """A line as a reader compares it: quote markers and spacing do not count."""
    return " ".join(re.sub(r"^[>\s]+", "", line.replace("\xa0", " ")).split())


def _lines(text: str) -> list[str]:
    return [n for n in (_norm(line) for line in text.split("\n")) if n]


def judge(case: dict, result: str) -> list[str]:
    """What is wrong with ``result`` for ``case`` (empty: correct)."""
    problems = []
    got_lines = _lines(result)
    got = " ".join(got_lines)  # clients re-wrap lines, so a kept line may span two
    expected_lines = _lines(case["expected_new_text"])
    expected = " ".join(expected_lines)
    for line in expected_lines:
        if line not in got:
            problems.append(f"lost new line {line!r}")
    quoted_only = [q for q in _lines(case["quoted_text"]) if q not in expected_lines and q not in expected]
    for q in dict.fromkeys(quoted_only):
        if q in got_lines or (len(q) >= 25 and q in got):
            problems.append(f"kept quoted line {q!r}")
    return problems


def run(case: dict) -> str:
    text = case["text"] or html_to_text(case["html"])
    return extract_new_text(text, case["html"], case["language"])


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_fixture_set_is_large_and_varied() -> None:
    cases = [load(p) for p in CASES]
    assert len(cases) >= 80
    clients = {c["client"] for c in cases}
    assert {"gmail", "outlook-desktop", "outlook-web", "outlook-plain", "thunderbird", "apple-mail", "iphone",
            "yahoo", "samsung-email"} <= clients
    assert {c["language"] for c in cases} == {"es", "en"}
    assert sum(1 for c in cases if not c["text"]) >= 10  # HTML-only
    assert sum(1 for c in cases if not c["html"]) >= 10  # text-only
    assert sum(1 for c in cases if "inline" in c["shape"]) >= 4
    assert sum(1 for c in cases if c["expected_new_text"].startswith("#")) >= 15  # commands at the top


def test_judge_catches_both_failures() -> None:
    case = {"expected_new_text": "Ya quedó.\n#estado resuelto", "quoted_text": "El X escribió:\nHola, no funciona."}
    assert judge(case, "Ya quedó.\n#estado resuelto") == []
    assert judge(case, "Ya quedó.") == ["lost new line '#estado resuelto'"]
    assert judge(case, "Ya quedó.\n#estado resuelto\n> Hola, no funciona.") == ["kept quoted line 'Hola, no funciona.'"]


def test_share_of_replies_extracted_correctly(capsys: pytest.CaptureFixture[str]) -> None:
    failures = {}
    for path in CASES:
        problems = judge(load(path), run(load(path)))
        if problems:
            failures[path.name] = problems
    share = 1 - len(failures) / len(CASES)
    with capsys.disabled():
        print(f"\nreply extraction: {len(CASES) - len(failures)}/{len(CASES)} correct ({share:.1%})")
        for name, problems in failures.items():
            print(f"  FAIL {name}: {'; '.join(problems[:3])}")
    assert share >= TARGET, f"{share:.1%} of replies extracted correctly, target {TARGET:.0%}"


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "#estado resuelto\n#prioridad critica\nListo.\n\nEl jue, 26 nov 2026 a las 10:15, Soporte (<s@x.cl>) "
            "escribió:\n\n> #estado abierto\n",
            "#estado resuelto\n#prioridad critica\nListo.",
            id="commands-on-top-kept-quoted-command-dropped",
        ),
        pytest.param("#status waiting\n\nSent from my iPhone\n\n> On 26 Nov 2026, at 10:15, S <s@x.com> wrote:\n> hi\n",
                     "#status waiting", id="commands-only-from-a-phone"),
        pytest.param("#interno\n-- \nJuan", "#interno", id="command-above-signature"),
        pytest.param(
            "Hola, respondo abajo.\n\nEl 26/11/26 a las 10:15, Soporte escribió:\n> ¿Versión?\n\n5.2.1\n\n> ¿Usuarios?\n\nTodos\n",
            "Hola, respondo abajo.\n\n5.2.1\n\nTodos",
            id="inline-answers-below-intro",
        ),
        pytest.param("Just a new message.\nNo quotes at all.\n", "Just a new message.\nNo quotes at all.", id="nothing-quoted"),
        pytest.param(
            "El servidor ya responde.\nEl equipo lo confirmó.\nEl 26/11/26 a las 10:15, Soporte escribió:\n> hola\n",
            "El servidor ya responde.\nEl equipo lo confirmó.",
            id="sentences-starting-with-el-are-not-headers",
        ),
        pytest.param("Gracias.\n\nObtener Outlook para iOS<https://aka.ms/o0ukef>\n", "Gracias.", id="outlook-mobile-footer"),
        pytest.param(
            "On Mon, X wrote:\n> q1\nA1\n> q2\nA2\nFrom: Y <y@x.com>\nSent: Monday\nTo: Z\nSubject: s\n\nold unquoted text",
            "A1\nA2",
            id="inline-answers-then-an-unquoted-outlook-original",
        ),
        pytest.param("Intro\n\nOn Mon, X wrote:\n> q1\nA1\nOn Sun, Y wrote:\n> q2\nA2\n", "Intro\n\nA1\nA2",
                     id="inline-answers-across-two-quoted-headers"),
    ],
)
def test_edge_cases(text: str, expected: str) -> None:
    assert extract_new_text(text) == expected


def test_gmail_inline_answers_survive_in_html() -> None:
    html = ('<div dir="ltr">Respondo entre líneas:</div><div class="gmail_quote"><div class="gmail_attr">El jue, '
            '26 nov 2026 a las 10:15, Soporte escribió:<br></div><blockquote class="gmail_quote"><div>¿Versión?</div>'
            '</blockquote><div>5.2.1</div><blockquote class="gmail_quote"><div>#estado abierto</div></blockquote></div>')
    new = extract_new_text(html_to_text(html), html, "es")
    assert _lines(new) == ["Respondo entre líneas:", "5.2.1"]


def test_outlook_rule_without_from_is_not_a_separator() -> None:
    # A bordered box in the agent's own text (a table, a note) is not Outlook's reply header.
    html = ('<p class="MsoNormal">Resumen:</p><div style="border:none;border-top:solid #E1E1E1 1.0pt">'
            '<p class="MsoNormal">Paso 1: reiniciar el servicio.</p></div><p class="MsoNormal">Saludos</p>')
    assert _lines(extract_new_text(html_to_text(html), html)) == ["Resumen:", "Paso 1: reiniciar el servicio.", "Saludos"]


def test_html_without_quote_markup_uses_the_text_part_layout() -> None:
    text = "Hola María:\n\nYa quedó.\n\nEl 26/11/26 a las 10:15, Soporte escribió:\n> hola\n"
    html = "<p>Hola María:</p><p>Ya quedó.</p><p>El 26/11/26 a las 10:15, Soporte escribió:</p><p>&gt; hola</p>"
    assert extract_new_text(text, html) == "Hola María:\n\nYa quedó."


def test_huge_inputs_finish() -> None:
    # Each of these was quadratic (or worse) in some version of some quote stripper;
    # the test suite's own run time is the measure, no clock here.
    long_line = "On " + "word " * 400_000 + "\n\nOn Mon, X wrote:\n> old"
    assert extract_new_text(long_line).startswith("On word word") and "old" not in extract_new_text(long_line)
    many_lines = "Hola\n" + "El texto sigue aquí\n" * 100_000 + "El 1/1/26, X escribió:\n> viejo\n"
    assert "viejo" not in extract_new_text(many_lines)
    blank_tail = "hola\n" + "\n" * 200_000 + "Enviado desde mi iPhone\n" * 50_000
    assert extract_new_text(blank_tail) == "hola"
    html = "<div>" * 20_000 + "hola" + "</div>" * 20_000 + '<blockquote type="cite">x</blockquote>' * 20_000
    assert extract_new_text("", html) == "hola"
