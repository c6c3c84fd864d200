"""Quoted-text removal: keep what the sender newly wrote.

Four layers, most reliable first (issue 5); each is conservative, and when unsure
the text is kept rather than lost:

1. HTML structure, when there is HTML: the quote containers mail clients mark
   (Gmail ``gmail_quote``/``gmail_attr``, Apple Mail and Thunderbird
   ``blockquote type="cite"`` and ``moz-cite-prefix``, Yahoo ``yahoo_quoted``)
   are dropped, and Outlook's reply header (``divRplyFwdMsg``, ``appendonsend``,
   the ``border-top:solid #E1E1E1``/``#B5C4DF`` rule above a From:/De: block,
   ``mail-editor-reference-message-container``) ends the new text. What remains
   is converted to text. Inline answers between Gmail's or Apple's quote blocks
   stay, since only the quotes themselves are removed.
2. Header blocks in Spanish and English: "El … escribió:", "On … wrote:"
   (also wrapped over two or three lines), ``De:/Enviado:/Para:/Asunto:``,
   ``From:/Sent:/To:/Subject:``, "-----Mensaje original-----",
   "-----Original Message-----", Outlook's underscore rule.
3. ``>`` quotes (answers between quoted lines are kept) and signatures: below
   "-- ", and phone or app footers ("Enviado desde mi iPhone", "Sent from my
   Galaxy", "Obtener Outlook para iOS", "Get Outlook for Android").
4. mail-parser-reply, only when no layer above found a quote header.

Lines starting with a command (``#estado resuelto``) at the top of the text are
always kept: they are what the agent wrote. The HTML result is used only where
it differs from the text part's result (or says the same in fewer lines: Word's
``MsoNormal`` paragraphs are lines); otherwise the text part's layout wins.

mail-parser-reply 1.36 never recognises Spanish "El ... escribió:" headers (its
regex wants two whitespace characters before "escribió" and then negates its own
match), hence our own patterns for both languages.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

from mailbot.parsers.message import html_to_text

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- layer 1: HTML

# Elements whose whole subtree is quoted text, a quote attribution or a signature.
_DROP_CLASSES = ("gmail_attr", "moz-cite-prefix", "yahoo_quoted", "gmail_signature",
                 "moz-signature")
_DROP_IDS = ("ms-outlook-mobile-signature", "composer_signature", "ymail_android_signature")
# Elements where the quoted original starts: they and everything after them go.
_CUT_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container", "stopspelling")
_OUTLOOK_RULE = re.compile(r"border-top\s*:\s*solid\s+#(?:e1e1e1|b5c4df)\b", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"\s*(?:from|de)\s*:", re.IGNORECASE)
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _QuoteStripper(HTMLParser):
    """Re-emits the HTML without quote containers, up to Outlook's reply header."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.found = False  # a quote marker was seen
        self.drop_tag, self.drop_depth = "", 0  # inside a dropped subtree
        self.rule_at: int | None = None  # output position of an Outlook rule awaiting its "From:"
        self.done = False
        # Word's <p class=MsoNormal> are lines (margin 0), not paragraphs; an empty one is a blank line.
        self.paragraphs: list[list] = []  # [is MsoNormal, output position, has text]

    def _cut(self, at: int) -> None:
        del self.out[at:]
        self.found = self.done = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if self.drop_tag:
            self.drop_depth += tag == self.drop_tag
            return
        values = {name: (value or "") for name, value in attrs}
        classes = values.get("class", "").lower()
        ident = values.get("id", "").lower()
        if any(ident.startswith(cut) for cut in _CUT_IDS):
            self._cut(len(self.out) if self.rule_at is None else self.rule_at)
            return
        # Gmail puts inline answers inside div.gmail_quote, between its blockquotes:
        # only the blockquotes (and the gmail_attr line) are the quote.
        quote = tag == "blockquote" and (values.get("type", "").lower() == "cite" or "gmail_quote" in classes)
        if tag not in _VOID and (quote or any(c in classes for c in _DROP_CLASSES) or ident in _DROP_IDS
                                 or "yahoo_quoted" in ident or classes == "gmail_signature_prefix"):
            self.found = True
            self.drop_tag, self.drop_depth = tag, 1
            return
        if tag == "div" and _OUTLOOK_RULE.search(values.get("style", "")):
            self.rule_at = len(self.out)
        if tag == "p":
            word = "msonormal" in classes
            self.paragraphs.append([word, len(self.out), False])
            if word:
                self.out.append("<div>")
                return
        self.out.append(self.get_starttag_text() or f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done or self.drop_tag:
            return
        ident = next((value or "" for name, value in attrs if name == "id"), "").lower()
        if any(ident.startswith(cut) for cut in _CUT_IDS):  # <hr id="stopSpelling"/>
            self._cut(len(self.out) if self.rule_at is None else self.rule_at)
            return
        self.out.append(self.get_starttag_text() or f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if self.done:
            return
        if self.drop_tag:
            if tag == self.drop_tag:
                self.drop_depth -= 1
                if self.drop_depth == 0:
                    self.drop_tag = ""
            return
        if tag == "p" and self.paragraphs:
            word, start, has_text = self.paragraphs.pop()
            if word:
                if not has_text and start < len(self.out):
                    self.out[start] = ""
                self.out.append("</div>" if has_text else "<br>")
                return
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.done or self.drop_tag:
            return
        if self.rule_at is not None and data.strip():
            # Outlook's rule is only a reply separator when a From:/De: line follows it.
            if _OUTLOOK_FROM.match(data):
                self._cut(self.rule_at)
                return
            self.rule_at = None
        if self.paragraphs and data.replace("\xa0", " ").strip():
            self.paragraphs[-1][2] = True
        self.out.append(html_lib.escape(data, quote=False))


def _html_new_text(html: str) -> str | None:
    """The new text by HTML structure, or None when the HTML marks no quote."""
    stripper = _QuoteStripper()
    try:
        stripper.feed(html)
        stripper.close()
    except Exception:  # html.parser is lenient; a failure just skips this layer
        log.warning("HTML quote stripping failed", exc_info=True)
        return None
    if not stripper.found:
        return None
    return html_to_text("".join(stripper.out))


# --------------------------------------------------------------------------- layer 2: headers

_WROTE = re.compile(r"\s*(?:el|on)\s.{0,300}\s(?:escribió|wrote)\s*:\s*", re.IGNORECASE)
_WROTE_START = re.compile(r"\s*(?:el|on)\s", re.IGNORECASE)
# Other attributions ("Soporte <s@x.cl> escribió:"), trusted only right above a quote.
# (One bounded quantifier only: "@ or a digit somewhere" is checked outside the regex,
# since nesting it inside made a line of digits ending in "wrote:" take 1 ms.)
_WROTE_ANY = re.compile(r"\s*\S.{0,400}\s(?:escribió|wrote)\s*:\s*", re.IGNORECASE)
_WROTE_ENDS = ("escribió:", "wrote:", "escribió :", "wrote :")  # cheap test before the regex
_ORIGINAL = re.compile(
    r"\s*-{3,}\s*(?:original message|mensaje original|message d'origine)\s*-{3,}\s*", re.IGNORECASE
)
_LABEL = re.compile(
    r"\s*\*?(from|de|sent|date|to|cc|subject|enviado(?: el)?|enviados|fecha|para|asunto|importance|importancia)"
    r"\s*:\*?(?:\s.*)?",
    re.IGNORECASE,
)
_FROM_LABELS = {"from", "de"}
_UNDERSCORES = re.compile(r"\s*_{10,}\s*")
_MAX_HEADER_LINE = 400  # longer lines are never headers (and bound the regex work)


def _label(line: str) -> str:
    match = _LABEL.fullmatch(line) if len(line) <= _MAX_HEADER_LINE else None
    return match.group(1).lower() if match else ""


def _next_is_quote(lines: list[str], i: int) -> bool:
    following = next((line for line in lines[i : i + 3] if line.strip()), "")
    return _is_quoted(following)


def _header_at(lines: list[str], i: int) -> int:
    """How many lines the quote header starting at line ``i`` spans (0: none)."""
    line = lines[i]
    if len(line) > _MAX_HEADER_LINE or not line.strip():
        return 0
    if _ORIGINAL.fullmatch(line):
        return 1
    if _WROTE_START.match(line):
        if _WROTE.fullmatch(line):
            return 1
        joined = line
        for span in (2, 3):  # Gmail and Thunderbird wrap long "On ... wrote:" lines
            # A wrapped header never ends a sentence, has no blank line inside,
            # and does not swallow a following header that stands on its own line.
            following = lines[i + span - 1] if i + span - 1 < len(lines) else ""
            if (not following.strip() or joined.rstrip().endswith((".", "!", "?")) or len(joined) > _MAX_HEADER_LINE
                    or (_WROTE_START.match(following) and _WROTE.fullmatch(following))):
                break
            joined += " " + following.strip()
            if _WROTE.fullmatch(joined):
                return span
    if (line.rstrip().lower().endswith(_WROTE_ENDS) and ("@" in line or any(c.isdigit() for c in line))
            and _WROTE_ANY.fullmatch(line) and _next_is_quote(lines, i + 1)):
        return 1
    labels: list[str] = []
    while i + len(labels) < len(lines) and len(labels) < 8:
        label = _label(lines[i + len(labels)])
        if not label:
            break
        labels.append(label)
    if len(labels) >= 2 and _FROM_LABELS & set(labels) and set(labels) - _FROM_LABELS:
        return len(labels)
    return 0


def _own_cut(lines: list[str]) -> tuple[int, int] | None:
    """(first line, line count) of the first quote header outside quoted lines."""
    for i, line in enumerate(lines):
        if _is_quoted(line):
            continue
        span = _header_at(lines, i)
        if span:
            if i > 0 and _UNDERSCORES.fullmatch(lines[i - 1]):
                return i - 1, span + 1  # Outlook's rule above "De:"
            return i, span
    return None


# --------------------------------------------------------------------------- layer 3: quotes, signatures

_FOOTER = re.compile(
    r"\s*(?:(?:sent|enviado)\s+(?:from|desde|con)\s+\S.{0,50}"
    r"|(?:get|obtener|descargar?)\s+(?:<\s*)?outlook\s+(?:for|para)\s+\S.{0,60})",
    re.IGNORECASE,
)
_COMMAND = re.compile(r"\s*#[^\W\d_]+\b.*")


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _without_quotes(lines: list[str]) -> list[str]:
    return [line for line in lines if not _is_quoted(line)]


def _after_header(lines: list[str]) -> list[str]:
    """The sender's lines below a quote header: answers between or below ``>``
    quotes (inline or bottom posting). An original that is not ``>``-quoted
    (Outlook, Yahoo, phones) has no answers in it."""
    first = next((line for line in lines if line.strip()), "")
    if not _is_quoted(first):
        return []
    answers = []
    i = 0
    while i < len(lines):
        line = lines[i]
        span = 0 if _is_quoted(line) or not line.strip() else _header_at(lines, i)
        if span:
            if not _next_is_quote(lines, i + span):
                break  # an older original that is not ">"-quoted (Outlook style) follows: no answers in it
            i += span  # a further header above more quotes is no answer either
            continue
        if not _is_quoted(line):
            answers.append(line)
        i += 1
    return answers


def _without_signature(lines: list[str]) -> list[str]:
    stripped = [line.rstrip() for line in lines]
    cut = len(lines)
    for i, line in enumerate(stripped):
        # "-- " is the signature delimiter; a bare "--" (trailing space lost on the way) counts near the end.
        if lines[i] == "-- " or (line == "--" and len(lines) - i <= 12):
            cut = i
            break
    while cut and (not lines[cut - 1].strip() or (len(lines[cut - 1]) <= 80 and _FOOTER.fullmatch(lines[cut - 1]))):
        cut -= 1
    kept = lines[:cut]
    return kept if any(line.strip() for line in kept) else lines


def _join(lines: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip()


# --------------------------------------------------------------------------- layer 4: the library

# mail-parser-reply's "On ... wrote:" regex is quadratic in the line length, so it
# only ever sees the start of the message, with lines shortened.
_LIBRARY_LINES, _LIBRARY_LINE_CHARS = 500, 200


def _library_cut(lines: list[str], languages: list[str]) -> int | None:
    """Line where mail-parser-reply sees the first quote header, if anywhere."""
    sample = [line[:_LIBRARY_LINE_CHARS] for line in lines[:_LIBRARY_LINES]]
    try:
        message = EmailReplyParser(languages=languages).read("\n".join(sample))
    except Exception:  # a third-party regex layer must not cost us the message
        log.warning("mail-parser-reply failed", exc_info=True)
        return None
    header = next((reply.headers for reply in message.replies if reply.headers), "")
    first = header.strip().split("\n", 1)[0].strip()
    if not first:
        return None
    return next((i for i, line in enumerate(sample) if line.strip() == first), None)


# --------------------------------------------------------------------------- together


def _text_new_lines(text: str, languages: list[str]) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    own = _own_cut(lines)
    if own:
        cut, span = own
        new = _without_quotes(lines[:cut]) + _after_header(lines[cut + span :])
        if not any(line.strip() for line in new):
            # Bottom-posting under an unquoted original cannot be told apart: keep it.
            new = [line for line in _without_quotes(lines[cut + span :]) if not _WROTE.fullmatch(line)]
    else:
        library = _library_cut(lines, languages)
        new = _without_quotes(lines if library is None else lines[:library])
        if library is not None and not any(line.strip() for line in new):
            new = _without_quotes(lines[library + 1 :])  # the header came first: bottom-posting
    if not any(line.strip() for line in new):
        new = _without_quotes(lines)  # only quotes and headers: keep the headers
    return _without_signature(new)


def _commands_on_top(text: str) -> list[str]:
    """The command lines the text starts with (``#estado resuelto``)."""
    commands = []
    for line in text.replace("\r", "\n").split("\n"):
        if not line.strip():
            if commands:
                break
            continue
        if not _COMMAND.fullmatch(line) or len(line) > 200:
            break
        commands.append(line.strip())
    return commands


def _content(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def extract_new_text(text: str, html: str = "", language_hint: str = "") -> str:
    """The newly written part of a reply; the whole text when nothing looks quoted."""
    hint = language_hint.lower()[:2]
    languages = [hint] if hint and hint not in ("es", "en") else []
    languages += ["en", "es"] if hint == "en" else ["es", "en"]
    if not text.strip() and html.strip():
        text = html_to_text(html)

    new = _join(_text_new_lines(text, languages))
    from_html = _html_new_text(html) if html.strip() else None
    if from_html is not None and from_html.strip():
        html_new = _join(_text_new_lines(from_html, languages))
        if html_new and _content(html_new) != _content(new):
            new = html_new  # the layers disagree: the client's own markup is the better witness
        elif html_new.count("\n") < new.count("\n"):
            new = html_new  # same words; Word's one-paragraph-per-line HTML made the text double-spaced

    # Commands at the very top are the agent's words by definition; never lose one.
    commands = _commands_on_top(text) or (_commands_on_top(from_html) if from_html else [])
    present = set(_content(new))
    missing = [c for c in commands if " ".join(c.split()) not in present]
    if missing:
        new = _join(missing + new.split("\n"))
    return new
