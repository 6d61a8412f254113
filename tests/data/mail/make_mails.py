"""Writes the project's own test mails: ``NAME.eml`` and, beside it, ``NAME.json`` (the parse).

The mails were written for tracker-bridge, in the shapes its clinics' mail takes (Outlook, The
Bat!, Thunderbird, Yandex and Mail.ru web mail, Exchange and Postfix robots), so that a clone of
the repository tests the parser on every charset, structure and robot it meets without the shared
corpus. The expectations are written by hand from what each mail says, never recorded from the
parser. Run ``python -m tests.data.mail.make_mails`` after changing a mail here; the committed
files are what the tests read (``tests/mail/test_own_mails.py`` also checks they are current).
"""

from __future__ import annotations

import base64
import binascii
import json
import quopri
import struct
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CRLF = "\r\n"
Mail = tuple[bytes, dict[str, Any]]


def words(text: str, charset: str = "utf-8", kind: str = "B") -> str:
    """One RFC 2047 encoded word, as a client writes it."""
    data = text.encode(charset)
    if kind == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    quoted = quopri.encodestring(data, header=True).decode()
    return f"=?{charset}?Q?{quoted}?="


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode().replace("\n", CRLF)


def qp(text: str, charset: str) -> str:
    return quopri.encodestring(text.encode(charset)).decode().replace("\n", CRLF)


def head(**fields: str) -> str:
    """Header lines in the given order; names use underscores for dashes."""
    return "".join(f"{name.replace('_', '-')}: {value}{CRLF}" for name, value in fields.items())


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", CRLF)


# --- charsets -------------------------------------------------------------------------------

TEMPLATE_SHORT = """Добрый день!

Не открывается протокол операции у пациента, окно зависает.

Отделение: Травматология
Логин: petrova_o

Петрова Ольга
"""


def cp1251_declared() -> Mail:
    """Outlook 2016: windows-1251, quoted-printable body, B-encoded subject and name."""
    subject = "Не открывается протокол операции"
    raw = (
        head(
            From=f"{words('Петрова Ольга', 'windows-1251', 'Q')} <Petrova@Clinic1.example>",
            To="support-clinic1@vendor.example",
            Subject=words(subject, "windows-1251"),
            Date="Tue, 04 Mar 2025 09:41:07 +0300",
            Message_ID="<0001cp1251@clinic1.example>",
            MIME_Version="1.0",
            Content_Type='text/plain; charset="windows-1251"',
            Content_Transfer_Encoding="quoted-printable",
            X_Mailer="Microsoft Outlook 16.0",
        )
        + CRLF
        + qp(TEMPLATE_SHORT, "windows-1251")
    )
    return raw.encode("ascii"), {
        "about": "windows-1251 declared, quoted-printable, encoded-word subject and name",
        "subject": subject,
        "sender": "petrova@clinic1.example",
        "sender_name": "Петрова Ольга",
        "date": "2025-03-04T09:41:07+03:00",
        "text": TEMPLATE_SHORT.strip(),
        "fields": {"department": "Травматология", "login": "petrova_o"},
    }


KOI8_BODY = """Здравствуйте.

После обновления в отделении кардиологии не формируется отчёт по койко-дням.
Ошибка появляется при нажатии кнопки "Сформировать".

--
Сидоров Пётр, старшая медсестра
"""


def koi8r_base64() -> Mail:
    """The Bat!: KOI8-R, base64 body, B-encoded subject."""
    subject = "Не формируется отчёт по койко-дням"
    raw = (
        head(
            From=f"{words('Сидоров Пётр', 'koi8-r')} <sidorov@clinic2.example>",
            To="support-clinic2@vendor.example",
            Subject=words(subject, "koi8-r"),
            Date="Wed, 05 Mar 2025 14:02:55 +0300",
            Message_ID="<1712345678.20250305140255@clinic2.example>",
            X_Mailer="The Bat! (v9.4.2) Professional",
            MIME_Version="1.0",
            Content_Type="text/plain; charset=koi8-r",
            Content_Transfer_Encoding="base64",
        )
        + CRLF
        + b64(KOI8_BODY.replace("\n", CRLF).encode("koi8-r"))
    )
    return raw.encode("ascii"), {
        "about": "KOI8-R declared, base64 body, encoded-word subject",
        "subject": subject,
        "sender": "sidorov@clinic2.example",
        "sender_name": "Сидоров Пётр",
        "text": KOI8_BODY.strip(),
    }


TEMPLATE_FULL = """Добрый день!

Не печатается выписка из истории болезни.

Отделение: Хирургия №2
Логин (в системе): ivanova_a
Номер амбулаторной карты (пациента): 482913
Номер истории болезни: 2025/1175
Наименование записи: Выписной эпикриз
Наименование кнопки (перехода): Печать

С уважением,
Иванова Анна
"""

FULL_FIELDS = {
    "department": "Хирургия №2",
    "login": "ivanova_a",
    "card_number": "482913",
    "history_number": "2025/1175",
    "record_name": "Выписной эпикриз",
    "button_name": "Печать",
}


def utf8_template_full() -> Mail:
    """Yandex web mail: UTF-8 quoted-printable, the regulation's template with all six lines."""
    subject = "Не печатается выписка"
    raw = (
        head(
            From=f"{words('Иванова Анна')} <ivanova@clinic1.example>",
            To="support-clinic1@vendor.example",
            Subject=words(subject),
            Date="Thu, 06 Mar 2025 11:15:00 +0300",
            Message_ID="<20250306111500.4411@mail.yandex.example>",
            MIME_Version="1.0",
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="quoted-printable",
        )
        + CRLF
        + qp(TEMPLATE_FULL, "utf-8")
    )
    return raw.encode("ascii"), {
        "about": "UTF-8 quoted-printable; the R7 template with all six labelled lines",
        "subject": subject,
        "sender": "ivanova@clinic1.example",
        "sender_name": "Иванова Анна",
        "text": TEMPLATE_FULL.strip(),
        "fields": FULL_FIELDS,
    }


UNDECLARED_BODY = """Добрый день, коллеги!

В отделении реанимации с утра не открываются назначения врача, программа пишет что нет доступа
к базе данных. Перезагрузка компьютера не помогла, у всех сотрудников отделения то же самое.
Просим срочно посмотреть, пациенты тяжёлые.

Заведующая отделением
Смирнова Елена Викторовна
"""


def undeclared_cp1251() -> Mail:
    """An old mail robot: 8-bit windows-1251 with no charset, raw 8-bit subject and name."""
    subject = "Срочно: не открываются назначения"
    raw = (
        head(
            From="Смирнова Елена <smirnova@clinic3.example>",
            To="support-clinic3@vendor.example",
            Subject=subject,
            Date="Mon, 10 Mar 2025 08:05:13 +0300",
            Message_ID="<undeclared-1251@clinic3.example>",
            Content_Type="text/plain",
            Content_Transfer_Encoding="8bit",
        )
        + CRLF
        + crlf(UNDECLARED_BODY)
    )
    return raw.encode("windows-1251"), {
        "about": "8-bit windows-1251 with no charset anywhere: body, subject and name detected",
        "subject": subject,
        "sender": "smirnova@clinic3.example",
        "sender_name": "Смирнова Елена",
        "text": UNDECLARED_BODY.strip(),
    }


KOI8_UNDECLARED = """Здравствуйте!

Просим помочь: в приёмном отделении при регистрации нового пациента программа выдаёт ошибку
сохранения, хотя все обязательные поля заполнены. Вчера вечером всё работало нормально,
сегодня ошибка повторяется на каждом компьютере приёмного отделения.

Спасибо.
"""


def undeclared_koi8r() -> Mail:
    """No MIME headers at all, 8-bit KOI8-R body (a script's mail)."""
    raw = (
        head(
            From="priem@clinic2.example",
            To="support-clinic2@vendor.example",
            Subject="Oshibka sohraneniya pacienta",
            Date="Tue, 11 Mar 2025 07:59:01 +0300",
            Message_ID="<undeclared-koi8@clinic2.example>",
        )
        + CRLF
        + crlf(KOI8_UNDECLARED)
    )
    return raw.encode("koi8-r"), {
        "about": "8-bit KOI8-R body without MIME headers: detected, not read as windows-1251",
        "subject": "Oshibka sohraneniya pacienta",
        "sender": "priem@clinic2.example",
        "text": KOI8_UNDECLARED.strip(),
    }


