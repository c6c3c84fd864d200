"""Writes the reply fixtures (one JSON file per case) in the shapes mail clients produce.

Run once to (re)create the generated cases: ``python tests/data/replies/_generate.py``.
It only writes files named ``gen-*.json``; hand-written cases (``hand-*.json``) are
never touched. Each case holds what the client sent (``text`` and/or ``html``), the
part the agent newly wrote (``expected_new_text``) and the quoted part as the reader
sees it (``quoted_text``, header block included), so the measuring test can tell a
kept new line from a leaked quoted one.

The markup follows what the clients really emit (Gmail's ``gmail_quote``/``gmail_attr``,
Outlook's Word ``MsoNormal`` paragraphs and the ``border-top:solid #E1E1E1 1.0pt`` rule,
Outlook on the web's ``appendonsend``/``divRplyFwdMsg``, Thunderbird's ``moz-cite-prefix``
and ``blockquote type="cite"``, Apple Mail's cite blockquote, Yahoo's ``yahoo_quoted``)
and their exact attribution wording in Spanish and English.
"""

from __future__ import annotations

import html as H
import json
from pathlib import Path

HERE = Path(__file__).parent

# ----------------------------------------------------------------------------- what was quoted
# Agents answer mailbot's notifications; customers answer agents' relayed replies. The
# notification footer quotes command examples, which must never come back as commands.
NOTIFY_ES = """[MA-000123] Nuevo ticket de María Pérez (Cliente Ltda., premium)
Severidad: importante · Estado: abierto · Nivel 2
Primera respuesta antes de: jue 26 nov 2026 12:15 (hora de Chile)

Mensaje del cliente:
Hola, desde esta mañana no podemos emitir facturas electrónicas.
El sistema muestra "Error 503 al firmar el documento" y no avanza.
Somos 12 usuarios afectados. ¿Pueden revisarlo con urgencia?
Saludos, María Pérez

Responda a este correo para contestar al cliente.
Comandos (uno por línea, al comienzo de su respuesta):
#estado abierto|esperando|resuelto|cerrado
#prioridad critica|importante|general
#interno (nota interna, no se envía al cliente)"""

NOTIFY_EN = """[MA-000245] New ticket from Peter Walsh (Northwind Ltd, basic)
Severity: general · Status: open · Level 1
First response due: Thu 26 Nov 2026 12:15 (Chile time)

Customer message:
Hi, the monthly sales report export has been stuck at 90% since yesterday.
We tried Chrome and Firefox with the same result.
Could you take a look before Friday's board meeting?
Thanks, Peter

Reply to this mail to answer the customer.
Commands (one per line, at the top of your reply):
#status open|waiting|resolved|closed
#severity critical|important|general
#internal (internal note, not sent to the customer)"""

CUSTOMER_ES = """Hola Juan,
Gracias por la respuesta. Les envié el archivo XML que pidieron ayer por la tarde.
Por favor confirmen si lo recibieron, porque seguimos sin poder facturar.
Quedo atenta,
María Pérez
Jefa de Administración - Cliente Ltda.
+56 2 2345 6789"""

CUSTOMER_EN = """Hello Anna,
The export still fails after clearing the cache as you suggested.
I attached a screenshot of the error dialog and the browser console log.
Is there any workaround we can use in the meantime?
Best regards,
Peter Walsh
Finance Manager | Northwind Ltd"""

QUESTIONS_ES = [
    ("¿Qué versión del sistema de facturación están usando?", "La 5.2.1, actualizada el lunes."),
    ("¿El error aparece con todos los usuarios o solo con algunos?", "Con todos, incluso con el administrador."),
    ("¿Pueden enviarnos el número de folio del último documento emitido?", "El folio es 48213."),
]
QUESTIONS_EN = [
    ("Which browser version are you using?", "Chrome 131 on Windows 11."),
    ("Does the problem happen with every report or only the monthly one?", "Only the monthly sales report."),
    ("Could you send us the exact time of the last failed export?", "Today at 09:42 Chile time."),
]

