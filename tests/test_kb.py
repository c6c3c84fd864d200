"""Knowledge base: article files, the front-matter parser, and BM25 suggestions.

The tables RELEVANT / UNRELATED are also the measurement behind
``mailbot.kb.DEFAULT_MIN_SCORE`` (see test_threshold_margin).
"""

import math
from pathlib import Path

import pytest

import mailbot.kb as kb_module
from mailbot.kb import (
    DEFAULT_MIN_SCORE,
    Article,
    KbError,
    KnowledgeBase,
    Suggestion,
    load_articles,
    parse_article,
    tokenize,
)

KB_DIR = Path(__file__).resolve().parent.parent / "config" / "kb"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_folder(KB_DIR)


# ============================================================ the shipped articles


def test_shipped_articles_load_and_look_right():
    articles = load_articles(KB_DIR)
    assert len(articles) == 10
    by_language = {lang: [a for a in articles if a.language == lang] for lang in ("es", "en")}
    assert len(by_language["es"]) == 6 and len(by_language["en"]) == 4
    for article in articles:
        assert article.url == f"https://ayuda.menteautonoma.cl/articulos/{article.slug}"
        assert 120 <= len(article.body.split()) <= 300, article.slug
        assert len(article.keywords) >= 5, article.slug
        assert article.title and not article.body.startswith("---")


# ============================================================ suggestions

