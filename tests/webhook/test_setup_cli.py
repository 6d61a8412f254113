"""``tracker-bridge check`` verifies each queue's trigger, ``tracker-bridge webhook install``
puts it there idempotently — against FakeTracker over HTTP with the real client."""

from __future__ import annotations

from pathlib import Path

from tests.commands.world import run_cli, write_config
from tracker_bridge.mail.maildir_source import ensure_maildir
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture
from tracker_bridge.webhook.trigger import KEY_HEADER, key_id

SECRET = "cli-webhook-secret-0123456789abcdef"
URL = "https://bridge.vendor-support.ru/tracker/webhook"


def _config(root: Path, tracker: FakeTracker, smtp: SmtpCapture, secret: str = SECRET) -> Path:
    ensure_maildir(root / "Maildir")
    path = write_config(root, tracker, smtp, extra=f'webhook_secret = "{secret}"')
    with path.open("a", encoding="utf-8") as out:
        out.write(f'\n[webhook]\nenabled = true\npublic_url = "{URL}"\n')
    return path


def test_check_says_the_webhook_is_off_by_default(tmp_path: Path) -> None:
    ensure_maildir(tmp_path / "Maildir")
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        result = run_cli("check", "--config", str(write_config(tmp_path, tracker, smtp)))
    assert "Webhook\n  ✓ webhook: off (Tracker is polled only" in result.out
    assert result.code == 0, result.out


def test_check_names_the_missing_trigger_and_install_creates_it_once(tmp_path: Path) -> None:
    """Without a trigger, check fails naming the URL and the fix; `webhook install` creates it;
    check passes; a second install changes nothing (same trigger, same version)."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = str(_config(tmp_path, tracker, smtp))
        before = run_cli("check", "--config", config)
        assert before.code == 1
        assert f"  ✗ queue SUP: no trigger calls {URL} — run `tracker-bridge webhook install`" in (
            before.out
        )
        dry = run_cli("webhook", "install", "--dry-run", "--config", config)
        assert "✓ queue SUP: trigger 'tracker-bridge: webhook' would be created" in dry.out
        assert tracker.triggers("SUP") == []
        first = run_cli("webhook", "install", "--config", config)
        assert first.code == 0, first.out
        assert "✓ queue SUP: trigger 'tracker-bridge: webhook' was created" in first.out
        (trigger,) = tracker.triggers("SUP")
        action = trigger.actions[0]
        assert (action["endpoint"], action["method"]) == (URL, "POST")
        assert action["authContext"]["accessToken"] == SECRET
        assert action["headers"][KEY_HEADER] == key_id(SECRET)
        after = run_cli("check", "--config", config)
        assert after.code == 0, after.out
        assert f"  ✓ queue SUP: trigger 'tracker-bridge: webhook' calls {URL}" in after.out
        again = run_cli("webhook", "install", "--config", config)
        assert "is up to date" in again.out
        assert [(t.id, t.version) for t in tracker.triggers("SUP")] == [(trigger.id, 1)]


def test_a_new_secret_or_a_broken_trigger_is_found_and_updated_in_place(tmp_path: Path) -> None:
    """Someone switched the trigger off and made it GET; then the secret changed: check says
    each, and install updates the same trigger (PATCH with its version)."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = str(_config(tmp_path, tracker, smtp))
        run_cli("webhook", "install", "--config", config)
        (trigger,) = tracker.triggers("SUP")
        trigger.active = False
        trigger.actions[0]["method"] = "GET"
        broken = run_cli("check", "--config", config)
        assert broken.code == 1
        assert "it is inactive: switch it on" in broken.out
        assert "its method is 'GET': use POST" in broken.out
        _config(tmp_path, tracker, smtp, secret="another-secret-0123456789abcdef")
        assert "another secret than webhook_secret" in run_cli("check", "--config", config).out
        fixed = run_cli("webhook", "install", "--config", config)
        assert "was updated" in fixed.out
        (same,) = tracker.triggers("SUP")
        assert (same.id, same.version, same.active) == (trigger.id, 2, True)
        assert run_cli("check", "--config", config).code == 0


def test_check_wants_a_public_url_when_enabled(tmp_path: Path) -> None:
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = _config(tmp_path, tracker, smtp)
        config.write_text(config.read_text().replace(f'public_url = "{URL}"\n', ""))
        result = run_cli("check", "--config", str(config))
        install = run_cli("webhook", "install", "--config", str(config))
    assert "  ✗ webhook: no public_url — set webhook.public_url" in result.out
    assert install.code == 1
