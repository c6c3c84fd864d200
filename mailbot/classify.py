"""Language detection and severity classification of an inbound message.

Pure: no database, no network, no mail libraries. The pipeline hands in strings and
gets plain values back, so every rule here can be tested with a sentence.

Severity, first cut: a fixed list of bilingual regex rules (``DEFAULT_SEVERITY_RULES``).
Each rule's patterns run on the *accent-folded, lower-cased* subject and text, so a
pattern is written without accents (``caido`` matches "Caído", "CAIDO" and "caído").
Patterns should use ``\\b`` word boundaries so that "download" does not match "down".
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailbot.domain import Severity

if TYPE_CHECKING:  # pragma: no cover
    from py3langid.langid import LanguageIdentifier

__all__ = [
    "DEFAULT_SEVERITY_RULES",
    "SUPPORTED_LANGUAGES",
    "SeverityRule",
    "classify_severity",
    "detect_language",
    "fold",
    "level_for",
]

SUPPORTED_LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"

# How much of the message the language identifier looks at, how many words it needs
# before its answer is trusted, and how sure it must be (probability among es/en only).
LANGUAGE_SAMPLE_CHARS = 2000
LANGUAGE_MIN_WORDS = 3
LANGUAGE_MIN_CONFIDENCE = 0.70

# Severity rules look at this much folded text at most (a pasted log can be megabytes).
SEVERITY_SCAN_CHARS = 50_000


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


def level_for(severity: Severity) -> int:
    """Support level that owns a severity: general → 1, important → 2, critical → 3."""
    return _RANK[Severity(severity)]


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass(frozen=True)
class SeverityRule:
    """A named set of regexes; if any matches the folded message, the rule fires.

    Patterns are applied with ``re.search`` to the accent-folded, lower-cased
    ``subject + "\\n" + text``; write them without accents and in lower case.
    """

    name: str
    severity: Severity
    patterns: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a severity rule needs a name")
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "patterns", tuple(self.patterns))
        if not self.patterns:
            raise ValueError(f"severity rule {self.name!r} has no patterns")
        for pattern in self.patterns:
            try:
                _compiled(pattern)
            except re.error as exc:
                raise ValueError(f"severity rule {self.name!r}: bad pattern {pattern!r}: {exc}") from exc

    def matches(self, folded: str) -> bool:
        return any(_compiled(p).search(folded) for p in self.patterns)


# Things that are "down": the word alone is too common ("slow down", "drop-down",
# "narrow down"), so it needs a subject or a verb next to it.
_DOWN_SUBJECTS = (
    r"(?:everything|all|server|servers|site|website|web|system|systems|service|services|"
    r"app|application|api|database|db|platform|portal|prod|production|network|vpn|email|"
    r"mail|login|checkout|erp|crm)"
)

DEFAULT_SEVERITY_RULES: tuple[SeverityRule, ...] = (
    # ---- critical: system down, data loss, security, business stopped
    SeverityRule(
        "critical.system-down",
        Severity.CRITICAL,
        (
            # es: caído/caída (not "caída de rendimiento", which is degradation)
            r"\bcaid[oa]s?\b(?! (?:de|del|en (?:el|la)) (?:rendimiento|velocidad|desempeno))",
            r"\bse (?:nos |me |les )?(?:cayo|cayeron|callo)\b",
            r"\bfuera de (?:servicio|linea)\b",
            r"\bsistema(?:s)? (?:esta |estan )?(?:completamente |totalmente )?inoperativ[oa]s?\b",
            r"\binoperativ[oa]s?\b",
            r"\bno funciona nada\b",
            r"\bnada funciona\b",
            r"\bno (?:funciona|responde|carga) (?:el sistema|la plataforma|el sitio|la pagina) (?:completo|completa|entero|entera)\b",
            r"\bsin servicio\b",
            # en
            r"\b(?:is|are|was|were|went|gone|been|goes|going|still|completely|totally|it'?s|"
            + _DOWN_SUBJECTS
            + r")\s+down\b",
            r"\bproduction is down\b",
            r"\b(?:is|are|went|gone|been)\s+(?:completely |totally )?offline\b",
            r"(?<!partial )(?<!minor )\boutages?\b",
            r"\bnot working at all\b",
            r"\bnothing (?:is )?working\b",
            r"\bnothing works\b",
            r"\bcompletely (?:unavailable|unreachable|broken)\b",
        ),
    ),
    SeverityRule(
        "critical.data-loss",
        Severity.CRITICAL,
        (
            r"\bperdida (?:total |masiva )?de (?:los |la )?(?:datos|informacion|registros|base de datos)\b",
            r"\bperd(?:imos|i|io|ieron) (?:todos |todas )?(?:los |las |la )?(?:datos|informacion|registros|base de datos)\b",
            r"\bse (?:borraron|borro|eliminaron|elimino|perdieron|perdio) (?:todos |todas )?(?:los |las |la )?(?:datos|informacion|registros|base de datos)\b",
            r"\bdatos corrompidos\b",
            r"\bdata loss\b",
            r"\blost (?:all )?(?:of )?(?:our |the |my )?(?:data|records|database)\b",
            r"\b(?:data|database|records) (?:was |were |has been |have been |got )?(?:deleted|wiped|corrupted|lost)\b",
        ),
    ),
    SeverityRule(
        "critical.security",
        Severity.CRITICAL,
        (
            r"\bbrecha de seguridad\b",
            r"\b(?:incidente|problema|falla|vulnerabilidad) (?:grave )?de seguridad\b",
            r"\bhackead[oa]s?\b",
            r"\bhackearon\b",
            r"\bfiltracion de (?:datos|informacion)\b",
            r"\bacceso no autorizado\b",
            r"\bransomware\b",
            r"\bsecurity (?:breach|incident|problem|issue)\b",
            r"\bdata breach\b",
            r"\b(?:been|got|was|were) hacked\b",
            r"\bhacked\b",
            r"\bunauthori[sz]ed access\b",
            r"\b(?:account|accounts|server|servers|system|systems|password|passwords|credentials?|"
            r"site|website|database|network)\s+(?:was |were |has been |have been |is |are |got )?compromised\b",
        ),
    ),
    SeverityRule(
        "critical.business-stopped",
        Severity.CRITICAL,
        (
            r"\bno (?:podemos|puedo|pueden|se puede) (?:operar|trabajar|vender|facturar)\b",
            r"\b(?:operacion|produccion|negocio) (?:esta )?(?:detenid[oa]|paralizad[oa])\b",
            r"\b(?:estamos|quedamos) paralizados\b",
            r"\bcan ?not operate\b",
            r"\bcan'?t operate\b",
            r"\bunable to operate\b",
            r"\b(?:business|operations|production) (?:is |are |has |have )?(?:stopped|halted|at a standstill)\b",
        ),
    ),
    # ---- important: partly affected, degraded, integration, minor errors
    SeverityRule(
        "important.slow",
        Severity.IMPORTANT,
        (
            r"\blent(?:o|a|os|as|itud)\b",
            r"\bdemora(?:s)? (?:mucho|demasiado)\b",
            r"\bslow(?:ly|ness|er|ed|ing)?\b",
            r"\btakes? (?:forever|too long)\b",
            r"\btiming out\b",
            r"\btimeouts?\b",
        ),
    ),
    SeverityRule(
        "important.degraded",
        Severity.IMPORTANT,
        (
            r"\bdegradad[oa]s?\b",
            r"\b(?:caida|baja) (?:de|del|en (?:el|la)) (?:rendimiento|velocidad|desempeno)\b",
            r"\bintermitent(?:e|es|emente)\b",
            r"\bdegraded\b",
            r"\bintermittent(?:ly)?\b",
            r"\bperformance (?:issue|problem|degradation)s?\b",
        ),
    ),
    SeverityRule(
        "important.partial",
        Severity.IMPORTANT,
        (
            r"\bfallas? parcial(?:es)?\b",
            r"\bparcialmente\b",
            r"\bno carga(?:n)?\b",
            r"\bno se carga(?:n)?\b",
            r"\bpartial(?:ly)?\b",
            r"\b(?:does|do)(?: not|n'?t) load\b",
            r"\bwon'?t load\b",
        ),
    ),
    SeverityRule(
        "important.error",
        Severity.IMPORTANT,
        (
            r"\berror(?:es)? al\b",
            r"\bme (?:da|arroja|aparece|sale) (?:un )?error\b",
            r"\berrors? (?:when|while)\b",
            r"\b(?:get|getting|got|see|seeing) (?:an |this )?error\b",
        ),
    ),
    SeverityRule(
        "important.integration",
        Severity.IMPORTANT,
        (
            r"\bintegracion(?:es)?\b",
            r"\bintegrations?\b",
            r"\bwebhooks?\b",
            r"\bsincronizacion\b",
            r"\bsynchroni[sz]ation\b",
        ),
    ),
)


def classify_severity(
    subject: str,
    text: str,
    rules: tuple[SeverityRule, ...] = DEFAULT_SEVERITY_RULES,
    forced: Severity | None = None,
    forced_reason: str = "emergency-mailbox",
) -> tuple[Severity, tuple[str, ...]]:
    """Return ``(severity, reasons)`` for a message.

    ``forced`` (e.g. CRITICAL for mail to the emergency address) wins without looking
    at the text: ``(forced, ("forced:<forced_reason>",))``. Otherwise every rule is
    tried and the highest severity among the rules that fired wins; the reasons are the
    names of the fired rules *of that severity*, in rule order. When nothing fires:
    ``(Severity.GENERAL, ("default:general",))``.
    """
    if forced is not None:
        return Severity(forced), (f"forced:{forced_reason}",)

    folded = fold(f"{subject or ''}\n{(text or '')[:SEVERITY_SCAN_CHARS]}")
    fired = [rule for rule in rules if rule.matches(folded)]
    if not fired:
        return Severity.GENERAL, ("default:general",)
    best = max((rule.severity for rule in fired), key=_RANK.__getitem__)
    return best, tuple(rule.name for rule in fired if rule.severity == best)
