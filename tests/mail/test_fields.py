"""R7: the request template's labelled lines become fields, whatever the layout."""

from __future__ import annotations

import pytest

from tests.mail.build import message
from tracker_bridge.mail.fields import extract_fields
from tracker_bridge.mail.parse import parse_message

TEMPLATE = """Добрый день!

Не печатается выписка из истории болезни.

Отделение: Хирургия №2
Логин (в системе): ivanova_a
Номер амбулаторной карты (пациента): 123456
Номер истории болезни: 2025/789
Наименование записи: Выписной эпикриз
Наименование кнопки (перехода): Печать

С уважением,
Иванова Анна
"""

FULL = {
    "department": "Хирургия №2",
    "login": "ivanova_a",
    "card_number": "123456",
    "history_number": "2025/789",
    "record_name": "Выписной эпикриз",
    "button_name": "Печать",
}


def test_r7_the_regulation_template_in_plain_text() -> None:
    """The R7 template as the regulation words it yields all six fields."""
    assert parse_message(message(TEMPLATE)).fields == FULL


def test_short_label_variants_case_and_separators() -> None:
    """Abbreviations, upper case, "№", dashes, tabs and wide spaces are all accepted."""
    text = (
        "ОТДЕЛЕНИЕ — Хирургия №2\n"
        "логин\tivanova_a\n"
        "№ амб. карты: №123456\n"
        "ИБ № 2025/789\n"
        "Запись - Выписной эпикриз\n"
        "Кнопка:   Печать\n"
    )
    assert extract_fields(text) == FULL


def test_numbered_bulleted_and_bold_labels() -> None:
    """List numbering, bullets and Markdown bold (from HTML) around labels are ignored."""
    text = (
        "1. **Отделение:** Хирургия №2\n"
        "2) Логин в системе: ivanova_a\n"
        "* Амбулаторная карта: 123456\n"
        "- № истории болезни: 2025/789\n"
        "• Название записи: Выписной эпикриз\n"
        "**Название кнопки**: Печать\n"
    )
    assert extract_fields(text) == FULL


def test_label_alone_takes_the_next_line() -> None:
    """A label on its own line takes its value from the next non-blank line."""
    text = "Логин:\n\nivanova_a\nОтделение:\nТерапия\n"
    assert extract_fields(text) == {"login": "ivanova_a", "department": "Терапия"}


def test_r7_html_table_label_and_value_cells() -> None:
    """An HTML table with label cells and value cells yields the fields (R7 from Outlook)."""
    rows = "".join(
        f"<tr><td><b>{label}</b></td><td>{value}</td></tr>"
        for label, value in [
            ("Отделение", "Хирургия №2"),
            ("Логин (в системе)", "ivanova_a"),
            ("Номер амбулаторной карты (пациента)", "123456"),
            ("Номер истории болезни", "2025/789"),
            ("Наименование записи", "Выписной эпикриз"),
            ("Наименование кнопки (перехода)", "Печать"),
        ]
    )
    html = f"<html><body><p>Добрый день!</p><table>{rows}</table></body></html>"
    assert parse_message(message(html, subtype="html")).fields == FULL


def test_first_occurrence_wins_and_missing_fields_are_absent() -> None:
    """Only fields present are returned; a repeated label keeps its first value."""
    text = "Логин: first\nЛогин: second\n"
    assert extract_fields(text) == {"login": "first"}


def test_a_request_without_a_template_has_no_fields() -> None:
    """Free text (R7: unrecognised layout) gives no fields, the text stays the description."""
    mail = parse_message(message("Не открывается карта пациента, помогите пожалуйста."))
    assert mail.fields == {}
    assert mail.text.startswith("Не открывается")


@pytest.mark.parametrize(
    "line",
    [
        "Записи пациентов не отображаются",  # "Запись" only as a word in a sentence
        "Логином не получается войти",
        "Кнопка не нажимается",
        "Отделение кардиологии просит помочь",
        "Логин:",  # a label without a value anywhere
    ],
)
def test_sentences_that_start_like_labels_are_not_fields(line: str) -> None:
    """A label word inside a sentence is not a field."""
    assert extract_fields(line) == {}


def test_fields_come_from_the_new_part_of_a_reply() -> None:
    """A quoted old template does not override the reply (fields read from reply_text)."""
    text = (
        "Логин: petrov\n\nOn Wed, 1 Jan 2025 at 10:00, Support <s@v.example> wrote:\n> Логин: old\n"
    )
    assert parse_message(message(text)).fields == {"login": "petrov"}


def test_html_alternative_fills_fields_the_plain_rendering_flattened() -> None:
    """Plain text "Отделение Хирургия" (table flattened) + HTML table: fields come from the HTML."""
    plain = "Добрый день!\n\nОтделение Хирургия №2\nЛогин ivanova_a\n"
    html = (
        "<p>Добрый день!</p><table><tr><td>Отделение</td><td>Хирургия №2</td></tr>"
        "<tr><td>Логин</td><td>ivanova_a</td></tr></table>"
    )
    raw = (
        "From: a@clinic1.example\r\nSubject: x\r\nMessage-ID: <alt@x>\r\n"
        'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{plain}\r\n"
        f"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b--\r\n"
    ).encode()
    mail = parse_message(raw)
    assert mail.text.startswith("Добрый день!\n\nОтделение Хирургия")  # text/plain is the body
    assert mail.fields == {"department": "Хирургия №2", "login": "ivanova_a"}


@pytest.mark.parametrize(
    "line", ["Отделение: | Хирургия №2", "| Отделение | Хирургия №2 |", "Отделение:\tХирургия №2"]
)
def test_table_and_tab_layouts(line: str) -> None:
    """Label cells with a colon, Markdown table rows and tabs all separate label and value."""
    assert extract_fields(line) == {"department": "Хирургия №2"}


# The labels exactly as the regulation's template writes them (seed/regulation.ru.txt, R7).
REGULATION_LABELS = """Не формируется направление на анализы.

Номер амбулаторной карты пациента: 555
Номер истории болезни пациента: 2026/12
Логин в системе: petrov
Наименование записи: Направление на анализы
Наименование кнопки перехода: Сформировать
"""
REGULATION_FIELDS = {
    "card_number": "555",
    "history_number": "2026/12",
    "login": "petrov",
    "record_name": "Направление на анализы",
    "button_name": "Сформировать",
}


def test_r7_every_label_of_the_regulations_template_in_plain_text() -> None:
    """R7: each label as the regulation writes it, «Наименование кнопки перехода» included."""
    assert parse_message(message(REGULATION_LABELS)).fields == REGULATION_FIELDS


def test_r7_every_label_of_the_regulations_template_in_html() -> None:
    """R7: the same labels in an HTML list (as the regulation itself is laid out) and table."""
    items = "".join(
        f"<li><b>{line.split(':')[0]}</b>: {line.split(': ', 1)[1]}</li>"
        for line in REGULATION_LABELS.splitlines()[2:]
    )
    listed = f"<html><body><p>Не формируется направление.</p><ul>{items}</ul></body></html>"
    assert parse_message(message(listed, subtype="html")).fields == REGULATION_FIELDS
    rows = "".join(
        f"<tr><td>{line.split(':')[0]}</td><td>{line.split(': ', 1)[1]}</td></tr>"
        for line in REGULATION_LABELS.splitlines()[2:]
    )
    table = f"<html><body><table>{rows}</table></body></html>"
    assert parse_message(message(table, subtype="html")).fields == REGULATION_FIELDS
