"""``#kb``: a resolved ticket becomes a draft knowledge-base article.

The draft is a Markdown file in the knowledge-base format (mailbot.kb) in the drafts
folder: the customer's question and the agent's answer, with the customer's name,
mail addresses and phone numbers removed. A person reviews it, fills in the URL and
moves it into the articles folder to publish it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.escalation import ticket_ref
from mailbot.kb import KbError, parse_article
from mailbot.models import Message, Participant, Ticket

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")
_GREETING = re.compile(r"^(hola|estimad[oa]s?|buen[oa]s? (?:d[ií]as|tardes|noches)|hi|hello|dear)\b[^\n]{0,40}[,:!]?\s*$",
                       re.IGNORECASE | re.MULTILINE)


def drafts_dir(app: App) -> Path:
    configured = app.settings.agents.kb_drafts_dir
    return Path(configured) if configured else app.settings.data_dir / "kb-drafts"


def anonymise(text: str, names: list[str], language: str) -> str:
    """Remove what identifies the customer: their names, every mail address and phone number."""
    who = "[cliente]" if language == "es" else "[customer]"
    text = _EMAIL.sub("[correo]" if language == "es" else "[email]", text)
    text = _PHONE.sub("[teléfono]" if language == "es" else "[phone]", text)
    for name in sorted({w for n in names for w in re.split(r"\s+", n) if len(w) >= 3}, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}\b", who, text, flags=re.IGNORECASE)
    return _GREETING.sub("", text).strip()


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", folded))[:60].strip("-") or "articulo"


def draft_text(ticket_ref: str, title: str, language: str, keywords: list[str], question: str, answer: str, url: str) -> str:
    heading_q, heading_a = ("Pregunta", "Respuesta") if language == "es" else ("Question", "Answer")
    quoted_keywords = ", ".join(f'"{k}"' for k in keywords)
    return (f"---\n# draft from {ticket_ref}: review it, set the url, then move it into the articles folder\n"
            f"title: {title.replace(chr(10), ' ')}\nlanguage: {language}\nkeywords: [{quoted_keywords}]\nurl: {url}\n---\n"
            f"## {heading_q}\n\n{question}\n\n## {heading_a}\n\n{answer}\n")


def write_draft(app: App, s: Session, ticket: Ticket, now: datetime) -> Path:
    ref = ticket_ref(app, ticket.id)
    language = ticket.language if ticket.language in ("es", "en") else "es"
    customer = ticket.requester
    names = [customer.name, *(p.partition("@")[0] for p in s.scalars(select(Participant.email).where(
        Participant.ticket_id == ticket.id, Participant.role != "agent")))]
    first = s.scalars(select(Message).where(Message.ticket_id == ticket.id, Message.direction == "in",
                                            Message.author_kind == "customer").order_by(Message.id).limit(1)).first()
    answer = s.scalars(select(Message).where(
        Message.ticket_id == ticket.id, Message.direction == "in", Message.author_kind == "agent",
        Message.internal.is_(False), Message.reply_text != "").order_by(Message.id.desc()).limit(1)).first()
    question = anonymise(first.reply_text or first.text, names, language) if first else ""
    reply = anonymise(answer.reply_text, names, language) if answer else ""
    title = re.sub(r"^\s*(?:(?:re|rv|fw|fwd)\s*:\s*)+", "", ticket.subject or ref, flags=re.IGNORECASE).strip() or ref
    words = [w for w in dict.fromkeys(re.findall(r"\w+", anonymise(title, names, language).lower())) if len(w) >= 5][:5]
    slug = f"{_slug(title)}-{ticket.id}"
    url = f"https://{app.settings.domain}/kb/{slug}"
    text = draft_text(ref, anonymise(title, names, language), language, words, question or "-", reply or "-", url)
    try:
        parse_article(text, slug, source=slug)
    except KbError as exc:  # never write a draft the knowledge base could not load
        raise ValueError(f"draft for {ref} would not be a valid article: {exc}") from exc
    folder = drafts_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.md"
    path.write_text(text, encoding="utf-8")
    return path


def list_articles(app: App) -> str:
    """`mailbot kb list`: the published articles and the drafts waiting for review."""
    lines: list[str] = []
    folders = [("articles", app.settings.kb_dir), ("drafts", drafts_dir(app))]
    for label, folder in folders:
        if folder is None:
            lines.append(f"{label}: none configured (instance.kb_dir)")
            continue
        files = sorted(Path(folder).glob("*.md")) if Path(folder).is_dir() else []
        lines.append(f"{label} in {folder}: {len(files)}")
        for path in files:
            try:
                article = parse_article(path.read_text(encoding="utf-8"), path.stem, source=str(path))
                lines.append(f"  {article.language}  {path.name:<50}  {article.title}")
            except (KbError, OSError, UnicodeDecodeError) as exc:
                lines.append(f"  !!  {path.name:<50}  not loadable: {exc}")
    lines.append("To publish a draft: review it, set its url, move it into the articles folder, restart mailbot.")
    return "\n".join(lines)