RELEVANT = [
    # (expected first article, customer's language, subject, new text)
    ("restablecer-contrasena", "es", "No puedo entrar", "Hola, olvidé mi contraseña y el correo para recuperarla no me llega. ¿Cómo la restablezco?"),
    ("restablecer-contrasena", "es", "Cuenta bloqueada", "Buenos días, intenté entrar varias veces y ahora dice que mi cuenta está bloqueada. Necesito iniciar sesión urgente."),
    ("restablecer-contrasena", "es", "Cambio de clave", "Necesito restablecer la contraseña de un usuario que ya no recuerda la suya. Saludos, Pedro"),
    ("restablecer-contrasena", "es", "CONTRASEÑAS", ""),
    ("error-500-factura-electronica-sii", "es", "Error al generar la factura electrónica", "Al emitir una factura electrónica el sistema muestra Error 500. Ya probamos dos veces. ¿Es un problema del SII?"),
    ("error-500-factura-electronica-sii", "es", "Urgente: no podemos facturar", "Estimados, desde esta mañana ninguna factura se emite, aparece 'No se pudo emitir el documento'. Tenemos camiones esperando las guías. Revisamos los folios y el certificado digital y parecen estar bien."),
    ("error-500-factura-electronica-sii", "es", "Re: facturas", "hola, las facturas no salen, dice error 500"),
    ("error-500-factura-electronica-sii", "es", "Nota de crédito", "No puedo emitir una nota de crédito, me dice que no hay folios disponibles."),
    ("exportar-reportes-excel", "es", "Exportar a Excel", "Al exportar el reporte de ventas a Excel el archivo sale vacío. ¿Qué puede ser?"),
    ("exportar-reportes-excel", "es", "Descargar informe", "¿Cómo descargo los reportes de ventas del mes pasado en CSV para mi contador?"),
    ("exportar-reportes-excel", "es", "caracteres raros", "Cuando abro el csv exportado en excel aparecen caracteres raros en vez de la ñ"),
    ("agregar-usuarios-permisos", "es", "Usuarios nuevos", "¿Cómo agrego usuarios nuevos a mi organización y les doy permisos solo de lectura?"),
    ("agregar-usuarios-permisos", "es", "Permisos", "Un colaborador no puede ver los documentos de su sucursal, creo que es un tema de permisos o de rol."),
    ("agregar-usuarios-permisos", "es", "Invitar usuario", "Invité a una persona de contabilidad pero la invitación le venció. ¿Cómo se la reenvío?"),
    ("integracion-erp-api", "es", "Integración con SAP", "La sincronización con SAP Business One por la API falla de forma intermitente, a veces responde 429."),
    ("integracion-erp-api", "es", "API key", "¿Dónde creo una clave de API para conectar nuestro ERP Softland?"),
    ("integracion-erp-api", "es", "Error 401 en la integración", "Nuestro ERP recibe 401 al llamar la API desde ayer, no hemos cambiado el token."),
    ("lentitud-del-sistema", "es", "Sistema lento", "El sistema está muy lento desde ayer, las pantallas demoran mucho en cargar. ¿Pueden revisarlo?"),
    ("lentitud-del-sistema", "es", "Demora", "Buenas tardes, la plataforma se pega y tarda más de un minuto en guardar cada venta, en todas las sucursales."),
    ("lentitud-del-sistema", "es", "lentitud", ""),
    ("reset-password", "en", "Forgot password", "Hi, I forgot my password and the reset email never arrives. Can you help?"),
    ("reset-password", "en", "Locked out", "My account got locked after a few failed login attempts. How do I sign in again?"),
    ("reset-password", "en", "password reset for a colleague", "A colleague left for holidays and we need to reset her password so someone can log in."),
    ("export-reports", "en", "Export to Excel", "When I export the sales report to Excel the file is empty. What am I doing wrong?"),
    ("export-reports", "en", "Download reports as CSV", "How can I download all reports for last quarter as CSV files?"),
    ("export-reports", "en", "Scheduled export", "Is it possible to get the monthly sales report emailed automatically as a spreadsheet?"),
    ("api-integration-webhooks", "en", "Webhooks not arriving", "Our webhook endpoint stopped receiving document.issued events yesterday. The signature check also fails sometimes."),
    ("api-integration-webhooks", "en", "API integration with our ERP", "We want to sync invoices and payments with our ERP through the API. Where do I get an API key?"),
    ("api-integration-webhooks", "en", "429 errors", "Our integration gets 429 Too Many Requests from the API when syncing products."),
    ("good-bug-report", "en", "How do I report a bug?", "What information should I include when I report a bug to support? Do you need screenshots or logs?"),
    ("good-bug-report", "en", "bug report", "Where can I find the steps to send a good bug report with a screen recording?"),
    # long, chatty mails that name their topic in a sentence or two
    ("error-500-factura-electronica-sii", "es", "Problema urgente", """Buenos días equipo de Mente Autónoma,

Les escribo de Comercial Los Andes SpA. Desde las 10 de la mañana, cada vez que uno de
nuestros vendedores intenta emitir una factura electrónica la pantalla queda cargando y al
final aparece un mensaje de Error 500. Ya cerramos sesión, probamos en otro computador y con
otro usuario, y pasa lo mismo. Las boletas sí se están emitiendo sin problema.

Hoy tenemos cierre de mes y el contador necesita todas las facturas emitidas antes de las 18:00,
así que les agradecería mucho que lo revisen con prioridad. Si necesitan acceso a nuestra cuenta
o alguna otra información, quedo atento.

Saludos cordiales,
Rodrigo Fuentes
Jefe de Administración y Finanzas
Comercial Los Andes SpA — +56 2 2345 6789"""),
    ("lentitud-del-sistema", "es", "Consulta", """Hola, buenas tardes.

Quería comentarles que en la sucursal de Concepción llevamos toda la semana con el sistema
muy lento: abrir la pantalla de ventas tarda casi un minuto y a veces se pega al guardar.
En Santiago parece andar normal. No sabemos si es nuestra conexión a internet o algo de
ustedes. Tenemos fibra de 300 megas y nadie más se queja de internet en la oficina.

Les dejo mi teléfono por si necesitan llamarme: +56 9 8765 4321.
Gracias de antemano,
Camila Rojas"""),
    ("api-integration-webhooks", "en", "Question about our setup", """Hi team,

I'm the developer in charge of connecting our warehouse system with your platform. Since
Monday the webhook deliveries to our endpoint have been failing: your delivery log shows
timeouts, but our server is up and answers in under a second when we call it ourselves.
We did move the endpoint behind a new load balancer last week, in case that matters. We also
noticed the X-Signature check fails for some payloads, maybe related to the body encoding.

Could you take a look and tell us what you see on your side? Our account is Andes Logistics.

Best regards,
Tom Becker
Andes Logistics — IT"""),
    ("export-reports", "en", "Quick question", """Hello,

Our accountant asked me for the full list of sales of 2023 per branch. I tried to export
the sales report to Excel from the Reports menu but the file only has part of the year,
around 100,000 rows and then it stops. Is there a way to get everything at once or do I
have to download it month by month?

Thanks a lot for your help,
Laura"""),
]

