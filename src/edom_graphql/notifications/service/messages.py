"""The message catalogue of notifications: every text in each language a user may choose,
picked per recipient (``users.locale``) inside the statement that writes the notification."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LOCALES = ("ru", "en")
"""The languages a user may choose; the first is the default."""
DEFAULT_LOCALE = LOCALES[0]


@dataclass(frozen=True, slots=True)
class Text:
    """One notification text in every language."""

    ru: str
    en: str

    def in_(self, locale: str) -> str:
        return self.en if locale == "en" else self.ru


@dataclass(frozen=True, slots=True)
class Message:
    """A catalogue entry: a template per language, filled with the same named values."""

    ru: str
    en: str

    def __call__(self, **values: Any) -> Text:
        return Text(ru=self.ru.format(**values), en=self.en.format(**values))


def as_text(message: str | Text) -> Text:
    """A plain string is the same in every language (a notice's own title, say)."""
    return message if isinstance(message, Text) else Text(ru=message, en=message)


REPAIR_ASSIGNED = Message(
    ru="Заявка № {number} назначена вам.",
    en="Repair request No. {number} was assigned to you.",
)
REPAIR_STATUS = Message(
    ru="Заявка № {number}: {status_ru}.",
    en="Repair request No. {number} is now {status_en}.",
)
REPAIR_STATUS_RU = {
    "NEW": "новая",
    "ACCEPTED": "принята",
    "IN_PROGRESS": "в работе",
    "DEFERRED": "отложена",
    "DONE": "выполнена",
    "REOPENED": "открыта снова",
    "REJECTED": "отклонена",
    "CANCELLED": "отменена",
    "CONFIRMED": "подтверждена",
    "CLOSED": "закрыта",
}
REPAIR_ENGINEER_ASSIGNED = Message(
    ru="По заявке № {number} назначен инженер.",
    en="An engineer was assigned to repair request No. {number}.",
)
REPAIR_COMMENTED = Message(
    ru="Новый комментарий к заявке № {number}.",
    en="New comment on repair request No. {number}.",
)
REPAIR_RATED = Message(
    ru="Заявка № {number} оценена.",
    en="Repair request No. {number} was rated.",
)
