"""Jinja2 rendering of the mails mailbot sends (acknowledgements, notices, ...).

Every mail is three templates under ``<language>/``: ``<name>.subject.j2``,
``<name>.txt.j2`` and ``<name>.html.j2``. The packaged templates live in
``mailbot/templates/``; an administrator overrides any of them by putting a file with
the same relative path (e.g. ``es/ack.html.j2``) in the configured override
directory, which is searched first.

* HTML templates (``*.html.j2``) are autoescaped; text and subject templates are not.
* ``StrictUndefined``: a variable the caller forgot is an error, never an empty hole
  in a customer's mail.
* The rendered subject is stripped and every CR, LF or other control character is
  replaced by a space, so a customer's subject echoed back cannot inject headers.
* A language without templates falls back to Spanish ("es"), the company default.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

__all__ = ["DEFAULT_LANGUAGE", "PACKAGE_TEMPLATES", "RenderedMail", "TemplateRenderer", "clean_subject"]

DEFAULT_LANGUAGE = "es"
PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_REPLY_PREFIX = re.compile(r"^\s*(?:re|rv|fw|fwd|aw|sv|res|enc)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def clean_subject(value: str) -> str:
    """One header-safe line: CR, LF, other control and line/paragraph separators → space."""
    chars = [
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in value
    ]
    return _SPACES.sub(" ", "".join(chars)).strip()


def _autoescape(template_name: str | None) -> bool:
    if template_name is None:
        return False
    name = template_name.lower()
    return name.endswith((".html.j2", ".htm.j2", ".html", ".htm"))


def _reply_subject(subject: object) -> str:
    """Filter ``reply_subject``: "Hola" → "Re: Hola"; "RE: Hola" and "" stay as they are."""
    text = str(subject or "").strip()
    if not text or _REPLY_PREFIX.match(text):
        return text
    return f"Re: {text}"


class TemplateRenderer:
    """Renders ``(subject, text, html)`` for a mail name and language."""

    def __init__(self, override_dir: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if override_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(Path(override_dir))))
        loaders.append(jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)))
        self.override_dir = Path(override_dir) if override_dir is not None else None
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=_autoescape,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["reply_subject"] = _reply_subject
        self.env.filters["clean_subject"] = clean_subject

    def _has(self, path: str) -> bool:
        try:
            self.env.get_template(path)
        except jinja2.TemplateNotFound:
            return False
        return True

    def resolve_language(self, name: str, language: str) -> str:
        """The language whose templates will be used for ``name`` (falls back to "es")."""
        lang = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
        if _LANGUAGE.match(lang) and self._has(f"{lang}/{name}.subject.j2"):
            return lang
        return DEFAULT_LANGUAGE

    def render(self, name: str, language: str, context: Mapping[str, object]) -> RenderedMail:
        """Render mail ``name`` in ``language`` with ``context``.

        Raises ``jinja2.UndefinedError`` when the templates use a variable the context
        lacks, ``jinja2.TemplateNotFound`` when ``name`` does not exist (in Spanish
        either), and ``ValueError`` for a malformed name.
        """
        if not _NAME.match(name or ""):
            raise ValueError(f"bad template name {name!r}")
        lang = self.resolve_language(name, language)
        variables = dict(context)
        variables.setdefault("language", lang)
        subject = self.env.get_template(f"{lang}/{name}.subject.j2").render(variables)
        text = self.env.get_template(f"{lang}/{name}.txt.j2").render(variables)
        html = self.env.get_template(f"{lang}/{name}.html.j2").render(variables)
        return RenderedMail(
            subject=clean_subject(subject),
            text=text.strip("\n") + "\n",
            html=html.strip() + "\n",
        )
