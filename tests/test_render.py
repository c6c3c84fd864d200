import re
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.domain import Severity, Tier
from mailbot.promise import describe_duration
from mailbot.render import PACKAGE_TEMPLATES, RenderedMail, TemplateRenderer, clean_subject

SUPPORT = {
    "email": "soporte@menteautonoma.cl",
    "emergency_email": "emergencias@menteautonoma.cl",
    "phone": "+56 9 1234 5678",
    "whatsapp": "+56 9 1234 5678",
    "hours": "lunes a viernes de 9:00 a 18:00 (hora de Chile)",
    "chat": "chat en vivo en nuestro sitio web",
}

# (first response minutes, resolution minutes or None, clock) — SPEC.md's SLA table
SLA = {
    (Severity.CRITICAL, Tier.PREMIUM): (30, 4 * 60, "24/7"),
    (Severity.CRITICAL, Tier.BASIC): (2 * 60, 24 * 60, "business"),
    (Severity.IMPORTANT, Tier.PREMIUM): (4 * 60, 24 * 60, "business"),
    (Severity.IMPORTANT, Tier.BASIC): (24 * 60, 72 * 60, "business"),
    (Severity.GENERAL, Tier.PREMIUM): (2 * 60, None, "business"),
    (Severity.GENERAL, Tier.BASIC): (24 * 60, None, "business"),
}

SEVERITY_WORDS = {
    "es": {"critical": "crítico", "important": "importante", "general": "consulta general"},
    "en": {"critical": "critical", "important": "important", "general": "general inquiry"},
}
UPSELL_MARK = {"es": "emergencias 24/7 es parte de nuestro Soporte Premium", "en": "24/7 emergency handling is part of our Premium Support"}
REMINDER_MARK = {"es": "pasos para reproducir", "en": "steps to reproduce"}


def ack_context(severity=Severity.IMPORTANT, tier=Tier.BASIC, language="es", **overrides):
    first, resolution, clock = SLA[(severity, tier)]
    context = {
        "ticket_ref": "MA-000001",
        "subject": "No puedo iniciar sesión",
        "customer_name": "María González",
        "severity": severity.value,
        "tier": tier.value,
        "first_response": describe_duration(first, clock, language),
        "resolution": describe_duration(resolution, clock, language) if resolution else "",
        "clock": clock,
        "emergency_upsell": False,
        "company": "Mente Autónoma",
        "support": dict(SUPPORT),
    }
    context.update(overrides)
    return context


def limit_context(**overrides):
    context = {
        "subject": "Logs del error",
        "limit_text": "25 MB",
        "limit_name": "max_message_bytes",
        "company": "Mente Autónoma",
        "support": dict(SUPPORT),
    }
    context.update(overrides)
    return context


@pytest.fixture(scope="module")
def renderer():
    return TemplateRenderer()


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ------------------------------------------------------------------ ack


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("tier", list(Tier))
@pytest.mark.parametrize("severity", list(Severity))
def test_ack_every_combination(renderer, language, severity, tier):
    # As the pipeline does: only critical/important reports are asked for what they lack.
    missing = () if severity is Severity.GENERAL else ("steps", "screenshots", "logs")
    context = ack_context(severity, tier, language, missing=missing)
    mail = renderer.render("ack", language, context)
    assert isinstance(mail, RenderedMail)

    assert mail.subject.startswith("[MA-000001] ")
    assert mail.subject == "[MA-000001] Re: No puedo iniciar sesión"

    for body in (mail.text, visible_text(mail.html)):
        assert "MA-000001" in body
        assert context["first_response"] in body
        if context["resolution"]:
            assert context["resolution"] in body
        assert SEVERITY_WORDS[language][severity.value] in body.lower()
        assert "María González" in body
        assert "+56 9 1234 5678" in body
        assert "soporte@menteautonoma.cl" in body
        assert SUPPORT["hours"] in body
        signature = "Equipo de Soporte — Mente Autónoma" if language == "es" else "Support Team — Mente Autónoma"
        assert signature in body
        assert (REMINDER_MARK[language] in body) == (severity is not Severity.GENERAL)
        assert UPSELL_MARK[language] not in body
        # the emergency line is shown to premium customers only
        assert (SUPPORT["emergency_email"] in body) == (tier is Tier.PREMIUM)

    assert "hábiles" in mail.text or "business" in mail.text or context["clock"] == "24/7"
    assert "{{" not in mail.text and "{%" not in mail.text and "{{" not in mail.html