# ----------------------------------------------------------------------------- what agents write
AGENT_ES = [
    "Hola María:\n\nYa revisamos el problema: el certificado de firma del servidor había vencido.\nLo renovamos y la emisión de facturas debería funcionar de nuevo.\n\nSaludos,\nJuan Soto\nSoporte nivel 2",
    "#estado resuelto\nHola María, el certificado quedó renovado y las facturas salen bien.\nCualquier cosa nos escribe.\n\nJuan",
    "#estado esperando\nHola María:\nNecesitamos el archivo XML de la última factura rechazada para seguir.\n¿Nos lo puede adjuntar?\n\nGracias,\nJuan Soto",
    "#interno\nEl cliente tiene el certificado vencido desde el 20/11. Lo renuevo yo mañana temprano.",
    "#prioridad critica\n#estado abierto",
    "Recibido, lo reviso ahora mismo y le escribo en una hora.",
    "Hola María,\n\nAdjunto el instructivo para reinstalar el certificado.\nSon 5 pasos y no toma más de diez minutos.\n\nQuedo atento.\nJuan",
    "#asignar carla.munoz@example.cl\n#nivel 3\nCarla, te lo paso porque requiere acceso al servidor de firma.",
    "Estimada María:\nEl equipo de infraestructura está trabajando en el incidente.\nLe avisaremos apenas esté resuelto.\nAtte.\nJuan Soto",
    "#estado cerrado\nSe cierra por falta de respuesta del cliente.",
]
AGENT_EN = [
    "Hi Peter,\n\nWe found the cause: the export job ran out of memory on large months.\nWe raised the limit and re-ran your report, it is in your inbox now.\n\nBest,\nAnna Berg\nSupport, level 1",
    "#status resolved\nHi Peter, the report export works again. Let us know if anything else comes up.\n\nAnna",
    "#status waiting\nHi Peter,\nCould you send us the browser console log from the failed export?\n\nThanks,\nAnna",
    "#internal\nCustomer is on the old reporting cluster. Moving him tonight, no need to reply yet.",
    "#severity critical\n#status open",
    "Got it, looking into it now. I will get back to you within the hour.",
    "Hi Peter,\n\nAttached is the workaround: export by week and merge the files.\nIt takes a couple of minutes per month.\n\nKind regards,\nAnna",
    "#assign tom.reed@example.com\n#level 2\nTom, passing this one to you since it needs database access.",
]

SIG_ES = "Juan Soto\nSoporte nivel 2 | Example SpA\n+56 2 2987 6543"
SIG_EN = "Anna Berg\nSupport Engineer | Example Inc.\n+1 555 0100"

US_ES = ("Soporte Mailbot", "soporte+t8f3k2qz@example.cl")
US_EN = ("Mailbot Support", "support+t8f3k2qz@example.com")
CUST_ES = ("María Pérez", "maria.perez@cliente.cl")
CUST_EN = ("Peter Walsh", "peter.walsh@northwind.example")
AGENT_ADDR_ES = ("Juan Soto", "juan.soto@example.cl")
AGENT_ADDR_EN = ("Anna Berg", "anna.berg@example.com")


def esc(s: str) -> str:
    return H.escape(s, quote=False)


def quote_lines(text: str) -> str:
    return "\n".join(">" + (" " + line if line else "") for line in text.split("\n"))


# ----------------------------------------------------------------------------- HTML body styles
def html_gmail_body(text: str) -> str:
    return "".join(f"<div>{esc(line)}</div>" if line else "<div><br></div>" for line in text.split("\n"))


def html_outlook_body(text: str, lang: str = "ES-CL") -> str:
    return "".join(
        f'<p class="MsoNormal"><span lang="{lang}">{esc(line)}<o:p></o:p></span></p>'
        if line else '<p class="MsoNormal"><span lang="{0}"><o:p>&nbsp;</o:p></span></p>'.format(lang)
        for line in text.split("\n")
    )


def html_owa_body(text: str) -> str:
    style = 'class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);"'
    return "".join(f"<div {style}>{esc(line) if line else '<br>'}</div>" for line in text.split("\n"))


def html_paragraphs(text: str) -> str:
    paras = text.split("\n\n")
    return "".join("<p>" + "<br>\n".join(esc(line) for line in p.split("\n")) + "<br>\n</p>" for p in paras)


def html_apple_body(text: str) -> str:
    return "".join(f"<div>{esc(line)}</div>" if line else "<div><br></div>" for line in text.split("\n"))


def html_doc(body: str, head: str = "") -> str:
    return f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">{head}</head><body>{body}</body></html>'


WORD_HEAD = ('<meta name="Generator" content="Microsoft Word 15 (filtered medium)"><style><!--\n'
             '/* Style Definitions */\np.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{margin:0cm;font-size:11.0pt;'
             'font-family:"Calibri",sans-serif;}\n@page WordSection1\n\t{size:612.0pt 792.0pt;}\n'
             'div.WordSection1\n\t{page:WordSection1;}\n--></style>')

