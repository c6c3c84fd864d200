import threading
import time

import pytest

import mailbot.classify as classify_module
from mailbot.classify import (
    DEFAULT_SEVERITY_RULES,
    SeverityRule,
    classify_severity,
    detect_language,
    fold,
    level_for,
)
from mailbot.domain import Severity

# ------------------------------------------------------------------ language

SPANISH = [
    ("No puedo iniciar sesión", "Hola, desde esta mañana no puedo entrar al sistema con mi usuario."),
    ("Consulta sobre facturación", "Buenas tardes, quería saber cómo descargar las facturas del mes pasado."),
    ("Error al exportar", "Al exportar el reporte a Excel aparece un mensaje de error."),
    ("", "El sistema está muy lento desde ayer, ¿pueden revisarlo?"),
    ("Re: [MA-000123] Problema con la API", "Adjunto los logs que me pidieron. Saludos cordiales."),
    ("Urgente", "Se cayó la plataforma y no podemos vender."),
    ("Capacitación", "¿Tienen disponibilidad para una capacitación para nuevos empleados la próxima semana?"),
    ("Cambio de contraseña", "Necesito restablecer la contraseña de un usuario que ya no recuerda la suya."),
    ("Integración con SAP", "La sincronización con SAP falla de forma intermitente."),
    ("Solicitud de información", "Me gustaría recibir información sobre el plan premium."),
    ("Backup", "¿Cada cuánto tiempo se respaldan los datos de nuestra cuenta?"),
    ("Dashboard", "El dashboard no muestra las métricas de ayer, quedó en blanco."),
    ("", "Gracias por la ayuda, ya quedó funcionando."),
    ("Usuarios nuevos", "Cómo agrego usuarios nuevos a mi organización?"),
    ("Deploy", "El deploy de anoche rompió el login en producción."),
    ("Reporte mensual", "No me llegó el reporte mensual de uso por correo."),
    ("Permisos", "Un colaborador no puede ver los proyectos de su equipo."),
    ("Configuración de correo", "Quisiera configurar las notificaciones para que lleguen a otra dirección."),
    ("Pérdida de datos", "Desaparecieron todos los registros de clientes de la base de datos."),
    ("Hola", "Estimados, junto con saludar, les escribo para consultar por el estado de mi ticket."),
    ("Fwd: Factura", "Les reenvío la factura con el monto incorrecto, por favor revisar."),
    ("Problema", "La app del celular se cierra sola cuando abro el menú de pedidos."),
]

ENGLISH = [
    ("Cannot log in", "Hi, since this morning I cannot log in to the system with my user."),
    ("Billing question", "Good afternoon, I would like to know how to download last month's invoices."),
    ("Export error", "When exporting the report to Excel an error message appears."),
    ("", "The system has been very slow since yesterday, could you take a look?"),
    ("Re: [MA-000123] API problem", "Attached are the logs you asked for. Best regards."),
    ("Urgent", "The platform is down and we cannot sell anything."),
    ("Training", "Do you have availability for a training session for new employees next week?"),
    ("Password reset", "I need to reset the password of a user who forgot theirs."),
    ("SAP integration", "The sync with SAP fails intermittently."),
    ("Information request", "I would like to receive information about the premium plan."),
    ("Backup", "How often is the data in our account backed up?"),
    ("Dashboard", "The dashboard does not show yesterday's metrics, it is blank."),
    ("", "Thanks for the help, it is working now."),
    ("New users", "How do I add new users to my organisation?"),
    ("Deploy", "Last night's deploy broke the login in production."),
    ("Monthly report", "I did not receive the monthly usage report by email."),
    ("Permissions", "A colleague cannot see his team's projects."),
    ("Email settings", "I would like to set up notifications so they go to another address."),
    ("Data loss", "All customer records disappeared from the database."),
    ("Hello", "Dear team, I am writing to ask about the status of my ticket."),
    ("Fwd: Invoice", "Forwarding the invoice with the wrong amount, please check."),
    ("Problem", "The mobile app closes by itself when I open the orders menu."),
]


@pytest.mark.parametrize(("subject", "text"), SPANISH)
def test_spanish_messages(subject, text):
    assert detect_language(subject, text) == "es"
    # a remembered English preference does not override a clearly Spanish message
    assert detect_language(subject, text, preferred="en") == "es"


@pytest.mark.parametrize(("subject", "text"), ENGLISH)
def test_english_messages(subject, text):
    assert detect_language(subject, text) == "en"
    assert detect_language(subject, text, preferred="es") == "en"


def test_enough_sentences_of_each_language():
    assert len(SPANISH) >= 20 and len(ENGLISH) >= 20


