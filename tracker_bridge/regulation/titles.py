"""Tracker's keys as the clinic reads them: priorities and resolutions in Russian.

One table for every place a requester or a clinic's chat sees them (mail templates, Telegram
cards), so an email and a card never name the same thing differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["PRIORITY_TITLES_RU", "RESOLUTION_TITLES_RU", "priority_ru", "resolution_ru"]

# Tracker's standard priority keys.
PRIORITY_TITLES_RU: Mapping[str, str] = MappingProxyType(
    {
        "blocker": "Блокер",
        "critical": "Критичный",
        "normal": "Средний",
        "minor": "Низкий",
        "trivial": "Незначительный",
    }
)

# Tracker's standard resolutions and the regulation's own (R4, R19), by key.
RESOLUTION_TITLES_RU: Mapping[str, str] = MappingProxyType(
    {
        "fixed": "Решён",
        "wontfix": "Не будет исправлено",
        "duplicate": "Дубликат",
        "invalid": "Некорректный",
        "later": "Позже",
        "cantreproduce": "Не воспроизводится",
        "infeasible": "Невыполнимо",
        "noresponse": "Нет ответа",
        "infrastructure": "Проблема инфраструктуры",
    }
)


def priority_ru(value: object) -> str:
    """A Tracker priority key (``critical``) as its Russian title; anything else unchanged."""
    text = str(value)
    return PRIORITY_TITLES_RU.get(text.strip().lower(), text)


def resolution_ru(value: object) -> str:
    """A Tracker resolution key (``fixed``) as its Russian title; anything else unchanged."""
    text = str(value)
    return RESOLUTION_TITLES_RU.get(text.strip().lower(), text)