def test_ack_spanish_text_reads_right(renderer):
    mail = renderer.render("ack", "es", ack_context(Severity.IMPORTANT, Tier.BASIC, missing=("screenshots", "logs")))
    assert mail.text.startswith("Hola, María González:\n")
    assert "número de ticket MA-000001" in mail.text
    assert "problema importante" in mail.text
    assert "en un plazo máximo de 24 horas hábiles" in mail.text
    assert "resolverlo en un plazo de 72 horas hábiles" in mail.text
    assert "responder a este correo" in mail.text
    assert "[MA-000001] en el asunto" in mail.text
    assert "capturas de pantalla o un video del error" in mail.text
    assert "logs" in mail.text
    assert "chat en vivo en nuestro sitio web" in mail.text
    assert "\n\n\n" not in mail.text
    assert mail.text.endswith("\n") and not mail.text.endswith("\n\n")


def test_ack_english_text_reads_right(renderer):
    mail = renderer.render("ack", "en", ack_context(Severity.CRITICAL, Tier.PREMIUM, "en"))
    assert mail.text.startswith("Hello María González,\n")
    assert "within 30 minutes" in mail.text
    assert "within 4 hours" in mail.text
    assert "around the clock" in mail.text
    assert "critical issue" in mail.text
    assert "Support Team — Mente Autónoma" in mail.text
    assert "\n\n\n" not in mail.text


def test_general_without_resolution_says_it_depends(renderer):
    es = renderer.render("ack", "es", ack_context(Severity.GENERAL, Tier.BASIC))
    assert "dependerá de la complejidad" in es.text
    assert "resolverlo en un plazo" not in es.text
    en = renderer.render("ack", "en", ack_context(Severity.GENERAL, Tier.BASIC, "en"))
    assert "depends on the complexity" in en.text


@pytest.mark.parametrize("language", ["es", "en"])
def test_emergency_upsell_only_when_true(renderer, language):
    context = ack_context(Severity.CRITICAL, Tier.BASIC, language, emergency_upsell=True)
    mail = renderer.render("ack", language, context)
    for body in (mail.text, visible_text(mail.html)):
        assert UPSELL_MARK[language] in body
        assert SUPPORT["emergency_email"] in body
        assert SUPPORT["hours"] in body
        assert "WhatsApp" in body and "+56 9 1234 5678" in body
    without = renderer.render("ack", language, ack_context(Severity.CRITICAL, Tier.BASIC, language))
    assert UPSELL_MARK[language] not in without.text
    assert UPSELL_MARK[language] not in visible_text(without.html)


def test_upsell_names_both_numbers_when_they_differ(renderer):
    support = dict(SUPPORT, whatsapp="+56 9 8765 4321")
    mail = renderer.render(
        "ack", "es", ack_context(Severity.CRITICAL, Tier.BASIC, emergency_upsell=True, support=support)
    )
    assert "llamarnos al +56 9 1234 5678 o escribirnos por WhatsApp al +56 9 8765 4321" in mail.text
    assert "WhatsApp: +56 9 8765 4321" in mail.text


@pytest.mark.parametrize(("language", "fallback"), [("es", "Solicitud recibida"), ("en", "Request received")])
def test_empty_subject_and_name(renderer, language, fallback):
    mail = renderer.render("ack", language, ack_context(language=language, subject="", customer_name=""))
    assert mail.subject == f"[MA-000001] {fallback}"
    assert mail.text.startswith("Hola:\n" if language == "es" else "Hello,\n")


def test_subject_keeps_existing_reply_prefix_and_tag(renderer):
    mail = renderer.render("ack", "es", ack_context(subject="RE: Consulta"))
    assert mail.subject == "[MA-000001] RE: Consulta"
    mail = renderer.render("ack", "es", ack_context(subject="Re: [MA-000001] Consulta"))
    assert mail.subject == "Re: [MA-000001] Consulta"


def test_subject_header_injection_is_defused(renderer):
    evil = "Hola\r\nBcc: victim@example.com\x00\x1b[31m\u2028x"
    mail = renderer.render("ack", "es", ack_context(subject=evil))
    assert "\r" not in mail.subject and "\n" not in mail.subject
    assert not any(ord(ch) < 32 or ch in "\x7f\u2028\u2029\x85" for ch in mail.subject)
    assert mail.subject.startswith("[MA-000001] Re: Hola Bcc: victim@example.com")