@pytest.mark.parametrize(
    ("header", "expected"),
    [("es", "es"), ("es-CL", "es"), ("ES-cl", "es"), ("en", "en"), ("en-US", "en"), ("en-GB, en", "en"),
     ("es_CL", "es")],
)
def test_content_language_header_wins(header, expected):
    # the body says the opposite; a clear header is trusted
    other = "This is a message written in English about an invoice." if expected == "es" else (
        "Este es un mensaje escrito en español sobre una factura."
    )
    assert detect_language("", other, content_language=header) == expected


@pytest.mark.parametrize("header", ["es, en", "fr", "de-DE", "en, fr", ""])
def test_unclear_content_language_falls_through_to_the_text(header):
    assert detect_language("", "Hola, necesito ayuda con la configuración de mi cuenta.", header) == "es"
    assert detect_language("", "Hello, I need help with the configuration of my account.", header) == "en"


def test_short_messages_use_the_preference_then_spanish():
    assert detect_language("Ok", "gracias", preferred="en") == "en"
    assert detect_language("Ok", "thanks", preferred="es") == "es"
    assert detect_language("Ok", "thanks") == "es"
    assert detect_language("", "") == "es"
    assert detect_language("", "", preferred="en-US") == "en"
    assert detect_language("", "", preferred="fr") == "es"
    assert detect_language("Re: [MA-000001]", "", preferred="en") == "en"


def test_quoted_text_is_ignored():
    text = (
        "Perfecto, muchas gracias por la ayuda.\n\n"
        "> On Monday the support team wrote:\n"
        "> Hello, we have fixed the problem with your invoices and the report.\n"
        "> Please let us know if there is anything else we can help you with today.\n"
    )
    assert detect_language("Re: invoices", text) == "es"


def test_identifier_is_built_once_across_threads(monkeypatch):
    from py3langid.langid import LanguageIdentifier

    monkeypatch.setattr(classify_module, "_identifier", None)
    original = LanguageIdentifier.from_model_file.__func__
    calls = []

    def slow_counting_load(cls, *args, **kwargs):
        calls.append(1)
        time.sleep(0.05)  # widen the window in which a racing thread could load again
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(LanguageIdentifier, "from_model_file", classmethod(slow_counting_load))
    results = []

    def worker():
        results.append(classify_module._get_identifier())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len({id(r) for r in results}) == 1
    assert sorted(set(results[0].nb_classes)) == ["en", "es"]


# ------------------------------------------------------------------ severity


@pytest.mark.parametrize(
    ("subject", "text", "rule"),
    [
        ("Sistema CAÍDO", "Desde las 8:00 no funciona nada.", "critical.system-down"),
        ("", "La plataforma está caída y los clientes no pueden comprar.", "critical.system-down"),
        ("Urgente", "Se nos cayó el servidor de producción.", "critical.system-down"),
        ("", "El sistema está completamente inoperativo.", "critical.system-down"),
        ("", "Tenemos una pérdida de datos en la tabla de clientes.", "critical.data-loss"),
        ("Brecha de seguridad", "Detectamos accesos extraños.", "critical.security"),
        ("", "Creo que nos hackearon la cuenta de administrador.", "critical.security"),
        ("", "Un servidor fue afectado por RANSOMWARE.", "critical.security"),
        ("", "No podemos operar desde esta mañana.", "critical.business-stopped"),
        ("URGENT: production is down", "", "critical.system-down"),
        ("", "The server is down since 3am.", "critical.system-down"),
        ("", "It’s down again.", "critical.system-down"),
        ("", "We are seeing a major outage affecting all users.", "critical.system-down"),
        ("", "The portal is not working at all.", "critical.system-down"),
        ("", "We suffered data loss after the update.", "critical.data-loss"),
        ("Security breach", "Someone accessed our admin panel.", "critical.security"),
        ("", "Our account was compromised yesterday.", "critical.security"),
    ],
)
def test_critical(subject, text, rule):
    severity, reasons = classify_severity(subject, text)
    assert severity is Severity.CRITICAL
    assert rule in reasons