UNRELATED = [
    # (customer's language, subject, new text): no article answers these
    ("es", "Consulta", "Hola, ¿cuál es el horario de atención?"),
    ("es", "", "Hola, ¿cuál es el horario de atención?"),
    ("es", "Horario", "¿Atienden los sábados? ¿Y en qué horario?"),
    ("es", "Plan premium", "Me gustaría recibir información sobre el precio del plan premium y si incluye capacitación para nuevos empleados."),
    ("es", "Gracias", "Gracias por la ayuda, ya quedó funcionando. Saludos cordiales."),
    ("es", "Backup", "¿Cada cuánto tiempo se respaldan los datos de nuestra cuenta?"),
    ("es", "Capacitación", "¿Tienen disponibilidad para una capacitación la próxima semana? Somos cinco personas."),
    ("es", "Reunión", "Quería coordinar una reunión con el ejecutivo comercial para revisar el contrato anual."),
    ("es", "Cambio de dirección", "Nos cambiamos de oficina, la nueva dirección es Av. Providencia 1234, Santiago."),
    ("es", "", "El perro del vecino ladra toda la noche y no me deja dormir, qué lata."),
    ("es", "Receta", "Para la cazuela se necesita zapallo, choclo, papas y carne. Se cocina a fuego lento durante una hora."),
    ("es", "Factura de Mente Autónoma", "Nos llegó la factura de marzo por el servicio y el monto no coincide con el contrato."),
    ("es", "Renovación de contrato", """Estimados,

Junto con saludar, les escribo porque nuestro contrato anual vence a fin de mes y quisiéramos
evaluar el cambio al plan premium. ¿Podrían enviarnos una cotización para 25 usuarios y
contarnos qué incluye el soporte 24/7? También nos interesa saber si la capacitación para
nuevos empleados tiene costo adicional y cuándo podríamos agendar una reunión con el
ejecutivo comercial.

Quedo atenta a sus comentarios.
Saludos cordiales,
Francisca Muñoz
Gerente de Operaciones"""),
    ("en", "Office hours", "Hello, what are your office hours?"),
    ("en", "", "The quick brown fox jumps over the lazy dog while the sun sets behind the hills."),
    ("en", "Pricing", "Could you send me a quote for the premium plan for 25 seats? Thanks."),
    ("en", "Meeting", "Can we schedule a call next Tuesday to talk about renewing our contract?"),
    ("en", "", "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua."),
    ("en", "Weather", "It rained all weekend in Santiago, so we stayed home and watched movies."),
    ("en", "Invoice from you", "We received your invoice for March but the amount is higher than the contract says. Please check."),
    ("en", "Thank you", "Thanks a lot, the issue is solved now. Have a nice day!"),
    ("en", "Introduction", """Dear team,

My name is Paul and I recently joined the finance department at Andes Logistics. My manager
asked me to introduce myself, since I will be your main contact for contract and billing
matters from now on. I am based in our Valparaíso office and usually available in the
mornings. Looking forward to working with you.

Kind regards,
Paul Smith"""),
]