@given(st.text())
def test_clean_subject_never_leaves_control_characters(value):
    cleaned = clean_subject(value)
    assert cleaned == cleaned.strip()
    assert not any(ord(ch) < 32 or ord(ch) == 127 or ch in "\x85\u2028\u2029" for ch in cleaned)


def test_html_is_escaped_and_text_is_not(renderer):
    context = ack_context(subject="<script>alert(1)</script> & co", customer_name='Ana "<b>"')
    mail = renderer.render("ack", "es", context)
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in mail.html
    assert "<b>" not in mail.html
    # text and subject are not HTML: no entities there
    assert "<script>alert(1)</script> & co" in mail.text
    assert mail.subject == "[MA-000001] Re: <script>alert(1)</script> & co"


def test_html_is_a_self_contained_phone_friendly_page(renderer):
    html = renderer.render("ack", "es", ack_context()).html
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="es">' in html
    assert "max-width:600px" in html
    assert 'name="viewport"' in html
    for forbidden in ("<script", "<img", "<link", "<style", "src=", "http://", "https://"):
        assert forbidden not in html.lower()
    en = renderer.render("ack", "en", ack_context(language="en")).html
    assert '<html lang="en">' in en


def test_english_hours_are_used_when_given(renderer):
    support = dict(SUPPORT, hours_en="Monday to Friday, 9:00 to 18:00 (Chile time)", chat_en="live chat on our website")
    mail = renderer.render("ack", "en", ack_context(language="en", support=support))
    assert "Monday to Friday, 9:00 to 18:00 (Chile time)" in mail.text
    assert "live chat on our website" in mail.text
    assert "lunes" not in mail.text


# ------------------------------------------------------------------ language, overrides, strictness


@pytest.mark.parametrize("language", ["fr", "", "pt-BR", "../en", "ES"])
def test_unknown_language_falls_back_to_spanish(renderer, language):
    mail = renderer.render("ack", language, ack_context())
    assert "Gracias por contactarse" in mail.text


def test_language_tags_are_understood(renderer):
    assert "Thank you for contacting" in renderer.render("ack", "en-US", ack_context(language="en")).text
    assert "Gracias por contactarse" in renderer.render("ack", "es-CL", ack_context()).text


def test_override_dir_wins_and_falls_back_for_the_rest(tmp_path):
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "ack.txt.j2").write_text("Ticket propio {{ ticket_ref }} <b>{{ subject }}</b>\n", "utf-8")
    renderer = TemplateRenderer(override_dir=tmp_path)
    mail = renderer.render("ack", "es", ack_context(subject="a<b"))
    assert mail.text == "Ticket propio MA-000001 <b>a<b</b>\n"  # text: no autoescape
    assert "Gracias por contactarse" in mail.html  # not overridden: the packaged one
    assert mail.subject == "[MA-000001] Re: a<b"
    # other renderers are not affected
    assert "Gracias por contactarse" in TemplateRenderer().render("ack", "es", ack_context()).text


def test_override_html_is_autoescaped(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "ack.html.j2").write_text("<p>{{ subject }}</p>", "utf-8")
    mail = TemplateRenderer(override_dir=tmp_path).render("ack", "en", ack_context(language="en", subject="<i>x</i>"))
    assert mail.html == "<p>&lt;i&gt;x&lt;/i&gt;</p>\n"


def test_override_of_shared_pieces_applies_to_every_mail(tmp_path):
    (tmp_path / "es").mkdir()
    source = (PACKAGE_TEMPLATES / "es" / "_common.txt.j2").read_text("utf-8")
    (tmp_path / "es" / "_common.txt.j2").write_text(source.replace("Atentamente,", "Saludos cordiales,"), "utf-8")
    renderer = TemplateRenderer(override_dir=tmp_path)
    assert "Saludos cordiales,\nEquipo de Soporte" in renderer.render("ack", "es", ack_context()).text
    assert "Saludos cordiales," in renderer.render("limit_notice", "es", limit_context()).text


@pytest.mark.parametrize("missing", ["ticket_ref", "first_response", "support", "emergency_upsell", "severity"])
def test_missing_variable_raises(renderer, missing):
    context = ack_context()
    del context[missing]
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("ack", "es", context)


def test_missing_support_key_raises(renderer):
    support = dict(SUPPORT)
    del support["phone"]
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("ack", "es", ack_context(support=support))


def test_unknown_severity_raises(renderer):
    context = ack_context()
    context["severity"] = "urgent"
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("ack", "es", context)


