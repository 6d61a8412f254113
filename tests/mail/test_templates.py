"""Notification templates (R12): each renders, says what its clause owes, can be overridden."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

from tracker_bridge.mail.errors import TemplateError
from tracker_bridge.mail.render import RenderedMail, TemplateRenderer, plural_ru
from tracker_bridge.regulation.actions import NewIssue, Notify
from tracker_bridge.regulation.notifications import CONTEXT, TEMPLATES, status_template
from tracker_bridge.regulation.statuses import Status

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "tracker_bridge" / "mail" / "templates"


@pytest.fixture(name="renderer", scope="module")
def fixture_renderer() -> TemplateRenderer:
    return TemplateRenderer()


def full_context(name: str) -> dict[str, str]:
    """A distinct, recognisable value for every key the template documents."""
    return {key: f"«{key}-значение»" for key in CONTEXT[name]}


def render(renderer: TemplateRenderer, name: str, **context: str) -> RenderedMail:
    notify = Notify(name, "ivanova@clinic1.example", "SUP-42", "event-1", context)
    return renderer.render(notify)


class TestEveryTemplate:
    @pytest.mark.parametrize("name", TEMPLATES)
    def test_r12_renders_with_every_documented_key(
        self, renderer: TemplateRenderer, name: str
    ) -> None:
        """R12: each template renders a one-line subject and a tidy body from its keys."""
        mail = render(renderer, name, **full_context(name))
        assert mail.subject and "\n" not in mail.subject
        assert mail.text.startswith("Здравствуйте!") and mail.text.endswith("\n")
        assert "\n\n\n" not in mail.text
        assert "{{" not in mail.text + mail.subject and "{%" not in mail.text

    @pytest.mark.parametrize("name", TEMPLATES)
    def test_renders_with_only_the_basic_keys(self, renderer: TemplateRenderer, name: str) -> None:
        """Optional keys left unset render as nothing, never as an error or a dangling label."""
        mail = render(renderer, name, summary="Не печатается выписка")
        assert "\n\n\n" not in mail.text
        assert "None" not in mail.text and ": \n" not in mail.text

    def test_the_shipped_set_passes_the_start_up_check(self, renderer: TemplateRenderer) -> None:
        """No template is missing and none uses a name outside its documented context."""
        assert renderer.check() == []

    def test_r12_r13_there_is_a_template_for_every_status(self) -> None:
        """R12/R13: every logical status has its notification template pair."""
        for status in Status:
            for suffix in ("subject.j2", "txt.j2"):
                assert (SHIPPED / f"{status_template(status)}.{suffix}").is_file()

    def test_the_issue_key_comes_back_with_the_rendering(self, renderer: TemplateRenderer) -> None:
        """The rendered mail carries the key the subject marker will use."""
        assert render(renderer, "status_closed").issue_key == "SUP-42"

    def test_a_key_resolved_late_comes_from_extra(self, renderer: TemplateRenderer) -> None:
        """A Notify about an issue created in the same batch gets its key through ``extra``."""
        notify = Notify("registered", "a@clinic1.example", NewIssue("tb-1"), "registered")
        assert renderer.render(notify).issue_key is None
        mail = renderer.render(notify, extra={"key": "SUP-77"})
        assert mail.issue_key == "SUP-77" and "SUP-77" in mail.text

    def test_status_title_defaults_from_the_template_name(self, renderer: TemplateRenderer) -> None:
        """A status template knows its status and title even when the action left them out."""
        context = renderer.context_for(Notify("status_info_requested", "a@x", "SUP-1", "e"))
        assert context["status"] == "info_requested"
        assert context["status_title"] == "Запрошена дополнительная информация"

    def test_plain_text_is_not_html_escaped(self, renderer: TemplateRenderer) -> None:
        """Autoescape is off for text: the summary arrives exactly as the requester wrote it."""
        mail = render(renderer, "status_in_progress", summary='Кнопка "Печать" & <F5>')
        assert 'Кнопка "Печать" & <F5>' in mail.text


class TestWhatEachTemplateSays:
    def test_r12_registered_gives_the_key_and_the_deadline(
        self, renderer: TemplateRenderer
    ) -> None:
        """R12: the acknowledgement names the request's key and its deadline."""
        text = render(renderer, "registered", deadline="01.12.2026 18:00 (МСК)").text
        assert "SUP-42" in text and "01.12.2026 18:00 (МСК)" in text

    def test_r6_registered_out_of_hours_says_so(self, renderer: TemplateRenderer) -> None:
        """R6: mail received out of hours is told the working hours and the next opening."""
        text = render(
            renderer, "registered", out_of_hours="yes", next_opening="понедельник, 30.11 в 10:00"
        ).text
        assert "нерабочее время" in text and "10:00 до 18:00" in text
        assert "понедельник, 30.11 в 10:00" in text
        assert "нерабочее время" not in render(renderer, "registered", out_of_hours="no").text

    def test_r7_registered_asks_for_a_missing_login(self, renderer: TemplateRenderer) -> None:
        """R7: a request without the login is accepted and the answer asks for it."""
        assert "сообщите логин" in render(renderer, "registered", missing_login="yes").text
        assert "логин" not in render(renderer, "registered", missing_login="no").text

    def test_r20_registered_names_the_linked_request(self, renderer: TemplateRenderer) -> None:
        """R20: a new request quoting an old key says it is linked to it."""
        assert "SUP-7" in render(renderer, "registered", linked="SUP-7").text

    def test_r11_awaiting_testing_reminds_to_clear_the_cache(
        self, renderer: TemplateRenderer
    ) -> None:
        """R11: the awaiting-testing mail tells the requester to refresh/clear the browser cache."""
        text = render(renderer, status_template(Status.AWAITING_TESTING)).text
        assert "кэш" in text and "Ctrl+Shift+R" in text

    def test_r15_r19_awaiting_testing_explains_how_to_confirm(
        self, renderer: TemplateRenderer
    ) -> None:
        """R15/R19: confirm by replying, the responsible person confirms, 10 working days."""
        text = render(renderer, status_template(Status.AWAITING_TESTING)).text
        assert "Проверено, ошибок нет" in text and "ответственный сотрудник" in text
        assert "10 рабочих дней" in text

    def test_r8_info_requested_carries_the_question(self, renderer: TemplateRenderer) -> None:
        """R8: the clarifying question reaches the requester in the mail."""
        question = "Под каким логином воспроизводится ошибка?"
        assert question in render(renderer, "status_info_requested", comment=question).text

    def test_r20_reply_ignored_explains_the_rule(self, renderer: TemplateRenderer) -> None:
        """R20: the answer says why the reply was not added and how to file anew quoting the key."""
        text = render(
            renderer,
            "reply_ignored",
            old_key="SUP-7",
            status_title="Закрыто из-за отсутствия ответа",
        ).text
        assert "не добавлено к заявке SUP-7" in text
        assert "оформите новую заявку" in text and "номер прежней заявки SUP-7" in text
        assert "«Дубликат»" in text and "«Невыполнимо»" in text

    def test_r19_autoclose_reminder_gives_days_left_and_date(
        self, renderer: TemplateRenderer
    ) -> None:
        """R19: the reminder says how many working days are left and when it will close."""
        text = render(renderer, "autoclose_reminder", days_left="1", close_at="04.12.2026").text
        assert "остался 1 рабочий день" in text and "04.12.2026" in text
        text = render(renderer, "autoclose_reminder", days_left="3", close_at="08.12.2026").text
        assert "осталось 3 рабочих дня" in text

    def test_r9_priority_change_shows_old_and_new(self, renderer: TemplateRenderer) -> None:
        """R9: a priority change by support names the old and the new value."""
        text = render(renderer, "priority_changed", old_priority="Высокий", new_priority="Средний")
        assert "Был: Высокий" in text.text and "Стал: Средний" in text.text

    def test_priorities_are_named_as_the_clinic_reads_them_not_by_tracker_key(
        self, renderer: TemplateRenderer
    ) -> None:
        """R9: the rules pass Tracker's keys (normal, minor); the mails show Средний, Низкий."""
        changed = render(renderer, "priority_changed", old_priority="normal", new_priority="minor")
        assert "Был: Средний" in changed.text and "Стал: Низкий" in changed.text
        assert "normal" not in changed.text and "minor" not in changed.text
        registered = render(renderer, "registered", priority="critical", key="SUP-42")
        assert "Приоритет: Критичный" in registered.text

    @pytest.mark.parametrize(
        ("status", "resolution", "title"),
        [
            (Status.COMPLETED, "fixed", "Решён"),
            (Status.CLOSED, "infrastructure", "Проблема инфраструктуры"),
            (Status.CANCELLED, "wontFix", "Не будет исправлено"),
            (Status.CLOSED, "ourOwnResolution", "ourOwnResolution"),
        ],
    )
    def test_resolutions_are_named_as_the_clinic_reads_them_not_by_tracker_key(
        self, renderer: TemplateRenderer, status: Status, resolution: str, title: str
    ) -> None:
        """Final notices name the resolution in Russian; an unknown one is shown as it is."""
        text = render(renderer, status_template(status), resolution=resolution).text
        assert f"Резолюция: {title}\n" in text

    @pytest.mark.parametrize("status", [s for s in Status if s.is_terminal])
    def test_r20_terminal_mails_say_how_to_file_anew(
        self, renderer: TemplateRenderer, status: Status
    ) -> None:
        """R20: every final notification explains that replies are not added, quote the key."""
        text = render(renderer, status_template(status)).text
        assert "оформите новую заявку" in text and "номер SUP-42" in text

    def test_r4_r20_a_closed_infrastructure_notice_asks_for_a_new_request_not_a_reply(
        self, renderer: TemplateRenderer
    ) -> None:
        """R4 + R20: a reply to a closed request would be refused, so the notice asks for a new
        request naming this one; on an open request it asks for a reply."""
        closed = render(renderer, "infrastructure", reply="new_request").text
        assert "оформите новую заявку" in closed and "номер SUP-42" in closed
        assert "ответьте" not in closed
        still_open = render(renderer, "infrastructure", reply="reply").text
        assert "ответьте, пожалуйста, на это письмо" in still_open
        assert "новую заявку" not in still_open