@pytest.mark.parametrize("slug,language,subject,text", RELEVANT, ids=[r[2][:30] for r in RELEVANT])
def test_relevant_mail_gets_its_article_first(kb, slug, language, subject, text):
    suggestions = kb.suggest(subject, text, language)
    assert suggestions, "no suggestion at all"
    assert suggestions[0].article.slug == slug
    assert all(s.article.language == language for s in suggestions)
    assert all(isinstance(s, Suggestion) and s.score >= DEFAULT_MIN_SCORE for s in suggestions)
    assert list(s.score for s in suggestions) == sorted((s.score for s in suggestions), reverse=True)


@pytest.mark.parametrize("language,subject,text", UNRELATED, ids=[(u[1] or u[2])[:30] for u in UNRELATED])
def test_unrelated_mail_gets_nothing(kb, language, subject, text):
    assert kb.suggest(subject, text, language) == ()
    assert kb.suggest(subject, text, "en" if language == "es" else "es") == ()


def test_office_hours_question_gets_nothing_although_an_article_says_horario(kb):
    # "horario" really is in the slowness article's body: a body-only word is not enough
    slowness = next(a for a in kb.articles if a.slug == "lentitud-del-sistema")
    assert "horario" in slowness.body
    assert kb.suggest("", "Hola, ¿cuál es el horario de atención?", "es") == ()


def test_threshold_margin(kb):
    """DEFAULT_MIN_SCORE lies well inside the gap between relevant and unrelated mail.

    Unrelated mail is scored with min_score=0, so only the threshold stands between it
    and a suggestion: if some of it passes there, the threshold is doing real work.
    """
    relevant = []
    for slug, _language, subject, text in RELEVANT:
        right = next(e for e in kb.explain(subject, text, 0.0) if e.article.slug == slug)
        assert right.passes
        relevant.append(right.score)
    unrelated = [0.0]
    for _language, subject, text in UNRELATED:
        unrelated += [e.score for e in kb.explain(subject, text, 0.0) if e.passes]
    assert max(unrelated) > 0, "the threshold is never exercised by the unrelated table"
    assert min(relevant) >= DEFAULT_MIN_SCORE * 1.25, sorted(relevant)[:3]
    assert max(unrelated) <= DEFAULT_MIN_SCORE / 1.25, sorted(unrelated)[-3:]


def test_min_score_zero_lets_a_recipe_through(kb):
    # the counterpart of the margin test: "fuego lento" in a recipe matches the keyword "lento"
    recipe = "Para la cazuela se necesita zapallo, choclo, papas y carne. Se cocina a fuego lento durante una hora."
    assert [s.article.slug for s in kb.suggest("Receta", recipe, "es", min_score=0.0)] == ["lentitud-del-sistema"]


def test_accent_case_and_plural_folding(kb):
    assert tokenize("Facturas ELECTRÓNICAS") == tokenize("factura electronica") == ["factur", "electronic"]
    assert tokenize("Reportes") == tokenize("reports") == tokenize("reporte") == ["report"]
    assert tokenize("errores") == tokenize("Error") == ["error"]
    assert tokenize("Contraseñas") == tokenize("contrasena")
    for subject in ("FACTURAS ELECTRONICAS CON ERROR 500", "facturas electrónicas con error 500", "Factura electrónica: errores 500"):
        suggestions = kb.suggest(subject, "", "es")
        assert [s.article.slug for s in suggestions][:1] == ["error-500-factura-electronica-sii"], subject


def test_tokenize_drops_stopwords_courtesies_urls_and_addresses():
    text = "Hola, buenos días. Escríbanme a juan.perez@example.cl o vean https://example.cl/facturas. Saludos!"
    assert tokenize(text) == ["escribanm", "vean"]
    assert tokenize("Hi team, thanks a lot for your help! Best regards") == []


