"""Logging: JSON lines for journald, a console on a TTY, bound context, no secret ever printed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from structlog.contextvars import bound_contextvars, merge_contextvars
from structlog.testing import capture_logs

from tracker_bridge.observability.log import (
    REDACTED,
    configure_logging,
    forget_secrets,
    redact_secrets,
    register_secret,
    reset_logging,
)

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
OAUTH_TOKEN = "y0_AgAAAAAAxxxxAATuwQAAAADdQnXjYk_secretpart"
IAM_TOKEN = "t1.9euelZqNj5GKx5KXzpCdk8yLnZyZjO3rnpWa"
PASSWORD = "correct-horse-battery"

Lines = Callable[[], list[dict[str, Any]]]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(name="clean_logging", autouse=True)
def fixture_clean_logging() -> Iterator[None]:
    yield
    reset_logging()
    forget_secrets()


@pytest.fixture(name="output")
def fixture_output() -> io.StringIO:
    """What the daemon writes to stdout (journald) when stdout is not a terminal."""
    out = io.StringIO()
    configure_logging(stream=out)
    return out


@pytest.fixture(name="lines")
def fixture_lines(output: io.StringIO) -> Lines:
    def parsed() -> list[dict[str, Any]]:
        return [json.loads(line) for line in output.getvalue().splitlines()]

    return parsed


class TestJsonOutput:
    def test_each_event_is_one_json_object_on_its_own_line(
        self, output: io.StringIO, lines: Lines
    ) -> None:
        """Not a terminal: JSON lines with the event name, level, logger and an ISO timestamp."""
        log = structlog.get_logger("tracker_bridge.runtime.daemon")
        log.info("mail.fetched", count=3)
        log.warning("tracker.slow", seconds=2.5)
        assert len(output.getvalue().splitlines()) == 2
        first, second = lines()
        assert first["event"] == "mail.fetched"
        assert (first["level"], first["count"], first["logger"]) == (
            "info",
            3,
            "tracker_bridge.runtime.daemon",
        )
        assert first["timestamp"].endswith("Z") and "T" in first["timestamp"]
        assert (second["level"], second["seconds"]) == ("warning", 2.5)

    def test_cyrillic_stays_readable_in_the_journal(self, output: io.StringIO) -> None:
        """Customer names are written as UTF-8, not \\u escapes."""
        structlog.get_logger().info("customer.matched", customer="Поликлиника № 1")
        assert "Поликлиника № 1" in output.getvalue()

    def test_library_logs_through_stdlib_are_json_too(self, lines: Lines) -> None:
        """A library's logging.warning becomes the same JSON shape, with its logger name."""
        logging.getLogger("imapclient.imaplib").warning("connection reset by %s", "peer")
        (line,) = lines()
        assert (line["event"], line["level"], line["logger"]) == (
            "connection reset by peer",
            "warning",
            "imapclient.imaplib",
        )
        assert "timestamp" in line

    def test_an_exception_is_rendered_as_text_in_the_same_object(self, lines: Lines) -> None:
        """log.exception carries the traceback inside the JSON line."""
        try:
            raise RuntimeError("store locked")
        except RuntimeError:
            structlog.get_logger().exception("loop.failed", loop="intake")
        (line,) = lines()
        assert "RuntimeError: store locked" in line["exception"]
        assert line["loop"] == "intake"

    def test_the_level_filters_structlog_and_library_events(self) -> None:
        """level="warning" drops info events from both sources."""
        out = io.StringIO()
        configure_logging(json=True, level="warning", stream=out)
        structlog.get_logger().info("rules.pass")
        logging.getLogger("telegram").info("polling")
        structlog.get_logger().warning("rules.slow")
        assert [json.loads(x)["event"] for x in out.getvalue().splitlines()] == ["rules.slow"]

    @pytest.mark.parametrize(("level", "shown"), [("info", False), ("debug", True)])
    def test_per_request_http_lines_show_only_when_debugging(self, level: str, shown: bool) -> None:
        """httpx logs each Telegram poll at INFO; that is noise unless level is debug."""
        out = io.StringIO()
        configure_logging(json=True, level=level, stream=out)
        logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/…")
        logging.getLogger("httpx").warning("connection pool full")
        events = [json.loads(x)["event"] for x in out.getvalue().splitlines()]
        assert ("HTTP Request: POST https://api.telegram.org/…" in events) is shown
        assert "connection pool full" in events

    def test_an_unknown_level_is_refused(self) -> None:
        """A typo in the level is an error, not silence."""
        with pytest.raises(ValueError, match="verbose"):
            configure_logging(level="verbose", stream=io.StringIO())


class TestContext:
    def test_bound_context_is_merged_into_every_event_in_the_block(self, lines: Lines) -> None:
        """bound_contextvars(issue=key) tags our events and library events alike, then goes."""
        with bound_contextvars(issue="GP1-7"):
            structlog.get_logger().info("issue.commented")
            logging.getLogger("httpx").warning("retrying")
        structlog.get_logger().info("rules.pass")
        assert [line.get("issue") for line in lines()] == ["GP1-7", "GP1-7", None]

    def test_capture_logs_sees_the_bound_issue(self) -> None:
        """The way other tests read logs: capture_logs with the contextvars merger."""
        with capture_logs(processors=[merge_contextvars]) as logs, bound_contextvars(issue="A-1"):
            structlog.get_logger().info("issue.auto_closed", reason="silence")
        assert logs == [
            {"event": "issue.auto_closed", "issue": "A-1", "reason": "silence", "log_level": "info"}
        ]