# ----------------------------------------------------------------------------- clients
cases: list[dict] = []


def add(name, client, language, shape, new, quoted, text="", html="", note=""):
    cases.append({
        "name": name, "client": client, "language": language, "shape": shape,
        "text": text, "html": html, "expected_new_text": new, "quoted_text": quoted, "note": note,
    })


def gmail(n, lang, new, orig, *, html_only=False, wrapped=False, signature=None):
    us = US_ES if lang == "es" else US_EN
    if lang == "es":
        attr = f"El jue, 26 nov 2026 a las 10:15, {us[0]} (<{us[1]}>) escribió:"
        attr_text = (f"El jue, 26 nov 2026 a las 10:15, {us[0]} (<{us[1]}>)\nescribió:" if wrapped else attr)
        attr_html = f'El jue, 26 nov 2026 a las 10:15, {us[0]} (&lt;<a href="mailto:{us[1]}">{us[1]}</a>&gt;) escribió:<br>'
    else:
        attr = f"On Thu, Nov 26, 2026 at 10:15 AM {us[0]} <{us[1]}> wrote:"
        attr_text = f"On Thu, Nov 26, 2026 at 10:15 AM {us[0]} <\n{us[1]}> wrote:" if wrapped else attr
        attr_html = f'On Thu, Nov 26, 2026 at 10:15 AM {us[0]} &lt;<a href="mailto:{us[1]}">{us[1]}</a>&gt; wrote:<br>'
    sig_text = f"\n\n-- \n{signature}" if signature else ""
    sig_html = (f'<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br>'
                f'<div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr">'
                + "<br>".join(esc(x) for x in signature.split("\n")) + "</div></div>") if signature else ""
    text = f"{new}{sig_text}\n\n{attr_text}\n\n{quote_lines(orig)}\n"
    html = (f'<div dir="ltr">{html_gmail_body(new)}{sig_html}</div><br><div class="gmail_quote gmail_quote_container">'
            f'<div dir="ltr" class="gmail_attr">{attr_html}</div><blockquote class="gmail_quote" style="margin:0px 0px 0px '
            f'0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">{html_gmail_body(orig)}</blockquote></div>\n')
    shape = "html-only" if html_only else ("top-posted, wrapped attribution" if wrapped else "top-posted")
    add(n, "gmail", lang, shape + (", signature" if signature else ""), new, attr + "\n" + orig,
        text="" if html_only else text, html=html)


def gmail_inline(n, lang):
    us = US_ES if lang == "es" else US_EN
    qa = QUESTIONS_ES if lang == "es" else QUESTIONS_EN
    intro = ("Hola Juan, respondo entre líneas:" if lang == "es" else "Hi Anna, answers inline:")
    opener = "Hola María:" if lang == "es" else "Hi Peter,"
    closing = "Saludos cordiales, Juan" if lang == "es" else "Kind regards, Anna"
    attr = (f"El jue, 26 nov 2026 a las 10:15, {us[0]} (<{us[1]}>) escribió:" if lang == "es"
            else f"On Thu, Nov 26, 2026 at 10:15 AM {us[0]} <{us[1]}> wrote:")
    text_parts, html_parts = [f"{intro}\n\n{attr}\n\n> {opener}\n>"], []
    for q, a in qa:
        text_parts.append(f"> {q}\n\n{a}\n")
        html_parts.append(f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
                          f'rgb(204,204,204);padding-left:1ex"><div>{esc(q)}</div></blockquote><div><br></div>'
                          f"<div>{esc(a)}</div><div><br></div>")
    text_parts.append(f"> {closing}\n")
    text = "\n".join(text_parts)
    html = (f'<div dir="ltr">{esc(intro)}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
            f"{esc(attr)}<br></div><blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;border-left:1px "
            f'solid rgb(204,204,204);padding-left:1ex"><div>{esc(opener)}</div></blockquote>'
            + "".join(html_parts) + f'<blockquote class="gmail_quote"><div>{esc(closing)}</div></blockquote></div>')
    new = intro + "\n" + "\n".join(a for _, a in qa)
    quoted = attr + "\n" + opener + "\n" + "\n".join(q for q, _ in qa) + "\n" + closing
    add(n, "gmail", lang, "inline answers", new, quoted, text=text, html=html)


