"""Reply/forward prefixes and ``[KEY]`` markers in subjects (PRIOR-ART §13.4, R8, R20)."""

from __future__ import annotations

import pytest

from tracker_bridge.mail.thread_match import normalize_subject, subject_keys


class TestNormalizeSubject:
    @pytest.mark.parametrize(
        ("subject", "expected"),
        [
            ("Re: Не печатается выписка", "Не печатается выписка"),
            ("RE: RE: re: Отчёт", "Отчёт"),
            ("Re[2]: Отчёт", "Отчёт"),
            ("RE(3): Отчёт", "Отчёт"),
            ("Re^2: Отчёт", "Отчёт"),
            ("Re : Отчёт", "Отчёт"),
            ("Fwd: FW: Fw: fwd:Отчёт", "Отчёт"),
            ("Ответ: Отв: Отчёт", "Отчёт"),
            ("Пересл.: Переслано: Отчёт", "Отчёт"),
            ("ОТВ: ПЕРЕСЛ: Отчёт", "Отчёт"),
            ("Відп: Отчёт", "Отчёт"),
            ("AW: WG: SV: VS: TR: RV: Отчёт", "Отчёт"),
            ("Ответ：Отчёт", "Отчёт"),
            ("Re: Fwd: RE[2]: Отв: [SUP-42] Не печатается", "[SUP-42] Не печатается"),
            ("[EXTERNAL] RE: [SUP-1] Касса", "[SUP-1] Касса"),
            ("  Re:   Много    пробелов\t ", "Много пробелов"),
            ("Re: Re: Re:", ""),
        ],
    )
    def test_strips_every_stacked_prefix(self, subject: str, expected: str) -> None:
        """Russian and foreign reply/forward prefixes are removed repeatedly, with counters."""
        assert normalize_subject(subject) == expected

    @pytest.mark.parametrize(
        "subject",
        [
            "Resume: отчёт за месяц",
            "Research",
            "Отвал печати: Терапия",
            "[SUP-42] Ошибка: кнопка не нажимается",
            "Итоги: R1 выполнено",
            "Ответственный врач не виден",
        ],
    )
    def test_leaves_ordinary_subjects_alone(self, subject: str) -> None:
        """Words that merely start like a prefix, and our own key tag, are kept."""
        assert normalize_subject(subject) == subject

    def test_a_foreign_tag_without_a_following_prefix_is_kept(self) -> None:
        """A bracket tag is dropped only when a reply prefix follows it."""
        assert (
            normalize_subject("[Терапия] Не открывается карта") == "[Терапия] Не открывается карта"
        )

    def test_reply_equals_original_after_normalising(self) -> None:
        """A reply's subject normalises to the same text as the notification it answers."""
        ours = "[SUP-7] Изменения готовы к проверке: Не печатается выписка"
        assert normalize_subject(f"Отв: RE: {ours}") == normalize_subject(ours)


class TestSubjectKeys:
    def test_r8_finds_the_bracketed_key(self) -> None:
        """The ``[SUP-42]`` marker of our notifications is found in a reply (R8)."""
        assert subject_keys("Re: [SUP-42] Изменения готовы к проверке") == ("SUP-42",)

    def test_finds_several_in_order_without_duplicates(self) -> None:
        """Several keys come out first-seen first, each once, upper-cased."""
        subject = "Fwd: [SUP-42] и [ortho-7] и снова [SUP-42]"
        assert subject_keys(subject) == ("SUP-42", "ORTHO-7")

    def test_tolerates_spaces_inside_the_brackets(self) -> None:
        """Hand-typed ``[ SUP-42 ]`` still names the issue."""
        assert subject_keys("Продолжение [ SUP-42 ]") == ("SUP-42",)

    @pytest.mark.parametrize(
        "subject",
        ["SUP-42 без скобок", "[SUP-0] ноль", "[SUP-] пусто", "[42-SUP]", "[Терапия]", ""],
    )
    def test_ignores_what_is_not_a_key(self, subject: str) -> None:
        """Bare keys, zero or missing numbers and ordinary tags are not issue markers."""
        assert subject_keys(subject) == ()
