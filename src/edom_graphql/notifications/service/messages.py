"""The message catalogue of notifications: every text in each language a user may choose,
picked per recipient (``users.locale``) inside the statement that writes the notification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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
    """A catalogue entry: a template per language, filled with the same named values; a
    :class:`Text` value is put in each template in that template's language."""

    ru: str
    en: str

    def __call__(self, **values: Any) -> Text:
        return Text(ru=self._fill(self.ru, "ru", values), en=self._fill(self.en, "en", values))

    @staticmethod
    def _fill(template: str, locale: str, values: dict[str, Any]) -> str:
        return template.format(
            **{
                name: value.in_(locale) if isinstance(value, Text) else value
                for name, value in values.items()
            }
        )


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


# -- words and dates put into the messages --------------------------------------------------

MONTHS_RU = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def day_text(day: date) -> Text:
    """``15 декабря 2026`` / ``15 December 2026``."""
    return Text(
        ru=f"{day.day} {MONTHS_RU[day.month - 1]} {day.year}",
        en=f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}",
    )


# -- chats ----------------------------------------------------------------------------------

CHAT_MESSAGE = Message(ru="Новое сообщение: «{excerpt}»", en="New message: “{excerpt}”")
CHAT_DIRECT_MESSAGE = Message(ru="Личное сообщение: «{excerpt}»", en="Direct message: “{excerpt}”")
CHAT_MANAGEMENT_REPLY = Message(
    ru="Ответ управляющей организации: «{excerpt}»",
    en="Reply from the management company: “{excerpt}”",
)
CHAT_MESSAGE_REPORTED = Message(
    ru="Жалоба на сообщение в чате дома: «{excerpt}». Причина: {reason}",
    en="A building chat message was reported: “{excerpt}”. Reason: {reason}",
)

# -- intercom -------------------------------------------------------------------------------

INTERCOM_REQUESTED = Message(
    ru="Заявка на умный домофон: подъезд {entrance}, квартира {apartment}.",
    en="Smart intercom requested for entrance {entrance} (apartment {apartment}).",
)
INTERCOM_APPROVED = Message(
    ru="Ваша заявка на умный домофон одобрена: панели устанавливают.",
    en="Your smart intercom application is approved: the panels are being installed.",
)
INTERCOM_REJECTED = Message(
    ru="Ваша заявка на умный домофон отклонена: {reason}",
    en="Your smart intercom application is rejected: {reason}",
)
INTERCOM_CONNECTED = Message(
    ru="Ваш подъезд подключён к умному домофону: открывайте дверь из приложения.",
    en="Your entrance is connected to the smart intercom: open the door from the app.",
)
INTERCOM_CALL = Message(
    ru="Звонок в квартиру {apartment} из подъезда.",
    en="Someone is calling apartment {apartment} from the entrance.",
)

# -- owners' meetings -----------------------------------------------------------------------

MEETING_TO_ADMINISTER = Message(
    ru="Вам передано на администрирование общее собрание собственников № {number} «{title}».",
    en="Owners' meeting No. {number} “{title}” has reached you to administer.",
)
MEETING_SCHEDULED = Message(
    ru="Общее собрание собственников № {number}: голосование с {starts} по {ends} (UTC).",
    en="Owners' meeting No. {number}: voting runs from {starts} to {ends} UTC.",
)
MEETING_CANCELLED = Message(
    ru="Общее собрание собственников № {number} отменено: {reason}",
    en="Owners' meeting No. {number} is cancelled: {reason}",
)
MEETING_VOTING_STARTED = Message(
    ru="Началось голосование на общем собрании собственников № {number}; "
    "оно завершится {ends} (UTC).",
    en="Voting in owners' meeting No. {number} has started; it ends {ends} UTC.",
)
MEETING_RESULTS = Message(
    ru="Общее собрание собственников № {number} завершено: итоги и протокол опубликованы.",
    en="Owners' meeting No. {number} has ended: the results and the protocol are published.",
)
MEETING_FAILED = Message(
    ru="Общее собрание собственников № {number} завершено: кворума не было, "
    "собрание не состоялось.",
    en="Owners' meeting No. {number} has ended: there was no quorum, the meeting failed.",
)

# -- meter readings -------------------------------------------------------------------------

METER_REMINDER = Message(
    ru="Передайте показания счётчиков {what} по помещению {premise}: их принимают "
    "с {opens}, 00:00 по {closes}, 23:59:59 (по московскому времени).",
    en="Submit the {what} meter readings of premise {premise}: they are accepted "
    "from {opens}, 00:00 to {closes}, 23:59:59 (Moscow time).",
)
METER_WHAT = {
    "WATER": Text(ru="воды", en="water"),
    "ELECTRICITY": Text(ru="электроэнергии", en="electricity"),
}
"""By the reading window's kind."""

# -- city points ----------------------------------------------------------------------------