def outlook_desktop(n, lang, new, orig, *, html_only=False, color="#E1E1E1", signature=None):
    us = US_ES if lang == "es" else US_EN
    me = AGENT_ADDR_ES if lang == "es" else AGENT_ADDR_EN
    subj = "[MA-000123] Nuevo ticket: no podemos emitir facturas" if lang == "es" else "[MA-000245] New ticket: report export stuck"
    if lang == "es":
        hdr = [("De", f"{us[0]} <{us[1]}>"), ("Enviado el", "jueves, 26 de noviembre de 2026 10:15"),
               ("Para", f"{me[0]} <{me[1]}>"), ("Asunto", subj)]
        wlang = "ES-CL"
    else:
        hdr = [("From", f"{us[0]} <{us[1]}>"), ("Sent", "Thursday, November 26, 2026 10:15 AM"),
               ("To", f"{me[0]} <{me[1]}>"), ("Subject", subj)]
        wlang = "EN-US"
    hdr_text = "\n".join(f"{k}: {v}" for k, v in hdr)
    body_new = new + (f"\n\n{signature}" if signature else "")
    text = f"{body_new}\n\n\n\n{hdr_text}\n\n{orig}\n"
    hdr_html = "<br>\n".join(f"<b>{k}:</b> {esc(v)}" for k, v in hdr)
    html = html_doc(
        f'<div class="WordSection1">{html_outlook_body(body_new, wlang)}'
        f'<p class="MsoNormal"><span lang="{wlang}"><o:p>&nbsp;</o:p></span></p>'
        f'<div><div style="border:none;border-top:solid {color} 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        f'<p class="MsoNormal"><span lang="{wlang}">{hdr_html}<o:p></o:p></span></p></div></div>'
        f'<p class="MsoNormal"><o:p>&nbsp;</o:p></p>{html_outlook_body(orig, wlang)}</div>',
        WORD_HEAD,
    )
    expected = new if not signature else body_new
    add(n, "outlook-desktop", lang, ("html-only" if html_only else "top-posted") + (", signature" if signature else ""),
        expected, hdr_text + "\n" + orig, text="" if html_only else text, html=html)


def outlook_web(n, lang, new, orig, *, html_only=False, mobile=False):
    us = US_ES if lang == "es" else US_EN
    me = AGENT_ADDR_ES if lang == "es" else AGENT_ADDR_EN
    subj = "[MA-000123] Nuevo ticket: no podemos emitir facturas" if lang == "es" else "[MA-000245] New ticket: report export stuck"
    if lang == "es":
        hdr = [("De", f"{us[0]} <{us[1]}>"), ("Enviado", "jueves, 26 de noviembre de 2026 10:15"),
               ("Para", f"{me[0]} <{me[1]}>"), ("Asunto", subj)]
        footer = "Obtener Outlook para iOS<https://aka.ms/o0ukef>"
        footer_html = 'Obtener <a href="https://aka.ms/o0ukef">Outlook para iOS</a>'
    else:
        hdr = [("From", f"{us[0]} <{us[1]}>"), ("Sent", "Thursday, November 26, 2026 10:15 AM"),
               ("To", f"{me[0]} <{me[1]}>"), ("Subject", subj)]
        footer = "Get Outlook for Android<https://aka.ms/AAb9ysg>"
        footer_html = 'Get <a href="https://aka.ms/AAb9ysg">Outlook for Android</a>'
    hdr_text = "\n".join(f"{k}: {v}" for k, v in hdr)
    foot = f"\n\n{footer}" if mobile else ""
    text = f"{new}{foot}\n________________________________\n{hdr_text}\n\n{orig}\n"
    hdr_html = "<br>\n".join(f"<b>{k}:</b> {esc(v)}" for k, v in hdr)
    mobile_sig = (f'<div id="ms-outlook-mobile-signature"><div><br></div>{footer_html}</div>' if mobile else "")
    html = html_doc(
        f'<div dir="ltr">{html_owa_body(new)}</div>{mobile_sig}<div id="appendonsend"></div>'
        f'<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr">'
        f'<font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">{hdr_html}</font><div>&nbsp;</div></div>'
        f'<div><div dir="ltr">{html_gmail_body(orig)}</div></div>',
        '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>',
    )
    add(n, "outlook-mobile" if mobile else "outlook-web", lang,
        "html-only" if html_only else "top-posted", new, hdr_text + "\n" + orig,
        text="" if html_only else text, html=html)