def test_language_preference(kb):
    # a bilingual mail matches both password articles; each customer gets only their language's
    subject, text = "Forgot password / olvidé mi contraseña", "I cannot log in. No puedo iniciar sesión, ¿cómo restablezco la contraseña?"
    explained = {e.article.slug: e for e in kb.explain(subject, text)}
    assert explained["reset-password"].passes and explained["restablecer-contrasena"].passes  # the premise
    assert [s.article.slug for s in kb.suggest(subject, text, "es")] == ["restablecer-contrasena"]
    assert [s.article.slug for s in kb.suggest(subject, text, "en")] == ["reset-password"]


def test_fallback_to_the_other_language_when_nothing_passes_in_the_customers(kb):
    # "password" alone is one matched word: the English article does not pass, the Spanish one does
    mixed = kb.suggest("Olvidé mi contraseña", "No puedo iniciar sesión, ¿cómo restablezco mi password?", "en")
    assert [s.article.slug for s in mixed] == ["restablecer-contrasena"]


def test_other_language_only_when_none_in_the_customers_language_passes(kb):
    # there is no Spanish article about bug reports: the English one is offered
    suggestions = kb.suggest("Reportar un bug", "¿Qué debo incluir al reportar un bug? ¿Capturas de pantalla y logs?", "es")
    assert [s.article.slug for s in suggestions] == ["good-bug-report"]


def _article(slug, language, title, keywords, body):
    return Article(slug, title, language, tuple(keywords), f"https://ayuda.menteautonoma.cl/articulos/{slug}", body)


def test_same_language_wins_even_when_the_other_scores_higher():
    es = _article("caja-es", "es", "Cierre de caja", ["cierre de caja", "caja"], "Cómo hacer el cierre de caja diario de la sucursal.")
    en = _article(
        "caja-en", "en", "Cierre de caja (cash register closing)", ["cierre de caja", "caja", "cuadratura"],
        "Cierre de caja: cuadratura de caja, cierre de caja diario, caja chica y caja de la sucursal.",
    )
    kb = KnowledgeBase(load_articles(KB_DIR) + (es, en))  # among real articles, so IDF means something
    explained = {e.article.slug: e for e in kb.explain("Cierre de caja", "Problema con la cuadratura de la caja")}
    assert explained["caja-en"].score > explained["caja-es"].score  # the premise
    assert [s.article.slug for s in kb.suggest("Cierre de caja", "Problema con la cuadratura de la caja", "es")] == ["caja-es"]
    assert [s.article.slug for s in kb.suggest("Cierre de caja", "Problema con la cuadratura de la caja", "en")] == ["caja-en"]


def test_limit_and_relative_cutoff():
    articles = [
        _article(f"impresora-{i}", "es", f"Impresora {i}", ["impresora", "boleta"], "La impresora de boletas no imprime. " + "relleno " * (10 * i))
        for i in range(1, 6)
    ]
    kb = KnowledgeBase(load_articles(KB_DIR) + tuple(articles))
    assert len(kb.explain("Impresora", "La impresora de boletas no imprime", 0.0)) == 15
    three = kb.suggest("Impresora", "La impresora de boletas no imprime", "es")
    assert len(three) == 3
    assert [s.article.slug for s in kb.suggest("Impresora", "La impresora de boletas no imprime", "es", limit=1)] == [three[0].article.slug]
    assert kb.suggest("Impresora", "La impresora de boletas no imprime", "es", limit=0) == ()
    assert all(s.score >= three[0].score * kb_module.RELATIVE_CUTOFF for s in three)


def test_relative_cutoff_drops_a_weak_second_suggestion(kb):
    # the long invoice mail says "otro usuario" once: the users article passes the absolute
    # threshold, but scores under 70 % of the invoice article, so it is not sent
    slug, language, subject, text = next(r for r in RELEVANT if r[2] == "Problema urgente")
    explained = {e.article.slug: e for e in kb.explain(subject, text)}
    first, weak = explained[slug], explained["agregar-usuarios-permisos"]
    assert weak.passes and weak.score < first.score * kb_module.RELATIVE_CUTOFF  # the premise
    assert [s.article.slug for s in kb.suggest(subject, text, language)] == [slug]


