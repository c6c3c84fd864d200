"""Language detection and severity classification of an inbound message.

Pure: no database, no network, no mail libraries. The pipeline hands in strings and
gets plain values back, so every rule here can be tested with a sentence.

Severity
--------
Ordered, named, weighted rules of Spanish and English regular expressions decide; they
come from the config file (``[[classify.rules]]``, loaded with :func:`rules_from_config`)
or default to ``DEFAULT_SEVERITY_RULES``, which ``config/severity-rules.example.toml``
writes out in full. The shape of one rule in TOML::

    [[classify.rules]]
    name = "critical.system-down"   # unique; stored with the ticket when it fires
    severity = "critical"           # critical | important | general
    weight = 1.0                    # optional, default 1.0; negative = counter-evidence
    where = "both"                  # optional: both (default) | subject | body
    patterns = ['\bcaid[oa]s?\b', 'no funciona nada', '\b(is|are|went) down\b']

Patterns run (``re.search``) on the *accent-folded, lower-cased* subject and new text
(``fold``), so a pattern is written without accents and in lower case (``caido``
matches "Caído", "CAIDO" and "caído"); accents in a pattern are stripped when the rule
is built, and a pattern with capitals is matched case-insensitively. Patterns should
use ``\b`` word boundaries so that "download" does not match "down".

Scoring (:func:`classify_severity`):

* a match preceded by a negation in the same clause does not count ("el sistema no
  está caído", "the site is not down"); Spanish negative concord ("no funciona en
  ninguna sucursal") is not a negation;
* each rule that fires adds ``weight`` to its severity's score, × ``subject_weight_factor``
  (1.5) when it fires in the subject, × ``question_factor`` (0.5) when a positive rule
  fires only inside questions ("¿qué pasa si se cae internet?");
* critical wins if its score reaches its threshold (1.0); else important wins if its
  score plus any positive critical score reaches its threshold (1.0); else general;
* ``forced`` (mail to emergencias@) wins without looking at the text.

The result is ``(severity, names of the rules that fired)``; see ``classify_severity``.
Accuracy is measured by tests/test_classify_eval.py on tests/data/severity_eval.jsonl.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mailbot.domain import Severity

if TYPE_CHECKING:  # pragma: no cover
    from py3langid.langid import LanguageIdentifier

__all__ = [
    "DEFAULT_SEVERITY_RULES",
    "DEFAULT_THRESHOLDS",
    "QUESTION_FACTOR",
    "SUBJECT_WEIGHT_FACTOR",
    "SUPPORTED_LANGUAGES",
    "RuleConfigError",
    "SeverityRule",
    "classify_severity",
    "detect_language",
    "fold",
    "level_for",
    "rules_from_config",
]

SUPPORTED_LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"

# How much of the message the language identifier looks at, how many words it needs
# before its answer is trusted, and how sure it must be (probability among es/en only).
LANGUAGE_SAMPLE_CHARS = 2000
LANGUAGE_MIN_WORDS = 3
LANGUAGE_MIN_CONFIDENCE = 0.70

# Severity rules look at this much of the new text at most (a pasted log can be
# megabytes; the problem is described at the top). The subject is always scanned.
SEVERITY_SCAN_CHARS = 20_000


# --------------------------------------------------------------------------- folding


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents: "Caído ÉXITO" → "caido exito".

    NFKD splits "í" into "i" + a combining accent, which is dropped; "ñ" becomes "n"
    (rules are written accordingly). Compatibility forms fold too ("ﬁ" → "fi").
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # typographic apostrophes (what phones type) fold to ASCII: "it’s" → "it's"
    return stripped.casefold().replace("\u2019", "'").replace("\u02bc", "'")


# --------------------------------------------------------------------------- language

_identifier: LanguageIdentifier | None = None
_identifier_lock = threading.Lock()


def _get_identifier() -> LanguageIdentifier:
    """The py3langid identifier restricted to es/en, built once (thread-safe)."""
    global _identifier
    ident = _identifier
    if ident is None:
        with _identifier_lock:
            ident = _identifier
            if ident is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                ident.set_languages(list(SUPPORTED_LANGUAGES))
                _identifier = ident
    return ident


_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|rv|fw|fwd|aw|sv|vs|tr|res|enc)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
_TICKET_TAG = re.compile(r"\[[A-Za-z]{1,10}-\d+\]")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+")
_WORD = re.compile(r"[^\W\d_]+")


def _language_from_header(content_language: str) -> str | None:
    """"es-CL" → "es"; "en-US, en" → "en"; "es, en", "fr" or "" → None (not clear)."""
    found: set[str] = set()
    for item in (content_language or "").split(","):
        tag = item.split(";", 1)[0].strip().lower().replace("_", "-")
        if not tag:
            continue
        primary = tag.split("-", 1)[0]
        if primary not in SUPPORTED_LANGUAGES:
            return None
        found.add(primary)
    return found.pop() if len(found) == 1 else None


def _language_sample(subject: str, new_text: str) -> str:
    subject = _TICKET_TAG.sub(" ", _REPLY_PREFIX.sub("", subject or ""))
    body_lines = [
        line for line in (new_text or "")[: LANGUAGE_SAMPLE_CHARS * 2].splitlines()
        if not line.lstrip().startswith(">")
    ]
    sample = f"{subject}\n" + "\n".join(body_lines)
    sample = _EMAIL.sub(" ", _URL.sub(" ", sample))
    return sample[:LANGUAGE_SAMPLE_CHARS]


def detect_language(
    subject: str, new_text: str, content_language: str = "", preferred: str = ""
) -> str:
    """Return "es" or "en" for an inbound message.

    In order: a ``Content-Language`` header that names only Spanish or only English;
    then py3langid (restricted to es/en) on the subject plus the new text, when there
    are at least three words and it is reasonably sure; then ``preferred`` (e.g. the
    customer's remembered language) if it is es/en; else Spanish, the default.
    """
    from_header = _language_from_header(content_language)
    if from_header:
        return from_header

    sample = _language_sample(subject, new_text)
    if len(_WORD.findall(sample)) >= LANGUAGE_MIN_WORDS:
        lang, confidence = _get_identifier().classify(sample)
        if lang in SUPPORTED_LANGUAGES and confidence >= LANGUAGE_MIN_CONFIDENCE:
            return lang

    pref = (preferred or "").strip().lower().replace("_", "-").split("-", 1)[0]
    if pref in SUPPORTED_LANGUAGES:
        return pref
    return DEFAULT_LANGUAGE


# --------------------------------------------------------------------------- severity

_RANK = {Severity.GENERAL: 1, Severity.IMPORTANT: 2, Severity.CRITICAL: 3}

WHERE_VALUES = ("both", "subject", "body")
RULE_KEYS = ("name", "severity", "weight", "where", "patterns")

#: A rule that fires in the subject counts this many times its weight.
SUBJECT_WEIGHT_FACTOR = 1.5
#: Score a severity needs to win; critical is checked first, then important.
DEFAULT_THRESHOLDS: Mapping[Severity, float] = {Severity.CRITICAL: 1.0, Severity.IMPORTANT: 1.0}

# A match is ignored when one of these words is among the three words just before it
# in the same clause: "el sistema no está caído", "the site is not down".
_NEGATORS = frozenset(
    {"no", "not", "nunca", "never", "isn't", "aren't", "wasn't", "weren't", "hasn't", "haven't",
     "isnt", "arent", "wasnt", "werent"}
)
_CLAUSE_BREAK = re.compile(r"[.,;:!?¿¡()\n]|\b(?:pero|but|aunque|although|y|and)\b")
_NEGATION_WINDOW_WORDS = 3
_NEGATION_WINDOW_CHARS = 40
# Spanish negative concord: in "no funciona en ninguna sucursal" the "no" does not cancel
# a match that is itself negative ("en ninguna sucursal", "nadie", "ni una venta").
_NEGATIVE_WORD = re.compile(r"\b(?:ningun\w*|nadie|nada|ni|nunca|tampoco|no)\b")
_SENTENCE_END = re.compile(r"[.!?\n]")
_QUESTION_WINDOW = 300

#: A positive rule whose every match sits in a question ("¿qué pasa si se cae internet?")
#: counts this fraction of its weight: questions mention problems without reporting them.
QUESTION_FACTOR = 0.5


def level_for(severity: Severity) -> int:
    """Support level that owns a severity: general → 1, important → 2, critical → 3."""
    return _RANK[Severity(severity)]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


@functools.lru_cache(maxsize=2048)
def _compiled(pattern: str) -> re.Pattern[str]:
    # The text is always lower case; a pattern with capitals ("SII") is matched
    # case-insensitively instead of never matching (IGNORECASE costs ~35%, so only then).
    return re.compile(pattern, re.IGNORECASE if pattern != pattern.lower() else 0)


def _negated(folded: str, start: int, matched: str = "") -> bool:
    """True when a negator sits in the last few words of the clause before ``start``."""
    if matched and _NEGATIVE_WORD.search(matched):
        return False
    before = folded[max(0, start - _NEGATION_WINDOW_CHARS):start]
    clause = _CLAUSE_BREAK.split(before)[-1]
    words = clause.split()[-_NEGATION_WINDOW_WORDS:]
    return any(word in _NEGATORS for word in words)


def _in_question(folded: str, start: int, end: int) -> bool:
    """True when the sentence around ``folded[start:end]`` is a question (¿...? or ...?).

    Looks at most ``_QUESTION_WINDOW`` characters either side, so a megabyte log line
    costs no more than a short one.
    """
    after = _SENTENCE_END.search(folded, end, end + _QUESTION_WINDOW)
    if after is not None and after.group() == "?":
        return True
    before = folded[max(0, start - _QUESTION_WINDOW):start]
    opening = max(before.rfind(ch) for ch in ".!?\n¿")
    return opening >= 0 and before[opening] == "¿"


@dataclass(frozen=True)
class SeverityRule:
    """A named, weighted set of regexes; if any matches, the rule fires.

    Patterns are applied with ``re.search`` to the accent-folded, lower-cased subject
    and/or text (``where``); a pattern with capitals matches case-insensitively; accents in a pattern are stripped
    when the rule is built, so "caído" and "caido" are the same pattern. A match
    preceded by a negation in the same clause ("no está caído", "not down") does not
    count. ``weight`` may be negative: such a rule is counter-evidence (a how-to
    question lowers the "important" score).
    """

    name: str
    severity: Severity
    patterns: tuple[str, ...]
    weight: float = 1.0
    where: str = "both"

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError("a severity rule needs a name")
        object.__setattr__(self, "severity", Severity(self.severity))
        if isinstance(self.patterns, str) or any(not isinstance(p, str) or not p for p in self.patterns):
            raise ValueError(f"severity rule {self.name!r}: patterns must be a list of non-empty strings")
        object.__setattr__(self, "patterns", tuple(_strip_accents(p) for p in self.patterns))
        if not self.patterns:
            raise ValueError(f"severity rule {self.name!r} has no patterns")
        if isinstance(self.weight, bool) or not isinstance(self.weight, (int, float)) or not math.isfinite(
            self.weight
        ):
            raise ValueError(f"severity rule {self.name!r}: weight must be a finite number, not {self.weight!r}")
        object.__setattr__(self, "weight", float(self.weight))
        if self.where not in WHERE_VALUES:
            raise ValueError(
                f"severity rule {self.name!r}: where must be one of {', '.join(WHERE_VALUES)}, not {self.where!r}"
            )
        for pattern in self.patterns:
            try:
                _compiled(pattern)
            except re.error as exc:
                raise ValueError(f"severity rule {self.name!r}: bad pattern {pattern!r}: {exc}") from exc

    def _hit(self, folded: str, question_factor: float) -> float:
        """0 if no pattern matches outside a negation; 1 for a plain hit; question_factor
        when every hit is inside a question (only for positive weights)."""
        best = 0.0
        for pattern in self.patterns:
            for match in _compiled(pattern).finditer(folded):
                if _negated(folded, match.start(), match.group()):
                    continue
                if self.weight <= 0 or not _in_question(folded, match.start(), match.end()):
                    return 1.0
                best = question_factor
        return best

    def matches(self, folded: str) -> bool:
        """True if any pattern matches ``folded`` outside a negation."""
        return self._hit(folded, 1.0) > 0

    def score(
        self,
        folded_subject: str,
        folded_text: str,
        subject_factor: float = SUBJECT_WEIGHT_FACTOR,
        question_factor: float = QUESTION_FACTOR,
    ) -> float:
        """This rule's contribution: 0 if it does not fire; weight × subject_factor for a
        subject hit, weight for a body hit, each × question_factor when only in questions."""
        if self.where != "body":
            hit = self._hit(folded_subject, question_factor)
            if hit:
                return self.weight * subject_factor * hit
        if self.where != "subject":
            hit = self._hit(folded_text, question_factor)
            if hit:
                return self.weight * hit
        return 0.0


class RuleConfigError(ValueError):
    """A bad ``[[classify.rules]]`` entry: ``index`` (0-based) and ``field`` say where."""

    def __init__(self, index: int | None, field: str, problem: str, name: str | None = None) -> None:
        self.index = index
        self.field = field
        self.problem = problem
        self.rule_name = name
        where = "rules" if index is None else f"rules[{index}]"
        if field:
            where += f".{field}"
        label = f" (rule {name!r})" if name else ""
        super().__init__(f"{where}{label}: {problem}")


def rules_from_config(data: list[dict[str, Any]]) -> tuple[SeverityRule, ...]:
    """Build severity rules from the parsed ``[[classify.rules]]`` array of tables.

    Each entry needs ``name`` (unique), ``severity`` (critical|important|general) and
    ``patterns`` (non-empty list of regexes); ``weight`` (number, default 1.0) and
    ``where`` (both|subject|body, default both) are optional; other keys are refused.
    Raises :class:`RuleConfigError` (a ``ValueError``) naming the rule index and field,
    e.g. ``rules[3].patterns[1] (rule 'critical.x'): bad regular expression ...``.
    """
    if not isinstance(data, (list, tuple)):
        raise RuleConfigError(None, "", "expected an array of tables ([[classify.rules]])")
    rules: list[SeverityRule] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(data):
        if not isinstance(entry, Mapping):
            raise RuleConfigError(index, "", f"expected a table, got {type(entry).__name__}")
        name = entry.get("name")
        label = name if isinstance(name, str) and name else None
        for key in entry:
            if key not in RULE_KEYS:
                raise RuleConfigError(index, str(key), f"unknown key; use {', '.join(RULE_KEYS)}", label)
        if "name" not in entry:
            raise RuleConfigError(index, "name", "missing; every rule needs a unique name")
        if not isinstance(name, str) or not name.strip():
            raise RuleConfigError(index, "name", f"must be a non-empty string, not {name!r}")
        if name in seen:
            raise RuleConfigError(index, "name", f"duplicate name (also rules[{seen[name]}])", name)
        seen[name] = index

        severity = entry.get("severity")
        if severity is None:
            raise RuleConfigError(index, "severity", "missing; use critical, important or general", name)
        try:
            severity = Severity(severity)
        except ValueError:
            raise RuleConfigError(
                index, "severity", f"unknown severity {severity!r}; use critical, important or general", name
            ) from None

        weight = entry.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
            raise RuleConfigError(index, "weight", f"must be a number, not {weight!r}", name)

        where = entry.get("where", "both")
        if where not in WHERE_VALUES:
            raise RuleConfigError(index, "where", f"must be one of {', '.join(WHERE_VALUES)}, not {where!r}", name)

        patterns = entry.get("patterns")
        if patterns is None:
            raise RuleConfigError(index, "patterns", "missing; give a list of regular expressions", name)
        if isinstance(patterns, str) or not isinstance(patterns, (list, tuple)) or not patterns:
            raise RuleConfigError(index, "patterns", "must be a non-empty list of regular expressions", name)
        for p_index, pattern in enumerate(patterns):
            if not isinstance(pattern, str) or not pattern:
                raise RuleConfigError(index, f"patterns[{p_index}]", f"must be a non-empty string, not {pattern!r}", name)
            try:
                _compiled(_strip_accents(pattern))
            except re.error as exc:
                raise RuleConfigError(
                    index, f"patterns[{p_index}]", f"bad regular expression {pattern!r}: {exc}", name
                ) from None
        rules.append(SeverityRule(name, severity, tuple(patterns), float(weight), where))
    return tuple(rules)


# --------------------------------------------------------------------------- default rules
#
# The same data, with comments, is config/severity-rules.example.toml; a test checks that
# the two agree. Patterns run on folded text (lower case, no accents); "\b" everywhere so
# that "download" never matches "down".

# Things that are "down": the word alone is too common ("slow down", "drop-down",
# "narrow down"), so it needs a subject or a verb next to it.
_DOWN_SUBJECTS = (
    r"(?:everything|all|server|servers|site|website|web|system|systems|service|services|"
    r"app|application|api|database|db|platform|portal|prod|production|network|vpn|email|"
    r"mail|login|checkout|erp|crm|store|storefront|pos)"
)

# Nouns for "the things a customer can lose" (plural: one deleted item is not a disaster).
_DATA_ES = (
    r"(?:datos|informacion|registros|historial|archivos|documentos|facturas|boletas|ventas|pedidos|"
    r"ordenes(?: de compra)?|contactos|clientes|productos|cuentas|movimientos|respaldos|transacciones|"
    r"asientos(?: contables)?|contabilidad|inventario|stock|libros?|catalogo)"
)
_DATA_EN = (
    r"(?:data|records|history|files|documents|invoices|receipts|sales|orders|contacts|customers|"
    r"(?:customer |user )?accounts|products|transactions|entries|items|database|skus|ledger|journal|"
    r"accounting|inventory|stock|catalog(?:ue)?)"
)

_DEFAULT_RULES_DATA: list[dict[str, Any]] = [
    # ------------------------------------------------------------------ critical
    {
        "name": "critical.system-down",
        "severity": "critical",
        "weight": 1.0,
        "where": "both",
        "patterns": [
            # es: caído/caída (not "caída de rendimiento", which is degradation)
            r"\bcaid[oa]s?\b(?! (?:de|del|en (?:el|la)) (?:rendimiento|velocidad|desempeno))",
            r"\bse (?:nos |me |les )?(?:cayo|cayeron|callo)\b",
            r"\bfuera de (?:servicio|linea)\b",
            r"\binoperativ[oa]s?\b",
            r"\bno funciona nada\b",
            r"\bnada funciona\b",
            r"\bsin (?:servicio|sistema)\b",
            r"\b(?:servicio|sistema|plataforma|operacion) (?:esta |quedo )?interrumpid[oa]\b",
            r"\binterrupcion (?:del|de|total del) (?:servicio|sistema)\b",
            r"\bfall[ao]s? (?:masiv[oa]s?|general(?:es)?|total(?:es)?)\b",
            r"\b(?:todo|sistema|plataforma|sitio|servidor|servicio|pagina|web|portal|app) (?:web )?(?:esta |estan |se fue |quedo )?abajo\b",
            r"\b(?:sistema|plataforma|aplicacion|programa|erp|app|portal|sitio|servidor|servicio|api)(?: [\w-]+){0,3} no (?:abre|inicia|arranca|levanta|responde)\b",
            r"\b(?:servicio|sistema|sitio|plataforma|portal|pagina|servidor|aplicacion|app|web)(?: [\w-]+){0,3} no (?:esta |se encuentra )?disponible\b",
            r"\bno levanta\b",
            r"\b(?:servidor|sistema|plataforma|aplicacion|app|sitio|portal|api|erp)(?: [\w-]+){0,3} (?:dejo de (?:responder|funcionar)|no vuelve a (?:funcionar|levantar))\b",
            r"\bno hay (?:sistema|servicio)\b",
            r"\bno (?:podemos|puedo|se puede|pueden) hacer nada\b",
            # en
            r"\b(?:is|are|was|were|went|gone|been|goes|going|still|completely|totally|it'?s|" + _DOWN_SUBJECTS + r")\s+down\b",
            r"\b(?:is|are|went|gone|been|we are|we're)\s+(?:completely |totally )?offline\b",
            r"(?<!partial )(?<!minor )\boutages?\b",
            r"\bservice (?:disruption|interruption)\b",
            r"\bnot working at all\b",
            r"\bnothing (?:is )?(?:working|loads|loading)\b",
            r"\bnothing works\b",
            r"\bcan'?t do anything\b",
            r"\b(?:website|site|store|shop|system|platform|app|portal)\b (?:is )?gone\b",
            r"\b(?:account suspended|cuenta suspendida)\b",
            r"\b(?:server|system|platform|site|app|api)\b(?: [\w-]+){0,2} (?:stopped responding|is not responding|isn'?t responding)\b",
            r"\beverything (?:is )?(?:broken|down)\b",
            r"\b(?:is|are|was|were|been|became) (?:completely |totally )?(?:unavailable|inaccessible|unreachable)\b",
            r"\b(?:completely|totally) (?:unavailable|unreachable|inaccessible|broken)\b",
            r"\bservice unavailable\b",
            r"\b(?:is|are) dead\b",
            r"\b(?:system|platform|application|app|erp|portal|site|website|server|pos)\b(?: [\w-]+){0,2} (?:won'?t|will not|does ?n'?t|does not|can'?t|cannot) (?:open|start|boot|respond|come (?:back )?up)\b",
            r"\bcrash(?:es|ed|ing)? on (?:startup|start|launch)\b",
        ],
    },
    {
        "name": "critical.data-loss",
        "severity": "critical",
        "weight": 1.0,
        "where": "both",
        "patterns": [
            r"\bperdida (?:total |masiva |parcial )?de (?:los |las |la |nuestros |nuestras |nuestra )?(?:datos|informacion|registros|base de datos|archivos|documentos)\b",
            r"\b(?:informacion|datos|registros) (?:borrad|eliminad|perdid)[oa]s?\b",
            r"\bborrado (?:masivo |total )?de (?:datos|informacion|registros)\b",
            # a verb of loss, then (within a few words) what was lost
            r"\b(?:se (?:nos |me |les )?(?:borr|elimin|perd)\w+|(?:borr|elimin)(?:o|aron)|perd(?:imos|i|io|ieron)|desaparec(?:ieron|io)|sobre?scrib(?:io|ieron))\b(?! (?:la )?conexion)[^.\n]{0,40}\b(?:" + _DATA_ES + r"|todo|la base)\b",
            r"\b" + _DATA_ES + r"\b[^.\n]{0,40}\b(?:desaparec(?:ieron|en)|se (?:borraron|eliminaron|perdieron|borran|eliminan|pierden))\b",
            r"\b(?:se (?:nos |me |les )?(?:borr|elimin)\w+|borr(?:o|aron)|elimin(?:o|aron)|deleted|wiped|erased|removed)\b[^.\n]{0,40}\b(?:todos|todas|toda|todo|all|every|entire)\b",
            r"\b" + _DATA_ES + r"\b[^.\n]{0,20}\bno se (?:guardan|graban|registran)\b",
            r"\b" + _DATA_EN + r"\b[^.\n]{0,20}\b(?:are not|aren'?t|not being) (?:saved|stored|recorded)\b",
            r"\b(?:datos|base de datos|informacion|registros) (?:quedo |quedaron |esta |estan )?(?:corrupt[oa]s?|corrompid[oa]s?|danad[oa]s?)\b",
            r"\bfaltan (?:la mitad|todos|todas|muchos|muchas|cientos|miles|\d+)\b",
            r"\b(?:dejo|quedo|quedaron|puso|pusieron)\b[^.\n]{0,15}\ben cero\b",
            r"\b(?:contabilidad|inventario|historial|catalogo|base de datos|ano|mes)\b[^.\n]{0,30}\b(?:aparece|quedo|esta|sale) vaci[oa]\b",
            r"\bdata loss\b",
            r"\b(?:lost|deleted|wiped|erased|purged|overw(?:rote|ritten)) (?:all|every|our|the|half|most|\d[\d,.]*)\b[^.\n]{0,30}\b" + _DATA_EN + r"\b",
            r"\b" + _DATA_EN + r"\b[^.\n]{0,40}\b(?:are|is|have|has|were|was|got)? ?(?:all |been )?(?:gone|disappeared|vanished|deleted|wiped|erased|corrupted|lost|overwritten)\b",
            r"\boverw(?:rote|ritten)\b",
            r"\b(?:set|reset|zeroed)\b[^.\n]{0,20}\bto zero\b",
            r"\b(?:ledger|database|accounting|inventory|history|catalog(?:ue)?|records)\b[^.\n]{0,30}\b(?:is|are|was|were) (?:now )?(?:completely )?(?:empty|blank|wiped)\b",
            r"\b\d[\d,.]* " + _DATA_EN + r" (?:are |were )?(?:missing|lost|gone|deleted)\b",
        ],
    },
    {
        "name": "critical.security",
        "severity": "critical",
        "weight": 1.0,
        "where": "both",
        "patterns": [
            r"\bbrecha de seguridad\b",
            r"\b(?:incidente|problema|falla|vulnerabilidad) (?:grave )?de seguridad\b",
            r"\bhacke\w*\b",
            r"\bvulner(?:aron|ado|ada|ados|adas|o)\b",
            r"\bfiltracion\b",
            r"\bacceso(?:s)? (?:no autorizado|indebido|sospechoso)s?\b",
            r"\bsin autorizacion\b",
            r"\baccesos? que no (?:son|es) nuestr",
            r"\bex ?-?(?:empleado|trabajador|colaborador)\b[^.\n]{0,60}\b(?:entrando|ingresando|accediendo|acceso|descargo)\b",
            r"\b(?:ver|ven|veo|vemos|see|sees|shows?|showing)\b[^.\n]{0,40}(?:de otros? clientes?|other customers'?|another customer'?s?)",
            r"\b(?:api key|token|clave|claves|contrasena|contrasenas|credenciales?|passwords?)\b[^.\n]{0,60}\b(?:repositorio publico|public (?:repo\w*|server)|publicly available|publicad[oa]s?|expuest[oa]s?|filtrad[oa]s?|leaked|exposed)\b",
            r"\bleaked\b",
            r"\b(?:datos|informacion|planilla|base de datos)\b[^.\n]{0,60}\b(?:circulando|expuest[oa]s?|publicad[oa]s? en internet)\b",
            r"\b(?:data|information|details|records)\b[^.\n]{0,30}\b(?:exposed|leaked|circulating)\b",
            r"\bvisible (?:to|for|para) (?:anyone|everyone|the public|cualquiera|todo el mundo)\b",
            r"\bcualquier(?:a| persona) puede ver\b",
            r"\bfraud\w*\b",
            r"\bransom\b",
            r"\bmalicios[oa]s?\b",
            r"\bmalicious\b",
            r"\bsuplant\w*\b",
            r"\b(?:dark web|deep web|data dump|dump of)\b",
            r"\bbreach\b",
            r"\bbrecha\b",
            r"\b(?:de otra empresa|de otro cliente|another company'?s|other compan(?:y|ies)'?s?)\b",
            r"\bfraude\w*\b",
            r"\bdata leak\b",
            r"\bransomware\b",
            r"\bmalware\b",
            r"\bvirus\b",
            r"\bphishing\b",
            r"\bsuplantacion\b",
            r"\bcorreos? falsos?\b",
            r"\brescate\b",
            r"\bsecurity (?:breach|incident|problem|issue)\b",
            r"\bdata breach\b",
            r"\bprivacy (?:issue|breach|incident|problem)\b",
            r"\bhacked\b",
            r"\bunauthori[sz]ed\b",
            r"\b(?:account|accounts|server|servers|system|systems|password|passwords|credentials?|site|website|database|network)\s+(?:was |were |has been |have been |is |are |got )?compromised\b",
            r"\b(?:taken over|account takeover)\b",
            r"\bbrute.?force\b",
        ],
    },
    {
        "name": "critical.security-actor",
        "severity": "critical",
        "weight": 0.5,
        "where": "both",
        "patterns": [
            # someone else did it; with a suspicious symptom this is a security incident
            r"\bno (?:fuimos|fui) (?:nosotros|yo)\b",
            r"\bsin que nadie\b",
            r"\bnadie de nosotros\b",
            r"\bwasn'?t (?:us|me|one of us)\b",
            r"\bnone of us\b",
            r"\bwe did(?: not|n'?t) do (?:this|that|it)\b",
            r"\b(?:we|she|he|they|i) did(?: not|n'?t) (?:send|write|authori[sz]e|create|make|change)\b",
            r"\b(?:nosotros no|que no) (?:redactamos|enviamos|hicimos|autorizamos|creamos|cambiamos)\b",
            r"\b(?:without|sin) (?:our|nuestro|nuestra) (?:knowledge|permission|consent|conocimiento|autorizacion|permiso)\b",
            r"\b(?:that|which) (?:isn'?t|is not) ours\b",
            r"\bque no es nuestr[oa]\b",
            r"\b(?:alguien|un tercero) (?:cambio|entro|accedio|borro|modifico|ingreso|descargo)\b",
            r"\bsomeone (?:changed|changing|accessed|logged|deleted|modified|downloaded)\b",
            r"\b(?:ip|ips|direcciones ip|ip addresses|dispositivos?|devices?|paises|countries|ubicaciones|locations)\b[^.\n]{0,30}\b(?:desconocid[oa]s?|unknown|we don'?t|no reconocemos)\b",
        ],
    },
    {
        "name": "critical.security-symptom",
        "severity": "critical",
        "weight": 0.5,
        "where": "both",
        "patterns": [
            r"\bsospechos[oa]s?\b",
            r"\bsuspicious\b",
            r"\b(?:correos|emails|mails) masivos\b",
            r"\bspam\b",
            r"\b(?:contrasenas|passwords|credenciales|credentials)\b",
            r"\blocked out\b",
            r"\btransferencias?\b",
            r"\btransferir\b",
            r"\b(?:cuenta bancaria|datos bancarios|bank account|bank details|account details)\b",
            r"\bno autorizad[oa]s?\b",
            r"\b(?:links?|enlaces?) (?:extran[oa]s?|raros?|sospechos[oa]s?|strange|suspicious|weird)\b",
            r"\btransfers?\b",
            r"\badmin(?:istrador(?:es)?)? (?:users?|accounts?)\b",
            r"\bcuentas? (?:del|de los?) (?:gerente|administrador(?:es)?)\b",
        ],
    },
    {
        "name": "critical.business-stopped",
        "severity": "critical",
        "weight": 1.0,
        "where": "both",
        "patterns": [
            r"\b(?:no|sin) (?:podemos |puedo |pueden |se puede |se pueden |poder |estamos pudiendo |hemos podido )(?:operar|trabajar|vender|facturar|cobrar|despachar|atender|entregar|declarar)\b",
            r"\bno (?:nos |me |les )?(?:deja|dejan|permite|permiten) (?:vender|facturar|trabajar|operar|despachar|cobrar)\b",
            r"\bventas (?:estan |son |quedaron )?en cero\b",
            r"\b(?:operacion|produccion|negocio|bodega|empresa|ventas?)\b(?: [\w-]+){0,3} (?:esta |estan |quedo |quedaron )?(?:detenid[oa]s?|paralizad[oa]s?|parad[oa]s?)\b",
            r"\b(?:estamos|quedamos) (?:paralizados|parados|detenidos)\b",
            r"\bperdiendo (?:ventas|plata|dinero|clientes|pedidos)\b",
            r"\bno (?:entra|sale) ni una? (?:venta|pedido|orden|boleta|factura)\b",
            r"\bcan ?not operate\b",
            r"\bcan'?t operate\b",
            r"\bunable to operate\b",
            r"\b(?:business|operations?|production|sales|warehouse)\b(?: \w+){0,2} (?:is |are |has |have )?(?:stopped|halted|at a (?:complete )?(?:stop|standstill))\b",
            r"\b(?:can'?t|cannot|unable to) (?:sell|ship|invoice|take (?:any )?(?:orders|calls|payments)|process (?:any )?(?:orders|payments|sales))\b",
            r"\bno (?:sales|orders|payments) (?:are )?(?:coming|going) through\b",
            r"\b(?:sales|orders) (?:are|have been) (?:at )?zero\b",
            r"\bzero (?:sales|orders)\b",
            r"\blosing (?:sales|money|customers|orders)\b",
            r"\b(?:we'?re|we are|estamos) (?:completely |totally )?(?:blocked|bloqueados|stuck)\b",
            r"\b(?:had to|have to|tuvimos que|tenemos que) (?:close|cerrar)(?: the| la| el)? (?:store|shop|tienda|local)?\b",
            r"\blosing the (?:whole|entire) \w+\b",
            r"\bcan'?t file (?:taxes|our taxes|the return)\b",
        ],
    },
    {
        "name": "critical.everyone-affected",
        "severity": "critical",
        "weight": 1.0,
        "where": "both",
        "patterns": [
            r"\bnadie\b(?: \w+){0,3} (?:pued\w*|pud\w*|logr\w*|consig\w*|entra|accede|ingresa)\b",
            r"\bning(?:un|una|uno)\b(?: \w+){0,6} (?:puede|pueden|funciona|funcionan|logra|abre|responde|carga)\b",
            r"\bpara (?:ningun usuario|ningun cliente|nadie)\b",
            r"\bno (?:\w+ ){0,2}(?:nadie|ninguno|ninguna)\b",
            r"\b(?:los |nuestros )?(?:clientes|usuarios|vendedores|cajeros|trabajadores|empleados) no (?:pueden|logran|han podido) (?:entrar|ingresar|acceder|comprar|pagar|conectarse|iniciar sesion|trabajar)\b",
            r"\b(?:nobody|no one|no-one|no user|no users|none of (?:our|the|us)(?: \w+){0,2})(?: \w+){0,3} (?:can|could|is able|are able|has been able|have been able|respond|responds|works|loads)\b",
            r"\ball (?:users|customers|accounts) (?:are )?affected\b",
            r"\baffect(?:s|ing)? (?:all|every) (?:users|customers|accounts|user|customer)\b",
            r"\b(?:customers|users|clients|employees|staff|cashiers|agents)\b (?:can'?t|cannot|couldn'?t|could not|are unable to|haven'?t been able to|have not been able to) (?:log ?in|sign ?in|access|buy|pay|check ?out|place orders|work)\b",
        ],
    },
    {
        "name": "critical.wide-scope",
        "severity": "critical",
        "weight": 0.5,
        "where": "both",
        "patterns": [
            r"\b(?:en|de|a|desde) (?:ninguna|ningun|todas|todos)\b(?: de)? (?:las |los |nuestras |nuestros )?(?:\w+ )?(?:sucursales|sucursal|tiendas|tienda|cajas|caja|locales|local|empresas|bodegas|paginas|pantallas|equipos|computadores)\b",
            r"\ba todas las (?:llamadas|solicitudes|peticiones)\b",
            r"\bpara todos(?: (?:los|nuestros))? (?:usuarios|clientes)\b",
            r"\btodos los (?:usuarios|clientes|pagos|pedidos|locales)\b",
            r"\ba todos (?:los|nuestros) \w+\b",
            r"\b(?:mas de )?\d{3,} (?:personas|clientes|usuarios|socios|people|customers|users|members)\b",
            r"\bevery (?:single )?(?:user|customer|employee)'?s?\b",
            r"\b(?:sistema|servicio|plataforma|aplicacion|web|red|empresa|oficina) complet[oa]\b",
            r"\b(?:cientos|miles|cantidad) de (?:clientes|usuarios|pedidos|boletas|facturas)\b",
            r"\b(?:hundreds|thousands|lots) of (?:customers|users|orders|invoices)\b",
            r"\btod[oa] (?:el sistema|la plataforma|el servicio|la empresa)\b",
            r"\b(?:completamente|totalmente)\b",
            r"\bfor (?:everyone|everybody|all (?:users|accounts|customers|of us)|every (?:user|customer))\b",
            r"\b(?:on|in|for) every (?:page|screen|request|machine|computer|store|branch|customer|user)\b",
            r"\bon any (?:machine|computer|device|store)\b",
            r"\ball (?:requests|calls|pages|stores|branches)\b",
            r"\bevery (?:payment|request|call|page|order)\b",
            r"\b(?:the )?(?:entire|whole) (?:system|platform|site|company|office|team)\b",
            r"\bat all\b",
        ],
    },
    {
        "name": "critical.infrastructure-error",
        "severity": "critical",
        "weight": 0.6,
        "where": "both",
        "patterns": [
            r"\b50[234]\b",
            r"\bbad gateway\b",
            r"\bgateway time-?out\b",
            r"\bconnection refused\b",
            r"\b(?:database connection|connection to the database)\b",
            r"\b(?:conexion (?:a|con) la )?base de datos no (?:encontrada|disponible)\b",
            r"\berror de conexion (?:a|con) (?:la base de datos|el servidor)\b",
        ],
    },
    {
        "name": "critical.failure",
        "severity": "critical",
        "weight": 0.5,
        "where": "body",
        "patterns": [
            # a failure that is critical only when it is wide (see critical.wide-scope)
            r"\b(?:dejo|dejaron) de funcionar\b",
            r"\bno funcionan?\b(?! nada)",
            r"\bno (?:abre|responde|responden)\b",
            r"\bsin acceso\b",
            r"\bno hay acceso\b",
            r"\bno es posible (?:ingresar|entrar|acceder|conectarse|iniciar sesion|trabajar)\b",
            r"\bcan'?t connect\b",
            r"\b(?:shows?|showing|muestra|aparece|quedo|quedaron) (?:as |en |con )?\$ ?0\b",
            r"\bcobr(?:o|aron|ando)\b[^.\n]{0,20}\b(?:dos|tres|doble|varias) (?:y hasta tres )?veces\b",
            r"\bcharged (?:two|three|twice|multiple|several|double)\b",
            r"\bpantalla (?:en )?blanc[oa]\b",
            r"\b(?:congelad|colgad|pegad)[oa]s?\b",
            r"\bstopped working\b",
            r"\b(?:is|are|isn'?t|aren'?t) not working\b",
            r"\b(?:isn'?t|aren'?t) working\b",
            r"\b(?:doesn'?t|does not|don'?t|do not|won'?t) work\b",
            r"\bfail(?:s|ed|ing)\b",
            r"\bcrash\w*\b",
            r"\b(?:errors?|errores)\b",
            r"\bno (?:esta|estan) funcionando\b",
            r"\bse (?:reinicia|cae|cierra|congela)\b",
            r"\b(?:frozen|freezes|hangs|hanging|blank (?:page|screen)|white screen)\b",
            r"\bno (?:podemos|se puede|se pueden) (?:emitir|generar|cerrar|abrir|pagar|imprimir)\b",
        ],
    },
    {
        "name": "critical.business-impact",
        "severity": "critical",
        "weight": 0.5,
        "where": "both",
        "patterns": [
            r"\bclientes esperando\b",
            r"\bcamiones\b[^.\n]{0,30}\b(?:no pueden salir|esperando)\b",
            r"\bhoy tenemos que (?:pagar|facturar|cerrar|despachar)\b",
            r"\bpagar (?:los )?sueldos\b",
            r"\b(?:boletas|facturas|ventas) (?:manuales|a mano|en papel)\b",
            r"\bpayroll must run\b",
            r"\b(?:must|have to) (?:run|ship|pay|invoice) today\b",
            r"\bcustomers (?:are )?waiting\b",
            r"\bmanual (?:receipts|invoices|orders)\b",
            r"\b(?:personas|trabajadores|gente|empleados|people|staff|employees)\b[^.\n]{0,20}\b(?:parad[oa]s|esperando|sin poder|waiting|idle)\b",
            r"\b(?:due|deadline is) (?:today|tomorrow)\b",
            r"\b(?:vence|plazo (?:vence|es)) (?:hoy|manana)\b",
            r"\bhoy vence\b",
            r"\b(?:runs|is due|closes|vence|cierra) (?:in|en) (?:\d+|one|two|three|una|dos|tres) (?:hours?|horas?)\b",
            r"\b(?:a )?queue out the door\b",
            r"\bfila de clientes\b",
        ],
    },
    {
        "name": "critical.urgency",
        "severity": "critical",
        "weight": 0.3,
        "where": "both",
        "patterns": [
            r"\burgen(?:te|tes|cia)\b",
            r"\bemergencias?\b",
            r"\burgent(?:ly)?\b",
            r"\bemergency\b",
            r"\basap\b",
            r"\blo antes posible\b",
            r"\ba la brevedad\b",
            r"\binmediat[oa]s?\b",
            r"\bimmediate(?:ly)?\b",
        ],
    },
    {
        "name": "critical.limited-scope",
        "severity": "critical",
        "weight": -0.5,
        "where": "body",
        "patterns": [
            r"\b(?:el resto|lo demas|todo lo demas)\b[^.\n]{0,20}\bfuncion\w*",
            r"\b(?:con|en|desde|por) [^.\n,;]{1,40}\bsi (?:funciona|funcionan|anda|se puede|carga|llega|llegan)\b",
            r"\blas? otras? \w+ (?:si|funciona|funcionan|anda|andan)\b",
            r"\blos otros? \w+ (?:si|funciona|funcionan|anda|andan)\b",
            r"\ba (?:los|las) demas si\b",
            r"\bsi se \w+n? bien\b",
            r"\b(?:hoy|ahora|ya) (?:anda|funciona|esta funcionando|quedo funcionando)\b",
            r"\b(?:everything|all) else (?:works|worked|is fine|was fine)\b",
            r"\b(?:the )?other \w+ (?:are|is|were) (?:fine|ok|okay|working)\b",
            r"\b(?:the )?other \w+ work\b",
            r"\bothers do\b",
            r"\bworks? fine\b",
            r"\bit'?s (?:fine|ok|okay|working) now\b",
        ],
    },
    {
        "name": "critical.info-request",
        "severity": "critical",
        "weight": -1.0,
        "where": "body",
        "patterns": [
            # asking about an incident, or a hypothetical one, is not reporting one
            r"\binforme (?:del|de|sobre el) (?:incidente|problema|corte)\b",
            r"\bincident report\b",
            r"\b(?:root cause|post-?mortem|rca)\b",
            r"\bpara (?:nuestro|nuestros) registros?\b",
            r"\bfor our records\b",
            r"\b(?:status page|pagina de estado)\b",
            r"\b(?:si|cuando|en caso de que|if|when|in case)\b[^.?!\n]{0,60}\b(?:se (?:cae|caen|corta|cortan)|cae|caid[oa]s?|cortara|cayera|goes down|go down|is down|are down|offline|fails?|falla|outages?)\b[^.!\n]{0,150}\?",
        ],
    },
    # ------------------------------------------------------------------ important
    {
        "name": "important.slow",
        "severity": "important",
        "weight": 1.0,
        "where": "both",
        "patterns": [
            r"\blent(?:o|a|os|as|itud)\b",
            r"\b(?:se )?demora(?:n)? (?:mucho|demasiado|como|unos|mas de|casi)\b",
            r"\btarda(?:n)? (?:mucho|demasiado|mas de|como|unos|casi|\d+)\b",
            r"\bse queda(?:n)? (?:cargando|pensando|procesando)\b",
            r"\bnunca termina\b",
            r"\bslow(?:ly|ness|er|ed|ing)?\b",
            r"\bsluggish\b",
            r"\blagg?(?:y|ing)\b",
            r"\btakes? (?:forever|too long|ages)\b",
            r"\btakes? (?:up to |about |around |over |more than |almost )?(?:an?|one|\d+\+?) (?:hours?|minutes?|seconds?)\b",
            r"\btakes? (?:around |about |over |more than |almost |up to )?\d+ (?:seconds|minutes|secs|mins)\b",
            r"\b(?:stuck|spins|spinning|keeps loading)\b",
            r"\btim(?:e|es|ed|ing) ?out\b",
            r"\btimeouts?\b",
        ],
    },
    {
        "name": "important.degraded",
        "severity": "important",
        "weight": 1.0,
        "where": "both",
        "patterns": [
            r"\bdegradad[oa]s?\b",
            r"\b(?:caida|baja) (?:de|del|en (?:el|la)) (?:rendimiento|velocidad|desempeno)\b",
            r"\bintermitent(?:e|es|emente)\b",
            r"\ba veces\b",
            r"\bcada cierto (?:rato|tiempo)\b",
            r"\b\d+(?: [oa] \d+)? veces (?:al|por) dia\b",
            r"\bretraso\b",
            r"\batraso\b",
            r"\bse desconecta\b",
            r"\bdegraded\b",
            r"\bintermittent(?:ly)?\b",
            r"\brandom(?:ly)?\b",
            r"\bsometimes\b",
            r"\bfrom time to time\b",
            r"\b(?:a few|several) times a day\b",
            r"\bperformance (?:issue|problem|degradation)s?\b",
            r"\b(?:hours?|minutes?|days?) late\b",
            r"\bdelay(?:ed|s)?\b",
            r"\blogged out\b",
            r"\b(?:sent|kicked) (?:back|out)\b",
            r"\b(?:nos|me|los|les) saca del sistema\b",
            r"\b(?:varias|muchas) horas\b",
        ],
    },
    {
        "name": "important.partial",
        "severity": "important",
        "weight": 1.0,
        "where": "both",
        "patterns": [
            r"\bfallas? parcial(?:es)?\b",
            r"\bparcialmente\b",
            r"\bno carga(?:n)?\b",
            r"\bno se carga(?:n)?\b",
            r"\bpartial(?:ly)?\b",
            r"\b(?:does|do)(?: not|n'?t) load\b",
            r"\bwon'?t load\b",
        ],
    },
    {
        "name": "important.error",
        "severity": "important",
        "weight": 1.0,
        "where": "both",
        "patterns": [
            # es
            r"\berror(?:es)? al\b",
            r"\b(?:da|arroja|aparece|sale|salta|tira|muestra|devuelve)\b[^.\n]{0,15}\berror\b",
            r"\b(?:con|tiene|tienen) (?:el )?errore?s?\b",
            r"\berror \d{3}\b",
            r"\brechaz(?:o|aron|ado|ados|ada|adas|a|an)\b",
            r"\bno (?:me|nos|le|les) (?:deja|permite)\b",
            r"\bno (?:se )?(?:esta|estan) \w+(?:ando|iendo)\b",
            r"\bno (?:se )?(?:esta |estan )?(?:generando|enviando|actualizando|sincronizando|traspasando|importando|guardando|imprimiendo|recibiendo|corriendo|cargando|descontando|aplicando|funcionando|llegando)\b",
            r"\bno (?:se |me |nos |le |les |lo |la |los |las )?(?:actualiza|genera|envia|guarda|sincroniza|descuenta|aplica|calcula|considera|muestra|refleja|respeta|reconoce|valida|acepta|registra|imprime|emite|timbra|trae|llega|llego|recibe|coincide|encuentra|funciona|suma|toma|descarga|aparece|reconoce)n?\b",
            r"\bno (?:puedo|puede|pueden|podemos|logro|logra) \w+(?:ar|er|ir)\b",
            r"\bdej(?:o|aron) de \w+",
            r"\bfall(?:a|an|o|aron|ando)\b",
            r"\bse (?:cierra|cierran|cae|caen|cuelga|cuelgan|pega|pegan|congela|congelan)\b",
            r"\bqueda(?:n)? (?:en estado )?['\"]?(?:bloquead|pegad|colgad|pendiente)\w*",
            r"\b(?:me |nos |le |les )?(?:sale|aparece|muestra|dice|arroja)\s*['\"«“]",
            r"\bsigue(?:n)? (?:apareciendo|mostrando|saliendo)\b",
            r"\bborros[oa]s?\b",
            r"\brebot(?:a|an|ando|aron)\b",
            r"\bcorta(?:n)? (?:el|la|los|las)\b",
            r"\bduplica(?:n|ndo)?\b",
            r"\bno se ve(?:n)?\b",
            r"\bse ve(?:n)? mal\b",
            r"\bfalta(?:n)? (?:el|la|los|las)\b",
            r"\bcon (?:los )?(?:precios|datos|valores) (?:antiguos|anteriores|viejos|del ano pasado)\b",
            r"\b(?:filtros?|configuracion|sesion)\b[^.\n]{0,30}\b(?:se borran?|se pierden?|se resetea\w*)\b",
            r"\bilegibles?\b",
            r"\b(?:sale|salen|aparece|aparecen|llega|llegan)\b(?: \w+){0,3} (?:sin|en blanco|mal|cortad\w*)\b",
            r"\bdesfas\w*\b",
            r"\bsalta(?:n)? (?:las|los|algunas|algunos) \w+",
            r"\bomite(?:n)?\b",
            r"\b(?:en vez de|en lugar de)\b",
            r"\bduplicad[oa]s\b",
            r"\b(?:doble|dos veces)\b",
            r"\b(?:incorrect[oa]s?|erroneo|erronea|erroneos|erroneas)\b",
            r"\bmal (?:calculad|formatead|escrit|generad|aplicad)\w*",
            r"\bdistint[oa]s? (?:al|a la|a los|de)\b",
            r"\bno cuadra\w*\b",
            r"\bdescuadr\w*",
            r"\b(?:con|hay|una?) (?:\w+ ){0,3}de diferencia\b",
            r"\bcortad[oa]s\b",
            r"\bsuperpuest[oa]s?\b",
            r"\bdesactualizad[oa]s?\b",
            r"\b(?:seguimos con|sigue) (?:el|este|ese) (?:problema|error)\b",
            r"\bpersiste\b",
            # en
            r"\berrors? (?:when|while|on|in)\b",
            r"\b(?:get|getting|got|see|seeing|receive|shows?|showing|throws?|throwing|returns?|returning|gives?|giving)\b[^.\n]{0,25}\berror\b",
            r"\breturns? (?:a |an )?(?:[45]\d\d)\b",
            r"\bstopped \w+ing\b",
            r"\b(?:doesn'?t|does not|don'?t|do not|won'?t|will not|isn'?t|aren'?t|is not|are not|wasn'?t|weren'?t|not being|never)\b (?:\w+ )?(?:find|match|load|work|print|import|sync|update|show|save|send|open|apply|applied|calculated|included|shown|showing|saved|sent|updated|synced|imported|recognized|accepted|working|importing|running|updating|syncing|loading|printing|sending|arriving|gets?|receives?|arrives?|finish(?:es)?)\b",
            r"\b(?:can'?t|cannot|unable to|couldn'?t|could not) (?:approve|attach|export|import|upload|save|print|send|log ?in|sign ?in|access|open|reset|create|edit|delete|issue)\b",
            r"\bcrash(?:es|ed|ing)?\b",
            r"\bfail(?:s|ed|ing|ure|ures)?\b",
            r"\breject(?:s|ed|ing)?\b",
            r"\b(?:prints?|printed|sends?|sent|charges?|charged|creates?|created|imports?|imported)\b(?: \w+){0,2} twice\b",
            r"\b(?:blurry|illegible|unreadable)\b",
            r"\bbounc(?:e|es|ed|ing)\b",
            r"\bskips?\b",
            r"\bexclud(?:es|ing)\b",
            r"\bomit(?:s|ted|ting)?\b",
            r"\btwice\b",
            r"\boff by\b",
            r"\b(?:landing|going|ending up) (?:in|to) (?:the |customers'? )?(?:spam|junk)\b",
            r"\b(?:llegan?|caen?|van) (?:a|en) (?:la carpeta de )?(?:spam|correo no deseado)\b",
            r"\b(?:hidden|covered) (?:behind|by)\b",
            r"\b(?:is|are) missing\b",
            r"\bmissing (?:the|a|some)\b",
            r"\b(?:with|using) (?:last year'?s|old|outdated|the previous)\b",
            r"\b(?:filters?|settings?|session)\b[^.\n]{0,30}\b(?:reset|resets|get lost|are lost)\b",
            r"\b(?:still|keeps?) (?:shows?|showing)\b",
            r"\b(?:says|shows|get|gets)\s*['\"“]",
            r"\bduplicat(?:e|es|ed)\b",
            r"\b(?:wrong|incorrect)\b",
            r"\bdifferent (?:totals|numbers|amounts|values|results)\b",
            r"\bmismatch\w*\b",
            r"\bdiscrepanc\w*\b",
            r"\bcut off\b",
            r"\boverlap\w*\b",
            r"\bmisalign\w*\b",
            r"\bgarbled\b",
            r"\b(?:shows?|showing|displays?) (?:the )?(?:yesterday'?s|last week'?s|old|outdated|stale)\b",
            r"\bnot updating\b",
            r"\bstill (?:there|happening|broken|failing)\b",
            r"\bsame (?:problem|issue|error)\b",
            r"\bbroken\b",
        ],
    },
    {
        "name": "important.regression",
        "severity": "important",
        "weight": 0.5,
        "where": "body",
        "patterns": [
            r"\bya no\b",
            r"\bantes (?:no )?(?:era|funcionaba|tomaba|andaba|salia)\b",
            r"\bdesde (?:la|el) (?:ultim[oa] )?(?:actualizacion|cambio|deploy)\b",
            r"\bno longer\b",
            r"\banymore\b",
            r"\bused to\b",
            r"\bsince (?:the|your|last) (?:update|upgrade|release|deploy|change)\b",
        ],
    },
    {
        "name": "important.not-working",
        "severity": "important",
        "weight": 1.0,
        "where": "body",
        "patterns": [
            # a negated statement about what the software does: "no incluye", "no se importan",
            # "cancellations don't"; a question (see important.question) cancels it
            r"\bno (?:se |me |le |les |lo |la |los |las |nos )?(?!(?:sabe|sabemos|es|era|hay|tengo|tenemos|tiene|tienen|quiero|queremos|necesito|necesitamos|entiendo|recuerdo|trabaja|trabajan|esta|estan|olvide|olvidemos|duden|dude)\b)\w+(?:a|an|e|en)\b",
            r"\b(?:doesn'?t|don'?t|isn'?t|aren'?t|wasn'?t|weren'?t|won'?t|didn'?t|does not|do not|did not|never)\b(?! (?:know|have|need|want|mind|hesitate|think|see why|understand|remember|worry)\b)",
        ],
    },
    {
        "name": "important.repro",
        "severity": "important",
        "weight": 0.5,
        "where": "body",
        "patterns": [
            # how bug reports are written: "cada vez que", "every time", "al intentar"
            r"\b(?:cada vez que|siempre que|every time|each time|whenever)\b",
            r"\bal (?:intentar|hacer|abrir|crear|guardar|emitir|generar|imprimir|cerrar)\b",
            r"\bwhen (?:i|we|they|users?) (?:try|tries|click|clicks|open|opens|save|saves|create|creates)\b",
            r"\b(?:aunque|even though|although)\b",
        ],
    },
    {
        "name": "important.integration",
        "severity": "important",
        "weight": 0.6,
        "where": "both",
        "patterns": [
            r"\bintegracion(?:es)?\b",
            r"\bintegrations?\b",
            r"\bwebhooks?\b",
            r"\bsincronizacion\b",
            r"\bsynchroni[sz]ation\b",
            r"\bsync(?:ing|ed)?\b",
            r"\bbank feeds?\b",
            r"\bconciliacion bancaria\b",
        ],
    },
    {
        "name": "important.limited-scope",
        "severity": "important",
        "weight": 0.5,
        "where": "body",
        "patterns": [
            r"\b(?:el resto|lo demas|todo lo demas)\b[^.\n]{0,20}\bfuncion\w*",
            r"\b(?:con|en|desde|por) [^.\n,;]{1,40}\bsi (?:funciona|funcionan|anda|se puede|carga|llega|llegan)\b",
            r"\blas? otras? \w+ (?:si|funciona|funcionan|anda|andan)\b",
            r"\blos otros? \w+ (?:si|funciona|funcionan|anda|andan)\b",
            r"\ba (?:los|las) demas si\b",
            r"\bsi se \w+n? bien\b",
            r"\b(?:solo|solamente) (?:en|a|con|para|cuando)\b",
            r"\balgun(?:os|as)\b",
            r"\b(?:everything|all) else (?:works|worked|is fine|was fine)\b",
            r"\b(?:the )?other \w+ (?:are|is|were) (?:fine|ok|okay|working)\b",
            r"\b(?:the )?other \w+ work\b",
            r"\bothers do\b",
            r"\bworks? fine\b",
            r"\bonly (?:in|on|for|with|at|when)\b",
            r"\bsome\b",
        ],
    },
    {
        "name": "important.question",
        "severity": "important",
        "weight": -0.6,
        "where": "both",
        "patterns": [
            # how-to questions and requests: they mention problems but ask for help or information
            r"\b(?:como|donde) (?:puedo|podemos|se|hago|hacemos|configuro|agrego|cambio|descargo|genero|cargo|activo|veo|encuentro)\b",
            r"\b(?:se puede|es posible|permite)\b[^.!\n]{0,80}\?",
            r"\b(?:cual|cuales|que) (?:es|son)\b[^.!\n]{0,80}\?",
            r"\bque pasa (?:si|con|cuando)\b",
            r"\b(?:recomiendan|recomendacion)\b",
            r"\bviene incluid[oa]\b",
            r"\b(?:costo|precio|valor) (?:adicional|mensual|extra)\b",
            r"\b(?:planeamos|planeando|vamos a|queremos|quisieramos|nos gustaria)\b[^.\n]{0,30}\b(?:integrar|conectar|sincronizar)\b",
            r"\bhow (?:do|can|should|could) (?:i|we)\b",
            r"\bwhere (?:can|do|is|are)\b",
            r"\bis it possible\b",
            r"\b(?:can|could|does|do) (?:we|i|the system|it|you add)\b[^.!\n]{0,80}\?",
            r"\bwhat (?:is|are)\b[^.!\n]{0,80}\?",
            r"\bwhat happens (?:if|when|to)\b",
            r"\b(?:recommend|recommendation)\b",
            r"\bincluded in\b",
            r"\b(?:planning|plan to|we want to|we'd like to|would like to)\b[^.\n]{0,30}\b(?:integrat\w*|connect|sync)\b",
        ],
    },
    {
        "name": "important.request",
        "severity": "important",
        "weight": -1.0,
        "where": "both",
        "patterns": [
            # asking for a document, a change or information is not a malfunction
            r"\b(?:necesito|necesitamos|quisiera|quisieramos) (?:la|el|una|un|que me (?:envien|manden)|solicitar)\b",
            r"\b(?:me|nos) (?:pueden|podrian) (?:enviar|reenviar|mandar|indicar|explicar|emitir)\b",
            r"\b(?:por favor|favor) (?:reenviar|enviar|actualizar|cambiar|dar de baja|agregar)\b",
            r"\b(?:could|can) you send\b",
            r"\bplease (?:send|update|change|add|remove)\b",
        ],
    },
    {
        "name": "important.resolved",
        "severity": "important",
        "weight": -1.0,
        "where": "body",
        "patterns": [
            # the customer says it works again: thanks, not a new problem
            r"\bya (?:anda|funciona|quedo|esta (?:funcionando|resuelto|solucionado))\b",
            r"\bpueden cerrar\b",
            r"\b(?:problema|caso|ticket) (?:resuelto|solucionado)\b",
            r"\b(?:fast|working|fine|ok|okay|normal) again\b",
            r"\ball good\b",
            r"\b(?:works|working) now\b",
            r"\byou can close\b",
            r"\b(?:it'?s|is) (?:fixed|solved|resolved)\b",
        ],
    },
]

DEFAULT_SEVERITY_RULES: tuple[SeverityRule, ...] = rules_from_config(_DEFAULT_RULES_DATA)


def classify_severity(
    subject: str,
    text: str,
    rules: tuple[SeverityRule, ...] = DEFAULT_SEVERITY_RULES,
    forced: Severity | None = None,
    forced_reason: str = "emergency-mailbox",
    *,
    thresholds: Mapping[Severity, float] | None = None,
    subject_weight_factor: float = SUBJECT_WEIGHT_FACTOR,
    question_factor: float = QUESTION_FACTOR,
) -> tuple[Severity, tuple[str, ...]]:
    """Return ``(severity, reasons)`` for a message.

    ``forced`` (e.g. CRITICAL for mail to the emergency address) wins without looking
    at the text: ``(forced, ("forced:<forced_reason>",))``.

    Otherwise each rule that fires adds its weight (× ``subject_weight_factor`` when it
    fires in the subject; × ``question_factor`` when a positive rule only fires inside
    questions) to its severity's score. Critical wins if its score reaches
    its threshold; else important wins if its score *plus any positive critical score*
    reaches its threshold (evidence of a critical problem that falls short — "the
    module was down for an hour, everything else worked" — still shows a problem);
    else general. Reasons are the names of the fired rules of the winning severity in
    rule order (for important also the critical rules that counted); for general they
    are ``"default:general"`` followed by whatever fired without reaching a threshold.
    Lines quoted with ">" are ignored.
    """
    if forced is not None:
        return Severity(forced), (f"forced:{forced_reason}",)
    limits = dict(DEFAULT_THRESHOLDS)
    if thresholds:
        limits.update({Severity(k): float(v) for k, v in thresholds.items()})

    folded_subject = fold(subject or "")
    body = "\n".join(
        line for line in (text or "")[:SEVERITY_SCAN_CHARS].splitlines() if not line.lstrip().startswith(">")
    )
    folded_text = fold(body)

    fired: list[SeverityRule] = []
    scores = {Severity.CRITICAL: 0.0, Severity.IMPORTANT: 0.0, Severity.GENERAL: 0.0}
    for rule in rules:
        contribution = rule.score(folded_subject, folded_text, subject_weight_factor, question_factor)
        if contribution:
            fired.append(rule)
            scores[rule.severity] += contribution

    critical = scores[Severity.CRITICAL]
    if critical >= limits[Severity.CRITICAL]:
        return Severity.CRITICAL, tuple(r.name for r in fired if r.severity is Severity.CRITICAL)
    if scores[Severity.IMPORTANT] + max(0.0, critical) >= limits[Severity.IMPORTANT]:
        counted = {Severity.IMPORTANT, Severity.CRITICAL} if critical > 0 else {Severity.IMPORTANT}
        return Severity.IMPORTANT, tuple(r.name for r in fired if r.severity in counted)
    return Severity.GENERAL, ("default:general", *(r.name for r in fired))