def outlook_plain(n, lang, new, orig):
    us = US_ES if lang == "es" else US_EN
    me = AGENT_ADDR_ES if lang == "es" else AGENT_ADDR_EN
    if lang == "es":
        hdr = (f"-----Mensaje original-----\nDe: {us[0]} [mailto:{us[1]}]\nEnviado el: jueves, 26 de noviembre de 2026 "
               f"10:15\nPara: {me[0]} <{me[1]}>\nAsunto: [MA-000123] Nuevo ticket: no podemos emitir facturas")
    else:
        hdr = (f"-----Original Message-----\nFrom: {us[0]} [mailto:{us[1]}]\nSent: Thursday, November 26, 2026 10:15 AM\n"
               f"To: {me[0]} <{me[1]}>\nSubject: [MA-000245] New ticket: report export stuck")
    add(n, "outlook-plain", lang, "text-only, top-posted", new, hdr + "\n" + orig, text=f"{new}\n\n{hdr}\n\n{orig}\n")


def thunderbird(n, lang, new, orig, *, mode="top", signature=None):
    us = US_ES if lang == "es" else US_EN
    attr = f"El 26/11/26 a las 10:15, {us[0]} escribió:" if lang == "es" else f"On 11/26/26 10:15 AM, {us[0]} wrote:"
    sig_text = f"\n\n-- \n{signature}" if signature else ""
    sig_html = (f'<pre class="moz-signature" cols="72">-- \n{esc(signature)}</pre>' if signature else "")
    q_html = (f'<div class="moz-cite-prefix">{esc(attr)}<br></div><blockquote type="cite" '
              f'cite="mid:0102018f3a7b-ticket-123@example.cl">{html_paragraphs(orig)}</blockquote>')
    if mode == "top":
        text = f"{new}{sig_text}\n\n{attr}\n{quote_lines(orig)}\n"
        html = html_doc(f"{html_paragraphs(new)}{sig_html}<br>{q_html}")
        shape = "top-posted"
    else:  # bottom-posted: the whole quote first, the answer below it
        text = f"{attr}\n{quote_lines(orig)}\n\n{new}{sig_text}\n"
        html = html_doc(f"{q_html}{html_paragraphs(new)}{sig_html}")
        shape = "bottom-posted"
    add(n, "thunderbird", lang, shape + (", signature" if signature else ""), new, attr + "\n" + orig, text=text, html=html)


def thunderbird_inline(n, lang, intro=""):
    us = US_ES if lang == "es" else US_EN
    qa = QUESTIONS_ES if lang == "es" else QUESTIONS_EN
    attr = f"El 26/11/26 a las 10:15, {us[0]} escribió:" if lang == "es" else f"On 26/11/2026 10:15, {us[0]} wrote:"
    text = (f"{intro}\n\n" if intro else "") + attr + "\n" + "\n".join(f"> {q}\n\n{a}\n" for q, a in qa)
    html = html_doc((f"<p>{esc(intro)}</p>" if intro else "") + f'<div class="moz-cite-prefix">{esc(attr)}<br></div>'
                    + "".join(f'<blockquote type="cite"><p>{esc(q)}</p></blockquote><p>{esc(a)}</p>' for q, a in qa))
    add(n, "thunderbird", lang, "inline answers" + (", intro above" if intro else ""),
        (intro + "\n" if intro else "") + "\n".join(a for _, a in qa),
        attr + "\n" + "\n".join(q for q, _ in qa), text=text, html=html)


def apple(n, lang, new, orig, *, iphone=False, html_only=False, attr_inside=True):
    us = US_ES if lang == "es" else US_EN
    if lang == "es":
        attr = (f"El 26-11-2026, a la(s) 10:15, {us[0]} <{us[1]}> escribió:" if iphone
                else f"El 26 nov 2026, a las 10:15, {us[0]} <{us[1]}> escribió:")
        phone = "Enviado desde mi iPhone"
    else:
        attr = f"On 26 Nov 2026, at 10:15, {us[0]} <{us[1]}> wrote:"
        phone = "Sent from my iPhone"
    body_new = new + (f"\n\n{phone}" if iphone else "")
    if attr_inside:
        text = f"{body_new}\n\n> {attr}\n> \n{quote_lines(orig)}\n"
        q_html = (f'<div dir="ltr"><br><blockquote type="cite">{esc(attr)}<br><br></blockquote></div>'
                  f'<blockquote type="cite"><div dir="ltr">{html_apple_body(orig)}</div></blockquote>')
    else:
        text = f"{body_new}\n\n{attr}\n\n{quote_lines(orig)}\n"
        q_html = (f'<div><br><div>{esc(attr)}</div><br class="Apple-interchange-newline">'
                  f'<blockquote type="cite"><div>{html_apple_body(orig)}</div></blockquote></div>')
    html = html_doc(f'<div dir="ltr">{html_apple_body(body_new)}</div>{q_html}',
                    '<meta http-equiv="content-type" content="text/html; charset=utf-8">')
    add(n, "iphone" if iphone else "apple-mail", lang, "html-only" if html_only else "top-posted", new,
        attr + "\n" + orig, text="" if html_only else text, html=html)


