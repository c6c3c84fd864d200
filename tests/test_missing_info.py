"""What a problem report lacks: steps to reproduce, screenshots, logs (seed: "Información requerida")."""

import time

import pytest

from mailbot.domain import Severity
from mailbot.missing_info import CODES, missing_information

ALL = ("steps", "screenshots", "logs")

BARE_ES = """Hola,

Desde esta mañana no podemos emitir facturas, el sistema muestra un error y no deja continuar.
Por favor revisen con urgencia.

Saludos,
Marcela Soto"""

COMPLETE_ES = """Hola equipo,

Al emitir una factura electrónica aparece "Error 500".

Pasos para reproducir:
1. Entro a Ventas › Nueva factura.
2. Selecciono el cliente Comercial Andes SpA y agrego dos productos.
3. Presiono "Emitir" y aparece el error.

Adjunto captura de pantalla y el log que exportamos del navegador.
Saludos,
Marcela"""

COMPLETE_EN = """Hi,

The export to Excel fails for the sales report since this morning.

Steps to reproduce:
- Open Reports
- Pick "Sales by period", last month
- Click Export > Excel

Console output:
2024-05-02 14:03:11,482 ERROR [export-worker-3] ReportExportService - export failed
java.lang.IllegalStateException: workbook already closed
    at cl.menteautonoma.reports.XlsxWriter.flush(XlsxWriter.java:88)
    at cl.menteautonoma.reports.ReportExportService.run(ReportExportService.java:142)

Screenshot attached.
Thanks, John"""


# ------------------------------------------------------------------ severity


@pytest.mark.parametrize("severity", ["general", "GENERAL", Severity.GENERAL, "", "unknown"])
def test_general_questions_are_not_asked_for_anything(severity):
    assert missing_information(severity, "¿Cuánto cuesta el plan premium? ¿Incluye capacitación?", [], []) == ()


@pytest.mark.parametrize("severity", ["critical", "important", "Important", Severity.CRITICAL, Severity.IMPORTANT])
def test_problem_reports_are_asked(severity):
    assert missing_information(severity, BARE_ES, [], []) == ALL


def test_codes_come_in_the_policys_order():
    assert CODES == ALL
    assert missing_information("important", "", [], []) == ALL


# ------------------------------------------------------------------ complete reports


def test_complete_spanish_report_lacks_nothing():
    assert missing_information("important", COMPLETE_ES, ["captura.png", "consola.log"], ["image/png", "text/plain"]) == ()


def test_complete_english_report_with_pasted_log_lacks_nothing():
    assert missing_information("critical", COMPLETE_EN, ["Screenshot 2024-05-02 at 14.05.22.png"], ["image/png"]) == ()


def test_each_piece_counts_on_its_own():
    assert missing_information("important", COMPLETE_ES, [], []) == ("screenshots", "logs")
    assert missing_information("important", BARE_ES, ["captura.png"], ["image/png"]) == ("steps", "logs")
    assert missing_information("important", BARE_ES, ["servidor.log"], ["application/octet-stream"]) == ("steps", "screenshots")
    assert missing_information("critical", COMPLETE_EN, [], []) == ("screenshots",)


# ------------------------------------------------------------------ screenshots


@pytest.mark.parametrize(
    "name,ctype",
    [
        ("captura.png", "image/png"),
        ("IMG_20240502_140311.JPG", "application/octet-stream"),  # phone photo, generic type
        ("", "image/jpeg"),  # no file name
        ("pantalla", "image/png; name=pantalla"),  # type with parameters
        ("image001.png", "image/png"),  # Outlook's name for a pasted screenshot (and for logos)
        ("grabacion-pantalla.mp4", "video/mp4"),
        ("Screen Recording 2024-05-02.mov", ""),
        ("error.webp", ""),
    ],
)
def test_image_or_video_attachment_is_a_screenshot(name, ctype):
    assert "screenshots" not in missing_information("important", BARE_ES, [name], [ctype])