class TestPluralRu:
    @pytest.mark.parametrize(
        ("count", "form"),
        [("1", "день"), ("21", "день"), ("2", "дня"), ("4", "дня"), ("5", "дней"), ("11", "дней"),
         ("12", "дней"), ("14", "дней"), ("22", "дня"), ("111", "дней"), ("0", "дней"),
         ("много", "дней")],
    )  # fmt: skip
    def test_picks_the_russian_form(self, count: str, form: str) -> None:
        """Counts agree with their noun the Russian way (1 день, 2 дня, 5 дней, 11 дней)."""
        assert plural_ru(count, "день", "дня", "дней") == form


class TestOverrides:
    def test_an_override_directory_shadows_one_template(self, tmp_path: Path) -> None:
        """A file in the config directory replaces the shipped one; the rest stay default."""
        (tmp_path / "status_closed.subject.j2").write_text("Готово: {{ summary }}", "utf-8")
        renderer = TemplateRenderer(tmp_path)
        assert render(renderer, "status_closed", summary="Отчёт").subject == "Готово: Отчёт"
        assert render(renderer, "status_closed", summary="Отчёт").text.startswith("Здравствуйте!")
        assert render(renderer, "status_open", summary="Отчёт").subject == "Заявка открыта: Отчёт"

    def test_an_override_of_a_partial_changes_every_mail(self, tmp_path: Path) -> None:
        """Includes resolve through the same chain, so one signature file rebrands every mail."""
        (tmp_path / "_signature.txt.j2").write_text("\n-- \nООО «Медсофт», поддержка\n", "utf-8")
        renderer = TemplateRenderer(tmp_path)
        for name in ("registered", "status_closed", "reply_ignored"):
            assert render(renderer, name).text.endswith("ООО «Медсофт», поддержка\n")

    def test_an_html_alternative_is_optional_and_escaped(self, tmp_path: Path) -> None:
        """An ``.html.j2`` override adds an HTML part, autoescaped, while text stays raw."""
        (tmp_path / "status_open.html.j2").write_text("<p>{{ summary }}</p>", "utf-8")
        mail = render(TemplateRenderer(tmp_path), "status_open", summary="A & <B>")
        assert mail.html == "<p>A &amp; &lt;B&gt;</p>"
        assert "A & <B>" in mail.text
        assert render(TemplateRenderer(), "status_open").html is None

    def test_an_unknown_variable_fails_rendering_and_the_check(self, tmp_path: Path) -> None:
        """StrictUndefined: a typo in an override is an error, found by check() at start-up."""
        (tmp_path / "status_open.txt.j2").write_text("Заявка {{ kye }}", "utf-8")
        renderer = TemplateRenderer(tmp_path)
        assert renderer.check() == ["status_open.txt.j2: unknown variable 'kye'"]
        with pytest.raises(TemplateError, match="kye"):
            render(renderer, "status_open")

    def test_a_broken_override_is_reported_with_its_line(self, tmp_path: Path) -> None:
        """A syntax error in an override is named with file and line, and rendering refuses."""
        (tmp_path / "registered.subject.j2").write_text("ok\n{% if %}", "utf-8")
        renderer = TemplateRenderer(tmp_path)
        (problem,) = renderer.check()
        assert problem.startswith("registered.subject.j2: line 2:")
        with pytest.raises(TemplateError):
            render(renderer, "registered")

    def test_an_unknown_variable_in_an_included_partial_is_found(self, tmp_path: Path) -> None:
        """The check follows includes, so a partial cannot smuggle in an undocumented name."""
        (tmp_path / "_signature.txt.j2").write_text("{{ support_phone }}", "utf-8")
        problems = TemplateRenderer(tmp_path).check()
        assert "_signature.txt.j2: unknown variable 'support_phone'" in problems

    def test_a_missing_override_directory_is_an_error(self, tmp_path: Path) -> None:
        """A configured directory that does not exist is refused up front."""
        with pytest.raises(TemplateError, match="does not exist"):
            TemplateRenderer(tmp_path / "nope")

    def test_an_unknown_template_name_is_an_error(self, renderer: TemplateRenderer) -> None:
        """A Notify naming no known template cannot be rendered."""
        with pytest.raises(TemplateError, match="unknown notification template"):
            render(renderer, "status_exploded")


def test_the_wheel_ships_every_template() -> None:
    """Package data covers every shipped template, so an installed wheel finds them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["tracker_bridge"]
    package = ROOT / "tracker_bridge"
    files = [p.relative_to(package).as_posix() for p in SHIPPED.glob("*.j2")]
    assert files
    assert all(any(fnmatch.fnmatch(f, pattern) for pattern in patterns) for f in files)