def android(n, lang, new, orig, *, kind="gmail"):
    us = US_ES if lang == "es" else US_EN
    if kind == "gmail":
        attr = (f"El jue., 26 de nov. de 2026 10:15, {us[0]} <{us[1]}> escribió:" if lang == "es"
                else f"On Thu, Nov 26, 2026, 10:15 {us[0]} <{us[1]}> wrote:")
        text = f"{new}\n\n{attr}\n\n{quote_lines(orig)}\n"
        html = (f'<div dir="auto">{esc(new).replace(chr(10), "<br>")}</div><br><div class="gmail_quote">'
                f'<div dir="ltr" class="gmail_attr">{esc(attr)}<br></div><blockquote class="gmail_quote" '
                f'style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">{html_gmail_body(orig)}</blockquote></div>')
        add(n, "android-gmail", lang, "top-posted", new, attr + "\n" + orig, text=text, html=html)
        return
    # Samsung Email: "Sent from my Galaxy" then an unquoted original under a dashed rule.
    if lang == "es":
        hdr = (f"-------- Mensaje original --------\nDe: {us[0]} <{us[1]}>\nFecha: 26/11/26 10:15 (GMT-03:00)\n"
               f"Para: {AGENT_ADDR_ES[1]}\nAsunto: [MA-000123] Nuevo ticket: no podemos emitir facturas")
        phone = "Enviado desde mi Galaxy"
    else:
        hdr = (f"-------- Original message --------\nFrom: {us[0]} <{us[1]}>\nDate: 11/26/26 10:15 (GMT-03:00)\n"
               f"To: {AGENT_ADDR_EN[1]}\nSubject: [MA-000245] New ticket: report export stuck")
        phone = "Sent from my Galaxy"
    text = f"{new}\n\n\n\n{phone}\n\n\n{hdr}\n{orig}\n"
    html = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body dir="auto">'
            f'<div dir="auto">{esc(new).replace(chr(10), "<br>")}</div><div dir="auto"><br></div><div dir="auto"><br></div>'
            f'<div id="composer_signature" dir="auto"><div style="font-size:85%;color:#575757" dir="auto">{phone}</div></div>'
            f'<div dir="auto"><br></div><div><br></div><div align="left" dir="auto" style="font-size:100%;color:#000000">'
            f'<div>{esc(hdr.split(chr(10))[0])}</div><div>' + "".join(
                f"<div>{esc(x)} </div>" for x in hdr.split("\n")[1:]) +
            f'</div><div><br></div></div>{html_gmail_body(orig)}</body></html>')
    add(n, "samsung-email", lang, "top-posted, unquoted original", new, hdr + "\n" + orig, text=text, html=html)


def yahoo(n, lang, new, orig, *, mobile=False):
    us = US_ES if lang == "es" else US_EN
    attr = (f"El jueves, 26 de noviembre de 2026, 10:15:07 GMT-3, {us[0]} <{us[1]}> escribió:" if lang == "es"
            else f"On Thursday, November 26, 2026 at 10:15:07 AM GMT-3, {us[0]} <{us[1]}> wrote:")
    phone = ("Enviado desde Yahoo Mail para Android" if lang == "es" else "Sent from Yahoo Mail for iPhone")
    foot = f"\n\n{phone}" if mobile else ""
    indented = "\n".join(" " + line for line in orig.split("\n"))
    text = f"{new}{foot}\n\n    {attr}  \n \n{indented}\n"
    html = html_doc(
        f'<div class="ydp5f6c8e2ayahoo-style-wrap" style="font-family:Helvetica Neue, Helvetica, Arial, sans-serif;'
        f'font-size:13px;"><div dir="ltr" data-setdir="false">{html_gmail_body(new)}</div>'
        + (f'<div id="ymail_android_signature"><a href="https://go.onelink.me/107872968">{phone}</a></div>' if mobile else "")
        + f'</div><div id="yahoo_quoted_8312405567" class="yahoo_quoted"><div style="font-family:\'Helvetica Neue\', '
        f'Helvetica, Arial, sans-serif;font-size:13px;color:#26282a;"><div>{esc(attr)}</div><div><br></div><div><br></div>'
        f'<div><div dir="ltr">{html_gmail_body(orig)}</div></div></div></div>')
    add(n, "yahoo", lang, "top-posted", new, attr + "\n" + orig, text=text, html=html)


