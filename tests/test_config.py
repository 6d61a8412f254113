"""Configuration: sources and their precedence, validation messages, placeholders, converters."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from tracker_bridge.config import (
    EX_CONFIG,
    ConfigError,
    ImapEndpoint,
    RegulationSettings,
    Settings,
    StatusSettings,
    load_settings,
    redacted_dump,
)
from tracker_bridge.regulation.model import Customer
from tracker_bridge.regulation.policy import ClockUnit, Policy, TerminalReply
from tracker_bridge.regulation.statuses import Status, StatusMap

EXAMPLE = Path(__file__).parent.parent / "config" / "tracker-bridge.example.toml"

# A working configuration without secrets; ".test" domains are reserved (RFC 2606) but are not
# the example file's placeholders.
BASE_TOML = """
[tracker]
org_id = "7654321"

[mail]
source = "imaps://support%40gp1.test@imap.gp1.test"

[smtp]
host = "smtp.gp1.test"
from_address = "Support@GP1.test"

[[customers]]
name = "Поликлиника № 1"
intake_addresses = ["Help@GP1.test"]
allowed_domains = ["gp1.test"]
queue = "GP1"
departments = ["Регистратура", "Терапия"]
"""
SECRETS = {"tracker_token": "y0_file_token", "imap_password": "imap-secret"}


def a_config(**sections: Any) -> dict[str, Any]:
    """A complete configuration as plain data, with ``sections`` replacing its parts."""
    config: dict[str, Any] = {
        "tracker_token": "y0_real_token",
        "imap_password": "imap-secret",
        "tracker": {"org_id": "7654321"},
        "mail": {"source": "imaps://support%40gp1.test@imap.gp1.test"},
        "smtp": {"host": "smtp.gp1.test", "from_address": "support@gp1.test"},
        "customers": [a_customer()],
    }
    config.update(sections)
    return config


def a_customer(**fields: Any) -> dict[str, Any]:
    customer: dict[str, Any] = {
        "name": "Поликлиника № 1",
        "intake_addresses": ["help@gp1.test"],
        "allowed_domains": ["gp1.test"],
        "queue": "GP1",
    }
    return customer | fields


def problems_of(config: dict[str, Any]) -> list[str]:
    """The problems ConfigError reports for ``config`` given as keyword arguments alone."""
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, overrides=config)
    return caught.value.problems


def as_env(value: object) -> str:
    """An environment variable's text: JSON for tables and lists."""
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


@pytest.fixture(name="config_file")
def fixture_config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(BASE_TOML, encoding="utf-8")
    return path


@pytest.fixture(name="credentials")
def fixture_credentials(tmp_path: Path) -> Path:
    directory = tmp_path / "credentials"
    directory.mkdir()
    return directory


def with_secrets(path: Path, secrets: dict[str, str] = SECRETS) -> Path:
    """Put top-level ``secrets`` in front of the TOML file at ``path``."""
    lines = [f'{key} = "{value}"' for key, value in secrets.items()]
    path.write_text("\n".join(lines) + path.read_text(encoding="utf-8"), encoding="utf-8")
    return path


