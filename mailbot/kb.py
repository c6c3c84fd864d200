"""Knowledge-base articles and the suggestions sent with an acknowledgement.

Pure except :func:`load_articles`, the one function that reads the article folder.

Article files
-------------
One Markdown file per article in one folder (``config/kb/`` ships ten), named
``<slug>.md`` where the slug is lower-case letters, digits and hyphens. Other files
(not ending in ``.md``, or starting with ``.``) and subfolders are skipped. Each file
opens with a front-matter block between two ``---`` lines, written in a strict, tiny
subset of YAML — one ``key: value`` per line, nothing nested::

    ---
    title: Cómo restablecer tu contraseña
    language: es
    keywords: [contraseña, clave, "olvidé mi contraseña"]
    url: https://ayuda.menteautonoma.cl/articulos/restablecer-contrasena
    ---
    Markdown body…

* the four keys are required, nothing else is allowed, none twice; blank lines and
  lines starting with ``#`` are ignored; keys start in the first column;
* a value may be wrapped in matching ``"`` or ``'`` quotes (no escapes);
* ``language`` is ``es`` or ``en``; ``url`` starts with ``http://`` or ``https://``;
* ``keywords`` is a list ``[a, b, "c, with a comma"]`` or a comma-separated string
  ``a, b, c``; ``[]`` is allowed;
* the body after the closing ``---`` must not be empty.

Any mistake raises :class:`KbError`, which names every bad file with the line
(``config/kb/x.md:3: unknown key 'titel' …``), all files at once.

Matching
--------
:class:`KnowledgeBase` ranks articles with Okapi BM25 (k1 = 1.5, b = 0.75) over one
bag of words per article in which title and keyword words count twice and body words
once (a simple BM25F). Text is accent-folded and lower-cased, URLs and e-mail
addresses are dropped, Spanish and English stopwords (and mail courtesies: "hola",
"saludos", "thanks" …) are removed, and words are lightly stemmed: a plural ``s`` and
then one final vowel ``a``/``e``/``o`` are stripped, so "facturas" and "factura"
both become ``factur``, "errores" and "error" both ``error``, "reportes" and "reports"
both ``report``.

The query is the subject (its words count twice) and the customer's new text (the
first ``MAX_QUERY_TOKENS`` words). An article is suggested only if it passes all of:

1. **normalised score** ≥ ``min_score`` (default ``DEFAULT_MIN_SCORE``): the raw BM25
   score divided by ``sqrt(number of distinct query words)``, so a long mail does not
   pass on many incidental matches and a one-line subject is not punished for being
   short;
2. **a whole keyword in the query**: every word of at least one of the article's
   keywords ("contraseña", "error 500", "iniciar sesión") occurs in the query. Words
   that only appear in the body or title ("horario", "revisar") are not enough. So
   keywords must be specific: a keyword made only of generic words would let any mail
   that uses them through;
3. **two distinct words matched**, unless the query itself has at most two words;
4. a second or third suggestion must score at least ``RELATIVE_CUTOFF`` (70 %) of the
   first.

How the threshold was chosen is written next to ``DEFAULT_MIN_SCORE``. Articles in the
customer's language come first; articles in the other language are offered only when
none in the customer's language passes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_MIN_SCORE",
    "LANGUAGES",
    "RELATIVE_CUTOFF",
    "Article",
    "Explanation",
    "KbError",
    "KbProblem",
    "KnowledgeBase",
    "Suggestion",
    "load_articles",
    "parse_article",
    "tokenize",
]

LANGUAGES = ("es", "en")
FRONT_MATTER_KEYS = ("title", "language", "keywords", "url")

K1 = 1.5
B = 0.75
TITLE_WEIGHT = 2
KEYWORD_WEIGHT = 2
BODY_WEIGHT = 1
SUBJECT_WEIGHT = 2
MAX_QUERY_TOKENS = 400  # words of the new text that are looked at
MAX_TEXT_CHARS = 8_000  # characters of the new text tokenised (bounded work per mail)
MAX_SUBJECT_CHARS = 1_000
MIN_QUERY_NORM = 1.0  # the normaliser never goes below sqrt(this)
RELATIVE_CUTOFF = 0.7  # a second or third suggestion must score ≥ 70 % of the first

# Threshold on score / sqrt(distinct query words), measured with the tables in
# tests/test_kb.py against the ten articles in config/kb (``KnowledgeBase.explain``
# prints every number; test_threshold_margin re-measures it on each run):
#
# * 35 realistic mails and subjects whose article exists (Spanish and English, one
#   word to ~125 words) score their right article from 3.46 (long, chatty mails that
#   name the topic in one or two sentences) to 9.6 (a precise subject);
# * of 22 unrelated mails (office hours, prices, contract renewal, our own invoice,
#   thanks, a recipe, lorem ipsum, random English prose), 20 fail rule 2 or 3 before
#   the score matters; the two that do not ("fuego lento" in a recipe, "usuarios" in a
#   contract renewal) score at most 1.62.
#
# 2.5 sits between the two groups with a factor of at least 1.25 on both sides (which
# test_threshold_margin enforces: 3.46 ≥ 3.125, 1.62 ≤ 2.0). Raising it trades long
# relevant mails for safety: a mail of 100+ distinct words that names its topic once
# usually scores below it and gets no suggestion, which is the intended failure mode.
DEFAULT_MIN_SCORE = 2.5

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:(?:\s+(.*)|\s*)$")
_URL_VALUE = re.compile(r"^https?://[^\s/]+\.[^\s]+$")


# =========================================================================== articles


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    language: str  # "es" | "en"
    keywords: tuple[str, ...]
    url: str
    body: str  # Markdown, without the front matter


@dataclass(frozen=True)
class KbProblem:
    path: str
    line: int | None  # 1-based; None when the problem is the file as a whole
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


class KbError(ValueError):
    """One or more bad article files; ``problems`` lists each with file and line."""

    def __init__(self, problems: Iterable[KbProblem]):
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            text = str(self.problems[0])
        else:
            text = f"{len(self.problems)} problems in the knowledge base:\n" + "\n".join(
                f"  - {p}" for p in self.problems
            )
        super().__init__(text)


class _Bad(Exception):
    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _unquote(value: str, line: int) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    if value[:1] in ("\"", "'"):
        raise _Bad(line, f"unbalanced quote in {value!r}")
    return value


def _split_list(inner: str, line: int) -> list[str]:
    """Split ``a, "b, c", 'd'`` on commas outside quotes; items are unquoted and stripped."""
    items: list[str] = []
    current: list[str] = []
    quote = ""
    for ch in inner:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "\"'" and not "".join(current).strip():
            quote = ch
            current.append(ch)
        elif ch == ",":
            items.append("".join(current))
            current = []
        elif ch in "[]{}":
            raise _Bad(line, f"nested lists are not supported: unexpected {ch!r}")
        else:
            current.append(ch)
    if quote:
        raise _Bad(line, "unterminated quote in keyword list")
    items.append("".join(current))
    if len(items) == 1 and not items[0].strip():
        return []
    result = []
    for item in items:
        item = item.strip()
        if not item:
            raise _Bad(line, "empty item in keyword list")
        item = _unquote(item, line).strip()
        if not item:
            raise _Bad(line, "empty item in keyword list")
        result.append(item)
    return result


def _parse_keywords(value: str, line: int) -> tuple[str, ...]:
    if value.startswith("["):
        if not value.endswith("]"):
            raise _Bad(line, "keyword list opened with '[' is not closed with ']' on the same line")
        return tuple(_split_list(value[1:-1], line))
    if value.endswith("]"):
        raise _Bad(line, "keyword list closed with ']' was never opened with '['")
    return tuple(_split_list(_unquote(value, line), line))


def _parse(text: str, slug: str) -> Article:
    if not _SLUG.match(slug):
        raise _Bad(None, f"file name {slug!r}.md is not a slug (lower-case letters, digits, hyphens)")
    lines = text.split("\n")
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    if not lines or lines[0].strip() != "---":
        raise _Bad(1, "expected '---' on the first line to open the front matter")
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise _Bad(1, "front matter opened here is never closed with a '---' line") from None

    values: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for index in range(1, close):
        number = index + 1
        raw = lines[index]
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw[:1].isspace():
            raise _Bad(number, "indented line: nested values are not supported; write 'key: value'")
        match = _KEY_LINE.match(raw.rstrip())
        if not match:
            raise _Bad(number, f"expected 'key: value', got {raw.strip()!r}")
        key, value = match.group(1), (match.group(2) or "").strip()
        if key not in FRONT_MATTER_KEYS:
            raise _Bad(number, f"unknown key {key!r} (allowed: {', '.join(FRONT_MATTER_KEYS)})")
        if key in values:
            raise _Bad(number, f"duplicate key {key!r} (first given on line {first_line[key]})")
        if not value:
            raise _Bad(number, f"empty value for {key!r}")
        values[key] = value
        first_line[key] = number

    for key in FRONT_MATTER_KEYS:
        if key not in values:
            raise _Bad(close + 1, f"missing key {key!r} in the front matter")

    title = _unquote(values["title"], first_line["title"]).strip()
    if not title:
        raise _Bad(first_line["title"], "empty value for 'title'")
    language = _unquote(values["language"], first_line["language"]).strip()
    if language not in LANGUAGES:
        raise _Bad(first_line["language"], f"language must be one of {', '.join(LANGUAGES)}; got {language!r}")
    url = _unquote(values["url"], first_line["url"]).strip()
    if not _URL_VALUE.match(url):
        raise _Bad(first_line["url"], f"url must be an absolute http(s) URL; got {url!r}")
    keywords = _parse_keywords(values["keywords"], first_line["keywords"])

    body = "\n".join(lines[close + 1 :]).strip()
    if not body:
        raise _Bad(close + 2 if close + 1 < len(lines) else close + 1, "the article body is empty")
    return Article(slug=slug, title=title, language=language, keywords=keywords, url=url, body=body)


def parse_article(text: str, slug: str, source: str = "<string>") -> Article:
    """Parse one article file's text; ``source`` names it in a :class:`KbError`."""
    try:
        return _parse(text.removeprefix("\ufeff"), slug)
    except _Bad as bad:
        raise KbError([KbProblem(source, bad.line, bad.message)]) from None