def plain_variants():
    # Text-only replies as simple clients and webmails write them.
    add("gen-plain-es-unquoted-original", "webmail", "es", "text-only, original not quoted",
        AGENT_ES[0], f"El 26/11/2026 a las 10:15, {US_ES[0]} escribió:\n" + NOTIFY_ES,
        text=f"{AGENT_ES[0]}\n\nEl 26/11/2026 a las 10:15, {US_ES[0]} escribió:\n{NOTIFY_ES}\n")
    add("gen-plain-en-bottom", "mutt", "en", "bottom-posted", AGENT_EN[5],
        f"On Thu, Nov 26, 2026 at 10:15:02AM -0300, {US_EN[0]} wrote:\n" + NOTIFY_EN,
        text=f"On Thu, Nov 26, 2026 at 10:15:02AM -0300, {US_EN[0]} wrote:\n{quote_lines(NOTIFY_EN)}\n\n{AGENT_EN[5]}\n")
    add("gen-plain-es-no-quote", "any", "es", "nothing quoted", AGENT_ES[6], "", text=AGENT_ES[6] + "\n")
    add("gen-plain-en-no-quote", "any", "en", "nothing quoted", AGENT_EN[0], "", text=AGENT_EN[0] + "\n")
    add("gen-plain-es-commands-no-quote", "any", "es", "only commands, nothing quoted", AGENT_ES[4], "",
        text=AGENT_ES[4] + "\n")
    add("gen-plain-es-signature", "webmail", "es", "signature, quoted", AGENT_ES[5],
        f"El 26/11/2026 a las 10:15, {US_ES[0]} escribió:\n" + NOTIFY_ES,
        text=f"{AGENT_ES[5]}\n\n-- \n{SIG_ES}\n\nEl 26/11/2026 a las 10:15, {US_ES[0]} escribió:\n{quote_lines(NOTIFY_ES)}\n")
    add("gen-plain-en-nested", "mutt", "en", "nested quotes", AGENT_EN[1],
        f"On Thu, Nov 26, 2026 at 10:15 AM {US_EN[0]} wrote:\n{CUSTOMER_EN}\nOn Wed, Nov 25, 2026 at 6:02 PM Anna wrote:\n{NOTIFY_EN}",
        text=f"{AGENT_EN[1]}\n\nOn Thu, Nov 26, 2026 at 10:15 AM {US_EN[0]} wrote:\n{quote_lines(CUSTOMER_EN)}\n>\n"
             f"> On Wed, Nov 25, 2026 at 6:02 PM Anna wrote:\n{quote_lines(quote_lines(NOTIFY_EN))}\n")


