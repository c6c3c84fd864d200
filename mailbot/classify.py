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


def level_for(severity: Severity) -> int:
    """Support level that owns a severity: general → 1, important → 2, critical → 3."""
    return _RANK[Severity(severity)]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


@functools.lru_cache(maxsize=2048)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _negated(folded: str, start: int) -> bool:
    """True when a negator sits in the last few words of the clause before ``start``."""
    before = folded[max(0, start - _NEGATION_WINDOW_CHARS):start]
    clause = _CLAUSE_BREAK.split(before)[-1]
    words = clause.split()[-_NEGATION_WINDOW_WORDS:]
    return any(word in _NEGATORS for word in words)


@dataclass(frozen=True)
class SeverityRule:
    """A named, weighted set of regexes; if any matches, the rule fires.

    Patterns are applied with ``re.search`` (case-insensitive) to the accent-folded,
    lower-cased subject and/or text (``where``); accents in a pattern are stripped
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
        if isinstance(self.patterns, str):
            raise ValueError(f"severity rule {self.name!r}: patterns must be a list of strings")
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
            if not isinstance(pattern, str) or not pattern:
                raise ValueError(f"severity rule {self.name!r}: empty pattern")
            try:
                _compiled(pattern)
            except re.error as exc:
                raise ValueError(f"severity rule {self.name!r}: bad pattern {pattern!r}: {exc}") from exc

    def matches(self, folded: str) -> bool:
        """True if any pattern matches ``folded`` outside a negation."""
        for pattern in self.patterns:
            for match in _compiled(pattern).finditer(folded):
                if not _negated(folded, match.start()):
                    return True
        return False

    def score(self, folded_subject: str, folded_text: str, subject_factor: float = SUBJECT_WEIGHT_FACTOR) -> float:
        """This rule's contribution: 0 if it does not fire; weight × factor for a subject hit."""
        if self.where != "body" and self.matches(folded_subject):
            return self.weight * subject_factor
        if self.where != "subject" and self.matches(folded_text):
            return self.weight
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
            r"\bsin servicio\b",
            r"\bfall[ao]s? (?:masiv[oa]s?|general(?:es)?|total(?:es)?)\b",
            r"\b(?:todo|sistema|plataforma|sitio|servidor|servicio|pagina|web|portal|app) (?:web )?(?:esta |estan |se fue |quedo )?abajo\b",
            r"\b(?:sistema|plataforma|aplicacion|programa|erp|app|portal|sitio|servidor|servicio|api)(?: [\w-]+){0,3} no (?:abre|inicia|arranca|levanta|responde)\b",
            r"\b(?:servicio|sistema|sitio|plataforma|portal|pagina|servidor|aplicacion|app|web)(?: [\w-]+){0,3} no (?:esta |se encuentra )?disponible\b",
            r"\bno levanta\b",
            # en
            r"\b(?:is|are|was|were|went|gone|been|goes|going|still|completely|totally|it'?s|" + _DOWN_SUBJECTS + r")\s+down\b",
            r"\b(?:is|are|went|gone|been|we are|we're)\s+(?:completely |totally )?offline\b",
            r"(?<!partial )(?<!minor )\boutages?\b",
            r"\bnot working at all\b",
            r"\bnothing (?:is )?(?:working|loads|loading)\b",
            r"\bnothing works\b",
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
            r"\bborrado (?:masivo |total )?de (?:datos|informacion|registros)\b",
            r"\bperd(?:imos|i|io|ieron|emos)\b(?! (?:la )?conexion)[^.\n]{0,40}\b(?:datos|informacion|registros|historial|archivos|documentos|facturas|boletas)\b",
            r"\bse (?:borraron|borro|eliminaron|elimino|perdieron|perdio|estan borrando|esta borrando|estan eliminando)\b(?! (?:la )?conexion)[^.\n]{0,40}\b(?:datos|informacion|registros|productos|clientes|documentos|archivos|facturas|boletas|todo)\b",
            r"\bdesaparec(?:ieron|io)\b[^.\n]{0,40}\b(?:datos|informacion|registros|productos|clientes|documentos|archivos|facturas|boletas|ventas|pedidos|ordenes|contactos|todo)\b",
            r"\b(?:datos|base de datos|informacion|registros) (?:quedo |quedaron |esta |estan )?(?:corrupt[oa]s?|corrompid[oa]s?|danad[oa]s?)\b",
            r"\bsobre?scrib(?:io|ieron|e|en)\b",
            r"\bfaltan (?:la mitad|todos|todas|muchos|muchas|cientos|miles|\d+)\b",
            r"\bdata loss\b",
            r"\blost (?:all )?(?:of )?(?:our |the |my )?(?:data|records|database|files|invoices|orders)\b",
            r"\b(?:data|database|records|files) (?:was |were |has been |have been |got |is |are )?(?:deleted|wiped|corrupted|lost|gone)\b",
            r"\b(?:data|records|contacts|customers|invoices|orders|products|files|documents|entries|history|transactions)\b[^.\n]{0,40}\b(?:are|is|have|has|were|was) (?:all |been )?(?:gone|disappeared|vanished|deleted|wiped)\b",
            r"\b(?:deleted|wiped|erased) (?:every|all)\b",
            r"\boverw(?:rote|ritten)\b",
            r"\b\d[\d,.]* (?:records|skus|products|invoices|orders|files|customers) (?:are |were )?(?:missing|lost|gone|deleted)\b",
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
            r"\bfiltracion\b",
            r"\bacceso(?:s)? (?:no autorizado|indebido|sospechoso)s?\b",
            r"\bsin autorizacion\b",
            r"\baccesos? que no (?:son|es) nuestr",
            r"\bex ?-?(?:empleado|trabajador|colaborador)\b[^.\n]{0,60}\b(?:entrando|ingresando|accediendo|acceso|descargo)\b",
            r"\b(?:ver|ven|veo|vemos|see|sees|shows?|showing)\b[^.\n]{0,40}(?:de otros? clientes?|other customers'?|another customer'?s?)",
            r"\b(?:api key|token|clave|claves|contrasena|contrasenas|credenciales?|password|passwords)\b[^.\n]{0,60}\b(?:repositorio publico|public repo\w*|publicad[oa]s?|expuest[oa]s?|filtrad[oa]s?|leaked|exposed)\b",
            r"\bransomware\b",
            r"\bmalware\b",
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
        "name": "critical.business-stopped",
        "severity": "critical",
        "weight": 1.0,
        "where": "both",
        "patterns": [
            r"\bno (?:podemos|puedo|pueden|se puede|se pueden) (?:operar|trabajar|vender|facturar|cobrar|despachar|atender)\b",
            r"\b(?:operacion|produccion|negocio|bodega|empresa|ventas?)\b(?: [\w-]+){0,3} (?:esta |estan |quedo |quedaron )?(?:detenid[oa]s?|paralizad[oa]s?|parad[oa]s?)\b",
            r"\b(?:estamos|quedamos) (?:paralizados|parados|detenidos)\b",
            r"\bperdiendo (?:ventas|plata|dinero|clientes)\b",
            r"\bno (?:entra|sale) ni una? (?:venta|pedido|orden|boleta|factura)\b",
            r"\bcan ?not operate\b",
            r"\bcan'?t operate\b",
            r"\bunable to operate\b",
            r"\b(?:business|operations?|production|sales|warehouse)\b(?: \w+){0,2} (?:is |are |has |have )?(?:stopped|halted|at a (?:complete )?(?:stop|standstill))\b",
            r"\b(?:can'?t|cannot|unable to) (?:sell|ship|invoice|take orders|process (?:any )?(?:orders|payments|sales))\b",
            r"\blosing (?:sales|money|customers|orders)\b",
        ],
    },
    {
        "name": "critical.everyone-affected",
        "severity": "critical",
        "weight": 1.0,
        "where": "both",
        "patterns": [
            r"\bnadie\b(?: \w+){0,3} (?:puede|pudo|logra|consigue)\b",
            r"\bning(?:un|una|uno)\b(?: \w+){0,4} (?:puede|pueden|funciona|funcionan|logra|abre)\b",
            r"\bpara (?:ningun usuario|ningun cliente|nadie)\b",
            r"\b(?:los |nuestros )?(?:clientes|usuarios|vendedores|cajeros|trabajadores) no (?:pueden|logran) (?:entrar|ingresar|acceder|comprar|pagar|conectarse|iniciar sesion)\b",
            r"\b(?:nobody|no one|no-one|no user|no users|none of (?:our|the) \w+)(?: \w+){0,2} (?:can|could|is able|are able)\b",
            r"\ball (?:users|customers|accounts) (?:are )?affected\b",
            r"\baffect(?:s|ing)? (?:all|every) (?:users|customers|accounts|user|customer)\b",
            r"\b(?:customers|users|clients|employees|staff|cashiers) (?:can'?t|cannot|are unable to) (?:log ?in|sign ?in|access|buy|pay|check ?out|place orders)\b",
        ],
    },
    {
        "name": "critical.wide-scope",
        "severity": "critical",
        "weight": 0.5,
        "where": "both",
        "patterns": [
            r"\ben (?:ninguna|ningun|todas|todos)\b(?: de)? (?:las |los |nuestras |nuestros )?(?:\w+ )?(?:sucursales|sucursal|tiendas|tienda|cajas|caja|locales|local|empresas|bodegas|paginas|pantallas|equipos|computadores)\b",
            r"\ba todas las (?:llamadas|solicitudes|peticiones)\b",
            r"\bpara todos(?: (?:los|nuestros))? (?:usuarios|clientes)\b",
            r"\btodos los (?:usuarios|clientes|pagos|pedidos|locales)\b",
            r"\bfor (?:everyone|everybody|all (?:users|accounts|customers|of us))\b",
            r"\b(?:on|in) every (?:page|screen|request|machine|computer|store|branch)\b",
            r"\bon any (?:machine|computer|device|store)\b",
            r"\ball (?:requests|calls|pages|stores|branches)\b",
            r"\bevery (?:payment|request|call|page|order)\b",
        ],
    },
    {
        "name": "critical.gateway-error",
        "severity": "critical",
        "weight": 0.6,
        "where": "both",
        "patterns": [
            r"\b50[234]\b",
            r"\bbad gateway\b",
            r"\bgateway time-?out\b",
        ],
    },
    {
        "name": "critical.failure",
        "severity": "critical",
        "weight": 0.5,
        "where": "body",
        "patterns": [
            r"\b(?:dejo|dejaron) de funcionar\b",
            r"\bno funcionan?\b(?! nada)",
            r"\bno (?:abre|responde)\b",
            r"\bstopped working\b",
            r"\b(?:is|are|isn'?t|aren'?t) not working\b",
            r"\b(?:isn'?t|aren'?t) working\b",
            r"\b(?:doesn'?t|does not|don'?t|do not|won'?t) work\b",
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
            r"\bpayroll must run\b",
            r"\b(?:must|have to) (?:run|ship|pay|invoice) today\b",
            r"\bcustomers (?:are )?waiting\b",
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
            r"\b(?:con|en|desde) [^.\n,;]{1,40}\bsi (?:funciona|funcionan|anda|se puede|carga)\b",
            r"\blas? otras? \w+ (?:si|funciona|funcionan|anda|andan)\b",
            r"\blos otros? \w+ (?:si|funciona|funcionan|anda|andan)\b",
            r"\b(?:hoy|ahora|ya) (?:anda|funciona|esta funcionando|quedo funcionando)\b",
            r"\b(?:everything|all) else (?:works|worked|is fine|was fine)\b",
            r"\b(?:the )?other \w+ (?:are|is|were) (?:fine|ok|okay|working)\b",
            r"\bthe other \w+ work\b",
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
            r"\binforme (?:del|de|sobre el) (?:incidente|problema|corte)\b",
            r"\bincident report\b",
            r"\b(?:root cause|post-?mortem|rca)\b",
            r"\bpara (?:nuestro|nuestros) registros?\b",
            r"\bfor our records\b",
            r"\bif\b[^.?!\n]{0,40}\b(?:goes|go|is|are) (?:down|offline)\b",
            r"\bsi se (?:corta|cae|cayera|cortara)\b",
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
            r"\bslow(?:ly|ness|er|ed|ing)?\b",
            r"\bsluggish\b",
            r"\blagg?(?:y|ing)\b",
            r"\btakes? (?:forever|too long)\b",
            r"\btakes? (?:around |about |over |more than |almost |up to )?\d+ (?:seconds|minutes|secs|mins)\b",
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
            r"\bfrom time to time\b",
            r"\b(?:a few|several) times a day\b",
            r"\bperformance (?:issue|problem|degradation)s?\b",
            r"\b(?:hours?|minutes?|days?) late\b",
            r"\bdelay(?:ed|s)?\b",
            r"\blogged out\b",
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
            r"\bno (?:me|nos|le|les) deja\b",
            r"\bno (?:se )?(?:esta |estan )?(?:generando|enviando|actualizando|sincronizando|traspasando|importando|guardando|imprimiendo|recibiendo|corriendo|cargando)\b",
            r"\bno se (?:actualiza|genera|envia|guarda|sincroniza)n?\b",
            r"\bno (?:funciona|funcionan|imprime|imprimen|guarda|envia|llega|llegan|llego|coincide|coinciden|encuentra|trae|sincroniza)\b",
            r"\bno puedo (?:importar|exportar|adjuntar|imprimir|guardar|enviar|generar|emitir|subir|entrar|ingresar)\b",
            r"\bdej(?:o|aron) de \w+",
            r"\bfall(?:a|an|o|aron|ando)\b",
            r"\bse (?:cierra|cierran|cae|caen|cuelga|cuelgan|pega|pegan|congela|congelan)\b",
            r"\bqueda(?:n)? (?:en estado )?(?:bloquead|pegad|colgad|pendiente)\w*",
            r"\bduplicad[oa]s\b",
            r"\b(?:incorrect[oa]s?|erroneo|erronea|erroneos|erroneas)\b",
            r"\bmal (?:calculad|formatead|escrit|generad)\w*",
            r"\bdistint[oa]s? (?:al|a la|a los|de)\b",
            r"\bno cuadra\w*\b",
            r"\bdescuadr\w*",
            r"\b(?:con|hay|una?) (?:\w+ ){0,3}de diferencia\b",
            r"\bcortad[oa]s\b",
            r"\b(?:seguimos con|sigue) (?:el|este|ese) (?:problema|error)\b",
            r"\bpersiste\b",
            # en
            r"\berrors? (?:when|while|on|in)\b",
            r"\b(?:get|getting|got|see|seeing|receive|shows?|showing|throws?|throwing|returns?|returning|gives?|giving)\b[^.\n]{0,25}\berror\b",
            r"\breturns? (?:a |an )?(?:[45]\d\d)\b",
            r"\bstopped \w+ing\b",
            r"\b(?:doesn'?t|does not|don'?t|do not|won'?t|will not|isn'?t|aren'?t|is not|are not)\b (?:find|match|load|work|print|import|sync|update|show|save|send|open|working|importing|running|updating|syncing|loading|printing|sending|arriving)\b",
            r"\b(?:can'?t|cannot|unable to) (?:approve|attach|export|import|upload|save|print|send|log ?in|sign ?in|access)\b",
            r"\bcrash(?:es|ed|ing)?\b",
            r"\bfail(?:s|ed|ing|ure|ures)?\b",
            r"\b(?:sent|charged|created|imported) twice\b",
            r"\bduplicat(?:e|es|ed)\b",
            r"\b(?:wrong|incorrect)\b",
            r"\bdifferent (?:totals|numbers|amounts|values|results)\b",
            r"\bmismatch\w*\b",
            r"\bdiscrepanc\w*\b",
            r"\bcut off\b",
            r"\bnot updating\b",
            r"\bstill (?:there|happening|broken|failing)\b",
            r"\bsame (?:problem|issue|error)\b",
            r"\bbroken\b",
        ],
    },
    {
        "name": "important.integration",
        "severity": "important",
        "weight": 1.0,
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
            r"\b(?:con|en|desde) [^.\n,;]{1,40}\bsi (?:funciona|funcionan|anda|se puede|carga)\b",
            r"\blas? otras? \w+ (?:si|funciona|funcionan|anda|andan)\b",
            r"\blos otros? \w+ (?:si|funciona|funcionan|anda|andan)\b",
            r"\b(?:solo|solamente) (?:en|a|con|para|cuando)\b",
            r"\balgun(?:os|as)\b",
            r"\b(?:everything|all) else (?:works|worked|is fine|was fine)\b",
            r"\b(?:the )?other \w+ (?:are|is|were) (?:fine|ok|okay|working)\b",
            r"\bthe other \w+ work\b",
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
            r"\b(?:recomiendan|recomendacion)\b",
            r"\bviene incluid[oa]\b",
            r"\b(?:costo|precio|valor) (?:adicional|mensual|extra)\b",
            r"\bnecesito (?:la|el|una|un|que me (?:envien|manden))\b",
            r"\b(?:me|nos) (?:pueden|podrian) (?:enviar|reenviar|mandar|indicar|explicar)\b",
            r"\bhow (?:do|can|should|could) (?:i|we)\b",
            r"\bwhere (?:can|do|is|are)\b",
            r"\bis it possible\b",
            r"\b(?:can|could|does|do) (?:we|i|the system|it|you add)\b[^.!\n]{0,80}\?",
            r"\b(?:recommend|recommendation)\b",
            r"\bincluded in\b",
            r"\b(?:could|can) you send\b",
            r"\bplease send\b",
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
) -> tuple[Severity, tuple[str, ...]]:
    """Return ``(severity, reasons)`` for a message.

    ``forced`` (e.g. CRITICAL for mail to the emergency address) wins without looking
    at the text: ``(forced, ("forced:<forced_reason>",))``.

    Otherwise each rule that fires adds its weight (× ``subject_weight_factor`` when it
    fires in the subject) to its severity's score. Critical wins if its score reaches
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
        contribution = rule.score(folded_subject, folded_text, subject_weight_factor)
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
