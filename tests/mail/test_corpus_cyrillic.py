"""Russian mail in every charset clinic clients use decodes to readable Cyrillic (R7).

Files are those listed under "Coverage" in corpus/SOURCES.md; each assertion names words a
person would read, so a wrong code page (cp1251 read as KOI8 or Latin-1) fails visibly.
"""

from __future__ import annotations

import pytest

from tests.mail.corpus import raw
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.regulation.model import InboundMail

pytestmark = needs_corpus


def parsed(name: str) -> InboundMail:
    return parse_message(raw(name))


@pytest.mark.parametrize(
    ("name", "subject", "body"),
    [
        ("tb__sample05.eml", "Алфавит", "Вопрос"),  # windows-1251 base64
        ("tb__sample04.eml", "Алфавит", "Вопрос"),  # koi8-r base64
        ("rt__russian-subject-no-content-type.eml", "тест тест", "ТЕСТ"),  # raw 8-bit koi8-r
        ("flanker__bilingual-simple.eml", "Как ты поживаешь?", "А эта линия по-русски."),
        ("spamscope__mail_test_1.eml", "письмо уведом-е", "Налогоплательщик!"),
        ("spamscope__mail_test_6.eml", "Быстрее вкладывайте в золото!", "Профессионалы.ru"),
        ("discourse__encoded_display_name.eml", "I need help", "Будьте здоровы!"),
    ],
)
def test_r7_subject_and_body_are_readable_russian(name: str, subject: str, body: str) -> None:
    """Subject and body decode to the Russian words the sender wrote."""
    mail = parsed(name)
    assert subject in mail.subject
    assert body in mail.text


def test_undeclared_cp1251_body_is_detected() -> None:
    """An 8-bit cp1251 body declared "7bit" reads as Russian (django-mailbox's own expectation)."""
    mail = parsed("djmailbox__message_with_single_byte_encoding.eml")
    assert mail.text == "Это сообщение имеет неправильную кодировка."


def test_raw_cp1251_subject_in_a_broken_header_block_is_detected() -> None:
    """mail.ru's raw 8-bit cp1251 Subject reads as Russian, not as Latin-1 mojibake."""
    mail = parsed("djmailbox__message_with_single_byte_extended_subject_encoding.eml")
    assert mail.subject == "Узнай как зарабатывать от 1000$ в неделю!"
    assert mail.sender_name == "test test"


def test_undeclared_koi8_body_is_detected() -> None:
    """A KOI8 body without any charset declaration reads as Russian."""
    assert "У меня большая семья из шести человек" in parsed("tb__noCharsetKOI8U.eml").text


def test_mixed_charset_subject_decodes_each_word() -> None:
    """A Subject mixing utf-8, iso-8859-1 and cp-1251 encoded-words decodes all three."""
    subject = parsed("zammad__mail006.box.eml").subject
    assert "使って" in subject and "Priorität" in subject and "Сергей Углицких" in subject


def test_encoded_words_split_mid_character_are_joined() -> None:
    """UTF-8 Cyrillic split across adjacent Q and B encoded-words is whole again."""
    mail = parsed("otobo__PostMaster-Test22.box.eml")
    assert mail.subject == "QBQB Евгений Васильев Новоподзалупинский <xxzzyy@gmail.com>"


def test_cyrillic_display_names() -> None:
    """Display names in cp1251, koi8-r and split utf-8 encoded-words decode."""
    assert parsed("rubymail__raw_email_bad_time.eml").sender_name.startswith("Атиков")
    assert parsed("djmailbox__message_with_koi8r_filename_attachments.eml").sender_name == (
        "Савостенок Ольга Святославовна"
    )
    assert parsed("phpmmp__m0124.eml").sender_name == 'ФГУП "СибНИА им.С.А.Чаплыгина""'
    assert parsed("discourse__encoded_display_name.eml").sender_name == "Случайная Имя"
    assert parsed("flanker__mailformed-headers.eml").sender_name.startswith("Юникод запрещен")


def test_cyrillic_attachment_names() -> None:
    """Attachment names in koi8-r, windows-1251 and raw utf-8 decode to Russian."""
    koi8 = parsed("djmailbox__message_with_koi8r_filename_attachments.eml")
    assert [a.filename for a in koi8.attachments] == [
        "Пакет предложений HSE Career Fair 8 апреля 2016.pdf",
        "Ведомости.pdf",
        "Пакет предложений 2016.pptx",
    ]
    assert koi8.subject == "Предложения от НИУ ВШЭ на 2016 год"
    names = [a.filename for a in parsed("otobo__PostMaster-Test12.box.eml").attachments]
    assert "Обяснительная.jpg" in names and "Сообщение.jpg" in names
    test13 = parsed("otobo__PostMaster-Test13.box.eml")
    assert test13.subject == "Заявка на генерацию 402 240108 (3)"
    assert [a.filename for a in test13.attachments] == ["Заявка на генерацию 402 240108 (3).doc"]
    yahoo = parsed("flanker__russian-attachment-yahoo.eml").attachments[0].filename
    assert yahoo.startswith("Картинка с очень, очень длинным предлинным именем")
    assert parsed("spamscope__mail_test_1.eml").attachments[0].filename == "ФНС_РФ558.zip"
