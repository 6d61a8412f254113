"""Notification templates (R12): a :class:`Notify` in, a subject and a text body out.

One Jinja2 template pair per name in :data:`tracker_bridge.regulation.notifications.TEMPLATES`
(``<name>.subject.j2``, ``<name>.txt.j2``, optionally ``<name>.html.j2``), Russian, shipped in
``tracker_bridge/mail/templates/``. An operator's directory shadows any of them, file by file
(``ChoiceLoader``: the directory first, the shipped defaults after), partials included.

The context is the contract of ``regulation.notifications.CONTEXT``: every documented key is
present (empty when the action did not set it, so a template tests it with ``{% if … %}``), and
``StrictUndefined`` turns any other name into an error: a typo in an override fails, loudly,
in :meth:`TemplateRenderer.check` at start-up rather than in a requester's inbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import jinja2
from jinja2 import meta

from tracker_bridge.mail.errors import TemplateError
from tracker_bridge.regulation.actions import Notify
from tracker_bridge.regulation.notifications import CONTEXT, TEMPLATES
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.regulation.titles import (
    PRIORITY_TITLES_RU,
    RESOLUTION_TITLES_RU,
    priority_ru,
    resolution_ru,
)

__all__ = [
    "PRIORITY_TITLES_RU",
    "RESOLUTION_TITLES_RU",
    "RenderedMail",
    "TemplateRenderer",
    "plural_ru",
    "priority_ru",
    "resolution_ru",
]

_NO_EXTRA: Mapping[str, str] = MappingProxyType({})
_STATUS_PREFIX = "status_"


@dataclass(frozen=True)
class RenderedMail:
    """A rendered notification: one-line subject, plain text, optional HTML, the issue key."""

    subject: str
    text: str
    html: str | None = None
    issue_key: str | None = None


def plural_ru(count: object, one: str, few: str, many: str) -> str:
    """The Russian word form for ``count``: 1 день, 2 дня, 5 дней (non-numbers take ``many``)."""
    try:
        n = abs(int(str(count).strip()))
    except ValueError:
        return many
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


class TemplateRenderer:
    """Renders notifications from the shipped templates, shadowed by ``override_dir`` if given."""

    def __init__(self, override_dir: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if override_dir is not None:
            if not override_dir.is_dir():
                raise TemplateError(f"template directory {override_dir} does not exist")
            loaders.append(jinja2.FileSystemLoader(override_dir, encoding="utf-8"))
        loaders.append(jinja2.PackageLoader("tracker_bridge.mail", "templates", encoding="utf-8"))
        self._loader = jinja2.ChoiceLoader(loaders)
        self._env = jinja2.Environment(
            loader=self._loader,
            undefined=jinja2.StrictUndefined,
            # plain text must not be HTML-escaped; an optional .html.j2 must be
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._env.filters["plural_ru"] = plural_ru
        self._env.filters["priority_ru"] = priority_ru
        self._env.filters["resolution_ru"] = resolution_ru

    def render(self, notify: Notify, *, extra: Mapping[str, str] = _NO_EXTRA) -> RenderedMail:
        """Render ``notify``; ``extra`` adds or overrides context (e.g. a key resolved late)."""
        context = self.context_for(notify, extra)
        name = notify.template
        subject = " ".join(self._render(f"{name}.subject.j2", context).split())
        text = self._render(f"{name}.txt.j2", context).strip() + "\n"
        html = self._render(f"{name}.html.j2", context) if self._exists(f"{name}.html.j2") else None
        return RenderedMail(subject, text, html, context["key"] or None)

    def context_for(self, notify: Notify, extra: Mapping[str, str] = _NO_EXTRA) -> dict[str, str]:
        """Every documented key of the template (empty if unset), then the action's, then extra."""
        if notify.template not in CONTEXT:
            raise TemplateError(f"unknown notification template {notify.template!r}")
        context = dict.fromkeys(CONTEXT[notify.template], "")
        context["to"] = notify.to
        context["key"] = notify.issue if isinstance(notify.issue, str) else ""
        context.update(_status_defaults(notify.template))
        context.update(notify.context)
        context.update(extra)
        return context

    def check(self) -> list[str]:
        """Problems with the templates as loaded (missing files, names outside the contract)."""
        problems: list[str] = []
        for name in TEMPLATES:
            for suffix in ("subject.j2", "txt.j2"):
                problems += self._check_file(f"{name}.{suffix}", set(CONTEXT[name]))
            if self._exists(f"{name}.html.j2"):
                problems += self._check_file(f"{name}.html.j2", set(CONTEXT[name]))
        return problems

    def _check_file(
        self, filename: str, allowed: set[str], seen: frozenset[str] = frozenset()
    ) -> list[str]:
        try:
            source = self._loader.get_source(self._env, filename)[0]
            tree = self._env.parse(source)
        except jinja2.TemplateNotFound:
            return [f"{filename}: missing"]
        except jinja2.TemplateSyntaxError as exc:
            return [f"{filename}: line {exc.lineno}: {exc.message}"]
        problems = [
            f"{filename}: unknown variable {var!r}"
            for var in sorted(meta.find_undeclared_variables(tree) - allowed)
        ]
        for included in meta.find_referenced_templates(tree):
            if included is not None and included not in seen:
                problems += self._check_file(included, allowed, seen | {filename})
        return problems

    def _render(self, filename: str, context: Mapping[str, str]) -> str:
        try:
            return self._env.get_template(filename).render(context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"template {exc.name} not found") from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{filename}: {exc}") from exc

    def _exists(self, filename: str) -> bool:
        try:
            self._loader.get_source(self._env, filename)
        except jinja2.TemplateNotFound:
            return False
        return True


def _status_defaults(template: str) -> dict[str, str]:
    """``status``/``status_title`` of a ``status_<value>`` template, from its name."""
    if not template.startswith(_STATUS_PREFIX):
        return {}
    try:
        status = Status(template.removeprefix(_STATUS_PREFIX))
    except ValueError:
        return {}
    return {"status": status.value, "status_title": status.title_ru}