def utf8_8bit_subject_no_mime() -> Mail:
    """Raw 8-bit UTF-8 in Subject and From (SMTPUTF8 style), body declared UTF-8."""
    raw = (
        head(
            From="Кузнецов Дмитрий <kuznecov@clinic1.example>",
            To="support-clinic1@vendor.example",
            Subject="Вопрос по настройке принтера этикеток",
            Date="Wed, 12 Mar 2025 16:20:00 +0300",
            Message_ID="<utf8-raw@clinic1.example>",
            MIME_Version="1.0",
            Content_Type="text/plain; charset=UTF-8; format=flowed",
            Content_Transfer_Encoding="8bit",
        )
        + CRLF
        + "Подскажите, пожалуйста, как выбрать принтер этикеток по умолчанию для \r\n"
        + "процедурного кабинета.\r\n"
    )
    return raw.encode("utf-8"), {
        "about": "raw 8-bit UTF-8 headers; format=flowed soft line break joined",
        "subject": "Вопрос по настройке принтера этикеток",
        "sender": "kuznecov@clinic1.example",
        "sender_name": "Кузнецов Дмитрий",
        "text": "Подскажите, пожалуйста, как выбрать принтер этикеток по умолчанию для "
        "процедурного кабинета.",
    }


# --- HTML -----------------------------------------------------------------------------------

OUTLOOK_HTML = """<html xmlns:v="urn:schemas-microsoft-com:vml"
xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word"
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta http-equiv=Content-Type content="text/html; charset=windows-1251">
<meta name=Generator content="Microsoft Word 15 (filtered medium)">
<style><!--
/* Font Definitions */
@font-face {font-family:Calibri; panose-1:2 15 5 2 2 2 4 3 2 4;}
p.MsoNormal, li.MsoNormal, div.MsoNormal
	{margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]-->
</head>
<body lang=RU link="#0563C1" vlink="#954F72" style='word-wrap:break-word'>
<div class=WordSection1>
<p class=MsoNormal>Добрый день!<o:p></o:p></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
<p class=MsoNormal>При открытии карты пациента в поликлинике появляется окно
«Нарушение целостности данных». Скриншот прилагаю не могу, окно закрывается.<o:p></o:p></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
<p class=MsoNormal><b>Отделение:</b> Поликлиника №1<o:p></o:p></p>
<p class=MsoNormal><b>Логин:</b> orlova_m<o:p></o:p></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
<p class=MsoNormal>С уважением,<o:p></o:p></p>
<p class=MsoNormal>Орлова Мария<o:p></o:p></p>
<img width=1 height=1 src="https://track.example/pixel.gif">
</div>
</body>
</html>
"""


def outlook_html_only() -> Mail:
    """Outlook with plain text switched off: windows-1251 HTML only, Word markup and a pixel."""
    raw = (
        head(
            From=f"{words('Орлова Мария', 'windows-1251')} <orlova@clinic1.example>",
            To="support-clinic1@vendor.example",
            Subject=words("Ошибка целостности данных", "windows-1251"),
            Date="Thu, 13 Mar 2025 10:30:00 +0000",
            Message_ID="<DB9PR01MB1234ABCD@DB9PR01MB1234.eurprd01.prod.outlook.example>",
            MIME_Version="1.0",
            Content_Type='text/html; charset="windows-1251"',
            Content_Transfer_Encoding="quoted-printable",
        )
        + CRLF
        + qp(OUTLOOK_HTML, "windows-1251")
    )
    return raw.encode("ascii"), {
        "about": "HTML-only Outlook mail (Word markup, conditional comments, a tracking pixel)",
        "subject": "Ошибка целостности данных",
        "sender": "orlova@clinic1.example",
        "sender_name": "Орлова Мария",
        "date": "2025-03-13T10:30:00+00:00",
        "text_contains": [
            "Добрый день!",
            "«Нарушение целостности данных»",
            "Орлова Мария",
        ],
        "text_lacks": ["MsoNormal", "font-family", "o:p", "shapedefaults", "pixel.gif", "<"],
        "fields": {"department": "Поликлиника №1", "login": "orlova_m"},
        "attachments": [],
    }


HTML_TABLE = """<html><body>
<p>Добрый день! Не сохраняется протокол осмотра.</p>
<table border="1">
<tr><td>Отделение</td><td>Неврология</td></tr>
<tr><td>Логин</td><td>belov_k</td></tr>
<tr><td>Номер истории болезни</td><td>2025/3310</td></tr>
<tr><td>Наименование записи</td><td>Протокол осмотра невролога</td></tr>
</table>
<p>Белов Кирилл</p>
</body></html>
"""

HTML_TABLE_PLAIN = """Добрый день! Не сохраняется протокол осмотра.

Отделение Неврология
Логин belov_k
Номер истории болезни 2025/3310
Наименование записи Протокол осмотра невролога

Белов Кирилл
"""


def template_html_table() -> Mail:
    """Mail.ru web mail: multipart/alternative whose HTML holds the template as a table."""
    raw = (
        head(
            From="belov@clinic2.example",
            To="support-clinic2@vendor.example",
            Subject=words("Не сохраняется протокол осмотра"),
            Date="Fri, 14 Mar 2025 12:00:00 +0300",
            Message_ID="<1741942800.123456789@f511.i.mail.example>",
            MIME_Version="1.0",
            Content_Type='multipart/alternative; boundary="--ALT--a1b2c3"',
        )
        + CRLF
        + "----ALT--a1b2c3"
        + CRLF
        + "Content-Type: text/plain; charset=utf-8"
        + CRLF
        + "Content-Transfer-Encoding: base64"
        + CRLF
        + CRLF
        + b64(crlf(HTML_TABLE_PLAIN).encode())
        + "----ALT--a1b2c3"
        + CRLF
        + "Content-Type: text/html; charset=utf-8"
        + CRLF
        + "Content-Transfer-Encoding: base64"
        + CRLF
        + CRLF
        + b64(crlf(HTML_TABLE).encode())
        + "----ALT--a1b2c3--"
        + CRLF
    )
    return raw.encode("ascii"), {
        "about": "the R7 template as an HTML table; the plain part flattened the cells",
        "subject": "Не сохраняется протокол осмотра",
        "sender": "belov@clinic2.example",
        "fields": {
            "department": "Неврология",
            "login": "belov_k",
            "history_number": "2025/3310",
            "record_name": "Протокол осмотра невролога",
        },
        "attachments": [],
    }


TEMPLATE_VARIANTS = """Здравствуйте.

1) Подразделение - Гинекология
2) Учетная запись - kozlova_t
3) № амб. карты 77120
4) И.Б.: 2025/0042
5) Кнопка — «Подписать ЭЦП»

Козлова Татьяна
"""


def template_variants() -> Mail:
    """The template as people retype it: numbered, other label words, dashes, no colons."""
    raw = (
        head(
            From="kozlova@clinic3.example",
            To="support-clinic3@vendor.example",
            Subject=words("Не подписывается ЭЦП"),
            Date="Mon, 17 Mar 2025 09:00:00 +0300",
            Message_ID="<variants@clinic3.example>",
            MIME_Version="1.0",
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="base64",
        )
        + CRLF
        + b64(crlf(TEMPLATE_VARIANTS).encode())
    )
    return raw.encode("ascii"), {
        "about": "the R7 template with numbered lines, synonyms, dashes and no colons",
        "subject": "Не подписывается ЭЦП",
        "sender": "kozlova@clinic3.example",
        "fields": {
            "department": "Гинекология",
            "login": "kozlova_t",
            "card_number": "77120",
            "history_number": "2025/0042",
            "button_name": "«Подписать ЭЦП»",
        },
    }