def load_articles(folder: Path) -> tuple[Article, ...]:
    """Read every ``*.md`` article in ``folder`` (not recursive), sorted by file name.

    The only function in this module that does I/O. Raises :class:`KbError` listing
    every bad file (with line numbers), a folder that cannot be read, and two articles
    sharing a URL.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise KbError([KbProblem(str(folder), None, "knowledge base folder not found (or not a directory)")])
    articles: list[Article] = []
    problems: list[KbProblem] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or path.suffix != ".md" or not path.is_file():
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[: exc.start].count(b"\n") + 1
            problems.append(KbProblem(str(path), line, f"not valid UTF-8 ({exc.reason} at byte {exc.start})"))
            continue
        except OSError as exc:
            problems.append(KbProblem(str(path), None, f"cannot read: {exc.strerror or exc}"))
            continue
        try:
            articles.append(_parse(text.removeprefix("\ufeff"), path.stem))
        except _Bad as bad:
            problems.append(KbProblem(str(path), bad.line, bad.message))
    seen_urls: dict[str, str] = {}
    for article in articles:
        if article.url in seen_urls:
            problems.append(
                KbProblem(str(folder / f"{article.slug}.md"), None, f"url {article.url} is also used by {seen_urls[article.url]}.md")
            )
        seen_urls.setdefault(article.url, article.slug)
    if problems:
        raise KbError(problems)
    return tuple(articles)


# =========================================================================== text

_STOPWORDS_ES = """
a al algo algun alguna algunas alguno algunos ante antes aqui asi aun aunque bajo bien cada casi como con
contra cual cuales cuando cuanto de del desde donde dos el ella ellas ellos en entre era eran es esa esas
ese eso esos esta estaba estado estamos estan estar estas este esto estos estoy fue fueron ha habia han
hasta hay he hemos la las le les lo los mas me mi mis mucho muy nada ni no nos nosotros nuestra nuestro
nuestros nuestras o otra otro otros otras para pero poco por porque que quien se sea ser si sido sin
sobre solo son su sus tal tambien tan tanto te tenemos tengo tiene tienen todo todos todas tu tus un una
unas uno unos usted ustedes ya yo vez veces ahora hoy ayer dia dias
hola buenos buenas tardes noches saludos saludo atentamente cordialmente gracias muchas estimado
estimados estimada estimadas favor quedo atento atenta agradeceria agradezco ayuda ayudar consulta
necesito necesitamos quisiera queria quiero podrian pueden puede puedo podemos hacer hace saber
problema problemas tema asunto adjunto adjunta soporte menteautonoma
"""
_STOPWORDS_EN = """
a about above after again all also am an and any are as at be been before being below between both but
by can could did do does doing done down during each few for from further had has have having he her
here hers him his how i if in into is it its itself just me more most my no nor not now of off on once
only or other our ours out over own same she should so some such than that the their them then there
these they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours yet today yesterday since still get got
hi hello dear thanks thank regards best kind please team support help need needs want like know let
problem problems issue issues attached attach menteautonoma many much every lot lots
"""


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


STOPWORDS = frozenset(_fold(_STOPWORDS_ES).split()) | frozenset(_fold(_STOPWORDS_EN).split())

_DROP = re.compile(r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    """Light stemming shared by both languages: plural ``s`` then one final a/e/o.

    "facturas"/"factura" → "factur", "errores"/"error" → "error", "reportes"/"reports"
    → "report", "usuarios" → "usuari". Words of three letters or fewer, and words in
    ``ss``/``us``/``is`` ("access", "status", "analysis"), keep their ``s``.
    """
    if word.isdigit():
        return word
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 3 and word[-1] in "aeo":
        word = word[:-1]
    return word


# Stems of stopwords, so "necesita"/"necesitan" go with "necesito" and "estimadas" with
# "estimado"; minus stems that content words share ("entre" → "entr" ← "entro").
_STOP_STEMS = frozenset(_stem(w) for w in STOPWORDS) - {"entr"}


def tokenize(text: str) -> list[str]:
    """Folded, stopword-free, stemmed words of ``text``, in order."""
    folded = _DROP.sub(" ", _fold(text))
    out = []
    for word in _WORD.findall(folded):
        if (len(word) < 2 and not word.isdigit()) or word in STOPWORDS:
            continue
        stem = _stem(word)
        if stem not in _STOP_STEMS:
            out.append(stem)
    return out


# =========================================================================== ranking


@dataclass(frozen=True)
class Suggestion:
    article: Article
    score: float  # normalised: raw BM25 / sqrt(distinct query words)


@dataclass(frozen=True)
class _Doc:
    article: Article
    tf: Counter[str]  # weighted term frequencies
    length: float
    keywords: tuple[frozenset[str], ...]  # each keyword's terms


@dataclass(frozen=True)
class Explanation:
    """Why an article scored what it did (for measuring thresholds, and debugging)."""

    article: Article
    raw: float
    score: float
    matched: tuple[str, ...]
    strong_matched: tuple[str, ...]
    passes: bool


class KnowledgeBase:
    """BM25 over a fixed set of articles; build once, query from any thread (read-only)."""

    def __init__(self, articles: Iterable[Article]):
        docs: list[_Doc] = []
        for article in articles:
            title = tokenize(article.title)
            keywords = [t for kw in article.keywords for t in tokenize(kw)]
            body = tokenize(article.body)
            tf: Counter[str] = Counter()
            for words, weight in ((title, TITLE_WEIGHT), (keywords, KEYWORD_WEIGHT), (body, BODY_WEIGHT)):
                for word in words:
                    tf[word] += weight
            phrases = tuple(
                {frozenset(terms) for kw in article.keywords if (terms := tokenize(kw))}
            )
            docs.append(_Doc(article, tf, float(sum(tf.values())), phrases))
        self._docs = tuple(docs)
        self.articles = tuple(d.article for d in docs)
        n = len(docs)
        self._avgdl = (sum(d.length for d in docs) / n) if n else 1.0
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.tf.keys())
        self._idf = {t: math.log(1.0 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    @classmethod
    def from_folder(cls, folder: Path) -> KnowledgeBase:
        return cls(load_articles(folder))

    def __len__(self) -> int:
        return len(self._docs)

    @staticmethod
    def _query(subject: str, text: str) -> Counter[str]:
        query: Counter[str] = Counter()
        for word in tokenize((subject or "")[:MAX_SUBJECT_CHARS])[:MAX_QUERY_TOKENS]:
            query[word] = max(query[word], SUBJECT_WEIGHT)
        for word in tokenize((text or "")[:MAX_TEXT_CHARS])[:MAX_QUERY_TOKENS]:
            query[word] = max(query[word], 1)
        return query

    def explain(self, subject: str, text: str, min_score: float = DEFAULT_MIN_SCORE) -> tuple[Explanation, ...]:
        """Every article with its raw and normalised score, best first (no language filter)."""
        query = self._query(subject, text)
        norm = math.sqrt(max(len(query), MIN_QUERY_NORM))
        out = []
        for d in self._docs:
            raw = 0.0
            matched = []
            for term, qweight in query.items():
                tf = d.tf.get(term)
                if not tf:
                    continue
                matched.append(term)
                denom = tf + K1 * (1.0 - B + B * d.length / self._avgdl)
                raw += qweight * self._idf[term] * tf * (K1 + 1.0) / denom
            found = set(matched)
            strong = tuple(sorted({t for phrase in d.keywords if phrase <= found for t in phrase}))
            score = raw / norm
            enough_words = len(matched) >= 2 or len(query) <= 2
            passes = bool(matched) and score >= min_score and bool(strong) and enough_words
            out.append(Explanation(d.article, raw, score, tuple(sorted(matched)), strong, passes))
        out.sort(key=lambda e: (-e.score, e.article.slug))
        return tuple(out)

    def suggest(
        self,
        subject: str,
        text: str,
        language: str,
        limit: int = 3,
        min_score: float = DEFAULT_MIN_SCORE,
    ) -> tuple[Suggestion, ...]:
        """Up to ``limit`` articles worth sending, best first; ``()`` when none is relevant.

        Only articles in ``language`` are considered unless none of them passes, then
        the other language's are.
        """
        if limit <= 0:
            return ()
        passing = [e for e in self.explain(subject, text, min_score) if e.passes]
        same = [e for e in passing if e.article.language == (language or "").strip().lower()]
        chosen = same or passing
        if not chosen:
            return ()
        floor = chosen[0].score * RELATIVE_CUTOFF
        return tuple(Suggestion(e.article, round(e.score, 4)) for e in chosen[:limit] if e.score >= floor)