@pytest.mark.parametrize(
    "name,ctype",
    [("factura.pdf", "application/pdf"), ("reporte.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("png", "")],
)
def test_other_attachments_are_not_screenshots(name, ctype):
    assert "screenshots" in missing_information("important", BARE_ES, [name], [ctype])


def test_a_link_to_a_recording_counts_as_a_screenshot():
    text = BARE_ES + "\nGrabé el error acá: https://www.loom.com/share/3f2a9c1e8b7d4e5f"
    assert "screenshots" not in missing_information("important", text, [], [])
    text = BARE_ES + "\nCaptura: https://i.imgur.com/abc123.png"
    assert "screenshots" not in missing_information("important", text, [], [])
    # a link to our own help page is not a screenshot
    text = BARE_ES + "\nSeguí https://ayuda.menteautonoma.cl/articulos/error-500-factura-electronica-sii"
    assert "screenshots" in missing_information("important", text, [], [])


# ------------------------------------------------------------------ logs


@pytest.mark.parametrize(
    "name,ctype",
    [
        ("servidor.log", "application/octet-stream"),
        ("server.log.1", ""),  # rotated
        ("app.log.gz", "application/gzip"),
        ("logs-2024-05-02.zip", "application/x-zip-compressed"),
        ("consola.txt", ""),
        ("network.har", "application/json"),
        ("salida", "text/plain"),
        ("respaldo.tar.gz", ""),
    ],
)
def test_log_like_attachment_counts_as_logs(name, ctype):
    assert "logs" not in missing_information("important", BARE_ES, [name], [ctype])


@pytest.mark.parametrize(
    "pasted",
    [
        "2024-05-02 14:03:11,482 ERROR [main] c.m.f.FacturaService - No se pudo firmar el DTE",
        "[2024-05-02T14:03:11Z] WARN sync: retrying after 429",
        "02/05/2024 14:03 FATAL conexión rechazada por el SII",
        "May  2 14:03:11 erp01 sync-agent[2231]: ERROR webhook delivery failed",
        'Traceback (most recent call last):\n  File "sync.py", line 42, in <module>\n    main()\nKeyError: \'rut\'',
        "    at com.softland.sync.Client.post(Client.java:118)",
        "Uncaught TypeError: Cannot read properties of undefined (reading 'id')",
        "System.NullReferenceException: Object reference not set to an instance of an object.",
        "HTTP/1.1 500 Internal Server Error",
    ],
)
def test_log_lines_in_the_text_count_as_logs(pasted):
    text = BARE_ES + "\n\nEsto es lo que aparece:\n" + pasted + "\n"
    assert "logs" not in missing_information("important", text, [], [])


@pytest.mark.parametrize(
    "text",
    [
        "El 02/05/2024 a las 14:03 me salió un error al emitir la factura.",  # a time, but not a log line
        "Error: no puedo emitir facturas desde ayer.",
        "Aparece error 500 y después la pantalla queda en blanco.",
        "Adjunto los logs.",  # promised, but nothing attached
        "The system throws an exception when I export.",
        "ERROR AL EMITIR FACTURA, URGENTE",
    ],
)
def test_talking_about_errors_is_not_a_log(text):
    assert "logs" in missing_information("important", text, [], [])


# ------------------------------------------------------------------ steps


@pytest.mark.parametrize(
    "text",
    [
        "1) Entro a Reportes\n2) Elijo Ventas por período\n3) Presiono Exportar y aparece el error",
        "1.Entro a Reportes\n2.Presiono Exportar",
        "Paso 1: abrir la factura pendiente.",
        "Pasos para reproducir: abrir la factura pendiente y presionar Emitir.",
        "Para reproducirlo: abrir cualquier factura y presionar Emitir.",
        "Primero entro a Ventas, luego selecciono el cliente y al presionar Emitir aparece el error.",
        "Entro a Ventas, luego elijo el cliente y después de presionar Emitir sale el error.",
        "- Entro a Configuración\n- Abro Usuarios\n- Presiono Invitar y no pasa nada",
        "• Abro el reporte\n• Filtro por sucursal\n• Exporto a Excel",
        "En Ventas > Documentos emitidos > Reenviar al SII aparece el error.",
        "Steps to reproduce: open any invoice and click Issue.",
        "Step 2 fails: the webhook is never called.",
        "First I open the invoice, then I click Issue and the page goes blank.",
        "Repro steps are the same as last week.",
    ],
)
def test_stepwise_text_counts_as_steps(text):
    assert "steps" not in missing_information("important", text, [], [])


@pytest.mark.parametrize(
    "text",
    [
        BARE_ES,
        "No sé qué pasó, pero ya no puedo entrar al sistema.",  # "pasó" is not "paso"
        "Después de la actualización el sistema está muy lento.",  # one "después de", not a sequence
        "1. ¿Por qué no puedo emitir?\n2. ¿Cuándo lo arreglan?",  # numbered questions
        "La carga tarda 1.5 segundos más que antes.\n2.5 segundos en la tarde.",
        "Llámenme al +56 9 1234 5678 por favor.",
        "2024-05-02 14:03:11 ERROR export failed\n2024-05-02 14:03:12 ERROR export failed",  # log lines are not steps
        "The export fails since yesterday. Please fix it asap.",
        "> 1. Entro a Ventas\n> 2. Presiono Emitir\nSigue pasando lo mismo.",  # quoted history is ignored
    ],
)
def test_non_stepwise_text_lacks_steps(text):
    assert "steps" in missing_information("important", text, [], [])


# ------------------------------------------------------------------ shapes of input


def test_names_and_types_of_different_lengths():
    assert missing_information("important", BARE_ES, ["captura.png", "app.log"], ["image/png"]) == ("steps",)
    assert missing_information("important", BARE_ES, [], ["image/png", "text/plain"]) == ("steps",)
    assert missing_information("important", BARE_ES, ("a.pdf",), ()) == ALL


def test_hostile_input_is_bounded_and_fast():
    huge = "a" * 2_000_000 + " > b " * 10_000
    lines = "x > y\n" * 200_000
    started = time.perf_counter()
    assert missing_information("critical", huge, [], []) == ALL
    missing_information("critical", lines, [], [])
    assert time.perf_counter() - started < 2.0
