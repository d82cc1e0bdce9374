"""The demo's building notices: the management organisation's planned hot-water outage at
Tverskaya 7 (the yearly maintenance of the heating network), posted by its dispatcher a
day before the demo's time. It is posted through the domain's service, so the residents
are notified of it as they would be."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from edom_graphql.core.db import Database
from edom_graphql.notices import service
from edom_graphql.notices.models import NoticeCategory

MOSCOW = ZoneInfo("Europe/Moscow")
TITLE = "Плановое отключение горячей воды"
TEXT = (
    "В связи с ежегодными профилактическими работами на тепловых сетях ПАО «МОЭК» "
    "горячее водоснабжение в доме будет отключено. Просим заранее запастись водой. "
    "Вопросы — диспетчерской управляющей организации."
)


def outage_period(now: datetime) -> tuple[datetime, datetime]:
    """Ten days from 10:00 Moscow time, a week after the demo's day."""
    day = now.astimezone(MOSCOW).date() + timedelta(days=7)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=MOSCOW)
    return start, start + timedelta(days=10)


async def load_notices(db: Database, *, building_id: int, author_id: int, now: datetime) -> None:
    """Post the planned hot-water outage to the building."""
    start, end = outage_period(now)
    posted = now - timedelta(days=1)
    draft = service.Draft(
        category=NoticeCategory.HOT_WATER_OUTAGE,
        title=TITLE,
        text=TEXT,
        entrances=None,
        visible_from=posted,
        visible_until=end + timedelta(days=1),
        outage_start=start,
        outage_end=end,
    )
    async with db.transaction() as (session, outbox):
        await service.post(
            session, outbox, building_id=building_id, author_id=author_id, draft=draft, now=posted
        )