POINTS_AWARDED = Message(
    ru="Начислено баллов города: +{amount}; баланс {balance}.",
    en="+{amount} city points; balance {balance}.",
)
POINTS_SPENT = Message(
    ru="Списано баллов города: −{amount} за «{title}»; баланс {balance}.",
    en="−{amount} city points for “{title}”; balance {balance}.",
)
POINTS_DONATED = Message(
    ru="Пожертвовано баллов города: {amount} в «{title}»; баланс {balance}.",
    en="{amount} city points donated to “{title}”; balance {balance}.",
)

# -- payments -------------------------------------------------------------------------------

PAYMENT_FAILED = Message(
    ru="Платёж на {amount} не прошёл ({reason}).",
    en="The payment of {amount} did not go through ({reason}).",
)
PAYMENT_SUCCEEDED = Message(
    ru="Платёж на {amount} прошёл; счёт {status}.",
    en="The payment of {amount} went through; the bill is {status}.",
)
BILL_STATUS = {
    "UNPAID": Text(ru="не оплачен", en="unpaid"),
    "PARTIALLY_PAID": Text(ru="оплачен частично", en="partially paid"),
    "PAID": Text(ru="оплачен", en="paid"),
    "OVERPAID": Text(ru="оплачен с переплатой", en="overpaid"),
}
"""By the bill's status."""

# -- guests ---------------------------------------------------------------------------------

GUEST_ACCESS_GRANTED = Message(
    ru="У вас {level} гостевой доступ к помещению {premise} до {expires}.",
    en="You have {level} guest access to premise {premise} until {expires}.",
)
GUEST_ACCESS_GRANTED_LATER = Message(
    ru="У вас {level} гостевой доступ к помещению {premise} с {starts} до {expires}.",
    en="You have {level} guest access to premise {premise} from {starts} until {expires}.",
)
GUEST_LEVEL = {
    "ELEVATED": Text(ru="расширенный", en="elevated"),
    "BASIC": Text(ru="базовый", en="basic"),
    "INITIAL": Text(ru="начальный", en="initial"),
}
"""By the guest level."""
GUEST_INVITATION_ACCEPTED = Message(
    ru="{guest} принял(а) ваше приглашение в помещение {premise}.",
    en="{guest} accepted your invitation to premise {premise}.",
)
GUEST_ACCESS_REVOKED = Message(
    ru="Ваш гостевой доступ отозван.",
    en="Your guest access was revoked.",
)

# -- notices --------------------------------------------------------------------------------

NOTICE_POSTED = Message(ru="Объявление: {title}", en="Notice: {title}")

# -- vehicles -------------------------------------------------------------------------------

VEHICLE_BLOCKING_EXIT = Message(
    ru="Ваш автомобиль {plate} мешает выезду. Пожалуйста, переставьте его.",
    en="Your car {plate} is blocking someone's way out. Please move it.",
)
VEHICLE_LIGHTS_ON = Message(
    ru="У вашего автомобиля {plate} включены фары.",
    en="Your car {plate} has its lights on.",
)
VEHICLE_ALARM_SOUNDING = Message(
    ru="У вашего автомобиля {plate} сработала сигнализация.",
    en="The alarm of your car {plate} is sounding.",
)
VEHICLE_WINDOW_OPEN = Message(
    ru="У вашего автомобиля {plate} открыто окно.",
    en="Your car {plate} has a window open.",
)
VEHICLE_TOW_TRUCK_NEARBY = Message(
    ru="Рядом с вашим автомобилем {plate} эвакуатор.",
    en="A tow truck is near your car {plate}.",
)

# -- push titles ----------------------------------------------------------------------------

APP_NAME = Text(ru="Электронный дом", en="Electronic Home")
PUSH_TITLES: tuple[tuple[str, Text], ...] = (
    ("CHAT_MESSAGE_REPORTED", Text(ru="Жалоба в чате", en="Chat report")),
    ("CHAT_", Text(ru="Сообщение", en="Message")),
    ("INTERCOM_", Text(ru="Домофон", en="Intercom")),
    ("VEHICLE_", Text(ru="Ваш автомобиль", en="Your car")),
    ("MEETING_", Text(ru="Собрание собственников", en="Owners' meeting")),
    ("REPAIR_REQUEST_", Text(ru="Заявка на ремонт", en="Repair request")),
    ("NOTICE_", Text(ru="Объявление", en="Notice")),
    ("BUILDING_NOTICE", Text(ru="Объявление", en="Notice")),
    ("METER_", Text(ru="Показания счётчиков", en="Meter readings")),
    ("PAYMENT_", Text(ru="Оплата", en="Payment")),
    ("POINTS_", Text(ru="Баллы", en="Points")),
    ("GUEST_", Text(ru="Гостевой доступ", en="Guest access")),
)
"""A push notification's title by the notification's kind (the first prefix it starts
with); the body is the notification's own text."""


def push_title(kind: str, locale: str) -> str:
    """The title of a push for a notification of ``kind``, in ``locale``."""
    for prefix, title in PUSH_TITLES:
        if kind.startswith(prefix):
            return title.in_(locale)
    return APP_NAME.in_(locale)
