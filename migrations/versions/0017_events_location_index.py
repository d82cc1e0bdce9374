"""events: a GiST index of each event's point, covering the nearby search

"Events nearby" narrowed its candidates by a B-tree range scan of (latitude,
longitude): the whole band of latitudes, across the city, read in the index, and every
event in the box read from the table. The GiST index of the point (longitude, latitude)
finds the box alone, and carries what the search filters and orders by, so the
candidates come from the index; only the page's rows are read from the table.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_events_location",
        "events",
        [sa.text("point(CAST(longitude AS DOUBLE PRECISION), CAST(latitude AS DOUBLE PRECISION))")],
        postgresql_using="gist",
        postgresql_include=["id", "latitude", "longitude", "starts_at", "ends_at"],
    )
    op.drop_index("ix_events_latitude_longitude", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_latitude_longitude", "events", ["latitude", "longitude"])
    op.drop_index("ix_events_location", table_name="events", postgresql_using="gist")