def test_title_and_keywords_weigh_more_than_the_body():
    in_title = _article("a", "es", "Conciliación bancaria", ["conciliación bancaria"], "Cómo cuadrar los movimientos del banco. " * 3)
    in_body = _article(
        "b", "es", "Cartola del banco", ["cartola", "conciliación bancaria"],
        "Descarga la cartola. La conciliación bancaria se hace en otro módulo. " * 3,
    )
    ranking = [e.article.slug for e in KnowledgeBase([in_title, in_body]).explain("Conciliación bancaria", "")]
    assert ranking == ["a", "b"]


def test_bm25_numbers():
    # one article, one query word: score = idf * tf(k1+1) / (tf + k1) with dl = avgdl, tf = 2 (title ×2)
    kb = KnowledgeBase([_article("x", "es", "Inventario", ["bodega"], "Sin relación.")])
    [e] = kb.explain("inventario", "")
    idf = math.log(1 + (1 - 1 + 0.5) / (1 + 0.5))
    assert e.raw == pytest.approx(2 * idf * 2 * 2.5 / (2 + 1.5))  # subject words weigh 2
    assert e.score == pytest.approx(e.raw)  # one query word: normaliser sqrt(1)


def test_empty_knowledge_base_and_empty_query(kb):
    assert KnowledgeBase([]).suggest("Error 500 al emitir factura", "", "es") == ()
    assert kb.suggest("", "", "es") == ()
    assert kb.suggest("   ", "¿?!", "en") == ()


# ============================================================ front matter

GOOD = """---
title: Cierre de caja
language: es
keywords: [cierre de caja, "caja, chica", 'cuadratura']
url: https://ayuda.menteautonoma.cl/articulos/cierre-de-caja
---

Texto del artículo.
"""


def test_parse_good_article_and_keyword_forms():
    article = parse_article(GOOD, "cierre-de-caja")
    assert article == Article(
        slug="cierre-de-caja",
        title="Cierre de caja",
        language="es",
        keywords=("cierre de caja", "caja, chica", "cuadratura"),
        url="https://ayuda.menteautonoma.cl/articulos/cierre-de-caja",
        body="Texto del artículo.",
    )
    as_string = GOOD.replace("""[cierre de caja, "caja, chica", 'cuadratura']""", "cierre de caja, cuadratura")
    assert parse_article(as_string, "cierre-de-caja").keywords == ("cierre de caja", "cuadratura")
    quoted = GOOD.replace("title: Cierre de caja", 'title: "Cierre: de caja"').replace("keywords: [", "# a comment\n\nkeywords: [")
    assert parse_article(quoted, "cierre-de-caja").title == "Cierre: de caja"
    assert parse_article(GOOD.replace("\n", "\r\n"), "cierre-de-caja").keywords[0] == "cierre de caja"
    assert parse_article("\ufeff" + GOOD, "cierre-de-caja").title == "Cierre de caja"
    assert parse_article(GOOD.replace("keywords: [cierre de caja, \"caja, chica\", 'cuadratura']", "keywords: []"), "cierre-de-caja").keywords == ()


BAD = [
    # (text, line, words in the message)
    (GOOD.replace("---\ntitle", "title", 1), 1, "expected '---'"),
    (GOOD.replace("---\n\nTexto", "\nTexto"), 1, "never closed"),
    (GOOD.replace("title: Cierre de caja", "titel: Cierre de caja"), 2, "unknown key 'titel'"),
    (GOOD.replace("language: es", "language: es\ntitle: Otra vez"), 4, "duplicate key 'title' (first given on line 2)"),
    (GOOD.replace("language: es", "language: pt"), 3, "language must be one of es, en"),
    (GOOD.replace("url: https://ayuda", "url: ayuda"), 5, "absolute http(s) URL"),
    (GOOD.replace("title: Cierre de caja", 'title: "Cierre de caja'), 2, "unbalanced quote"),
    (GOOD.replace("language: es", "language: es\n  - nested"), 4, "indented line"),
    (GOOD.replace("language: es", "language es"), 3, "expected 'key: value'"),
    (GOOD.replace("language: es", "language:"), 3, "empty value for 'language'"),
    (GOOD.replace("url: https://ayuda.menteautonoma.cl/articulos/cierre-de-caja\n", ""), 5, "missing key 'url'"),
    (GOOD.replace("keywords: [cierre de caja,", "keywords: [cierre de caja,,"), 4, "empty item"),
    (GOOD.replace("'cuadratura']", "'cuadratura'"), 4, "not closed with ']'"),
    (GOOD.replace("\"caja, chica\"", "[caja]"), 4, "nested lists"),
    (GOOD.replace("\nTexto del artículo.\n", "\n   \n"), 7, "body is empty"),
]