def template_absent() -> Mail:
    """A request that ignores the template: no fields at all (R7 asks for the login later)."""
    body = "Добрый день! У нас не работает печать направлений, посмотрите, пожалуйста.\r\n"
    raw = (
        head(
            From="nurse@clinic1.example",
            To="support-clinic1@vendor.example",
            Subject=words("Печать направлений"),
            Date="Mon, 17 Mar 2025 09:30:00 +0300",
            Message_ID="<no-template@clinic1.example>",
            MIME_Version="1.0",
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="8bit",
        )
        + CRLF
        + body
    )
    return raw.encode("utf-8"), {
        "about": "no template: no fields",
        "subject": "Печать направлений",
        "sender": "nurse@clinic1.example",
        "fields": {},
    }


# --- TNEF -----------------------------------------------------------------------------------

TNEF_SIGNATURE = 0x223E9F78


def _tnef_attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    return (
        struct.pack("<BHHI", level, name, kind, len(data))
        + data
        + struct.pack("<H", sum(data) & 0xFFFF)
    )


def tnef(files: list[tuple[str, bytes]], body: bytes = b"") -> bytes:
    """A TNEF stream as Outlook writes its simplest form: body, then title and data per file."""
    blob = struct.pack("<IH", TNEF_SIGNATURE, 0x0001)
    blob += _tnef_attribute(0x01, 0x9006, 0x0006, struct.pack("<I", 0x00010000))  # attTnefVersion
    blob += _tnef_attribute(0x01, 0x9007, 0x0006, struct.pack("<II", 1251, 0))  # attOemCodepage
    if body:
        blob += _tnef_attribute(0x01, 0x800C, 0x0002, body)  # attBody
    for name, data in files:
        blob += _tnef_attribute(0x02, 0x9002, 0x0006, bytes(14))  # attRenddata
        blob += _tnef_attribute(0x02, 0x8010, 0x0001, name.encode("cp1251") + b"\x00")
        blob += _tnef_attribute(0x02, 0x800F, 0x0006, data)  # attAttachData
    return blob


PDF = b"%PDF-1.4\n% tracker-bridge test file\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(48))


def _multipart(boundary: str, parts: list[str], preamble: str = "") -> str:
    body = preamble
    for part in parts:
        body += f"--{boundary}{CRLF}{part}"
    return body + f"--{boundary}--{CRLF}"


def tnef_with_files() -> Mail:
    """Outlook in rich text mode: the files travel inside winmail.dat."""
    raw = (
        head(
            From="Volkov Ivan <volkov@clinic2.example>",
            To="support-clinic2@vendor.example",
            Subject="Lab report does not open",
            Date="Tue, 18 Mar 2025 13:13:13 +0300",
            Message_ID="<tnef-files@clinic2.example>",
            MIME_Version="1.0",
            Content_Type='multipart/mixed; boundary="_002_TNEF_"',
        )
        + CRLF
        + _multipart(
            "_002_TNEF_",
            [
                "Content-Type: text/plain; charset=us-ascii"
                + CRLF
                + CRLF
                + "The report and a screenshot are attached."
                + CRLF,
                'Content-Type: application/ms-tnef; name="winmail.dat"'
                + CRLF
                + 'Content-Disposition: attachment; filename="winmail.dat"'
                + CRLF
                + "Content-Transfer-Encoding: base64"
                + CRLF
                + CRLF
                + b64(tnef([("Отчёт.pdf", PDF), ("screen.png", PNG)])),
            ],
        )
    )
    return raw.encode("ascii"), {
        "about": "TNEF: winmail.dat is replaced by the files inside it (cp1251 name)",
        "subject": "Lab report does not open",
        "sender": "volkov@clinic2.example",
        "sender_name": "Volkov Ivan",
        "text": "The report and a screenshot are attached.",
        "attachments": [
            {"filename": "Отчёт.pdf", "content_type": "application/pdf", "size": len(PDF)},
            {"filename": "screen.png", "content_type": "image/png", "size": len(PNG)},
        ],
    }


TNEF_TEXT = "Не работает кнопка «Сохранить» в протоколе."


def tnef_body_only() -> Mail:
    """Everything in winmail.dat, the body too (windows-1251 inside TNEF)."""
    raw = (
        head(
            From="volkov@clinic2.example",
            To="support-clinic2@vendor.example",
            Subject="Save button",
            Date="Tue, 18 Mar 2025 13:20:00 +0300",
            Message_ID="<tnef-body@clinic2.example>",
            MIME_Version="1.0",
            Content_Type='application/ms-tnef; name="winmail.dat"',
            Content_Transfer_Encoding="base64",
        )
        + CRLF
        + b64(tnef([], body=TNEF_TEXT.encode("cp1251")))
    )
    return raw.encode("ascii"), {
        "about": "TNEF holding only the body: it becomes the text, nothing attached",
        "subject": "Save button",
        "sender": "volkov@clinic2.example",
        "text": TNEF_TEXT,
        "attachments": [],
    }


def tnef_not_tnef() -> Mail:
    """A winmail.dat that is not TNEF at all (a PNG renamed): kept as it is, with a defect."""
    raw = (
        head(
            From="volkov@clinic2.example",
            To="support-clinic2@vendor.example",
            Subject="Screenshot",
            Date="Tue, 18 Mar 2025 13:30:00 +0300",
            Message_ID="<tnef-junk@clinic2.example>",
            MIME_Version="1.0",
            Content_Type='multipart/mixed; boundary="b1"',
        )
        + CRLF
        + _multipart(
            "b1",
            [
                "Content-Type: text/plain" + CRLF + CRLF + "See the picture." + CRLF,
                "Content-Type: application/ms-tnef; name=winmail.dat"
                + CRLF
                + "Content-Transfer-Encoding: base64"
                + CRLF
                + CRLF
                + b64(PNG),
            ],
        )
    )
    return raw.encode("ascii"), {
        "about": "winmail.dat that is not TNEF stays as it is and a defect says why",
        "subject": "Screenshot",
        "sender": "volkov@clinic2.example",
        "text": "See the picture.",
        "attachments": [
            {"filename": "winmail.dat", "content_type": "application/ms-tnef", "size": len(PNG)}
        ],
        "defects_contain": ["TNEF"],
    }


# --- robots ---------------------------------------------------------------------------------

ORIGINAL_HEADERS = (
    "From: support-clinic1@vendor.example"
    + CRLF
    + "To: gone@clinic1.example"
    + CRLF
    + "Subject: [SUP-1042] Your request is registered"
    + CRLF
    + "Message-ID: <ack-SUP-1042@vendor.example>"
    + CRLF
)


def dsn_postfix() -> Mail:
    """A Postfix bounce: multipart/report with delivery-status, from MAILER-DAEMON."""
    raw = (
        head(
            Return_Path="<>",
            From="MAILER-DAEMON@mx.clinic1.example (Mail Delivery System)",
            To="support-clinic1@vendor.example",
            Subject="Undelivered Mail Returned to Sender",
            Date="Wed, 19 Mar 2025 10:00:01 +0300 (MSK)",
            Message_ID="<20250319070001.1A2B3C@mx.clinic1.example>",
            MIME_Version="1.0",
            Content_Type='multipart/report; report-type=delivery-status; boundary="DSN.1"',
        )
        + CRLF
        + _multipart(
            "DSN.1",
            [
                "Content-Description: Notification"
                + CRLF
                + "Content-Type: text/plain; charset=us-ascii"
                + CRLF
                + CRLF
                + "I'm sorry to have to inform you that your message could not"
                + CRLF
                + "be delivered to one or more recipients."
                + CRLF
                + CRLF
                + "<gone@clinic1.example>: host mx.clinic1.example said: 550 5.1.1"
                + CRLF
                + "    User unknown"
                + CRLF,
                "Content-Description: Delivery report"
                + CRLF
                + "Content-Type: message/delivery-status"
                + CRLF
                + CRLF
                + "Reporting-MTA: dns; mx.clinic1.example"
                + CRLF
                + CRLF
                + "Final-Recipient: rfc822; gone@clinic1.example"
                + CRLF
                + "Action: failed"
                + CRLF
                + "Status: 5.1.1"
                + CRLF,
                "Content-Description: Undelivered Message Headers"
                + CRLF
                + "Content-Type: text/rfc822-headers"
                + CRLF
                + CRLF
                + ORIGINAL_HEADERS,
            ],
            preamble="This is a MIME-encapsulated message." + CRLF + CRLF,
        )
    )
    return raw.encode("ascii"), {
        "about": "DSN bounce (RFC 3464) from Postfix: automatic, never answered",
        "subject": "Undelivered Mail Returned to Sender",
        "sender": "mailer-daemon@mx.clinic1.example",
        "is_automatic": True,
        "automatic_reason": "multipart/report",
        "text_contains": ["could not", "User unknown"],
    }