def build() -> None:
    es_orig = [NOTIFY_ES, CUSTOMER_ES]
    en_orig = [NOTIFY_EN, CUSTOMER_EN]
    for i, new in enumerate(AGENT_ES):
        gmail(f"gen-gmail-es-{i:02d}", "es", new, es_orig[i % 2], wrapped=i % 3 == 1, html_only=i % 4 == 3)
    for i, new in enumerate(AGENT_EN):
        gmail(f"gen-gmail-en-{i:02d}", "en", new, en_orig[i % 2], wrapped=i % 3 == 2, html_only=i % 4 == 1)
    gmail("gen-gmail-es-signature", "es", AGENT_ES[2], NOTIFY_ES, signature=SIG_ES)
    gmail("gen-gmail-en-signature", "en", AGENT_EN[6], NOTIFY_EN, signature=SIG_EN)
    gmail_inline("gen-gmail-es-inline", "es")
    gmail_inline("gen-gmail-en-inline", "en")
    for i, new in enumerate(AGENT_ES[:8]):
        outlook_desktop(f"gen-outlook-desktop-es-{i:02d}", "es", new, es_orig[i % 2], html_only=i % 3 == 2,
                        color="#B5C4DF" if i % 4 == 1 else "#E1E1E1")
    for i, new in enumerate(AGENT_EN[:6]):
        outlook_desktop(f"gen-outlook-desktop-en-{i:02d}", "en", new, en_orig[i % 2], html_only=i % 3 == 1)
    outlook_desktop("gen-outlook-desktop-es-signature", "es", AGENT_ES[0].rsplit("\n\n", 1)[0], NOTIFY_ES,
                    signature="Saludos cordiales,\n" + SIG_ES)
    for i, new in enumerate(AGENT_ES[:6]):
        outlook_web(f"gen-outlook-web-es-{i:02d}", "es", new, es_orig[i % 2], html_only=i % 3 == 2)
    for i, new in enumerate(AGENT_EN[:6]):
        outlook_web(f"gen-outlook-web-en-{i:02d}", "en", new, en_orig[i % 2], html_only=i % 3 == 0)
    outlook_web("gen-outlook-mobile-es", "es", AGENT_ES[5], NOTIFY_ES, mobile=True)
    outlook_web("gen-outlook-mobile-en", "en", AGENT_EN[1], NOTIFY_EN, mobile=True)
    for i, new in enumerate(AGENT_ES[:3]):
        outlook_plain(f"gen-outlook-plain-es-{i:02d}", "es", new, es_orig[i % 2])
    for i, new in enumerate(AGENT_EN[:3]):
        outlook_plain(f"gen-outlook-plain-en-{i:02d}", "en", new, en_orig[i % 2])
    for i, new in enumerate(AGENT_ES[:5]):
        thunderbird(f"gen-thunderbird-es-{i:02d}", "es", new, es_orig[i % 2])
    for i, new in enumerate(AGENT_EN[:4]):
        thunderbird(f"gen-thunderbird-en-{i:02d}", "en", new, en_orig[i % 2])
    thunderbird("gen-thunderbird-es-signature", "es", AGENT_ES[5], NOTIFY_ES, signature=SIG_ES)
    thunderbird("gen-thunderbird-es-bottom", "es", AGENT_ES[6], CUSTOMER_ES, mode="bottom")
    thunderbird("gen-thunderbird-en-bottom", "en", AGENT_EN[6], NOTIFY_EN, mode="bottom")
    thunderbird_inline("gen-thunderbird-es-inline", "es")
    thunderbird_inline("gen-thunderbird-en-inline", "en")
    thunderbird_inline("gen-thunderbird-es-inline-intro", "es", intro="#estado esperando\nHola María, respondo entre líneas:")
    thunderbird_inline("gen-thunderbird-en-inline-intro", "en", intro="Hi Peter, see my answers below.")
    for i, new in enumerate(AGENT_ES[:4]):
        apple(f"gen-apple-es-{i:02d}", "es", new, es_orig[i % 2], attr_inside=i % 2 == 0, html_only=i == 3)
    for i, new in enumerate(AGENT_EN[:4]):
        apple(f"gen-apple-en-{i:02d}", "en", new, en_orig[i % 2], attr_inside=i % 2 == 1, html_only=i == 2)
    for i, new in enumerate(AGENT_ES[5:9]):
        apple(f"gen-iphone-es-{i:02d}", "es", new, es_orig[i % 2], iphone=True)
    for i, new in enumerate(AGENT_EN[4:7]):
        apple(f"gen-iphone-en-{i:02d}", "en", new, en_orig[i % 2], iphone=True)
    android("gen-android-gmail-es", "es", AGENT_ES[5], NOTIFY_ES)
    android("gen-android-gmail-en", "en", AGENT_EN[1], NOTIFY_EN)
    android("gen-samsung-es", "es", AGENT_ES[1], NOTIFY_ES, kind="samsung")
    android("gen-samsung-en", "en", AGENT_EN[5], CUSTOMER_EN, kind="samsung")
    android("gen-samsung-es-2", "es", AGENT_ES[4], CUSTOMER_ES, kind="samsung")
    yahoo("gen-yahoo-es", "es", AGENT_ES[0], NOTIFY_ES)
    yahoo("gen-yahoo-en", "en", AGENT_EN[2], NOTIFY_EN)
    yahoo("gen-yahoo-es-mobile", "es", AGENT_ES[3], CUSTOMER_ES, mobile=True)
    yahoo("gen-yahoo-en-mobile", "en", AGENT_EN[0], CUSTOMER_EN, mobile=True)
    plain_variants()

    for old in HERE.glob("gen-*.json"):
        old.unlink()
    for case in cases:
        name = case.pop("name")
        (HERE / f"{name}.json").write_text(json.dumps(case, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases")


if __name__ == "__main__":
    build()
