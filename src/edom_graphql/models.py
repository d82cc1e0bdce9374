"""The models registry: every domain's tables, loaded in one place so that migrations
(``migrations/env.py``) and their test compare the database with all of them. A new
domain adds its name to :data:`DOMAINS_WITH_TABLES`."""

import importlib

from edom_graphql.core.db import Base
from edom_graphql.core.ratelimit import RateLimitHit

DOMAINS_WITH_TABLES = (
    "buildings",
    "residents",
    "notifications",
    "vehicles",
    "events",
    "polls",
    "listings",
    "chats",
    "repairs",
    "meetings",
    "points",
    "meters",
    "intercom",
    "billing",
    "notices",
)
for _name in DOMAINS_WITH_TABLES:
    importlib.import_module(f"edom_graphql.{_name}.models")

SHARED_TABLES = (RateLimitHit,)
"""The floor's own tables (rate limits)."""

metadata = Base.metadata

__all__ = ["DOMAINS_WITH_TABLES", "SHARED_TABLES", "metadata"]