def dsn_exim() -> Mail:
    """An Exim bounce: X-Failed-Recipients and RFC 3834 Auto-Submitted, single text part."""
    raw = (
        head(
            From="Mail Delivery System <Mailer-Daemon@relay.clinic2.example>",
            To="support-clinic2@vendor.example",
            Subject="Mail delivery failed: returning message to sender",
            Date="Wed, 19 Mar 2025 10:05:00 +0300",
            Message_ID="<E1tuXyZ-0001AB-CD@relay.clinic2.example>",
            X_Failed_Recipients="old.doctor@clinic2.example",
            Auto_Submitted="auto-replied",
            MIME_Version="1.0",
            Content_Type="text/plain; charset=us-ascii",
        )
        + CRLF
        + "This message was created automatically by mail delivery software."
        + CRLF
    )
    return raw.encode("ascii"), {
        "about": "Exim bounce: RFC 3834 Auto-Submitted wins over X-Failed-Recipients",
        "sender": "mailer-daemon@relay.clinic2.example",
        "sender_name": "Mail Delivery System",
        "is_automatic": True,
        "automatic_reason": "Auto-Submitted: auto-replied",
    }


def dsn_yandex_ru() -> Mail:
    """A Russian bounce with an empty Return-Path and no other robot header."""
    subject = "Недоставленное сообщение"
    raw = (
        head(
            Return_Path="<>",
            From=f"{words('Почтовый робот')} <robot@mail.clinic3.example>",
            To="support-clinic3@vendor.example",
            Subject=words(subject),
            Date="Wed, 19 Mar 2025 10:10:00 +0300",
            Message_ID="<bounce-ru@mail.clinic3.example>",
            MIME_Version="1.0",
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="8bit",
        )
        + CRLF
        + "Сообщение не было доставлено: адрес получателя не существует."
        + CRLF
    )
    return raw.encode("utf-8"), {
        "about": "Russian bounce known by its empty Return-Path",
        "subject": subject,
        "sender": "robot@mail.clinic3.example",
        "is_automatic": True,
        "automatic_reason": "empty Return-Path",
    }


def _auto(name: str, header: str, value: str, reason: str, note: str) -> Mail:
    raw = (
        f"From: Врач <doctor@clinic1.example>{CRLF}".encode()
        + head(
            To="support-clinic1@vendor.example",
            Subject=words("Re: [SUP-77] Заявка зарегистрирована"),
            Date="Thu, 20 Mar 2025 18:00:00 +0300",
            Message_ID=f"<auto-{name}@clinic1.example>",
            In_Reply_To="<ack-SUP-77@vendor.example>",
        ).encode()
        + (f"{header}: {value}{CRLF}" if header else "").encode()
        + head(
            MIME_Version="1.0",
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="8bit",
        ).encode()
        + CRLF.encode()
        + "Я в отпуске до 31 марта. По срочным вопросам звоните в ординаторскую.\r\n".encode()
    )
    return raw, {
        "about": note,
        "subject": "Re: [SUP-77] Заявка зарегистрирована",
        "sender": "doctor@clinic1.example",
        "in_reply_to": "ack-SUP-77@vendor.example",
        "issue_keys": ["SUP-77"],
        "is_automatic": bool(reason),
        "automatic_reason": reason or None,
    }


AUTO_REPLIES = {
    "auto_rfc3834_replied": (
        "Auto-Submitted",
        "auto-replied",
        "Auto-Submitted: auto-replied",
        "RFC 3834 responder (Exchange, Gmail, Yandex vacation)",
    ),
    "auto_rfc3834_generated": (
        "Auto-Submitted",
        "auto-generated; type=notice",
        "Auto-Submitted: auto-generated",
        "RFC 3834 auto-generated with a parameter",
    ),
    "auto_rfc3834_no": (
        "Auto-Submitted",
        "no",
        "",
        "Auto-Submitted: no is a person's mail (RFC 3834 §5)",
    ),
    "auto_x_autoreply": ("X-Autoreply", "yes", "X-Autoreply", "Mail.ru / Yandex vacation reply"),
    "auto_x_autorespond": (
        "X-Autorespond",
        "Ваше письмо получено",
        "X-Autorespond",
        "cPanel and Bitrix responders",
    ),
    "auto_x_autogenerated": (
        "X-AutoGenerated",
        "Reply",
        "X-Autogenerated",
        "older Outlook rules",
    ),
    "auto_exchange_suppress": (
        "X-Auto-Response-Suppress",
        "All",
        "X-Auto-Response-Suppress",
        "Exchange out-of-office: X-Auto-Response-Suppress",
    ),
    "auto_precedence_auto_reply": (
        "Precedence",
        "auto_reply",
        "Precedence: auto_reply",
        "Precedence: auto_reply",
    ),
    "auto_precedence_bulk": ("Precedence", "bulk", "Precedence: bulk", "bulk mail"),
    "auto_list_id": (
        "List-Id",
        "<clinic-news.clinic1.example>",
        "List-Id",
        "a mailing list's copy",
    ),
    "auto_x_loop": ("X-Loop", "support-clinic1@vendor.example", "X-Loop", "procmail loop guard"),
    "auto_subject_only": (
        "",
        "",
        "auto-reply subject",
        "no header at all: the responder's Russian subject",
    ),
}


def auto_subject_only() -> Mail:
    raw, expected = _auto("subject_only", "", "", "", "")
    raw = raw.replace(
        words("Re: [SUP-77] Заявка зарегистрирована").encode(),
        words("Автоответ: Re: [SUP-77] Заявка зарегистрирована").encode(),
    )
    expected.update(
        about=AUTO_REPLIES["auto_subject_only"][3],
        subject="Автоответ: Re: [SUP-77] Заявка зарегистрирована",
        is_automatic=True,
        automatic_reason="auto-reply subject",
    )
    return raw, expected


# --- file names -----------------------------------------------------------------------------


def _attachment(disposition: str, content_type: str, data: bytes) -> str:
    return (
        f"Content-Type: {content_type}{CRLF}Content-Disposition: {disposition}{CRLF}"
        f"Content-Transfer-Encoding: base64{CRLF}{CRLF}{b64(data)}"
    )


def filenames_rfc2231() -> Mail:
    """Thunderbird: RFC 2231 names, one whole and one continued over three parameters."""
    long_name = "Протокол исследования пациента от 18.03.2025.pdf"
    encoded = "".join(f"%{b:02X}" for b in long_name.encode())
    pieces = [encoded[i : i + 60] for i in range(0, len(encoded), 60)]
    continued = ";\r\n ".join(
        f"filename*{n}*={'UTF-8' + chr(39) * 2 if n == 0 else ''}{piece}"
        for n, piece in enumerate(pieces)
    )
    whole = "filename*=UTF-8''" + "".join(f"%{b:02X}" for b in "Скриншот ошибки.png".encode())
    raw = (
        head(
            From="lebedev@clinic3.example",
            To="support-clinic3@vendor.example",
            Subject="Files",
            Date="Fri, 21 Mar 2025 11:00:00 +0300",
            Message_ID="<rfc2231@clinic3.example>",
            User_Agent="Mozilla Thunderbird",
            MIME_Version="1.0",
            Content_Type='multipart/mixed; boundary="------------tb2231"',
        )
        + CRLF
        + _multipart(
            "------------tb2231",
            [
                "Content-Type: text/plain; charset=UTF-8" + CRLF + CRLF + "Two files." + CRLF,
                _attachment(f"attachment;\r\n {whole}", "image/png", PNG),
                _attachment(f"attachment;\r\n {continued}", "application/pdf", PDF),
            ],
        )
    )
    return raw.encode("ascii"), {
        "about": "RFC 2231 file names, whole and continued (filename*0*, *1*, …)",
        "text": "Two files.",
        "attachments": [
            {"filename": "Скриншот ошибки.png", "content_type": "image/png", "size": len(PNG)},
            {"filename": long_name, "content_type": "application/pdf", "size": len(PDF)},
        ],
    }