class TestSources:
    def test_toml_file_is_read_and_addresses_lower_cased(self, config_file: Path) -> None:
        """Values come from the TOML file; addresses are lower-cased on the way in."""
        settings = load_settings(with_secrets(config_file), environ={})
        assert settings.tracker.org_id == "7654321"
        assert settings.smtp.from_address == "support@gp1.test"
        assert settings.customers[0].intake_addresses == ("help@gp1.test",)
        assert settings.store_path == Path("/var/lib/tracker-bridge/state.sqlite3")

    def test_environment_overrides_one_nested_key_and_keeps_its_siblings(
        self, config_file: Path
    ) -> None:
        """TRACKER_BRIDGE_SMTP__PORT sets smtp.port; smtp.host still comes from the file."""
        environ = {"TRACKER_BRIDGE_SMTP__PORT": "2525", "TRACKER_BRIDGE_SMTP__SECURITY": "none"}
        settings = load_settings(with_secrets(config_file), environ=environ)
        assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == (
            "smtp.gp1.test",
            2525,
            "none",
        )

    def test_credentials_directory_supplies_a_secret(
        self, config_file: Path, credentials: Path
    ) -> None:
        """A file named after a secret in $CREDENTIALS_DIRECTORY is its value, newline stripped."""
        (credentials / "tracker_token").write_text("y0_from_systemd\n", encoding="utf-8")
        (credentials / "imap_password").write_text("imap-from-systemd\n", encoding="utf-8")
        settings = load_settings(config_file, environ={"CREDENTIALS_DIRECTORY": str(credentials)})
        assert settings.tracker_token is not None
        assert settings.tracker_token.get_secret_value() == "y0_from_systemd"

    @pytest.mark.parametrize("layers", [0, 1, 2, 3, 4])
    def test_precedence_is_kwargs_environment_credentials_file_default(
        self, config_file: Path, credentials: Path, layers: int
    ) -> None:
        """Of the sources holding a key, the highest wins: kwargs > env > credentials > file."""
        ports = ["9464", "1001", "1002", "1003", "1004"]  # default, file, credentials, env, kwargs
        if layers >= 1:
            config_file.write_text(f'metrics_listen = "127.0.0.1:1001"\n{BASE_TOML}', "utf-8")
        if layers >= 2:
            (credentials / "metrics_listen").write_text("127.0.0.1:1002", encoding="utf-8")
        environ = {
            "CREDENTIALS_DIRECTORY": str(credentials),
            "TRACKER_BRIDGE_TRACKER_TOKEN": "y0_env",
            "TRACKER_BRIDGE_IMAP_PASSWORD": "imap-env",
        }
        if layers >= 3:
            environ["TRACKER_BRIDGE_METRICS_LISTEN"] = "127.0.0.1:1003"
        overrides = {"metrics_listen": "127.0.0.1:1004"} if layers >= 4 else {}
        settings = load_settings(config_file, environ=environ, overrides=overrides)
        assert settings.metrics_port == int(ports[layers])

    def test_environment_beats_credentials_for_a_secret(
        self, config_file: Path, credentials: Path
    ) -> None:
        """A secret given both ways is taken from the environment."""
        (credentials / "tracker_token").write_text("y0_credential", encoding="utf-8")
        environ = {
            "CREDENTIALS_DIRECTORY": str(credentials),
            "TRACKER_BRIDGE_TRACKER_TOKEN": "y0_env",
            "TRACKER_BRIDGE_IMAP_PASSWORD": "imap-env",
        }
        settings = load_settings(config_file, environ=environ)
        assert settings.tracker_token is not None
        assert settings.tracker_token.get_secret_value() == "y0_env"

    def test_config_path_may_come_from_the_environment(self, config_file: Path) -> None:
        """Without a path argument, $TRACKER_BRIDGE_CONFIG names the file."""
        environ = {"TRACKER_BRIDGE_CONFIG": str(with_secrets(config_file))}
        assert load_settings(environ=environ).customers[0].queue == "GP1"

    def test_environment_alone_is_a_complete_source(self) -> None:
        """With no file at all, nested keys and JSON lists come from the environment."""
        config = a_config()
        environ = {f"TRACKER_BRIDGE_{key.upper()}": as_env(value) for key, value in config.items()}
        environ["TRACKER_BRIDGE_TRACKER__BASE_URL"] = "http://127.0.0.1:8080/"
        settings = load_settings(environ=environ)
        assert settings.tracker.base_url == "http://127.0.0.1:8080"
        assert settings.customers[0].name == "Поликлиника № 1"

    def test_unparsable_json_in_the_environment_names_the_variable(self) -> None:
        """A table or list given as broken JSON in the environment is named, not dumped."""
        with pytest.raises(ConfigError) as caught:
            load_settings(environ={"TRACKER_BRIDGE_CUSTOMERS": "[{oops"})
        assert caught.value.problems == [
            "customers: TRACKER_BRIDGE_CUSTOMERS… is not valid JSON "
            "(tables and lists are JSON in the environment)"
        ]

    def test_state_directory_moves_the_default_store_only(self, config_file: Path) -> None:
        """Under StateDirectory= the store defaults into it; a configured store_path still wins."""
        environ = {"STATE_DIRECTORY": "/var/lib/tb-one:/var/lib/tb-two"}
        settings = load_settings(with_secrets(config_file), environ=environ)
        assert settings.store_path == Path("/var/lib/tb-one/state.sqlite3")
        named = load_settings(config_file, environ=environ, overrides={"store_path": "/srv/s.db"})
        assert named.store_path == Path("/srv/s.db")

    def test_missing_config_file_is_a_config_error(self, tmp_path: Path) -> None:
        """A named file that does not exist is reported, not silently skipped."""
        with pytest.raises(ConfigError, match="not found"):
            load_settings(tmp_path / "absent.toml", environ={})

    def test_broken_toml_is_a_config_error_naming_the_file(self, config_file: Path) -> None:
        """A TOML syntax error ends in ConfigError with the file's path."""
        config_file.write_text("[tracker\norg_id = 1\n", encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_settings(config_file, environ={})
        assert str(config_file) in str(caught.value)
        assert "cannot read the configuration" in caught.value.problems[0]

    def test_missing_credentials_directory_is_a_config_error(self, config_file: Path) -> None:
        """$CREDENTIALS_DIRECTORY pointing nowhere is reported."""
        environ = {"CREDENTIALS_DIRECTORY": str(config_file.parent / "nowhere")}
        with pytest.raises(ConfigError, match="CREDENTIALS_DIRECTORY"):
            load_settings(config_file, environ=environ)


VALIDATION_CASES: list[tuple[dict[str, Any], str]] = [
    ({"tracker_iam_token": "t1.iam"}, "tracker_token: set exactly one of tracker_token"),
    ({"tracker_token": None}, "tracker_token: set exactly one of tracker_token"),
    ({"tracker": {"org_id": "1", "cloud_org_id": "bpf1"}}, "tracker.org_id: set exactly one"),
    ({"tracker": {}}, "tracker.org_id: set exactly one"),
    ({"tracker": {"org_id": "1", "base_url": "ftp://x"}}, "tracker.base_url: 'ftp://x' is not"),
    ({"smtp": None}, "smtp: "),
    ({"mail": {}}, "mail.source: required but not set"),
    ({"mail": {"source": "ftp://a@b"}}, "mail.source: expected imaps://"),
    ({"mail": {"source": "imaps://u:pw@host"}}, "mail.source: do not put the password in the URL"),
    ({"mail": {"source": "maildir:relative"}}, "mail.source: the Maildir path must be absolute"),
    ({"mail": {"source": "/srv/Maildir", "idle_timeout": "45m"}}, "mail.idle_timeout: at most"),
    ({"mail": {"source": "/srv/Maildir", "poll_interval": "0s"}}, "mail.poll_interval: must be"),
    ({"imap_password": None}, "imap_password: required for an IMAP mail.source"),
    ({"smtp": {"host": "h.test", "from_address": "a@h.test", "username": "u"}}, "smtp_password:"),
    ({"smtp": {"host": "h.test", "from_address": "a@h.test", "prot": 25}}, "smtp.prot: unknown"),
    ({"smtp": {"host": "h.test", "from_address": "a@h.test", "port": 0}}, "smtp.port: input"),
    ({"smtp": {"host": "h.test", "from_address": "a@h.test", "security": "tls"}}, "smtp.security"),
    ({"telegram": {"enabled": True}}, "telegram_bot_token: required when telegram.enabled"),
    ({"telegram": {"users": {"abc": "i.petrov"}}}, "telegram.users.abc (the key): input"),
    ({"customers": []}, "customers: no customer configured"),
    (
        {"customers": [a_customer(), a_customer(intake_addresses=["HELP@gp1.test"], name="Б")]},
        "customers[1].intake_addresses: help@gp1.test is already an intake address of 'Поликлиника",
    ),
    (
        {"customers": [a_customer(), a_customer(intake_addresses=["b@gp1.test"])]},
        "customers[1].name: 'Поликлиника № 1' is also the name of customers[0]",
    ),
    (
        {"customers": [a_customer(intake_addresses=["no-at-sign"])]},
        "customers[0].intake_addresses[0]: 'no-at-sign' is not an email address",
    ),
    (
        {"customers": [a_customer(allowed_domains=[])]},
        "customers[0].allowed_senders: set allowed_senders or allowed_domains",
    ),
    ({"customers": [a_customer(queue="gp-1")]}, "customers[0].queue: 'gp-1' is not a Tracker"),
    ({"customers": [a_customer(language="rus")]}, "customers[0].language: 'rus' is not a two"),
    ({"customers": [a_customer(intake_addresses=[])]}, "customers[0].intake_addresses: give"),
    ({"calendar": {"timezone": "Mars/Olympus"}}, "calendar.timezone: 'Mars/Olympus' is not a"),
    ({"calendar": {"opens": "18:00", "closes": "10:00"}}, "calendar.opens: 18:00:00 is not"),
    (
        {"calendar": {"extra_days_off": ["2027-01-11"], "extra_working_days": ["2027-01-11"]}},
        "calendar.extra_working_days: 2027-01-11 is also listed in extra_days_off",
    ),
    ({"calendar": {"opens": "10:00+03:00"}}, "calendar.opens: give a local time"),
    ({"statuses": {"closed": "open"}}, "statuses.closed: 'open' is already the key of open"),
    ({"statuses": {"aliases": {"needInfo": "closed"}}}, "statuses.aliases.needInfo: 'needInfo'"),
    ({"statuses": {"aliases": {"x": "gone"}}}, "statuses.aliases.x: input should be"),
    ({"statuses": {"open": " "}}, "statuses.open: must not be empty"),
    ({"regulation": {"warn_fraction": 1.5}}, "regulation.warn_fraction: input should be less"),
    ({"regulation": {"high_intake": 0}}, "regulation.high_intake: input should be greater"),
    ({"regulation": {"silence_reminders": [12]}}, "regulation.silence_reminders: 12 is not inside"),
    ({"regulation": {"terminal_reply": {"open": "reopen"}}}, "regulation.terminal_reply.open: not"),
    (
        {"regulation": {"terminal_reply": {"closed": "explode"}}},
        "regulation.terminal_reply.closed: input should be 'reject', 'new_linked' or 'reopen'",
    ),
    ({"regulation": {"high_intake_unit": "weeks"}}, "regulation.high_intake_unit: input should"),
    ({"regulation": {"warn_before": "soon"}}, "regulation.warn_before: input should be a valid"),
    (
        {
            "smtp_password": " ",
            "smtp": {"host": "h.test", "from_address": "a@h.test", "username": "u"},
        },
        "smtp_password: must not be empty",
    ),
    ({"metrics_listen": "9464"}, "metrics_listen: '9464' is not host:port"),
    ({"template_dir": "/nonexistent/templates"}, "template_dir: '/nonexistent/templates' is not"),
    ({"telemetry": True}, "telemetry: unknown key"),
]


class TestValidation:
    @pytest.mark.parametrize(("change", "expected"), VALIDATION_CASES)
    def test_each_problem_names_its_key_and_what_is_wrong(
        self, change: dict[str, Any], expected: str
    ) -> None:
        """Every validation problem starts with the dotted key path and says what is wrong."""
        problems = problems_of(a_config(**change))
        assert any(problem.startswith(expected) for problem in problems), problems

    @pytest.mark.parametrize("section", ["tracker", "mail", "smtp", "customers"])
    def test_a_missing_required_section_is_named(self, section: str) -> None:
        """Leaving out a section without defaults is reported as that key, required."""
        config = a_config()
        del config[section]
        assert problems_of(config) == [f"{section}: required but not set"]

    def test_an_invalid_customer_gives_only_its_own_problem(self) -> None:
        """One bad address is one problem: no extra complaint that the list is empty."""
        customer = a_customer(intake_addresses=["no-at-sign"])
        assert problems_of(a_config(customers=[customer])) == [
            "customers[0].intake_addresses[0]: 'no-at-sign' is not an email address "
            "(expected name@domain)"
        ]

    def test_all_problems_are_reported_at_once(self) -> None:
        """Several faults give one ConfigError with a line each, headed by a count."""
        config = a_config(tracker={"org_id": "1"}, metrics_listen="x")
        config["smtp"] = {"host": "h.test", "from_address": "nobody"}
        with pytest.raises(ConfigError) as caught:
            load_settings(environ={}, overrides=config)
        assert len(caught.value.problems) == 2
        text = str(caught.value)
        assert text.startswith("configuration is not valid: 2 problems")
        assert "\n  - smtp.from_address: 'nobody' is not an email address" in text

    def test_exit_code_for_config_errors_is_ex_config(self) -> None:
        """Config errors have their own exit code, named in RestartPreventExitStatus=."""
        assert EX_CONFIG == 78

    def test_a_wrongly_typed_secret_is_not_echoed(self) -> None:
        """A secret's bad value is never quoted in the message."""
        problems = problems_of(a_config(tracker_token=987654321))
        assert problems == ["tracker_token: input should be a valid string"]

    def test_other_bad_values_are_quoted(self) -> None:
        """For ordinary keys the offending value is shown, to find it quickly."""
        problems = problems_of(a_config(telegram={"enabled": "maybe"}))
        assert problems == [
            "telegram.enabled: input should be a valid boolean, "
            "unable to interpret input (got 'maybe')"
        ]


class TestPlaceholders:
    def test_a_change_me_value_is_refused_naming_its_key(self) -> None:
        """A value still 'CHANGE-ME' is refused as not configured."""
        problems = problems_of(a_config(tracker={"org_id": "CHANGE-ME"}))
        assert problems == ["tracker.org_id: not configured: still the example value"]

    def test_example_domains_are_refused_wherever_they_appear(self) -> None:
        """Addresses, domains and hosts under example.org/.com are placeholders."""
        customer = a_customer(intake_addresses=["gp1@example.org"], allowed_domains=["EXAMPLE.com"])
        smtp = {"host": "smtp.example.net", "from_address": "support@gp1.test"}
        problems = problems_of(a_config(customers=[customer], smtp=smtp))
        assert problems == [
            "smtp.host: not configured: still the example value",
            "customers[0].intake_addresses[0]: not configured: still the example value",
            "customers[0].allowed_domains[0]: not configured: still the example value",
        ]

    def test_look_alike_domains_are_not_placeholders(self) -> None:
        """Only the reserved example domains count: my-example.org is a real domain."""
        customer = a_customer(allowed_domains=["my-example.org", "example.org.ru"])
        settings = load_settings(environ={}, overrides=a_config(customers=[customer]))
        assert settings.customers[0].allowed_domains == ("my-example.org", "example.org.ru")

    def test_telegram_id_zero_is_a_placeholder(self) -> None:
        """Telegram ids are never 0, so 0 marks one not filled in."""
        config = a_config(
            customers=[a_customer(telegram_chat_id=0)],
            telegram={"users": {"0": "i.petrov", "42": "a.smirnova"}},
        )
        assert problems_of(config) == [
            "telegram.users.0: not configured: still the example value",
            "customers[0].telegram_chat_id: not configured: still the example value",
        ]

    def test_a_placeholder_secret_from_credentials_is_refused(
        self, config_file: Path, credentials: Path
    ) -> None:
        """A credential file still holding CHANGE-ME is named, its value not shown."""
        (credentials / "tracker_token").write_text("CHANGE-ME\n", encoding="utf-8")
        (credentials / "imap_password").write_text("real", encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_settings(config_file, environ={"CREDENTIALS_DIRECTORY": str(credentials)})
        assert caught.value.problems == ["tracker_token: not configured: still the example value"]

    def test_a_placeholder_overridden_by_a_credential_is_fine(
        self, config_file: Path, credentials: Path
    ) -> None:
        """Only the value in effect counts: a file placeholder replaced by a credential passes."""
        with_secrets(config_file, {"tracker_token": "CHANGE-ME", "imap_password": "CHANGE-ME"})
        (credentials / "tracker_token").write_text("y0_real", encoding="utf-8")
        (credentials / "imap_password").write_text("real", encoding="utf-8")
        settings = load_settings(config_file, environ={"CREDENTIALS_DIRECTORY": str(credentials)})
        assert settings.imap_password is not None


EXAMPLE_PLACEHOLDERS = [
    "tracker_token",
    "imap_password",
    "smtp_password",
    "telegram_bot_token",
    "tracker.org_id",
    "mail.source",
    "smtp.host",
    "smtp.username",
    "smtp.from_address",
    "telegram.users.0",
    "customers[0].intake_addresses[0]",
    "customers[0].allowed_domains[0]",
    "customers[0].confirmers[0]",
    "customers[0].telegram_chat_id",
    "customers[1].intake_addresses[0]",
    "customers[1].allowed_senders[0]",
    "customers[1].allowed_senders[1]",
    "customers[1].confirmers[0]",
    "customers[1].telegram_chat_id",
]


def filled_in_example(tmp_path: Path) -> Path:
    """A copy of the example file with every placeholder replaced by a plausible value."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("CHANGE-ME", "filled-in").replace("example.org", "gp1.test")
    text = text.replace("example.com", "clinic.test")
    text = re.sub(r"^telegram_chat_id = 0$", "telegram_chat_id = -1001", text, flags=re.M)
    text = re.sub(r'^0 = "', '123456789 = "', text, flags=re.M)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestExampleFile:
    def test_example_file_is_refused_for_exactly_its_placeholders(self) -> None:
        """The shipped example does not run: each placeholder, and nothing else, is named."""
        with pytest.raises(ConfigError) as caught:
            load_settings(EXAMPLE, environ={})
        expected = [
            f"{key}: not configured: still the example value" for key in EXAMPLE_PLACEHOLDERS
        ]
        assert caught.value.problems == expected

    def test_example_file_with_placeholders_filled_in_loads(self, tmp_path: Path) -> None:
        """Filled in, the example loads, and its commented defaults change nothing."""
        settings = load_settings(filled_in_example(tmp_path), environ={})
        assert [c.queue for c in settings.customers_core()] == ["GP1", "SUPPORT"]
        assert settings.policy() == Policy()
        assert settings.status_map() == StatusMap()
        assert settings.telegram.users == {123456789: "i.petrov"}


ALL_SECRETS = {
    "tracker_token": "y0_AgAAAAsecret-oauth",
    "imap_password": "imap-pass-Zq8",
    "smtp_password": "smtp-pass-Xw4",
    "telegram_bot_token": "123456:AAE-telegram-secret",
}


class TestSecrets:
    @pytest.fixture(name="settings")
    def fixture_settings(self) -> Settings:
        config = a_config(
            **ALL_SECRETS,
            smtp={"host": "smtp.gp1.test", "from_address": "s@gp1.test", "username": "s"},
            telegram={"enabled": True},
        )
        return load_settings(environ={}, overrides=config)

    def test_secrets_never_appear_in_repr_str_or_the_dump(self, settings: Settings) -> None:
        """repr(), str() and redacted_dump() hide every secret."""
        shown = [repr(settings), str(settings), json.dumps(redacted_dump(settings))]
        for secret in ALL_SECRETS.values():
            assert not any(secret in text for text in shown)

    def test_dump_marks_set_secrets_and_leaves_unset_ones_empty(self, settings: Settings) -> None:
        """redacted_dump shows *** for a secret that is set and None for one that is not."""
        dump = redacted_dump(settings)
        assert {key: dump[key] for key in [*ALL_SECRETS, "tracker_iam_token"]} == {
            **dict.fromkeys(ALL_SECRETS, "***"),
            "tracker_iam_token": None,
        }
        assert dump["smtp"]["host"] == "smtp.gp1.test"

    def test_dump_is_plain_json_with_sets_sorted(self, settings: Settings) -> None:
        """The dump serialises to JSON the same way every time: sets become sorted lists."""
        dump = redacted_dump(settings)
        assert dump["regulation"]["high_priorities"] == ["blocker", "critical"]
        assert dump["mail"]["idle_timeout"] == "PT29M"
        assert json.loads(json.dumps(dump)) == dump

    def test_secret_values_stay_readable_for_the_code_that_needs_them(
        self, settings: Settings
    ) -> None:
        """The adapters can still read the secret itself."""
        assert settings.telegram_bot_token is not None
        assert settings.telegram_bot_token.get_secret_value() == ALL_SECRETS["telegram_bot_token"]


class TestConverters:
    def test_policy_defaults_equal_the_core_policy(self) -> None:
        """Nothing configured under [regulation]: the policy is the regulation's own, Policy()."""
        settings = load_settings(environ={}, overrides=a_config())
        assert settings.policy() == Policy()

    def test_every_policy_field_is_configurable(self) -> None:
        """Each Policy field has a key ([regulation], or telegram.urgent_priorities)."""
        policy_fields = {field.name for field in dataclasses.fields(Policy)}
        assert set(RegulationSettings.model_fields) | {"urgent_priorities"} == policy_fields

    def test_r10_r17_two_clocks_are_configured_by_their_own_names(self) -> None:
        """R10/R17: the reaction and execution clocks' keys reach the Policy."""
        regulation = {
            "high_reaction": 24,
            "high_execution": 5,
            "high_execution_unit": "working_days",
            "normal_execution": 20,
            "execution_done": ["verified"],
            "quiet_urgent_breaches": True,
            "notify_taken_into_work": False,
        }
        policy = load_settings(environ={}, overrides=a_config(regulation=regulation)).policy()
        assert (policy.high_reaction, policy.high_execution, policy.normal_execution) == (24, 5, 20)
        assert policy.execution_done == frozenset({Status.VERIFIED})
        assert policy.quiet_urgent_breaches and not policy.notify_taken_into_work

    def test_policy_carries_configured_values(self) -> None:
        """Configured knobs reach the Policy, R20 replies merged over the defaults; the single
        intake clock's keys of earlier versions are read as the clocks they meant."""
        regulation = {
            "high_intake": 48,
            "high_intake_unit": "working_hours",
            "warn_before": "1h30m",
            "silence_reminders": [5, 2, 1],
            "terminal_reply": {"closed": "reopen"},
            "intake_done": ["in_progress"],
        }
        config = a_config(regulation=regulation, telegram={"urgent_priorities": ["blocker"]})
        policy = load_settings(environ={}, overrides=config).policy()
        assert (policy.high_reaction, policy.high_reaction_unit) == (48, ClockUnit.WORKING_HOURS)
        assert policy.warn_before == timedelta(hours=1, minutes=30)
        assert policy.silence_reminders == (5, 2, 1)
        assert policy.execution_done == frozenset({Status.IN_PROGRESS})
        assert policy.urgent_priorities == frozenset({"blocker"})
        assert policy.reply_to_terminal(Status.CLOSED) is TerminalReply.REOPEN
        assert policy.reply_to_terminal(Status.DUPLICATE) is TerminalReply.REJECT

    def test_customers_become_core_customers(self) -> None:
        """R2: each [[customers]] table becomes a core Customer with lower-cased addresses."""
        customer = a_customer(
            allowed_senders=["Glavvrach@Mail.test"],
            confirmers=["Glavvrach@Mail.test"],
            component="Поликлиника",
            tag="gp1",
            telegram_chat_id=-1001234567890,
            departments=["Терапия"],
        )
        settings = load_settings(environ={}, overrides=a_config(customers=[customer]))
        assert settings.customers_core() == (
            Customer(
                name="Поликлиника № 1",
                intake_addresses=frozenset({"help@gp1.test"}),
                queue="GP1",
                allowed_senders=frozenset({"glavvrach@mail.test"}),
                allowed_domains=frozenset({"gp1.test"}),
                confirmers=frozenset({"glavvrach@mail.test"}),
                component="Поликлиника",
                tag="gp1",
                telegram_chat_id=-1001234567890,
                departments=("Терапия",),
                language="ru",
            ),
        )

    def test_status_map_uses_configured_keys_and_aliases(self) -> None:
        """R13: configured keys replace the defaults one by one; aliases read extra keys."""
        statuses = {"closed": "zakryto", "aliases": {"closedByCustomer": "closed"}}
        status_map = load_settings(environ={}, overrides=a_config(statuses=statuses)).status_map()
        assert status_map.tracker_key(Status.CLOSED) == "zakryto"
        assert status_map.tracker_key(Status.OPEN) == "open"
        assert status_map.logical("closedByCustomer") is Status.CLOSED

    def test_status_settings_have_a_key_for_every_status(self) -> None:
        """R13: every regulation status has its own key under [statuses]."""
        assert set(StatusSettings.model_fields) - {"aliases"} == {s.value for s in Status}

    def test_calendar_settings_build_the_work_calendar(self) -> None:
        """R6: to_calendar() builds the working calendar the [calendar] settings describe."""
        calendar = {
            "timezone": "Asia/Yekaterinburg",
            "opens": time(9),
            "closes": "17:30",
            "extra_days_off": [date(2027, 12, 31)],
        }
        work = load_settings(environ={}, overrides=a_config(calendar=calendar)).to_calendar()
        assert work.tz.key == "Asia/Yekaterinburg"
        assert work.opening_hours(date(2027, 3, 3)) == (
            datetime(2027, 3, 3, 9, tzinfo=work.tz),
            datetime(2027, 3, 3, 17, 30, tzinfo=work.tz),
        )
        assert not work.is_working_day(date(2027, 12, 31))

    def test_model_validate_builds_settings_from_plain_data_alone(self) -> None:
        """Settings.model_validate reads no file, environment or credentials (for tests)."""
        settings = Settings.model_validate(a_config())
        assert settings.customers_core()[0].queue == "GP1"

    def test_imap_source_is_parsed_into_an_endpoint(self) -> None:
        """imaps:// means TLS on 993 by default; %40 in the user is an '@'."""
        settings = load_settings(environ={}, overrides=a_config())
        assert settings.mail.imap == ImapEndpoint("imap.gp1.test", 993, "support@gp1.test", "ssl")
        assert (settings.mail.maildir, settings.mail.done_folder) == (None, "Processed")

    def test_imap_url_means_starttls_on_143_unless_a_port_is_given(self) -> None:
        """imap:// is STARTTLS; the port defaults to 143 and may be given."""
        plain = a_config(mail={"source": "imap://support@imap.gp1.test"})
        ported = a_config(mail={"source": "imap://support@imap.gp1.test:1143"})
        endpoints = [load_settings(environ={}, overrides=c).mail.imap for c in (plain, ported)]
        assert endpoints == [
            ImapEndpoint("imap.gp1.test", 143, "support", "starttls"),
            ImapEndpoint("imap.gp1.test", 1143, "support", "starttls"),
        ]

    def test_maildir_source_needs_no_password(self) -> None:
        """A Maildir path is a source of its own, with its own done-folder default."""
        config = a_config(mail={"source": "maildir:/srv/mail/Maildir"}, imap_password=None)
        mail = load_settings(environ={}, overrides=config).mail
        assert (mail.imap, mail.maildir, mail.done_folder) == (
            None,
            Path("/srv/mail/Maildir"),
            "Processed",
        )

    @pytest.mark.parametrize(
        ("written", "expected"),
        [("90s", 90), ("29m", 1740), ("1h30m", 5400), (600, 600), ("PT5M", 300)],
    )
    def test_durations_read_units_seconds_and_iso_8601(
        self, written: str | int, expected: int
    ) -> None:
        """Durations accept 90s / 29m / 1h30m, plain seconds, and ISO 8601."""
        config = a_config(mail={"source": "/srv/Maildir", "poll_interval": written})
        mail = load_settings(environ={}, overrides=config).mail
        assert mail.poll_interval == timedelta(seconds=expected)

    @pytest.mark.parametrize(("security", "port"), [("ssl", 465), ("starttls", 587), ("none", 25)])
    def test_smtp_port_defaults_by_security(self, security: str, port: int) -> None:
        """Without smtp.port, the usual port of the chosen security is used."""
        smtp = {"host": "smtp.gp1.test", "from_address": "s@gp1.test", "security": security}
        settings = load_settings(environ={}, overrides=a_config(smtp=smtp))
        assert settings.smtp.effective_port == port

    def test_metrics_listen_splits_into_host_and_port(self) -> None:
        """metrics_listen host:port, IPv6 in brackets too."""
        settings = load_settings(environ={}, overrides=a_config(metrics_listen="[::1]:9000"))
        assert (settings.metrics_host, settings.metrics_port) == ("::1", 9000)


def test_tracker_resolutions_accept_exactly_the_terminal_statuses() -> None:
    """`tracker.resolutions` is keyed by the logical statuses of a done or cancelled type."""
    from typing import get_args

    from tracker_bridge.config.connections import TerminalStatusName
    from tracker_bridge.regulation.statuses import TERMINAL_STATUSES

    assert set(get_args(TerminalStatusName)) == {s.value for s in TERMINAL_STATUSES}
