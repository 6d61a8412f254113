"""Is each queue's trigger in place (``tracker-bridge check``), and put it there
(``tracker-bridge webhook install``): the Tracker side of the webhook.

The install is idempotent: per queue it lists the triggers, then creates the bridge's trigger
when there is none, updates it (``PATCH …?version=``) when anything differs, and leaves it alone
when it is right. It never touches other triggers, and never creates a second one: a failed
create is found by the next run's list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from tracker_bridge.config.webhook import WebhookSettings
from tracker_bridge.tracker.check import CheckLine
from tracker_bridge.tracker.errors import TrackerError
from tracker_bridge.webhook.trigger import KEY_HEADER, assess, desired_trigger, key_id, ours

__all__ = ["UI_STEPS", "check_triggers", "install_triggers", "not_ready"]

UI_STEPS = "see docs/operations.md, “Trigger webhooks”"


class TriggerGateway(Protocol):
    async def triggers(self, queue: str) -> list[dict[str, Any]]: ...

    async def create_trigger(self, queue: str, body: Mapping[str, Any]) -> dict[str, Any]: ...

    async def update_trigger(
        self, queue: str, trigger_id: int, version: int, body: Mapping[str, Any]
    ) -> dict[str, Any]: ...


def not_ready(hook: WebhookSettings, secret: str | None) -> CheckLine | None:
    """The line to show instead of asking Tracker: the webhook is off, or not configured."""
    if not hook.enabled:
        return CheckLine(True, "webhook: off (Tracker is polled only; docs/operations.md)")
    if hook.public_url is None:
        fix = "set webhook.public_url to the https address Tracker calls (your reverse proxy)"
        return CheckLine(False, "webhook: no public_url", fix)
    if secret is None:
        return CheckLine(False, "webhook: no webhook_secret", "give it as a systemd credential")
    return None


async def check_triggers(
    gateway: TriggerGateway,
    *,
    queues: Sequence[str],
    hook: WebhookSettings,
    secret: str | None,
) -> list[CheckLine]:
    """One line per queue: its trigger calls ``public_url`` on every issue event with the
    secret, or exactly what to change (or to run ``tracker-bridge webhook install``)."""
    early = not_ready(hook, secret)
    if early is not None:
        return [early]
    assert hook.public_url is not None and secret is not None
    lines = []
    for queue in queues:
        lines.append(await _check_queue(gateway, queue, hook.public_url, hook.trigger_name, secret))
    return lines


async def _check_queue(
    gateway: TriggerGateway, queue: str, url: str, name: str, secret: str
) -> CheckLine:
    fix = f"run `tracker-bridge webhook install`, or in Tracker's UI ({UI_STEPS})"
    try:
        found = ours(await gateway.triggers(queue), name=name, url=url)
    except TrackerError as exc:
        return CheckLine(False, f"queue {queue}: triggers can be read ({exc})", fix)
    if not found:
        what = f"queue {queue}: no trigger calls {url}"
        header = f"header {KEY_HEADER}: {key_id(secret)}"
        return CheckLine(False, what, f"{fix}: trigger {name!r}, {header}")
    problems = assess(found[0], url=url, secret=secret)
    trigger = f"queue {queue}: trigger {found[0].get('name')!r}"
    if problems:
        return CheckLine(False, f"{trigger}: {'; '.join(problems)}", fix)
    extra = f"; {len(found) - 1} more call the bridge (each costs nothing extra)" * (len(found) > 1)
    return CheckLine(True, f"{trigger} calls {url} on every issue event{extra}")


async def install_triggers(
    gateway: TriggerGateway,
    *,
    queues: Sequence[str],
    hook: WebhookSettings,
    secret: str | None,
    dry_run: bool = False,
) -> list[CheckLine]:
    """Create or update each queue's trigger; one line per queue saying what was done."""
    early = not_ready(hook, secret)
    if early is not None:
        return [early if hook.enabled else CheckLine(False, early.what, "set webhook.enabled")]
    assert hook.public_url is not None and secret is not None
    body = desired_trigger(name=hook.trigger_name, url=hook.public_url, secret=secret)
    lines = []
    for queue in queues:
        try:
            lines.append(await _install_queue(gateway, queue, body, secret, dry_run=dry_run))
        except TrackerError as exc:
            fix = f"give the bridge's Tracker user the queue's admin rights, or {UI_STEPS}"
            lines.append(CheckLine(False, f"queue {queue}: {exc}", fix))
    return lines


async def _install_queue(
    gateway: TriggerGateway, queue: str, body: dict[str, Any], secret: str, *, dry_run: bool
) -> CheckLine:
    url = body["actions"][0]["endpoint"]
    found = ours(await gateway.triggers(queue), name=body["name"], url=url)
    verb = "would be" if dry_run else "was"
    if not found:
        if not dry_run:
            await gateway.create_trigger(queue, body)
        return CheckLine(True, f"queue {queue}: trigger {body['name']!r} {verb} created")
    current = found[0]
    problems = assess(current, url=url, secret=secret)
    if not problems and current.get("name") == body["name"]:
        return CheckLine(True, f"queue {queue}: trigger {body['name']!r} is up to date")
    if not dry_run:
        await gateway.update_trigger(queue, int(current["id"]), int(current["version"]), body)
    why = "; ".join(problems) or "renamed"
    return CheckLine(True, f"queue {queue}: trigger {current.get('name')!r} {verb} updated ({why})")