def filenames_encoded_words() -> Mail:
    """Outlook and web mail: RFC 2047 words in name=/filename=, cp1251 and split UTF-8."""
    split = words("Направление на") + "\r\n " + words(" госпитализацию.docx")
    docx = b"PK\x03\x04 docx-ish test data"
    raw = (
        head(
            From="Morozova <morozova@clinic1.example>",
            To="support-clinic1@vendor.example",
            Subject="Documents",
            Date="Fri, 21 Mar 2025 11:30:00 +0300",
            Message_ID="<encoded-names@clinic1.example>",
            MIME_Version="1.0",
            Content_Type='multipart/mixed; boundary="_004_names_"',
        )
        + CRLF
        + _multipart(
            "_004_names_",
            [
                "Content-Type: text/plain; charset=us-ascii" + CRLF + CRLF + "Attached." + CRLF,
                _attachment(
                    f'attachment; filename="{words("Анализы.pdf", "windows-1251")}"',
                    f'application/pdf; name="{words("Анализы.pdf", "windows-1251")}"',
                    PDF,
                ),
                _attachment(
                    f'attachment;\r\n filename="{split}"',
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    docx,
                ),
                _attachment(
                    'attachment; filename="..\\..\\Windows\\evil\r\n name.txt"',
                    "text/plain",
                    b"plain file",
                ),
            ],
        )
    )
    return raw.encode("ascii"), {
        "about": "encoded-word file names (windows-1251, UTF-8 split in two); a path is cut",
        "text": "Attached.",
        "attachments": [
            {"filename": "Анализы.pdf", "content_type": "application/pdf", "size": len(PDF)},
            {
                "filename": "Направление на госпитализацию.docx",
                "content_type": "application/vnd.openxmlformats-officedocument"
                ".wordprocessingml.document",
                "size": len(docx),
            },
            {"filename": "evil name.txt", "content_type": "text/plain", "size": 10},
        ],
    }


# --- structure ------------------------------------------------------------------------------

INNER = (
    "From: Доктор <doctor@clinic2.example>".encode()
    + b"\r\nTo: registry@clinic2.example\r\n"
    + f"Subject: {words('Ошибка печати направления')}\r\n".encode()
    + b"Message-ID: <inner@clinic2.example>\r\nMIME-Version: 1.0\r\n"
    + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    + "Направление печатается пустым.\r\n".encode()
)


def nested_rfc822() -> Mail:
    """A forward as attachment: the whole message is kept as <its subject>.eml."""
    raw = (
        head(
            From="registry@clinic2.example",
            To="support-clinic2@vendor.example",
            Subject=words("Fwd: Ошибка печати направления"),
            Date="Mon, 24 Mar 2025 09:15:00 +0300",
            Message_ID="<fwd@clinic2.example>",
            MIME_Version="1.0",
            Content_Type='multipart/mixed; boundary="fwd"',
        ).encode()
        + CRLF.encode()
        + b"--fwd\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit"
        + b"\r\n\r\n"
        + "Пересылаю письмо врача.\r\n".encode()
        + b"--fwd\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n"
        + INNER
        + b"--fwd--\r\n"
    )
    return raw, {
        "about": "nested message/rfc822 is one .eml attachment named by its subject",
        "subject": "Fwd: Ошибка печати направления",
        "text": "Пересылаю письмо врача.",
        "attachments_named": ["Ошибка печати направления.eml"],
        "forwarded": [
            {"subject": "Ошибка печати направления", "text": "Направление печатается пустым."}
        ],
    }


def broken_no_boundary() -> Mail:
    """multipart/mixed without a boundary parameter: the text is still read."""
    raw = (
        head(
            From="it@clinic3.example",
            To="support-clinic3@vendor.example",
            Subject="Broken multipart",
            Date="Mon, 24 Mar 2025 10:00:00 +0300",
            Message_ID="<no-boundary@clinic3.example>",
            MIME_Version="1.0",
            Content_Type="multipart/mixed",
        )
        + CRLF
        + "The workstation in room 12 cannot reach the server."
        + CRLF
    )
    return raw.encode("ascii"), {
        "about": "broken MIME: multipart without its boundary keeps the text",
        "subject": "Broken multipart",
        "text_contains": ["room 12 cannot reach the server"],
        "defects_contain": ["boundary"],
    }


def broken_unterminated() -> Mail:
    """The closing boundary never comes and the attachment's base64 is cut short."""
    raw = (
        head(
            From="it@clinic3.example",
            To="support-clinic3@vendor.example",
            Subject="Cut off",
            Date="Mon, 24 Mar 2025 10:05:00 +0300",
            Message_ID="<cut@clinic3.example>",
            MIME_Version="1.0",
            Content_Type='multipart/mixed; boundary="cut"',
        )
        + CRLF
        + "--cut"
        + CRLF
        + "Content-Type: text/plain"
        + CRLF
        + CRLF
        + "Log attached."
        + CRLF
        + "--cut"
        + CRLF
        + 'Content-Type: text/plain; name="app.log"'
        + CRLF
        + "Content-Disposition: attachment; filename=app.log"
        + CRLF
        + "Content-Transfer-Encoding: base64"
        + CRLF
        + CRLF
        + "RVJST1IgMjAyNS0wMy0yNCBkYiB0aW1lb3V0Cg"
        + CRLF
    )
    return raw.encode("ascii"), {
        "about": "broken MIME: no closing boundary, base64 cut mid-quantum",
        "subject": "Cut off",
        "text": "Log attached.",
        "attachments_named": ["app.log"],
    }


def broken_headers() -> Mail:
    """A pasted line before the headers, an unindented continuation, a date nobody can read."""
    raw = (
        "---- Original email message ----"
        + CRLF
        + head(
            From="it@clinic3.example",
            To="support-clinic3@vendor.example",
        )
        + "Subject: Printer queue is stuck in the"
        + CRLF
        + "registry office"
        + CRLF
        + head(
            Date="24/03/2025 10:10",
            Message_ID="<junk-head@clinic3.example>",
        )
        + CRLF
        + "Nothing prints since the morning."
        + CRLF
    )
    return raw.encode("ascii"), {
        "about": "broken headers: a junk line first, unindented continuation, bad date",
        "subject": "Printer queue is stuck in the registry office",
        "sender": "it@clinic3.example",
        "date": None,
        "text": "Nothing prints since the morning.",
        "defects_contain": ["junk before headers", "continuation", "date"],
    }


def no_message_id() -> Mail:
    """No Message-ID: a synthetic one, stable for the same bytes."""
    raw = (
        head(
            From="it@clinic3.example",
            To="support-clinic3@vendor.example",
            Subject="No id",
            Date="Mon, 24 Mar 2025 10:20:00 +0300",
        )
        + CRLF
        + "A client that sends no Message-ID."
        + CRLF
    )
    return raw.encode("ascii"), {
        "about": "missing Message-ID gets a stable synthetic one",
        "subject": "No id",
        "message_id_synthetic": True,
    }


# --- replies --------------------------------------------------------------------------------