@pytest.mark.parametrize(
    ("subject", "text", "rule"),
    [
        ("", "El sistema está muy lento desde ayer.", "important.slow"),
        ("Lentitud", "Los reportes tardan en generarse.", "important.slow"),
        ("", "Error al guardar la factura.", "important.error"),
        ("", "La integración con SAP no sincroniza.", "important.integration"),
        ("", "El servicio funciona de forma intermitente.", "important.degraded"),
        ("", "El rendimiento está degradado.", "important.degraded"),
        ("", "Hubo una caída de rendimiento en el módulo de reportes.", "important.degraded"),
        ("", "Tenemos una falla parcial en el módulo de pagos.", "important.partial"),
        ("", "No carga la página de reportes.", "important.partial"),
        ("", "The app is very slow today.", "important.slow"),
        ("", "Performance is degraded on the API.", "important.degraded"),
        ("", "Logins fail intermittently.", "important.degraded"),
        ("", "The Salesforce integration stopped syncing.", "important.integration"),
        ("", "I get an error when exporting to PDF.", "important.error"),
        ("", "The dashboard is partially broken.", "important.partial"),
        ("", "We had a partial outage yesterday.", "important.partial"),
    ],
)
def test_important(subject, text, rule):
    severity, reasons = classify_severity(subject, text)
    assert severity is Severity.IMPORTANT
    assert rule in reasons


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Consulta", "¿Cómo configuro mi firma en los correos?"),
        ("Capacitación", "Quisiéramos agendar una capacitación básica para el equipo."),
        ("Factura", "¿Me pueden reenviar la factura de octubre?"),
        ("Download", "How do I download the invoice as PDF?"),
        ("", "I can't download the monthly report, where is the button?"),
        ("", "There is a countdown on the screen, what does it mean?"),
        ("", "Please add an option to the drop-down menu."),
        ("", "We reached a compromise on the pricing, thanks."),
        ("Descargas", "¿Dónde encuentro las descargas del manual?"),
    ],
)
def test_general(subject, text):
    # General decisions list "default:general" first, then any rule that fired without
    # reaching a threshold (here: counter-evidence such as important.question).
    severity, reasons = classify_severity(subject, text)
    assert severity is Severity.GENERAL
    assert reasons[0] == "default:general"


def test_download_does_not_match_down():
    assert classify_severity("download", "downloads, downloaded, downloading, countdown, breakdown")[0] is (
        Severity.GENERAL
    )
    assert classify_severity("site down", "")[0] is Severity.CRITICAL


def test_accents_and_case_fold():
    for text in ("SISTEMA CAÍDO", "sistema caido", "Sistema Caído", "sistema caìdo"):
        assert classify_severity(text, "")[0] is Severity.CRITICAL, text
    for text in ("PÉRDIDA DE DATOS", "perdida de datos", "Pérdida De Datos"):
        assert classify_severity("", text) == (Severity.CRITICAL, ("critical.data-loss",)), text
    assert fold("Caído ÉXITO Ñandú") == "caido exito nandu"


def test_critical_wins_over_important_and_reasons_name_the_winning_rules():
    severity, reasons = classify_severity("Lentitud y ransomware", "El sistema está lento y caído.")
    assert severity is Severity.CRITICAL
    assert reasons == ("critical.system-down", "critical.security")


def test_forced():
    assert classify_severity("pregunta", "cómo exporto?", forced=Severity.CRITICAL) == (
        Severity.CRITICAL,
        ("forced:emergency-mailbox",),
    )
    assert classify_severity("", "", forced=Severity.IMPORTANT, forced_reason="agent") == (
        Severity.IMPORTANT,
        ("forced:agent",),
    )


def test_custom_rules():
    rules = (SeverityRule("important.factura", Severity.IMPORTANT, (r"\bfactura\b",)),)
    assert classify_severity("Factura", "", rules=rules) == (Severity.IMPORTANT, ("important.factura",))
    assert classify_severity("Sistema caído", "", rules=rules) == (Severity.GENERAL, ("default:general",))


def test_bad_rules_are_rejected_early():
    with pytest.raises(ValueError):
        SeverityRule("broken", Severity.CRITICAL, (r"(unclosed",))
    with pytest.raises(ValueError):
        SeverityRule("empty", Severity.CRITICAL, ())
    with pytest.raises(ValueError):
        SeverityRule("bogus", "urgent", (r"x",))  # type: ignore[arg-type]


def test_default_rules_are_ordered_critical_first_and_named_uniquely():
    severities = [rule.severity for rule in DEFAULT_SEVERITY_RULES]
    assert severities == sorted(severities, key=level_for, reverse=True)
    names = [rule.name for rule in DEFAULT_SEVERITY_RULES]
    assert len(names) == len(set(names))
    # patterns are applied to folded text: an accent or capital in a pattern never matches
    for rule in DEFAULT_SEVERITY_RULES:
        for pattern in rule.patterns:
            assert fold(pattern) == pattern, (rule.name, pattern)


def test_huge_message_is_fine():
    # a pasted multi-megabyte log: only a prefix is scanned, the subject always is
    text = "línea de log sin nada especial\n" * 100_000
    assert classify_severity("", text) == (Severity.GENERAL, ("default:general",))
    assert classify_severity("sistema caído", text)[0] is Severity.CRITICAL


def test_level_for():
    assert level_for(Severity.GENERAL) == 1
    assert level_for(Severity.IMPORTANT) == 2
    assert level_for(Severity.CRITICAL) == 3
    assert level_for("critical") == 3  # type: ignore[arg-type]
