"""R8/R15: the new part of a reply, with the quoted history and signature cut off."""

from __future__ import annotations

import pytest

from tests.mail.build import message
from tests.mail.corpus import raw
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.mail.reply import reply_part

NEW = "Проверено, ошибок нет."

QUOTED = {
    "outlook-en": "-----Original Message-----\nFrom: Support\nSent: Wednesday\n\nold",
    "outlook-ru": "-----Исходное сообщение-----\nОт: Поддержка\nОтправлено: 1 января\n\nold",
    "outlook-headers-ru": "От: Поддержка <support@vendor.example>\n"
    "Отправлено: 1 января 2025 г. 10:00\nКому: Иванова Анна\nТема: SUP-42\n\nold",
    "outlook-headers-html": "**From:** Support <support@vendor.example>\n**Sent:** Wednesday, "
    "January 1, 2025 10:00 AM\n**To:** Anna\n\nold",
    "thunderbird-en": "On 01.01.2025 10:00, Support wrote:\n> old",
    "thunderbird-ru": "01.01.2025 10:00, Поддержка пишет:\n> old",
    "gmail-en": "On Wed, Jan 1, 2025 at 10:00 AM Support <support@vendor.example>\nwrote:\n\n> old",
    "gmail-ru": "ср, 1 янв. 2025 г. в 10:00, Поддержка <support@vendor.example>:\n\n> old",
    "yandex": '01.01.2025, 10:00, "Поддержка" <support@vendor.example>:\n> old',
    "mail-ru": "Среда, 1 января 2025, 10:00 +03:00 от Поддержка <support@vendor.example>:\n> old",
    "bare-quote": "> old\n> older\n",
    "web-de": "**Gesendet:** Mittwoch, 03. Februar 2016\n**Von:** Support\n**An:** Anna\n\nold",
    "outlook-de": "----- Original Nachricht ----\nVon: support@vendor.example\nDatum: heute\n\nold",
}


@pytest.mark.parametrize("style", sorted(QUOTED))
def test_r8_quoted_history_is_cut_per_client_style(style: str) -> None:
    """Each client's way of quoting is recognised and only the new text remains."""
    text = f"{NEW}\n\n{QUOTED[style]}"
    assert reply_part(text) == NEW


@pytest.mark.parametrize(
    "signature",
    [
        "-- \nИванова Анна\nтел. 123",
        "С уважением,\nИванова Анна",
        "Best regards,\nAnna",
        "Отправлено с iPhone",
        "Отправлено из мобильной Почты Mail.ru",
    ],
)
def test_signature_before_the_quote_goes_too(signature: str) -> None:
    """Once a quote is found, the signature above it is cut as well."""
    text = f"{NEW}\n\n{signature}\n\nOn 01.01.2025 10:00, Support wrote:\n> old"
    assert reply_part(text) == NEW


def test_nothing_quoted_means_the_text_unchanged() -> None:
    """A new request keeps its whole text, signature included (reply_text == text)."""
    text = f"{NEW}\n\nС уважением,\nИванова Анна"
    assert reply_part(text) == text
    mail = parse_message(message(text))
    assert mail.reply_text == mail.text


def test_forwarded_message_is_content_not_history() -> None:
    """A forward ("---------- Forwarded message ----------") is kept whole."""
    forward = "---------- Forwarded message ---------\nFrom: Petrov\nDate: today\n\nтекст"
    text = f"Смотрите ниже.\n\n{forward}"
    assert reply_part(text) == text


def test_a_reply_that_is_only_a_quote_keeps_the_text() -> None:
    """If cutting would leave nothing, the whole text is kept (never an empty comment)."""
    text = "On 01.01.2025 10:00, Support wrote:\n> old"
    assert reply_part(text) == text


def test_time_in_the_new_text_is_not_an_attribution() -> None:
    """A line with a time right above the real attribution stays in the reply."""
    text = "Приду в 10:00 завтра.\nOn Wed, 1 Jan 2025, Support <s@v.example> wrote:\n> old"
    assert reply_part(text) == "Приду в 10:00 завтра."


def test_interleaved_answers_are_kept() -> None:
    """Answers written between quoted lines are not thrown away."""
    text = "> Вопрос 1?\nОтвет 1.\n> Вопрос 2?\nОтвет 2."
    assert reply_part(text) == text


@needs_corpus
def test_bottom_posted_reply_keeps_the_answer_below_the_quote() -> None:
    """Thunderbird bottom-posting (corpus, German "Am … schrieb …:"): the answer is below."""
    mail = parse_message(raw("zammad__mail005.box.eml"))
    assert mail.text.startswith("Am 07.05.2012 08:10, schrieb")
    assert mail.reply_text.startswith("Hallo Martin,")
    assert mail.reply_text.endswith("John & Marc")
    assert ">" not in mail.reply_text


@needs_corpus
def test_top_posted_corpus_reply_is_cut() -> None:
    """A top-posted German Outlook reply from the corpus loses its quoted original."""
    mail = parse_message(raw("zammad__mail012.box.eml"))
    assert "Von:" in mail.text
    assert mail.reply_text.startswith("Hallo Herr Edenhofer,")
    assert "Von:" not in mail.reply_text
    assert mail.reply_text.endswith("Zugriff erhalten wir auch.")


HTML_REPLIES = {
    "outlook-ru": "<p class=MsoNormal>Проверено, ошибок нет.<o:p></o:p></p><p>С уважением,<br>"
    "Иванова</p><div style='border-top:solid #E1E1E1 1.0pt'><p><b>От:</b> Поддержка "
    "&lt;support@vendor.example&gt;<br><b>Отправлено:</b> 1 января 2025 г. 10:00<br>"
    "<b>Кому:</b> Иванова</p></div><p>old text</p>",
    "gmail-ru": "<div dir=ltr>Проверено, ошибок нет.</div><br><div class=gmail_quote><div "
    "class=gmail_attr>ср, 1 янв. 2025 г. в 10:00, Поддержка &lt;<a href='mailto:s@v.example'>"
    "s@v.example</a>&gt;:<br></div><blockquote class=gmail_quote>old text</blockquote></div>",
    "yandex": "<div>Проверено, ошибок нет.</div><div>&nbsp;</div><div>01.01.2025, 10:00, "
    "&quot;Поддержка&quot; &lt;support@vendor.example&gt;:</div><blockquote><div>old text"
    "</div></blockquote>",
    "mail-ru": "<div>Проверено, ошибок нет.</div><blockquote>Среда, 1 января 2025, 10:00 +03:00 "
    "от Поддержка &lt;support@vendor.example&gt;:<br><br>old text</blockquote>",
}


@pytest.mark.parametrize("client", sorted(HTML_REPLIES))
def test_html_replies_of_russian_clients_are_trimmed(client: str) -> None:
    """HTML replies (converted to text) lose the quote of each Russian client style."""
    mail = parse_message(message(HTML_REPLIES[client], subtype="html"))
    assert "old text" in mail.text
    assert mail.reply_text == NEW
