"""The trigger each queue needs, and how an existing one measures up (pure: no I/O).

One trigger per queue, made of what Tracker's API documents (concepts/queues/create-trigger.md,
change-trigger-conditions.md, change-trigger-actions.md):

* conditions: ``Or`` of ``Event.create``, ``Event.update``, ``Event.comment-create`` — every
  issue event, so a status, a field, a comment or a new issue all reach the bridge at once;
* action: ``Webhook`` — ``POST`` to ``webhook.public_url``, body ``{"issue": "{{issue.key}}"}``,
  auth ``oauth`` (header ``Authorization``, token type ``Bearer``, the token ``webhook_secret``),
  and the header ``X-Tracker-Bridge-Key`` with :func:`key_id` of the secret.

Tracker does not give an auth token back (hidden, like a trigger's variables), so the key id —
a hash that reveals nothing usable — is how ``check`` and ``webhook install`` tell that a trigger
carries the current secret.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "BODY",
    "EVENTS",
    "KEY_HEADER",
    "assess",
    "desired_trigger",
    "key_id",
    "ours",
]

EVENTS = ("Event.create", "Event.update", "Event.comment-create")
BODY = '{"issue": "{{issue.key}}"}'
KEY_HEADER = "X-Tracker-Bridge-Key"
CONTENT_TYPE = "application/json; charset=UTF-8"


def key_id(secret: str) -> str:
    """A short fingerprint of the secret (names it, cannot be turned back into it)."""
    return hashlib.sha256(b"tracker-bridge webhook\0" + secret.encode()).hexdigest()[:16]


def desired_trigger(*, name: str, url: str, secret: str) -> dict[str, Any]:
    """The trigger body for ``POST``/``PATCH …/triggers`` (docs create-trigger.md)."""
    return {
        "name": name,
        "active": True,
        "conditions": [{"type": "Or", "conditions": [{"type": e} for e in EVENTS]}],
        "actions": [
            {
                "type": "Webhook",
                "endpoint": url,
                "method": "POST",
                "contentType": CONTENT_TYPE,
                "headers": {KEY_HEADER: key_id(secret)},
                "authContext": {
                    "type": "oauth",
                    "headerName": "Authorization",
                    "tokenType": "Bearer",
                    "accessToken": secret,
                },
                "body": BODY,
            }
        ],
    }


def _webhooks(trigger: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    actions = trigger.get("actions") or []
    return [a for a in actions if isinstance(a, Mapping) and a.get("type") == "Webhook"]


def ours(triggers: Sequence[Mapping[str, Any]], *, name: str, url: str) -> list[Mapping[str, Any]]:
    """The queue's triggers that are the bridge's: by name, or calling its URL."""
    return [
        t
        for t in triggers
        if t.get("name") == name or any(a.get("endpoint") == url for a in _webhooks(t))
    ]


def _fires_on(conditions: Any, event: str) -> bool:
    """Whether a condition list lets a bare ``event`` through (a top-level list means all)."""
    if not isinstance(conditions, list):
        return True
    return all(_condition(c, event) for c in conditions)


def _condition(condition: Any, event: str) -> bool:
    if not isinstance(condition, Mapping):
        return False
    kind = str(condition.get("type", ""))
    if kind.lower() in ("and", "or"):
        inner = [_condition(c, event) for c in condition.get("conditions") or []]
        return any(inner) if kind.lower() == "or" else all(inner)
    return kind == event


def assess(trigger: Mapping[str, Any], *, url: str, secret: str) -> list[str]:
    """Everything that keeps ``trigger`` from calling the bridge as it should ([] when right)."""
    found: list[str] = []
    if trigger.get("active") is False:
        found.append("it is inactive: switch it on")
    missing = [e for e in EVENTS if not _fires_on(trigger.get("conditions"), e)]
    if missing:
        found.append(f"it does not fire on {', '.join(missing)}: condition Or({', '.join(EVENTS)})")
    hooks = _webhooks(trigger)
    if not hooks:
        return [*found, "it has no HTTP request action"]
    hook = hooks[0]
    if hook.get("endpoint") != url:
        found.append(f"it calls {hook.get('endpoint')!r}: the address must be {url}")
    if str(hook.get("method", "")).upper() != "POST":
        found.append(f"its method is {hook.get('method')!r}: use POST")
    auth = hook.get("authContext") or {}
    bearer = (
        isinstance(auth, Mapping)
        and str(auth.get("type", "")).lower() == "oauth"
        and auth.get("headerName", "Authorization") == "Authorization"
        and auth.get("tokenType", "Bearer") == "Bearer"
    )
    if not bearer:
        found.append(
            "its authorisation must be OAuth 2.0: header Authorization, type Bearer, "
            "token = webhook_secret"
        )
    headers = hook.get("headers") or {}
    given = headers.get(KEY_HEADER) if isinstance(headers, Mapping) else None
    if given != key_id(secret):
        found.append(
            f"its header {KEY_HEADER} is not {key_id(secret)}: "
            "it carries another secret than webhook_secret"
        )
    if "{{issue.key}}" not in _text(hook.get("body")):
        found.append(f"its body must name the issue: {BODY}")
    return found


def _text(body: Any) -> str:
    if isinstance(body, str):
        return body
    return json.dumps(body, ensure_ascii=False)
