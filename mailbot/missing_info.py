"""What a problem report seems to lack, so the acknowledgement can ask for it.

Pure: strings in, a tuple of codes out; no I/O, no mail libraries.

The support policy (seed, "Proceso de Soporte › 1. Reporte del Problema") asks every
report for a description, steps to reproduce, screenshots or videos, and system logs.
The description is the mail itself; :func:`missing_information` looks for the other
three and returns the codes of those it cannot find, in the policy's order:

* ``"steps"`` — no numbered or stepwise text: at least two numbered lines ("1.", "2)",
  "paso 1", "step 2"), at least two bulleted lines, a menu path with two or more
  separators ("Ventas > Facturas > Emitir"), an explicit "pasos para reproducir" /
  "steps to reproduce" / "steps:", or a sequence of connectors ("primero … luego",
  "first … then", or two of "luego/después/then/after that/finally");
* ``"screenshots"`` — no image or video attachment (by MIME type or file extension) and
  no link to an image, video or screen recording (loom.com, youtube, vimeo, a .png URL);
* ``"logs"`` — no log-like attachment (.log, .txt, .zip, .gz, .har … or text/plain,
  zip, gzip MIME types) and no log-like line in the text: a timestamp together with a
  level or exception word (ERROR, WARN, FATAL, Exception, Traceback) on the same line,
  a Python traceback header, stack-frame lines (``at com.x.Y(Y.java:42)``,
  ``File "x.py", line 3``), or an exception name with its message
  (``NullPointerException: …``, ``TypeError: …``).

Only problem reports are asked: severity ``critical`` or ``important``. A ``general``
question (how do I…, what does the premium plan include…) gets an empty tuple — nobody
should be asked for logs to learn about the price list.

``new_text`` should be the customer's own new text (quoted history already trimmed);
lines starting with ``>`` are ignored anyway. Only the first ``MAX_TEXT_CHARS`` characters
are read, and each line only up to ``MAX_LINE_CHARS``, so hostile input costs linear,
bounded time. Known limit: Outlook names both pasted
screenshots and signature logos ``image001.png``; both count as a screenshot, because
the names and types alone cannot tell them apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import zip_longest

__all__ = ["CODES", "ASKED_SEVERITIES", "missing_information"]

#: every code :func:`missing_information` can return, in the order it returns them
CODES = ("steps", "screenshots", "logs")
ASKED_SEVERITIES = frozenset({"critical", "important"})
MAX_TEXT_CHARS = 100_000
MAX_LINE_CHARS = 1_000

# ---------------------------------------------------------------- attachments

_IMAGE_VIDEO_EXTENSIONS = frozenset(
    {
        "png", "jpg", "jpeg", "jpe", "gif", "bmp", "webp", "heic", "heif", "tif", "tiff", "svg",
        "mp4", "m4v", "mov", "webm", "mkv", "avi", "wmv", "mpg", "mpeg", "3gp", "gifv",
    }
)
_LOG_EXTENSIONS = frozenset(
    {"log", "txt", "out", "err", "trace", "har", "zip", "gz", "tgz", "bz2", "xz", "7z", "rar", "tar"}
)
_LOG_TYPES = frozenset(
    {
        "text/plain",
        "text/x-log",
        "application/zip",
        "application/x-zip-compressed",
        "application/gzip",
        "application/x-gzip",
        "application/x-tar",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/x-bzip2",
        "application/x-xz",
    }
)


def _extensions(name: str) -> tuple[str, ...]:
    """Lower-cased extensions of ``name``: "app.log.gz" → ("log", "gz")."""
    base = name.strip().rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower()
    parts = base.split(".")
    return tuple(p for p in parts[1:] if p)


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_image_or_video(name: str, content_type: str) -> bool:
    media = _media_type(content_type)
    if media.startswith(("image/", "video/")):
        return True
    exts = _extensions(name)
    return bool(exts) and exts[-1] in _IMAGE_VIDEO_EXTENSIONS


def _is_log_like(name: str, content_type: str) -> bool:
    if _media_type(content_type) in _LOG_TYPES:
        return True
    # "server.log.1" and "app.log.2024-05-02" are rotated logs; "logs.tar.gz" is an archive
    return any(ext in _LOG_EXTENSIONS for ext in _extensions(name))


# ---------------------------------------------------------------- text: logs

_TIMESTAMP = re.compile(
    r"""
    \b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[ T]\d{1,2}:\d{2}      # 2024-05-02 14:03 / 2024-05-02T14:03
    | \b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4},?\s+\d{1,2}:\d{2}  # 02/05/2024 14:03 / 2-5-24, 14:03
    | (?:^|[\[\s])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b        # [14:03:11] / 14:03:11,123
    | \b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+\d{1,2}\s+\d{1,2}:\d{2}:\d{2}  # syslog
    """,
    re.IGNORECASE | re.VERBOSE,
)
_LEVEL = re.compile(
    r"\b(?:ERROR|ERR|WARN|WARNING|FATAL|SEVERE|CRITICAL|CRIT|PANIC|EXCEPTION|TRACEBACK)\b"
    r"|\b[A-Z]\w*(?:Exception|Error)\b|Traceback|Exception",
)
_STRONG_LOG_LINE = re.compile(
    r"""
    ^\s*Traceback\ \(most\ recent\ call\ last\):                 # Python
    | ^\s*File\ "[^"]+",\ line\ \d+                              # Python frame
    | ^\s*at\ [\w$.<>/]+\s*\([^()]*(?::\d+|Native\ Method|Unknown\ Source)[^()]*\)  # Java / .NET / JS frame
    | ^\s*at\ [\w$.<>/]+\ \(?[\w./\\:-]+\.(?:js|ts|mjs|cjs|jsx|tsx):\d+:\d+\)?     # node frame
    | \b[A-Z][A-Za-z0-9]*[a-z](?:Exception|Error):\s+\S                # NullPointerException: … / TypeError: …
    | ^\s*(?:[\w.]+\.)+[A-Z]\w*(?:Exception|Error)\b                   # java.lang.IllegalStateException
    | \bHTTP/\d(?:\.\d)?\s+[1-5]\d\d\b                                  # raw HTTP status line
    """,
    re.VERBOSE | re.MULTILINE,
)


def _has_log_lines(lines: Sequence[str]) -> bool:
    for line in lines:
        if _STRONG_LOG_LINE.search(line):
            return True
        if _TIMESTAMP.search(line) and _LEVEL.search(line):
            return True
    return False


# ---------------------------------------------------------------- text: screenshots

_MEDIA_LINK = re.compile(
    r"""
    https?://\S*?\.(?:png|jpe?g|gif|webp|bmp|heic|mp4|mov|webm|mkv|avi)\b
    | https?://(?:www\.)?(?:loom\.com/share|youtu\.be/|youtube\.com/watch|vimeo\.com/\d
                          |prnt\.sc/|imgur\.com/|gyazo\.com/|share\.vidyard\.com/|streamable\.com/)
    """,
    re.IGNORECASE | re.VERBOSE,
)

# ---------------------------------------------------------------- text: steps

# "1. Entro a…", "2) Selecciono…", "3- Hago clic…", "Paso 1:", "Step 2 -"
# The separator must not start a decimal, a date or a time: "1.5 s", "12-05-2024", "14:03".
_NUMBERED_LINE = re.compile(r"^\s*(?:(?:paso|step)\s*)?\d{1,2}(?:[.)°º]|\s*-(?=\s))\s*(?!\d)\S", re.IGNORECASE)
_STEP_LABEL_LINE = re.compile(r"^\s*(?:paso|step)\s*\d{1,2}\b", re.IGNORECASE)
_BULLET_LINE = re.compile(r"^\s*(?:[-*•·▪‣◦–]|\([a-z]\)|[a-z]\))\s+\S", re.IGNORECASE)
# Navigation paths: "Ventas > Facturas > Emitir", "Reports → Sales → Export"
# (bounded segments, so a long line without separators is scanned in linear time)
_MENU_PATH = re.compile(r"\w\s*[>→»›]\s*\w[^\n>→»›]{0,80}[>→»›]\s*\w")
# Explicit labels. On accent-folded text: "pasos", never bare "paso" (it is also "pasó").
_STEP_WORDS = re.compile(
    r"""
    \bpasos\b | \bpaso\s+(?:a\s+paso|\d|n[°º.]) | \bpara\s+reproducir | \bcomo\s+reproducir | \breproducir(?:lo|la)?\s*:
    | \bsteps?\s*(?:to\s+reproduce|to\s+repro|for\s+reproduc|:|\d) | \brepro(?:duction)?\s+steps\b
    | \bto\s+reproduce\s*: | \bhow\s+to\s+reproduce
    """,
    re.VERBOSE,
)
_FIRST = re.compile(r"\b(?:primero|primer\s+paso|first(?:ly)?|to\s+start)\b")
_THEN = re.compile(
    r"\b(?:luego|despues(?!\s+de\s+(?:la|el|que|una|un|esto|eso|ayer|hoy)\b)|enseguida|a\s+continuacion"
    r"|finalmente|por\s+ultimo|then|after\s+that|afterwards|finally|lastly)\b"
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _has_steps(lines: Sequence[str]) -> bool:
    numbered = 0
    bullets = 0
    for line in lines:
        stripped = line.strip()
        if _STEP_LABEL_LINE.match(stripped):
            return True
        # a numbered list of questions ("1. ¿Cuánto cuesta…?") is not a list of steps
        if _NUMBERED_LINE.match(stripped) and not stripped.endswith("?"):
            numbered += 1
        elif _BULLET_LINE.match(stripped) and not stripped.endswith("?"):
            bullets += 1
    if numbered >= 2 or bullets >= 2:
        return True
    text = "\n".join(lines)
    if _MENU_PATH.search(text):
        return True
    folded = _fold(text)
    if _STEP_WORDS.search(folded):
        return True
    first = _FIRST.search(folded)
    if first and _THEN.search(folded, first.end()):
        return True
    return len(_THEN.findall(folded)) >= 2


# ---------------------------------------------------------------- the function


def missing_information(
    severity: str,
    new_text: str,
    attachment_names: Sequence[str],
    attachment_types: Sequence[str],
) -> tuple[str, ...]:
    """Codes among ``CODES`` ("steps", "screenshots", "logs") that the report lacks.

    ``severity`` is "critical", "important" or "general" (a ``Severity`` member works
    too); anything but critical/important returns ``()``. ``attachment_names`` and
    ``attachment_types`` are the attachments' file names and MIME types, pairwise (either
    may be shorter; a missing name or type counts as unknown).

    >>> missing_information("general", "¿Cuánto cuesta el plan premium?", [], [])
    ()
    >>> missing_information("important", "Al exportar a Excel sale un error.", [], [])
    ('steps', 'screenshots', 'logs')
    """
    value = getattr(severity, "value", severity)
    if str(value).strip().lower() not in ASKED_SEVERITIES:
        return ()

    attachments = [
        (name or "", ctype or "")
        for name, ctype in zip_longest(attachment_names or (), attachment_types or (), fillvalue="")
    ]
    # Bounded work on hostile input: the first MAX_TEXT_CHARS, lines cut at MAX_LINE_CHARS.
    lines = [
        line[:MAX_LINE_CHARS]
        for line in (new_text or "")[:MAX_TEXT_CHARS].splitlines()
        if not line.lstrip().startswith(">")
    ]
    text = "\n".join(lines)

    missing: list[str] = []
    if not _has_steps(lines):
        missing.append("steps")
    if not any(_is_image_or_video(n, t) for n, t in attachments) and not _MEDIA_LINK.search(text):
        missing.append("screenshots")
    if not any(_is_log_like(n, t) for n, t in attachments) and not _has_log_lines(lines):
        missing.append("logs")
    return tuple(missing)