@pytest.mark.parametrize("text,line,words", BAD, ids=[b[2] for b in BAD])
def test_bad_front_matter_names_file_and_line(tmp_path, text, line, words):
    (tmp_path / "cierre-de-caja.md").write_text(text, encoding="utf-8")
    with pytest.raises(KbError) as caught:
        load_articles(tmp_path)
    message = str(caught.value)
    assert f"cierre-de-caja.md:{line}: " in message, message
    assert words in message
    [problem] = caught.value.problems
    assert problem.line == line and problem.path.endswith("cierre-de-caja.md")


def test_every_bad_file_is_reported_at_once_and_others_are_skipped(tmp_path):
    (tmp_path / "bueno.md").write_text(GOOD.replace("cierre-de-caja", "bueno"), encoding="utf-8")
    (tmp_path / "malo-uno.md").write_text(GOOD.replace("language: es", "language: fr"), encoding="utf-8")
    (tmp_path / "malo-dos.md").write_text("sin front matter\n", encoding="utf-8")
    (tmp_path / "Mal_Nombre.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "binario.md").write_bytes(GOOD.encode() + b"\n\xff\xfe")
    (tmp_path / "notas.txt").write_text("not an article", encoding="utf-8")
    (tmp_path / ".borrador.md").write_text("not an article either", encoding="utf-8")
    (tmp_path / "subcarpeta.md").mkdir()
    with pytest.raises(KbError) as caught:
        load_articles(tmp_path)
    found = {Path(p.path).name: p for p in caught.value.problems}
    assert set(found) == {"malo-uno.md", "malo-dos.md", "Mal_Nombre.md", "binario.md"}
    assert found["malo-uno.md"].line == 3
    assert found["malo-dos.md"].line == 1
    assert found["Mal_Nombre.md"].line is None and "slug" in found["Mal_Nombre.md"].message
    assert found["binario.md"].line == 10 and "UTF-8" in found["binario.md"].message
    assert str(caught.value).startswith("4 problems in the knowledge base:")


def test_non_articles_are_skipped(tmp_path):
    (tmp_path / "bueno.md").write_text(GOOD.replace("cierre-de-caja", "bueno"), encoding="utf-8")
    (tmp_path / "notas.txt").write_text("not an article", encoding="utf-8")
    (tmp_path / ".bueno.md.swp").write_text("x", encoding="utf-8")
    (tmp_path / ".otro.md").write_text("x", encoding="utf-8")
    assert [a.slug for a in load_articles(tmp_path)] == ["bueno"]


def test_duplicate_url_and_missing_folder(tmp_path):
    (tmp_path / "uno.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "dos.md").write_text(GOOD, encoding="utf-8")
    with pytest.raises(KbError, match=r"uno\.md: url https://\S+ is also used by dos\.md"):
        load_articles(tmp_path)
    with pytest.raises(KbError, match="not found"):
        load_articles(tmp_path / "no-existe")


def test_parse_article_error_names_the_source():
    with pytest.raises(KbError, match=r"^articulo\.md:3: language must be"):
        parse_article(GOOD.replace("language: es", "language: ES"), "articulo", source="articulo.md")


# ============================================================ purity