def reply_outlook_ru() -> Mail:
    """Russian Outlook, top-posted, the original under "От: … Отправлено: …"."""
    body = """Логин petrova_o, отделение травматологии. Ошибка осталась.

С уважением,
Петрова Ольга

От: Поддержка <support-clinic1@vendor.example>
Отправлено: 4 марта 2025 г. 10:02
Кому: Петрова Ольга <petrova@clinic1.example>
Тема: [SUP-1042] Ваша заявка зарегистрирована

Уточните, пожалуйста, логин.
"""
    raw = (
        head(
            From=f"{words('Петрова Ольга', 'windows-1251')} <petrova@clinic1.example>",
            To="support-clinic1@vendor.example",
            Subject=words("RE: [SUP-1042] Ваша заявка зарегистрирована", "windows-1251"),
            Date="Tue, 04 Mar 2025 10:20:00 +0300",
            Message_ID="<reply-outlook@clinic1.example>",
            In_Reply_To="<ack-SUP-1042@vendor.example>",
            References="<0001cp1251@clinic1.example> <ack-SUP-1042@vendor.example>",
            MIME_Version="1.0",
            Content_Type='text/plain; charset="windows-1251"',
            Content_Transfer_Encoding="quoted-printable",
        )
        + CRLF
        + qp(body, "windows-1251")
    )
    return raw.encode("ascii"), {
        "about": "reply (R8): Russian Outlook history and signature are cut",
        "subject": "RE: [SUP-1042] Ваша заявка зарегистрирована",
        "in_reply_to": "ack-SUP-1042@vendor.example",
        "references": ["0001cp1251@clinic1.example", "ack-SUP-1042@vendor.example"],
        "issue_keys": ["SUP-1042"],
        "reply_text": "Логин petrova_o, отделение травматологии. Ошибка осталась.",
    }


def reply_thunderbird_ru() -> Mail:
    """Thunderbird in Russian: "DD.MM.YYYY HH:MM, Name пишет:" and a ">" quote."""
    body = """Проблема решена, спасибо! Заявку можно закрывать.

05.03.2025 15:40, Поддержка пишет:
> Мы обновили модуль отчётов, проверьте, пожалуйста.
>
> --\x20
> Служба поддержки
"""
    raw = (
        head(
            From=f"{words('Сидоров Пётр')} <sidorov@clinic2.example>",
            To="support-clinic2@vendor.example",
            Subject=words("Re: [SUP-1050] Не формируется отчёт"),
            Date="Wed, 05 Mar 2025 16:00:00 +0300",
            Message_ID="<reply-tb@clinic2.example>",
            In_Reply_To="<note-SUP-1050@vendor.example>",
            MIME_Version="1.0",
            Content_Type="text/plain; charset=UTF-8; format=flowed",
            Content_Transfer_Encoding="8bit",
        )
        + CRLF
        + crlf(body)
    )
    return raw.encode("utf-8"), {
        "about": "reply (R8): Thunderbird's Russian attribution and quote are cut",
        "issue_keys": ["SUP-1050"],
        "reply_text": "Проблема решена, спасибо! Заявку можно закрывать.",
    }


def reply_gmail_html_ru() -> Mail:
    """Gmail in Russian, HTML: the quote sits in a gmail_quote div."""
    html = (
        '<div dir="ltr">Спасибо!<br>Логин: belov_k</div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">пт, 14 мар. 2025 г. в 12:30, Поддержка &lt;'
        "support-clinic2@vendor.example&gt;:<br></div>"
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
        "Укажите, пожалуйста, логин.</blockquote></div>"
    )
    plain = (
        "Спасибо!\r\nЛогин: belov_k\r\n\r\nпт, 14 мар. 2025 г. в 12:30, Поддержка <"
        "support-clinic2@vendor.example>:\r\n\r\n> Укажите, пожалуйста, логин.\r\n"
    )
    raw = (
        head(
            From="Belov Kirill <belov@clinic2.example>",
            To="support-clinic2@vendor.example",
            Subject=words("Re: [SUP-1061] Не сохраняется протокол осмотра"),
            Date="Fri, 14 Mar 2025 12:45:00 +0300",
            Message_ID="<CAGmail+reply@mail.gmail.example>",
            In_Reply_To="<question-SUP-1061@vendor.example>",
            MIME_Version="1.0",
            Content_Type='multipart/alternative; boundary="000000000000gmail"',
        )
        + CRLF
        + _multipart(
            "000000000000gmail",
            [
                'Content-Type: text/plain; charset="UTF-8"'
                + CRLF
                + "Content-Transfer-Encoding: base64"
                + CRLF
                + CRLF
                + b64(plain.encode()),
                'Content-Type: text/html; charset="UTF-8"'
                + CRLF
                + "Content-Transfer-Encoding: base64"
                + CRLF
                + CRLF
                + b64(html.encode()),
            ],
        )
    )
    return raw.encode("ascii"), {
        "about": "reply (R8): Gmail's Russian attribution and blockquote are cut",
        "issue_keys": ["SUP-1061"],
        "reply_text": "Спасибо!\nЛогин: belov_k",
        "fields": {"login": "belov_k"},
    }


def ascii_jira_key() -> Mail:
    """An English notification that names another tracker's key and a Tracker key."""
    raw = (
        head(
            From="jira@it.clinic1.example",
            To="support-clinic1@vendor.example",
            Subject="[JIRA] (OPS-315) Backup window moved; see SUP-1042",
            Date="Tue, 25 Mar 2025 08:00:00 +0000",
            Message_ID="<JIRA.315.1742889600000@it.clinic1.example>",
            MIME_Version="1.0",
            Content_Type="text/plain; charset=us-ascii",
        )
        + CRLF
        + "The nightly backup now runs at 02:00 (ISO 8601 times, UTF-8 logs)."
        + CRLF
    )
    return raw.encode("ascii"), {
        "about": "issue keys in subject order; ISO 8601 and UTF-8 in the body are not keys",
        "issue_keys": ["OPS-315", "SUP-1042"],
    }


# --- more structure -------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(32)) + b"\xff\xd9"


def html_alternative_empty_plain() -> Mail:
    """An alternative whose text/plain is empty: the HTML one gives the text."""
    raw = (
        head(
            From="reg@clinic1.example",
            To="support-clinic1@vendor.example",
            Subject="Empty plain part",
            Date="Tue, 25 Mar 2025 09:00:00 +0300",
            Message_ID="<empty-plain@clinic1.example>",
            MIME_Version="1.0",
            Content_Type='multipart/alternative; boundary="alt"',
        )
        + CRLF
        + _multipart(
            "alt",
            [
                "Content-Type: text/plain; charset=utf-8" + CRLF + CRLF + CRLF,
                "Content-Type: text/html; charset=utf-8"
                + CRLF
                + "Content-Transfer-Encoding: base64"
                + CRLF
                + CRLF
                + b64("<html><body><p><b>Печать не работает</b></p></body></html>".encode()),
            ],
        )
    )
    return raw.encode("ascii"), {
        "about": "empty text/plain alternative falls back to the HTML (bold kept as **)",
        "text": "**Печать не работает**",
        "attachments": [],
    }


def related_inline_cid() -> Mail:
    """Outlook's pasted screenshot: multipart/related, the image referenced by cid:."""
    html = (
        '<html><body><p>Ошибка на экране:</p><p><img src="cid:image001.jpg@01DB9A7E.5C3F1A20">'
        "</p></body></html>"
    )
    raw = (
        head(
            From="orlova@clinic1.example",
            To="support-clinic1@vendor.example",
            Subject="Screenshot inline",
            Date="Tue, 25 Mar 2025 09:10:00 +0300",
            Message_ID="<related@clinic1.example>",
            MIME_Version="1.0",
            Content_Type='multipart/related; type="text/html"; boundary="rel"',
        )
        + CRLF
        + _multipart(
            "rel",
            [
                "Content-Type: text/html; charset=utf-8"
                + CRLF
                + "Content-Transfer-Encoding: base64"
                + CRLF
                + CRLF
                + b64(html.encode()),
                'Content-Type: image/jpeg; name="image001.jpg"'
                + CRLF
                + "Content-ID: <image001.jpg@01DB9A7E.5C3F1A20>"
                + CRLF
                + "Content-Transfer-Encoding: base64"
                + CRLF
                + CRLF
                + b64(JPEG),
            ],
        )
    )
    return raw.encode("ascii"), {
        "about": "inline cid: image without a disposition is an inline attachment",
        "text_contains": ["Ошибка на экране:"],
        "attachments": [
            {
                "filename": "image001.jpg",
                "content_type": "image/jpeg",
                "size": len(JPEG),
                "inline": True,
                "content_id": "image001.jpg@01DB9A7E.5C3F1A20",
            }
        ],
    }


