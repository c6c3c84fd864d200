"""Accuracy of severity and language classification on a labelled set, and the rule config.

tests/data/severity_eval.jsonl holds realistic support mails we wrote ourselves, one JSON
object per line: {"subject", "body", "severity", "language", "set"}. "set" is "dev" for
messages the default rules were tuned against and "holdout" for messages written after
the rules and never tuned against: accuracy on "holdout" is the honest estimate for new
mail. When you tune rules against holdout messages, relabel them "dev" and write a
fresh holdout batch.

Run with ``pytest -s tests/test_classify_eval.py`` to see the report.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from mailbot.classify import (
    DEFAULT_SEVERITY_RULES,
    RuleConfigError,
    SeverityRule,
    classify_severity,
    detect_language,
    rules_from_config,
)
from mailbot.domain import Severity

ROOT = Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "tests" / "data" / "severity_eval.jsonl"
EXAMPLE_RULES = ROOT / "config" / "severity-rules.example.toml"

SEVERITY_MIN_ACCURACY = 0.85
LANGUAGE_MIN_ACCURACY = 0.97
LABELS = ("critical", "important", "general")


def _load() -> list[dict]:
    rows = []
    with EVAL_SET.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                row = json.loads(line)
                row["line"] = number
                rows.append(row)
    return rows


@pytest.fixture(scope="module")
def results() -> list[dict]:
    out = []
    for row in _load():
        severity, reasons = classify_severity(row["subject"], row["body"])
        language = detect_language(row["subject"], row["body"])
        out.append({**row, "got_severity": severity.value, "reasons": reasons, "got_language": language})
    return out


def _accuracy(rows: list[dict], key: str, got: str) -> float:
    return sum(r[key] == r[got] for r in rows) / len(rows) if rows else 0.0


def _report(rows: list[dict]) -> str:
    lines = [f"severity accuracy overall: {_accuracy(rows, 'severity', 'got_severity'):.1%} ({len(rows)} messages)"]
    for label in LABELS:
        of_label = [r for r in rows if r["severity"] == label]
        lines.append(f"  {label:<9} {_accuracy(of_label, 'severity', 'got_severity'):6.1%}  (n={len(of_label)})")
    for name in sorted({r.get("set", "dev") for r in rows}):
        part = [r for r in rows if r.get("set", "dev") == name]
        lines.append(f"  set {name:<7} {_accuracy(part, 'severity', 'got_severity'):6.1%}  (n={len(part)})")
    for lang in ("es", "en"):
        part = [r for r in rows if r["language"] == lang]
        lines.append(f"  lang {lang:<6} {_accuracy(part, 'severity', 'got_severity'):6.1%}  (n={len(part)})")
    confusion = Counter((r["severity"], r["got_severity"]) for r in rows)
    lines.append("confusion (rows: expected, columns: got):")
    lines.append("  " + " " * 10 + "".join(f"{label:>10}" for label in LABELS))
    for expected in LABELS:
        lines.append("  " + f"{expected:<10}" + "".join(f"{confusion[(expected, got)]:>10}" for got in LABELS))
    lines.append(f"language accuracy: {_accuracy(rows, 'language', 'got_language'):.1%}")
    misses = [r for r in rows if r["severity"] != r["got_severity"]]
    if misses:
        lines.append(f"severity misses ({len(misses)}):")
        for r in misses:
            text = f"{r['subject']} | {r['body']}".replace("\n", " ")[:100]
            lines.append(f"  line {r['line']:>3} [{r.get('set', 'dev')}] {r['severity']} -> {r['got_severity']} "
                         f"{list(r['reasons'])}: {text}")
    wrong_language = [r for r in rows if r["language"] != r["got_language"]]
    for r in wrong_language:
        lines.append(f"  language line {r['line']}: {r['language']} -> {r['got_language']}")
    return "\n".join(lines)


# ------------------------------------------------------------------ the set itself


def test_eval_set_is_big_varied_and_well_formed():
    rows = _load()
    assert len(rows) >= 160
    for r in rows:
        assert set(r) - {"line"} <= {"subject", "body", "severity", "language", "set"}, r["line"]
        assert r["severity"] in LABELS, r["line"]
        assert r["language"] in ("es", "en"), r["line"]
        assert r.get("set", "dev") in ("dev", "holdout"), r["line"]
        assert isinstance(r["subject"], str) and isinstance(r["body"], str) and r["body"].strip(), r["line"]
    severities = Counter(r["severity"] for r in rows)
    assert all(severities[label] >= 40 for label in LABELS), severities
    languages = Counter(r["language"] for r in rows)
    assert 0.5 <= languages["es"] / len(rows) <= 0.7, languages
    for lang in ("es", "en"):
        assert all(sum(1 for r in rows if r["language"] == lang and r["severity"] == label) >= 15 for label in LABELS)
    # no duplicates
    assert len({(r["subject"], r["body"]) for r in rows}) == len(rows)


# ------------------------------------------------------------------ accuracy


def test_severity_accuracy(results):
    report = _report(results)
    print("\n" + report)
    accuracy = _accuracy(results, "severity", "got_severity")
    assert accuracy >= SEVERITY_MIN_ACCURACY, f"severity accuracy {accuracy:.1%} < {SEVERITY_MIN_ACCURACY:.0%}\n{report}"


def test_language_accuracy(results):
    accuracy = _accuracy(results, "language", "got_language")
    by_lang = {
        lang: _accuracy([r for r in results if r["language"] == lang], "language", "got_language") for lang in ("es", "en")
    }
    print(f"\nlanguage accuracy: {accuracy:.1%} (es {by_lang['es']:.1%}, en {by_lang['en']:.1%})")
    assert accuracy >= LANGUAGE_MIN_ACCURACY, f"language accuracy {accuracy:.1%} < {LANGUAGE_MIN_ACCURACY:.0%}\n{_report(results)}"


def test_every_decision_names_the_rules_that_fired(results):
    for r in results:
        assert r["reasons"], r["line"]
        if r["got_severity"] == "general":
            assert r["reasons"][0] == "default:general"
        else:
            assert all(name.startswith(("critical.", "important.")) for name in r["reasons"]), r["reasons"]


# ------------------------------------------------------------------ rules in the config file


def test_example_toml_reproduces_the_default_rules_exactly():
    data = tomllib.loads(EXAMPLE_RULES.read_text(encoding="utf-8"))
    assert rules_from_config(data["classify"]["rules"]) == DEFAULT_SEVERITY_RULES


def _rule(**overrides):
    rule = {"name": "critical.x", "severity": "critical", "weight": 1.0, "where": "both", "patterns": [r"\bcaido\b"]}
    rule.update(overrides)
    return {k: v for k, v in rule.items() if v is not _MISSING}


_MISSING = object()


@pytest.mark.parametrize(
    ("entry", "index_and_field", "words"),
    [
        (_rule(patterns=[r"\bok\b", "(unclosed"]), "rules[1].patterns[1]", "bad regular expression"),
        (_rule(severity="urgent"), "rules[1].severity", "unknown severity 'urgent'"),
        (_rule(severity=_MISSING), "rules[1].severity", "missing"),
        (_rule(name=_MISSING), "rules[1].name", "missing"),
        (_rule(name=""), "rules[1].name", "non-empty"),
        (_rule(name="critical.ok"), "rules[1].name", "duplicate name (also rules[0])"),
        (_rule(patterns=_MISSING), "rules[1].patterns", "missing"),
        (_rule(patterns=[]), "rules[1].patterns", "non-empty list"),
        (_rule(patterns=r"\bcaido\b"), "rules[1].patterns", "non-empty list"),
        (_rule(patterns=["ok", 3]), "rules[1].patterns[1]", "non-empty string"),
        (_rule(weight="heavy"), "rules[1].weight", "must be a number"),
        (_rule(weight=True), "rules[1].weight", "must be a number"),
        (_rule(weight=float("nan")), "rules[1].weight", "must be a number"),
        (_rule(where="title"), "rules[1].where", "both, subject, body"),
        ({**_rule(), "pattern": ["x"]}, "rules[1].pattern", "unknown key"),
        ("not a table", "rules[1]", "expected a table"),
    ],
)
def test_rules_from_config_rejects_bad_entries_clearly(entry, index_and_field, words):
    good = _rule(name="critical.ok")
    with pytest.raises(ValueError) as info:
        rules_from_config([good, entry])
    message = str(info.value)
    assert message.startswith(index_and_field), message
    assert words in message, message
    assert isinstance(info.value, RuleConfigError)
    assert info.value.index == 1
    # the rule's name is in the message whenever it is known, to find it in the file
    if isinstance(entry, dict) and entry.get("name") and "name" not in index_and_field:
        assert repr(entry["name"]) in message


def test_rules_from_config_wants_a_list():
    with pytest.raises(RuleConfigError, match=r"array of tables"):
        rules_from_config({"name": "x"})  # type: ignore[arg-type]


def test_rules_from_config_defaults_and_accents():
    (rule,) = rules_from_config([{"name": "critical.caido", "severity": "critical", "patterns": [r"\bcaído\b"]}])
    assert rule == SeverityRule("critical.caido", Severity.CRITICAL, (r"\bcaido\b",), 1.0, "both")
    assert classify_severity("Sistema CAÍDO", "", rules=(rule,)) == (Severity.CRITICAL, ("critical.caido",))
    # a pattern with capitals still matches the (lower-cased) text
    (sii,) = rules_from_config([{"name": "important.sii", "severity": "important", "patterns": [r"\bSII\b"]}])
    assert classify_severity("", "el SII rechaza todo", rules=(sii,))[0] is Severity.IMPORTANT


# ------------------------------------------------------------------ scoring


def _rules(*specs):
    return rules_from_config([dict(zip(("name", "severity", "weight", "where", "patterns"), s)) for s in specs])


def test_weights_add_up_per_severity_and_thresholds_apply():
    rules = _rules(
        ("critical.a", "critical", 0.5, "both", [r"\balfa\b"]),
        ("critical.b", "critical", 0.5, "both", [r"\bbeta\b"]),
        ("important.c", "important", 1.0, "both", [r"\bgamma\b"]),
    )
    assert classify_severity("", "alfa", rules=rules) == (Severity.GENERAL, ("default:general", "critical.a"))
    assert classify_severity("", "alfa beta", rules=rules) == (Severity.CRITICAL, ("critical.a", "critical.b"))
    # a critical score below its threshold still counts towards important
    assert classify_severity("", "alfa gamma", rules=rules) == (Severity.IMPORTANT, ("critical.a", "important.c"))
    assert classify_severity("", "alfa", rules=rules, thresholds={Severity.CRITICAL: 0.5})[0] is Severity.CRITICAL
    assert classify_severity("", "gamma", rules=rules, thresholds={"important": 2.0})[0] is Severity.GENERAL


def test_subject_hits_count_more_and_where_limits_the_search():
    rules = _rules(
        ("critical.s", "critical", 0.7, "both", [r"\bcaido\b"]),
        ("important.body", "important", 1.0, "body", [r"\blento\b"]),
        ("important.subj", "important", 1.0, "subject", [r"\bconsulta\b"]),
    )
    assert classify_severity("caído", "", rules=rules)[0] is Severity.CRITICAL  # 0.7 × 1.5
    assert classify_severity("", "caído", rules=rules) == (Severity.GENERAL, ("default:general", "critical.s"))
    assert classify_severity("caído", "", rules=rules, subject_weight_factor=1.0)[0] is Severity.GENERAL
    # 0.7 of critical evidence plus a body hit of important: important
    assert classify_severity("", "caído y lento", rules=rules) == (Severity.IMPORTANT, ("critical.s", "important.body"))
    assert classify_severity("lento", "", rules=rules)[0] is Severity.GENERAL
    assert classify_severity("", "lento", rules=rules)[0] is Severity.IMPORTANT
    assert classify_severity("", "consulta", rules=rules)[0] is Severity.GENERAL
    assert classify_severity("consulta", "", rules=rules)[0] is Severity.IMPORTANT


def test_negative_weights_are_counter_evidence():
    rules = _rules(
        ("important.error", "important", 1.0, "both", [r"\berror\b"]),
        ("important.question", "important", -0.6, "both", [r"\bcomo\b"]),
    )
    assert classify_severity("", "sale un error", rules=rules)[0] is Severity.IMPORTANT
    assert classify_severity("", "Cómo cambio el texto del error.", rules=rules) == (
        Severity.GENERAL, ("default:general", "important.error", "important.question"),
    )


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        ("", "El sistema no está caído, pero el módulo de reportes no carga.", Severity.IMPORTANT),
        ("", "The site is not down, but checkout is really slow.", Severity.IMPORTANT),
        ("", "No hubo pérdida de datos, solo un error al exportar.", Severity.IMPORTANT),
        ("", "El sistema está caído.", Severity.CRITICAL),
        # Spanish negative concord is not a negation
        ("", "El sistema no funciona en ninguna de las sucursales.", Severity.CRITICAL),
        ("", "No entra nadie al sistema desde la mañana.", Severity.CRITICAL),
    ],
)
def test_negation(subject, text, expected):
    assert classify_severity(subject, text)[0] is expected


def test_problem_words_inside_questions_count_less():
    assert classify_severity("", "¿Qué pasa con las ventas si se cae internet en la tienda?")[0] is Severity.GENERAL
    assert classify_severity("", "Does the POS keep working if the internet goes down?")[0] is Severity.GENERAL
    assert classify_severity("", "Se cae el sistema cada vez que cerramos la caja.")[0] is Severity.IMPORTANT
    rules = _rules(("important.x", "important", 1.0, "both", [r"\blento\b"]))
    assert classify_severity("", "¿Por qué está lento?", rules=rules)[0] is Severity.GENERAL
    assert classify_severity("", "¿Por qué está lento?", rules=rules, question_factor=1.0)[0] is Severity.IMPORTANT
    assert classify_severity("", "Está lento. ¿Lo pueden revisar?", rules=rules)[0] is Severity.IMPORTANT


def test_quoted_lines_are_ignored():
    text = "Gracias, quedo atento.\n\n> El sistema está caído desde las 8:00.\n> Saludos"
    assert classify_severity("Re: consulta", text)[0] is Severity.GENERAL


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        ("Urgente", "¿Cómo cambio el logo de las boletas?", Severity.GENERAL),
        ("URGENT", "How do I download last month's invoices?", Severity.GENERAL),
        ("Consulta", "Hola, desde las 9 ningún usuario puede ingresar al sistema. Quedo atento, gracias.", Severity.CRITICAL),
        ("", "se cayó todo", Severity.CRITICAL),
        ("", "Orders from Shopify stopped syncing yesterday, other channels are fine.", Severity.IMPORTANT),
        ("", "We heard there was an outage yesterday. Could you send the incident report?", Severity.GENERAL),
    ],
)
def test_tricky_examples(subject, text, expected):
    assert classify_severity(subject, text)[0] is expected


def test_forced_still_wins_and_plan_call_shape_still_works():
    # mailbot/plan.py calls classify_severity(msg.subject, new_text, forced=forced)
    assert classify_severity("pregunta", "¿cómo exporto?", forced=Severity.CRITICAL) == (
        Severity.CRITICAL, ("forced:emergency-mailbox",),
    )
    assert classify_severity("pregunta", "¿cómo exporto?", forced=None)[0] is Severity.GENERAL
