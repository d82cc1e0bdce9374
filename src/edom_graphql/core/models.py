"""Column types shared by every domain's tables."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, Identity, func
from sqlalchemy.orm import mapped_column

BigId = Annotated[int, mapped_column(BigInteger, Identity(always=False), primary_key=True)]
CreatedAt = Annotated[
    datetime, mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
]
UtcDateTime = Annotated[datetime, mapped_column(DateTime(timezone=True))]