class TestRedaction:
    def test_values_of_secret_named_keys_are_redacted_at_any_depth(self) -> None:
        """token/password/secret/authorization/cookie/api_key keys, any case, nested dicts too."""
        with capture_logs(processors=[redact_secrets]) as logs:
            structlog.get_logger().info(
                "tracker.request",
                tracker_token="plain-value",
                headers={"Authorization": "anything", "Cookie": "sid=1", "Accept": "json"},
                settings={"smtp": {"Password": "p"}, "telegram": {"API_KEY": "k"}},
                client_secret=["a", "b"],
                smtp_password=None,
                issue="GP1-1",
            )
        (event,) = logs
        assert event["tracker_token"] == REDACTED
        assert event["headers"] == {"Authorization": REDACTED, "Cookie": REDACTED, "Accept": "json"}
        assert event["settings"] == {
            "smtp": {"Password": REDACTED},
            "telegram": {"API_KEY": REDACTED},
        }
        assert event["client_secret"] == REDACTED
        assert event["smtp_password"] is None  # "not set" is worth knowing and reveals nothing
        assert event["issue"] == "GP1-1"

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (f"Authorization: OAuth {OAUTH_TOKEN}", "Authorization: OAuth ***"),
            ("authorization: Bearer eyJhbGciOi.JIUzI1NiJ9.x-y_z", "authorization: Bearer ***"),
            (
                f"POST https://api.telegram.org/bot{BOT_TOKEN}/getUpdates",
                "POST https://api.telegram.org/bot***/getUpdates",
            ),
            (f"token was {OAUTH_TOKEN}.", "token was ***."),
            (f"iam {IAM_TOKEN}", "iam ***"),
            (f"imaps://support:{PASSWORD}@imap.gp1.test", "imaps://support:***@imap.gp1.test"),
            ("issue GP1-12 at 10:30 by ivanov", "issue GP1-12 at 10:30 by ivanov"),
        ],
    )
    def test_secret_shaped_text_is_cut_out_of_strings(self, text: str, expected: str) -> None:
        """Bearer/OAuth credentials, bot tokens, Yandex tokens, URL passwords; the rest stays."""
        with capture_logs(processors=[redact_secrets]) as logs:
            structlog.get_logger().info(text, detail=[text])
        assert logs[0]["event"] == expected
        assert logs[0]["detail"] == [expected]

    def test_a_registered_secret_is_redacted_wherever_it_appears(self) -> None:
        """Config registers its SecretStr values; they vanish from text and object reprs."""
        register_secret(PASSWORD)

        class Login:
            def __repr__(self) -> str:
                return f"Login(user='support', password_hint={PASSWORD!r})"

        with capture_logs(processors=[redact_secrets]) as logs:
            structlog.get_logger().info("imap.login", note=f"tried {PASSWORD}x", attempt=Login())
        assert logs[0]["note"] == "tried ***x"
        assert logs[0]["attempt"] == "Login(user='support', password_hint='***')"

    def test_blank_values_are_not_registered(self) -> None:
        """Registering "" or spaces would redact every gap in every line."""
        register_secret("   ")
        with capture_logs(processors=[redact_secrets]) as logs:
            structlog.get_logger().info("a b  c")
        assert logs[0]["event"] == "a b  c"

    def test_no_secret_reaches_the_real_json_output(self, output: io.StringIO) -> None:
        """Through the whole pipeline: fields, library messages, exceptions and context."""
        register_secret(PASSWORD)
        log = structlog.get_logger()
        with bound_contextvars(smtp_password=PASSWORD):
            log.info("smtp.login", user="support", password=PASSWORD)
        logging.getLogger("httpx").warning("HTTP Request: POST https://x/bot%s/send", BOT_TOKEN)
        try:
            raise ConnectionError(f"LOGIN support {PASSWORD} rejected, token {OAUTH_TOKEN}")
        except ConnectionError:
            log.exception("imap.login_failed")
        text = output.getvalue()
        for secret in (PASSWORD, BOT_TOKEN, OAUTH_TOKEN, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"):
            assert secret not in text
        assert len(text.splitlines()) == 3
        assert all(json.loads(line) for line in text.splitlines())

    def test_no_secret_reaches_the_console_either(self) -> None:
        """On a terminal the readable renderer gets the same redacted events."""
        out = Tty()
        configure_logging(stream=out)
        structlog.get_logger().info("telegram.send", url=f"/bot{BOT_TOKEN}/sendMessage")
        text = out.getvalue()
        assert "telegram.send" in text
        assert BOT_TOKEN not in text
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)


def test_the_console_on_a_terminal_writes_no_control_characters() -> None:
    """The console renderer uses no colour codes: commands write through safe_output, which
    escapes control characters, so colours showed as "\\x1b[2m…" on every line of `make demo`."""
    from tracker_bridge.cli.terminal import safe_output

    tty = Tty()
    with safe_output():
        configure_logging(stream=tty)
        structlog.get_logger("t").warning("mail.quarantined", sender="a@b.example")
    text = tty.getvalue()
    assert "mail.quarantined" in text and "a@b.example" in text
    assert "\x1b" not in text and "\\x1b" not in text
