"""The demo data set: two buildings, their people and one persona per access tier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import (
    Building,
    ManagementOrganisation,
    Premise,
    PremiseKind,
    StaffMembership,
)
from edom_graphql.buildings.service import premise_sort_key
from edom_graphql.chats import service as chats
from edom_graphql.chats.models import Chat, ChatKind
from edom_graphql.core.capabilities import StaffRole
from edom_graphql.core.db import Database, Outbox
from edom_graphql.core.storage import Storage
from edom_graphql.events.models import Event
from edom_graphql.repairs import service as repairs
from edom_graphql.repairs.models import RepairCategory, RepairRequestScope
from edom_graphql.residents.models import (
    GuestGrant,
    GuestLevel,
    Ownership,
    Registration,
    ResidencyConfirmation,
    User,
)
from edom_graphql.server.demo_billing import load_billing
from edom_graphql.server.demo_intercom import load_intercom
from edom_graphql.server.demo_meetings import load_meetings
from edom_graphql.server.demo_meters import load_meters
from edom_graphql.server.demo_notices import load_notices
from edom_graphql.server.demo_points import load_points


@dataclass(frozen=True, slots=True)
class Persona:
    key: str
    name: str
    description: str

    @property
    def subject(self) -> str:
        return f"demo|{self.key}"


PERSONAS = (
    Persona("owner", "Анна Соколова", "OWNER of apartment 1 and of ½ of apartment 2, Tverskaya 7"),
    Persona("co-owner", "Борис Петров", "OWNER of ½ of apartment 2, Tverskaya 7"),
    Persona("registered", "Вера Иванова", "REGISTERED at apartment 1, Tverskaya 7"),
    Persona("resident", "Глеб Смирнов", "RESIDENT of apartment 3 (payer code), Tverskaya 7"),
    Persona("guest-elevated", "Дарья Кузнецова", "GUEST_ELEVATED at apartment 1 (Anna's guest)"),
    Persona("guest-basic", "Егор Попов", "GUEST_BASIC at apartment 1 (Anna's guest)"),
    Persona("guest-initial", "Жанна Волкова", "GUEST_INITIAL at apartment 1 (Anna's guest)"),
    Persona("dispatcher", "Зоя Морозова", "DISPATCHER of Zhilishchnik Tverskoy"),
    Persona("engineer", "Игорь Новиков", "ENGINEER of Zhilishchnik Tverskoy"),
    Persona("manager", "Кира Фёдорова", "MANAGER of Zhilishchnik Tverskoy"),
    Persona("neighbour-elsewhere", "Лев Михайлов", "OWNER in Leninsky 30 (another building)"),
    Persona("newcomer", "Мария Орлова", "Signed in, no premises yet (try payer code 7700000003)"),
    Persona("admin", "Служба поддержки", "Platform ADMIN (support)"),
)
PERSONA_BY_KEY = {persona.key: persona for persona in PERSONAS}
ORGANISATION_INN = "7710000001"


async def _premises(
    session: AsyncSession, building_id: int, apartments: int, *, payer_prefix: str
) -> dict[str, int]:
    rows = []
    for n in range(1, apartments + 1):
        rows.append(
            {
                "building_id": building_id,
                "kind": PremiseKind.APARTMENT,
                "number": str(n),
                "number_sort": premise_sort_key(PremiseKind.APARTMENT, str(n)),
                "area": Decimal("38.40") + Decimal(n % 5) * Decimal("11.35"),
                "entrance": (n - 1) // 20 + 1,
                "floor": ((n - 1) % 20) // 4 + 1,
                "payer_code": f"{payer_prefix}{n:05d}",
            }
        )
    rows.append(
        {
            "building_id": building_id,
            "kind": PremiseKind.NON_RESIDENTIAL,
            "number": "Н1",
            "number_sort": premise_sort_key(PremiseKind.NON_RESIDENTIAL, "Н1"),
            "area": Decimal("112.70"),
            "entrance": None,
            "floor": 1,
            "payer_code": None,
        }
    )
    for n in (1, 2):
        rows.append(
            {
                "building_id": building_id,
                "kind": PremiseKind.PARKING,
                "number": f"М{n}",
                "number_sort": premise_sort_key(PremiseKind.PARKING, f"М{n}"),
                "area": Decimal("14.50"),
                "entrance": None,
                "floor": -1,
                "payer_code": None,
            }
        )
    result = await session.execute(
        insert(Premise).returning(Premise.id, Premise.kind, Premise.number), rows
    )
    return {f"{kind.value}:{number}": pk for pk, kind, number in result}


async def load_demo(db: Database, storage: Storage, *, now: datetime) -> bool:
    """Load the demo data set once; returns False when it is already there. ``storage``
    keeps the documents it makes (the protocol of the demo's completed meeting)."""
    async with db.transaction() as (session, outbox):
        existing = await session.execute(
            select(ManagementOrganisation.id).where(ManagementOrganisation.inn == ORGANISATION_INN)
        )
        if existing.first() is not None:
            return False
        users: dict[str, int] = {}
        for persona in PERSONAS:
            values = {
                "display_name": persona.name.split()[0],
                "full_name": persona.name,
                "phone": f"+7916{len(users):07d}",
                "is_admin": persona.key == "admin",
            }
            # A persona may exist already: a demo token used on a server started without
            # --demo signs its user up on first sight. The demo makes it its persona.
            users[persona.key] = (
                await session.execute(
                    pg_insert(User)
                    .values(subject=persona.subject, **values)
                    .on_conflict_do_update(index_elements=["subject"], set_=values)
                    .returning(User.id)
                )
            ).scalar_one()
        tverskoy = (
            await session.execute(
                insert(ManagementOrganisation)
                .values(
                    name="ГБУ «Жилищник района Тверской»",
                    inn=ORGANISATION_INN,
                    phone="+74951234567",
                )
                .returning(ManagementOrganisation.id)
            )
        ).scalar_one()
        leninsky = (
            await session.execute(
                insert(ManagementOrganisation)
                .values(name="ООО «УК Ленинский»", inn="7736000002", phone="+74957654321")
                .returning(ManagementOrganisation.id)
            )
        ).scalar_one()
        tverskaya = (
            await session.execute(
                insert(Building)
                .values(
                    organisation_id=tverskoy,
                    address="Москва, ул. Тверская, д. 7",
                    latitude=Decimal("55.758463"),
                    longitude=Decimal("37.611185"),
                    total_area=Decimal("1"),
                    intercom_capable=True,
                )
                .returning(Building.id)
            )
        ).scalar_one()
        lenin = (
            await session.execute(
                insert(Building)
                .values(
                    organisation_id=leninsky,
                    address="Москва, Ленинский проспект, д. 30",
                    latitude=Decimal("55.707929"),
                    longitude=Decimal("37.584541"),
                    total_area=Decimal("1"),
                    intercom_capable=False,
                )
                .returning(Building.id)
            )
        ).scalar_one()
        t = await _premises(session, tverskaya, 40, payer_prefix="77000")
        lp = await _premises(session, lenin, 20, payer_prefix="77360")
        from sqlalchemy import func, update

        for building_id in (tverskaya, lenin):
            total = (
                await session.execute(
                    select(func.sum(Premise.area)).where(Premise.building_id == building_id)
                )
            ).scalar_one()
            await session.execute(
                update(Building).where(Building.id == building_id).values(total_area=total)
            )

        def ownership(
            user: str, premise: int, building: int, num: int, den: int
        ) -> dict[str, object]:
            return {
                "user_id": users[user],
                "premise_id": premise,
                "building_id": building,
                "share_numerator": num,
                "share_denominator": den,
            }

        ownerships = [
            ownership("owner", t["APARTMENT:1"], tverskaya, 1, 1),
            ownership("owner", t["APARTMENT:2"], tverskaya, 1, 2),
            ownership("co-owner", t["APARTMENT:2"], tverskaya, 1, 2),
            ownership("neighbour-elsewhere", lp["APARTMENT:5"], lenin, 1, 1),
        ]
        # Unregistered owners of the other apartments, so that the register is realistic.
        for n in range(4, 41):
            owner_id = (
                await session.execute(
                    insert(User)
                    .values(subject=f"demo|owner-{n}", display_name=f"Собственник кв. {n}")
                    .returning(User.id)
                )
            ).scalar_one()
            users[f"owner-{n}"] = owner_id
            shares = (1, 1) if n % 3 else (2, 3)
            ownerships.append(ownership(f"owner-{n}", t[f"APARTMENT:{n}"], tverskaya, *shares))
        await session.execute(insert(Ownership), ownerships)
        await session.execute(
            insert(Registration),
            [
                {
                    "user_id": users["registered"],
                    "premise_id": t["APARTMENT:1"],
                    "building_id": tverskaya,
                }
            ],
        )
        await session.execute(
            insert(ResidencyConfirmation),
            [
                {
                    "user_id": users["resident"],
                    "premise_id": t["APARTMENT:3"],
                    "building_id": tverskaya,
                }
            ],
        )
        guests = []
        for key, level in (
            ("guest-elevated", GuestLevel.ELEVATED),
            ("guest-basic", GuestLevel.BASIC),
            ("guest-initial", GuestLevel.INITIAL),
        ):
            guests.append(
                {
                    "premise_id": t["APARTMENT:1"],
                    "building_id": tverskaya,
                    "grantor_id": users["owner"],
                    "grantee_id": users[key],
                    "level": level,
                    "starts_at": now,
                    "expires_at": now + timedelta(days=364),
                }
            )
        await session.execute(insert(GuestGrant), guests)
        await session.execute(
            insert(StaffMembership),
            [
                {"organisation_id": tverskoy, "user_id": users[key], "role": role}
                for key, role in (
                    ("dispatcher", StaffRole.DISPATCHER),
                    ("engineer", StaffRole.ENGINEER),
                    ("manager", StaffRole.MANAGER),
                )
            ],
        )
        await session.execute(insert(Event), [event(*spec, now=now) for spec in DEMO_EVENTS])
        await _repair_requests(
            session,
            outbox,
            users=users,
            buildings={"tverskaya": tverskaya, "lenin": lenin},
            premises={"tverskaya": t, "lenin": lp},
            staff={tverskoy: ("dispatcher", "engineer", "manager")},
            now=now,
        )
        await _chats(
            session,
            outbox,
            users=users,
            building_id=tverskaya,
            apartment_1=t["APARTMENT:1"],
            now=now,
        )
    await load_meetings(
        db,
        storage,
        building_id=tverskaya,
        owner_id=users["owner"],
        manager_id=users["manager"],
        now=now,
    )
    await load_meters(db, building_id=tverskaya, users=users, now=now)
    await load_billing(db, premises=t, users=users, now=now)
    await load_intercom(
        db, building_id=tverskaya, apartment_1=t["APARTMENT:1"], users=users, now=now
    )
    await load_notices(db, building_id=tverskaya, author_id=users["dispatcher"], now=now)
    await load_points(db, owner_id=users["owner"], now=now)
    return True


# chat, author, minutes ago, text
DEMO_CHAT_MESSAGES = (
    ("building", "owner", 300, "Соседи, добрый вечер! Кто-нибудь знает, когда дадут горячую воду?"),
    ("building", "resident", 290, "Обещали к пятнице, объявление висит у лифта."),
    ("building", "registered", 240, "Завтра в 10 субботник во дворе, присоединяйтесь 🙂"),
    ("building", "guest-basic", 200, "Я временно в кв. 1, если что — стучите."),
    ("building", "co-owner", 30, "Чья синяя «Нива» перекрыла выезд? Уже отправил уведомление."),
    ("management", "owner", 180, "Добрый день! В кв. 1 с утра нет света в ванной."),
    ("management", "dispatcher", 170, "Здравствуйте! Электрик придёт сегодня до 18:00."),
    ("management", "owner", 160, "Спасибо, буду дома."),
    ("direct", "co-owner", 120, "Анна, занесу квитанции за кв. 2 вечером?"),
    ("direct", "owner", 110, "Да, после семи я дома."),
)


async def _chats(
    session: AsyncSession,
    outbox: Outbox,
    *,
    users: dict[str, int],
    building_id: int,
    apartment_1: int,
    now: datetime,
) -> None:
    """A lively building chat, a management chat of apartment 1 answered by the
    dispatcher, and a direct chat of the two owners of apartment 2 (the service's verbs)."""
    chat_ids = {
        "building": (
            await session.execute(
                select(Chat.id).where(
                    Chat.kind == ChatKind.BUILDING, Chat.building_id == building_id
                )
            )
        ).scalar_one(),
        "management": (
            await session.execute(
                select(Chat.id).where(
                    Chat.kind == ChatKind.MANAGEMENT, Chat.premise_id == apartment_1
                )
            )
        ).scalar_one(),
        "direct": await chats.open_direct_chat(
            session, user_id=users["owner"], other_id=users["co-owner"], building_id=building_id
        ),
    }
    for chat, author, minutes, text in DEMO_CHAT_MESSAGES:
        await chats.send_message(
            session,
            outbox,
            chat_id=chat_ids[chat],
            author_id=users[author],
            body=text,
            client_key=None,
            now=now - timedelta(minutes=minutes),
        )


# building, author, scope, category, premise, description, hours ago, steps, followers
# (a step: action, actor, comment or rating); the engineer is assigned with "ASSIGN".
DEMO_REPAIRS: tuple[
    tuple[str, str, str, str, str | None, str, float, tuple[Any, ...], tuple[str, ...]], ...
] = (
    (
        "tverskaya",
        "owner",
        "BUILDING",
        "LIFT",
        None,
        "Лифт во 2-м подъезде застревает между 3 и 4 этажами.",
        5,
        (),
        ("co-owner", "resident"),
    ),
    (
        "tverskaya",
        "owner",
        "APARTMENT",
        "LEAK",
        "APARTMENT:1",
        "Течёт стояк горячей воды в ванной, вода на полу.",
        0.75,
        (),
        (),
    ),
    (
        "tverskaya",
        "registered",
        "YARD",
        "YARD_UPKEEP",
        None,
        "Во дворе не убран снег у детской площадки.",
        26,
        (("ACCEPT", "dispatcher", None), ("ASSIGN", "dispatcher", None)),
        ("owner",),
    ),
    (
        "tverskaya",
        "resident",
        "BUILDING",
        "ENTRANCE",
        None,
        "В 1-м подъезде не закрывается входная дверь.",
        30,
        (
            ("ACCEPT", "dispatcher", None),
            ("ASSIGN", "manager", None),
            ("START", "engineer", "Заказали новый доводчик."),
        ),
        (),
    ),
    (
        "tverskaya",
        "co-owner",
        "APARTMENT",
        "PLUMBING",
        "APARTMENT:2",
        "Подтекает кран на кухне.",
        50,
        (
            ("ACCEPT", "dispatcher", None),
            ("ASSIGN", "dispatcher", None),
            ("START", "engineer", None),
            ("COMPLETE", "engineer", "Заменили картридж смесителя."),
        ),
        (),
    ),
    (
        "tverskaya",
        "owner",
        "BUILDING",
        "ROOF",
        None,
        "Протекает крыша над 5-м этажом после дождя.",
        240,
        (
            ("ACCEPT", "manager", None),
            ("ASSIGN", "manager", None),
            ("START", "engineer", None),
            ("COMPLETE", "engineer", "Залатали кровлю."),
            ("CONFIRM", "owner", None),
            ("RATE", "owner", 5),
        ),
        (),
    ),
    (
        "tverskaya",
        "resident",
        "YARD",
        "CLEANING",
        None,
        "Просьба покрасить скамейки во дворе.",
        100,
        (("REJECT", "dispatcher", "Покраска запланирована на май по графику."),),
        (),
    ),
    (
        "tverskaya",
        "registered",
        "BUILDING",
        "BLOCKAGE",
        None,
        "Засор мусоропровода во 2-м подъезде.",
        8,
        (
            ("ACCEPT", "dispatcher", None),
            ("ASSIGN", "dispatcher", None),
            ("DEFER", "manager", "Ждём спецтехнику."),
        ),
        (),
    ),
    (
        "lenin",
        "neighbour-elsewhere",
        "APARTMENT",
        "ELECTRICITY",
        "APARTMENT:5",
        "Искрит розетка в коридоре.",
        2,
        (),
        (),
    ),
)


async def _repair_requests(
    session: AsyncSession,
    outbox: Outbox,
    *,
    users: dict[str, int],
    buildings: dict[str, int],
    premises: dict[str, dict[str, int]],
    staff: dict[int, tuple[str, ...]],
    now: datetime,
) -> None:
    """Repair requests in every status, filed and handled through the service's verbs
    (so each has its history)."""
    roles = {"dispatcher": StaffRole.DISPATCHER, "engineer": StaffRole.ENGINEER}
    roles["manager"] = StaffRole.MANAGER
    staff_roles = {
        users[key]: {organisation: frozenset({roles[key]})}
        for organisation, keys in staff.items()
        for key in keys
    }
    for building, author, scope, category, premise, text, hours, steps, followers in DEMO_REPAIRS:
        at = now - timedelta(hours=hours)
        new = repairs.NewRequest(
            building_id=buildings[building],
            scope=RepairRequestScope(scope),
            category=RepairCategory(category),
            description=text,
            premise_id=premises[building][premise] if premise else None,
        )
        request_id = await repairs.create_request(
            session,
            outbox,
            request=new,
            description=text,
            author_id=users[author],
            photos=(),
            now=at,
        )
        for follower in followers:
            at += timedelta(minutes=20)
            await repairs.join_request(
                session, outbox, request_id=request_id, user_id=users[follower], now=at
            )
        for action, actor, extra in steps:
            at += timedelta(hours=hours / 10)
            await repairs.act(
                session,
                outbox,
                request_id=request_id,
                action=repairs.Action(action),
                actor_id=users[actor],
                staff_roles=staff_roles.get(users[actor], {}),
                now=at,
                comment=extra if isinstance(extra, str) else None,
                rating=extra if isinstance(extra, int) else None,
                assignee_id=users["engineer"] if action == "ASSIGN" else None,
            )


# title, description, place, latitude, longitude, starts in days, lasts hours
DEMO_EVENTS = (
    (
        "Субботник во дворе",
        "Уборка двора и посадка цветов.",
        "Двор дома, Тверская, 7",
        "55.758463",
        "37.611185",
        2,
        3,
    ),
    (
        "Ярмарка на Пушкинской",
        "Фермерские продукты.",
        "Пушкинская площадь",
        "55.765372",
        "37.605745",
        5,
        6,
    ),
    (
        "Концерт у Большого театра",
        "Духовой оркестр.",
        "Театральная площадь",
        "55.760186",
        "37.618711",
        7,
        2,
    ),
    (
        "Лекция в Зарядье",
        "История Китай-города.",
        "Парк «Зарядье»",
        "55.751244",
        "37.628608",
        10,
        1.5,
    ),
    ("Забег в Парке Горького", "5 км для всех.", "Парк Горького", "55.729878", "37.601097", 14, 3),
)


def event(
    title: str,
    description: str,
    place: str,
    latitude: str,
    longitude: str,
    days: float,
    hours: float,
    *,
    now: datetime,
) -> dict[str, object]:
    starts = now + timedelta(days=days)
    return {
        "title": title,
        "description": description,
        "place": place,
        "latitude": Decimal(latitude),
        "longitude": Decimal(longitude),
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=hours),
    }