def signed_detached() -> Mail:
    """multipart/signed: the signed text is the body; the signature is not a file."""
    raw = (
        head(
            From="it@clinic3.example",
            To="support-clinic3@vendor.example",
            Subject="Signed",
            Date="Tue, 25 Mar 2025 09:20:00 +0300",
            Message_ID="<signed@clinic3.example>",
            MIME_Version="1.0",
            Content_Type="multipart/signed; micalg=pgp-sha256;"
            + CRLF
            + ' protocol="application/pgp-signature"; boundary="sig"',
        )
        + CRLF
        + _multipart(
            "sig",
            [
                "Content-Type: text/plain; charset=utf-8"
                + CRLF
                + "Content-Transfer-Encoding: base64"
                + CRLF
                + CRLF
                + b64("Подписанное письмо: сервер перезагружен.\r\n".encode()),
                'Content-Type: application/pgp-signature; name="signature.asc"'
                + CRLF
                + CRLF
                + "-----BEGIN PGP SIGNATURE-----"
                + CRLF
                + "iQEzBAEBCAAdFiEE"
                + CRLF
                + "-----END PGP SIGNATURE-----"
                + CRLF,
            ],
        )
    )
    return raw.encode("ascii"), {
        "about": "a detached signature is dropped, the signed text kept",
        "text": "Подписанное письмо: сервер перезагружен.",
        "attachments": [],
    }


ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Update\r\nEND:VEVENT\r\n"
    b"END:VCALENDAR\r\n"
)


def calendar_invite() -> Mail:
    """An invitation: text/calendar beside the body alternatives is kept as a file."""
    raw = (
        head(
            From="it@clinic3.example",
            To="support-clinic3@vendor.example",
            Subject="Invitation: update window",
            Date="Tue, 25 Mar 2025 09:30:00 +0300",
            Message_ID="<invite@clinic3.example>",
            MIME_Version="1.0",
            Content_Type='multipart/alternative; boundary="inv"',
        )
        + CRLF
        + _multipart(
            "inv",
            [
                "Content-Type: text/plain; charset=utf-8" + CRLF + CRLF + "Update window." + CRLF,
                "Content-Type: text/html; charset=utf-8"
                + CRLF
                + CRLF
                + "<p>Update window.</p>"
                + CRLF,
                'Content-Type: text/calendar; charset=utf-8; method=REQUEST; name="invite.ics"'
                + CRLF
                + "Content-Transfer-Encoding: base64"
                + CRLF
                + CRLF
                + b64(ICS),
            ],
        )
    )
    return raw.encode("ascii"), {
        "about": "a calendar invitation in the alternative is an attachment",
        "text": "Update window.",
        "attachments": [
            {"filename": "invite.ics", "content_type": "text/calendar", "size": len(ICS)}
        ],
    }


def single_part_pdf() -> Mail:
    """A scanner's mail: the whole message is one PDF."""
    raw = (
        head(
            From="scanner@clinic2.example",
            To="support-clinic2@vendor.example",
            Subject="Scan",
            Date="Tue, 25 Mar 2025 09:40:00 +0300",
            Message_ID="<scan@clinic2.example>",
            MIME_Version="1.0",
            Content_Type='application/pdf; name="scan0001.pdf"',
            Content_Disposition='attachment; filename="scan0001.pdf"',
            Content_Transfer_Encoding="base64",
        )
        + CRLF
        + b64(PDF)
    )
    return raw.encode("ascii"), {
        "about": "a single-part non-text mail: no text, one attachment",
        "text": "",
        "attachments": [
            {"filename": "scan0001.pdf", "content_type": "application/pdf", "size": len(PDF)}
        ],
    }


def unnamed_parts() -> Mail:
    """Files without names get one from their type, numbered when repeated."""
    raw = (
        head(
            From="reg@clinic1.example",
            To="support-clinic1@vendor.example",
            Subject="Unnamed",
            Date="Tue, 25 Mar 2025 09:50:00 +0300",
            Message_ID="<unnamed@clinic1.example>",
            MIME_Version="1.0",
            Content_Type='multipart/mixed; boundary="un"',
        )
        + CRLF
        + _multipart(
            "un",
            [
                "Content-Type: text/plain" + CRLF + CRLF + "Three files." + CRLF,
                _attachment("attachment", "image/jpeg", JPEG),
                _attachment('attachment; filename=""', "text/html; charset=utf-8", b"<p>1</p>"),
                _attachment("attachment", "text/html; charset=utf-8", b"<p>2</p>"),
            ],
        )
    )
    return raw.encode("ascii"), {
        "about": "unnamed and blank-named parts are named by type and made unique",
        "text": "Three files.",
        "attachments_named": ["image.jpg", "document.html", "document1.html"],
    }


def blank_line_in_headers() -> Mail:
    """mail.ru forwarded by Yandex: a blank line after Subject pushes MIME headers down."""
    raw = (
        head(
            From="reg@clinic2.example",
            To="support-clinic2@vendor.example",
            Date="Tue, 25 Mar 2025 10:00:00 +0300",
            Message_ID="<blank-line@clinic2.example>",
            Subject=words("Не работает поиск пациента"),
        )
        + CRLF
        + head(
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="base64",
            MIME_Version="1.0",
        )
        + CRLF
        + b64("Поиск по фамилии ничего не находит.\r\n".encode())
    )
    return raw.encode("ascii"), {
        "about": "broken headers: a blank line inside the header block is removed",
        "subject": "Не работает поиск пациента",
        "text": "Поиск по фамилии ничего не находит.",
        "defects_contain": ["blank line inside header block removed"],
    }


def folded_split_subject() -> Mail:
    """A long UTF-8 subject folded over three lines, a letter split across two words."""
    subject = "Очень длинная тема письма о том, что не печатаются направления на анализы"
    data = subject.encode()
    cut = data.index("печатаются".encode()) + 1  # inside the two bytes of "п"
    first = base64.b64encode(data[:cut]).decode()
    second = base64.b64encode(data[cut:]).decode()
    folded = f"=?UTF-8?B?{first}?=\r\n =?UTF-8?B?{second}?="
    raw = (
        head(
            From="reg@clinic1.example",
            To="support-clinic1@vendor.example",
            Subject=folded,
            Date="Tue, 25 Mar 2025 10:10:00 +0300",
            Message_ID="<folded@clinic1.example>",
        )
        + CRLF
        + "body"
        + CRLF
    )
    return raw.encode("ascii"), {
        "about": "folded subject whose encoded words split a character are joined",
        "subject": subject,
    }


def uuencoded_attachment() -> Mail:
    """An old mailer's file sent with Content-Transfer-Encoding: x-uuencode."""
    data = b"uuencoded file from an old mailer\n"
    block = "begin 644 report.txt\r\n" + binascii.b2a_uu(data).decode().replace("\n", CRLF)
    block += "`" + CRLF + "end" + CRLF
    raw = (
        head(
            From="old@clinic3.example",
            To="support-clinic3@vendor.example",
            Subject="uuencode",
            Date="Tue, 25 Mar 2025 10:20:00 +0300",
            Message_ID="<uu@clinic3.example>",
            MIME_Version="1.0",
            Content_Type='multipart/mixed; boundary="uu"',
        )
        + CRLF
        + _multipart(
            "uu",
            [
                "Content-Type: text/plain" + CRLF + CRLF + "Report attached." + CRLF,
                'Content-Type: text/plain; name="report.txt"'
                + CRLF
                + "Content-Disposition: attachment; filename=report.txt"
                + CRLF
                + "Content-Transfer-Encoding: x-uuencode"
                + CRLF
                + CRLF
                + block,
            ],
        )
    )
    return raw.encode("ascii"), {
        "about": "a part in x-uuencode is decoded to the file's bytes",
        "text": "Report attached.",
        "attachments": [
            {"filename": "report.txt", "content_type": "text/plain", "size": len(data)}
        ],
    }