def test_enum_values_work_as_context(renderer):
    context = ack_context(Severity.CRITICAL, Tier.PREMIUM)
    context.update(severity=Severity.CRITICAL, tier=Tier.PREMIUM)  # the enums, not their values
    mail = renderer.render("ack", "es", context)
    assert "problema crítico" in mail.text
    assert "Soporte Premium" in mail.text
    assert "las 24 horas" in mail.text


def test_unknown_template_and_bad_names(renderer):
    with pytest.raises(jinja2.TemplateNotFound):
        renderer.render("nope", "es", {})
    for name in ("../ack", "es/ack", "", "Ack!"):
        with pytest.raises(ValueError):
            renderer.render(name, "es", ack_context())


def test_every_packaged_mail_has_all_three_parts_in_both_languages():
    for language in ("es", "en"):
        for name in ("ack", "limit_notice"):
            for part in ("subject", "txt", "html"):
                assert (PACKAGE_TEMPLATES / language / f"{name}.{part}.j2").is_file()


# ------------------------------------------------------------------ limit_notice


@pytest.mark.parametrize(
    ("limit_name", "es_words", "en_words"),
    [
        ("max_message_bytes", "tamaño máximo de un mensaje", "maximum size of a message"),
        ("max_parts", "cantidad máxima de adjuntos o partes", "number of attachments or parts"),
        ("max_attachments", "cantidad máxima de adjuntos o partes", "number of attachments or parts"),
        ("max_depth", "anidamiento", "nesting depth"),
        ("max_header_bytes", "encabezados", "headers"),
        ("max_recipients", "destinatarios", "recipients"),
        # the names mailbot.config uses
        ("max_mime_parts", "cantidad máxima de adjuntos o partes", "number of attachments or parts"),
        ("max_multipart_depth", "anidamiento", "nesting depth"),
        ("max_addresses_per_header", "cantidad máxima de destinatarios", "number of recipients"),
        ("max_attachment_bytes", "tamaño máximo de un archivo adjunto", "maximum size of an attachment"),
        ("something_new", "límites de procesamiento", "processing limits"),
    ],
)
def test_limit_notice(renderer, limit_name, es_words, en_words):
    for language, words in (("es", es_words), ("en", en_words)):
        mail = renderer.render("limit_notice", language, limit_context(limit_name=limit_name, limit_text="25 MB"))
        for body in (mail.text, visible_text(mail.html)):
            assert "25 MB" in body
            assert words in body
            assert "soporte@menteautonoma.cl" in body
            assert "+56 9 1234 5678" in body
            assert "Logs del error" in body
        assert "Mente Autónoma" in mail.text


def test_limit_notice_subject_and_advice(renderer):
    es = renderer.render("limit_notice", "es", limit_context())
    assert es.subject == "No pudimos procesar su mensaje: Logs del error"
    assert "enlace" in es.text and "dividir" in es.text
    assert "quedó guardado" in es.text
    en = renderer.render("limit_notice", "en", limit_context())
    assert en.subject == "We could not process your message: Logs del error"
    assert "link" in en.text and "split" in en.text
    empty = renderer.render("limit_notice", "es", limit_context(subject=""))
    assert empty.subject == "No pudimos procesar su mensaje"
    evil = renderer.render("limit_notice", "en", limit_context(subject="<script>x</script>\r\nBcc: a@b"))
    assert "<script>" not in evil.html
    assert "\n" not in evil.subject and "\r" not in evil.subject


def test_limit_notice_missing_variable_raises(renderer):
    context = limit_context()
    del context["limit_text"]
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("limit_notice", "es", context)


def test_templates_dir_is_inside_the_package():
    assert PACKAGE_TEMPLATES == Path(__file__).resolve().parents[1] / "mailbot" / "templates"


@pytest.mark.parametrize("language", ["es", "en"])
def test_ack_lists_only_what_is_missing_and_suggests_articles(renderer, language):
    article = {"title": "Cómo exportar reportes a Excel", "url": "https://ayuda.menteautonoma.cl/articulos/exportar"}
    mail = renderer.render("ack", language, ack_context(Severity.IMPORTANT, Tier.BASIC, language, missing=("logs",),
                                                        articles=[article], first_response_due="lunes 3 de marzo, 11:00"))
    for body in (mail.text, visible_text(mail.html)):
        assert REMINDER_MARK[language] not in body  # steps were given
        assert ("logs" in body.lower())
        assert article["title"] in body
        assert "lunes 3 de marzo, 11:00" in body
    assert 'href="https://ayuda.menteautonoma.cl/articulos/exportar"' in mail.html