# --- routing, threading, addresses ----------------------------------------------------------


def routing_and_threading() -> Mail:
    """A forwarded copy: Delivered-To and X-Original-To, several In-Reply-To ids, bare id."""
    raw = (
        head(
            Return_Path="<sender@clinic1.example>",
            Delivered_To="Support-Clinic1@Vendor.example",
            X_Original_To="helpdesk@vendor.example",
            From='"Зайцева, Нина (регистратура)" <zaytseva@clinic1.example>',
            To="Helpdesk <helpdesk@vendor.example>",
            Cc="Главврач <chief@clinic1.example>, it@clinic1.example",
            Subject=words("Re: [SUP-1103] Запись на приём"),
            Date="Wed, 26 Mar 2025 08:30:00 +0500",
            Message_ID="bare-id-without-brackets@clinic1.example",
            In_Reply_To="<q-SUP-1103@vendor.example> <older@vendor.example>",
            References="<0001@clinic1.example>\r\n <q-SUP-1103@vendor.example>",
            MIME_Version="1.0",
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="8bit",
        )
        + CRLF
        + "Запись снова работает, спасибо."
        + CRLF
    ).encode()
    return raw, {
        "about": "routing headers (R2), several In-Reply-To ids, a bare Message-ID, a comma name",
        "subject": "Re: [SUP-1103] Запись на приём",
        "sender": "zaytseva@clinic1.example",
        "sender_name": "Зайцева, Нина (регистратура)",
        "message_id": "bare-id-without-brackets@clinic1.example",
        "in_reply_to": "q-SUP-1103@vendor.example",
        "references": ["0001@clinic1.example", "q-SUP-1103@vendor.example"],
        "delivered_to": ["support-clinic1@vendor.example", "helpdesk@vendor.example"],
        "to": ["helpdesk@vendor.example"],
        "cc": ["chief@clinic1.example", "it@clinic1.example"],
        "date": "2025-03-26T08:30:00+05:00",
        "issue_keys": ["SUP-1103"],
    }


def reply_bottom_posted_ru() -> Mail:
    """Thunderbird bottom-posting: the quote first, the answer below it."""
    body = """26.03.2025 10:00, Поддержка пишет:
> Проверьте, пожалуйста, печать после обновления.

Проверили: печать работает.
Спасибо!
"""
    raw = (
        head(
            From="pechat@clinic2.example",
            To="support-clinic2@vendor.example",
            Subject=words("Re: [SUP-1110] Печать"),
            Date="Wed, 26 Mar 2025 11:00:00 +0300",
            Message_ID="<bottom@clinic2.example>",
            MIME_Version="1.0",
            Content_Type="text/plain; charset=utf-8",
            Content_Transfer_Encoding="8bit",
        )
        + CRLF
        + crlf(body)
    )
    return raw.encode("utf-8"), {
        "about": "reply (R8): bottom-posted, the answer below the quote is kept",
        "reply_text": "Проверили: печать работает.\nСпасибо!",
    }


def forward_base64() -> Mail:
    """A message/rfc822 part sent in base64: stored as the decoded message."""
    raw = (
        head(
            From="registry@clinic2.example",
            To="support-clinic2@vendor.example",
            Subject="Fwd: base64",
            Date="Wed, 26 Mar 2025 11:10:00 +0300",
            Message_ID="<fwd64@clinic2.example>",
            MIME_Version="1.0",
            Content_Type='multipart/mixed; boundary="f64"',
        ).encode()
        + CRLF.encode()
        + b"--f64\r\nContent-Type: text/plain\r\n\r\nForwarded.\r\n"
        + b"--f64\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b64(INNER).encode()
        + b"--f64--\r\n"
    )
    return raw, {
        "about": "a base64-encoded forwarded message is decoded, named by its subject",
        "text": "Forwarded.",
        "attachments_named": ["Ошибка печати направления.eml"],
        "forwarded": [
            {"subject": "Ошибка печати направления", "text": "Направление печатается пустым."}
        ],
    }


def cp1251_koi8_mixed_subject() -> Mail:
    """A subject whose encoded words use two charsets, each decoded with its own."""
    subject = words("Ошибка ", "windows-1251") + " " + words("в отчёте", "koi8-r", "Q")
    raw = (
        head(
            From="it@clinic3.example",
            To="support-clinic3@vendor.example",
            Subject=subject,
            Date="Wed, 26 Mar 2025 11:20:00 +0300",
            Message_ID="<mixed@clinic3.example>",
        )
        + CRLF
        + "body"
        + CRLF
    )
    return raw.encode("ascii"), {
        "about": "encoded words in windows-1251 and KOI8-R in one subject",
        "subject": "Ошибка в отчёте",
    }


def _from_table() -> dict[str, Mail]:
    mails: dict[str, Mail] = {
        "cp1251_declared": cp1251_declared(),
        "koi8r_base64": koi8r_base64(),
        "utf8_template_full": utf8_template_full(),
        "utf8_raw_headers_flowed": utf8_8bit_subject_no_mime(),
        "undeclared_cp1251": undeclared_cp1251(),
        "undeclared_koi8r": undeclared_koi8r(),
        "outlook_html_only": outlook_html_only(),
        "template_html_table": template_html_table(),
        "template_variants": template_variants(),
        "template_absent": template_absent(),
        "tnef_with_files": tnef_with_files(),
        "tnef_body_only": tnef_body_only(),
        "tnef_not_tnef": tnef_not_tnef(),
        "dsn_postfix": dsn_postfix(),
        "dsn_exim": dsn_exim(),
        "dsn_russian_empty_return_path": dsn_yandex_ru(),
        "filenames_rfc2231": filenames_rfc2231(),
        "filenames_encoded_words": filenames_encoded_words(),
        "nested_rfc822": nested_rfc822(),
        "broken_no_boundary": broken_no_boundary(),
        "broken_unterminated": broken_unterminated(),
        "broken_headers": broken_headers(),
        "no_message_id": no_message_id(),
        "reply_outlook_ru": reply_outlook_ru(),
        "reply_thunderbird_ru": reply_thunderbird_ru(),
        "reply_gmail_html_ru": reply_gmail_html_ru(),
        "keys_in_notification": ascii_jira_key(),
        "auto_subject_only": auto_subject_only(),
        "html_alternative_empty_plain": html_alternative_empty_plain(),
        "html_related_inline_cid": related_inline_cid(),
        "structure_signed_detached": signed_detached(),
        "structure_calendar_invite": calendar_invite(),
        "structure_single_part_pdf": single_part_pdf(),
        "structure_unnamed_parts": unnamed_parts(),
        "broken_blank_line_in_headers": blank_line_in_headers(),
        "utf8_folded_split_subject": folded_split_subject(),
        "structure_uuencoded": uuencoded_attachment(),
        "utf8_routing_and_threading": routing_and_threading(),
        "reply_bottom_posted_ru": reply_bottom_posted_ru(),
        "nested_rfc822_base64": forward_base64(),
        "cp1251_koi8_mixed_subject": cp1251_koi8_mixed_subject(),
    }
    for name, (header, value, reason, note) in AUTO_REPLIES.items():
        if name != "auto_subject_only":
            mails[name] = _auto(name, header, value, reason, note)
    return mails


def build() -> dict[str, Mail]:
    """Every mail by name: its bytes and its expected parse."""
    return dict(sorted(_from_table().items()))


def expected_json(expected: dict[str, Any]) -> str:
    return json.dumps(expected, ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    for old in [*HERE.glob("*.eml"), *HERE.glob("*.json")]:
        old.unlink()
    for name, (raw, expected) in build().items():
        (HERE / f"{name}.eml").write_bytes(raw)
        (HERE / f"{name}.json").write_text(expected_json(expected), encoding="utf-8")
    sys.stdout.write(f"wrote {len(build())} mails to {HERE}\n")


if __name__ == "__main__":
    main()
