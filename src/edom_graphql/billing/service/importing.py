"""Importing the billing centre's bills (``edom-graphql import-bills FILE``).

The file is read and every row checked (:mod:`~edom_graphql.billing.service.bill_files`),
then every premise found; with any error nothing is imported (:class:`ImportRefused`, each
error with its line). Then, in one transaction, each bill is matched by premise, month and
kind:

- not there yet: created (``created``);
- there with the same lines and due date: left as it is (``unchanged``), so importing the
  same file again changes nothing;
- there with other lines or another due date and nothing paid yet: corrected (its lines
  replaced, ``version`` one more; ``updated``);
- there with other lines or due date and money already paid: kept as it is (``kept``,
  reported with its line): a bill that has been paid is final, as its receipt was
  issued for it; the billing centre recalculates in a later month's bill.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from sqlalchemy import delete, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.billing.models import Bill, BillKind, BillLine
from edom_graphql.billing.service.bill_files import BillRow, RowError, read_file
from edom_graphql.billing.service.bills import month_of
from edom_graphql.buildings.models import Building, Premise
from edom_graphql.core.db import Database
from edom_graphql.core.ids import pk_of

CHUNK = 500
PROGRESS_THRESHOLD = 1000
"""Files of at least this many bills show a progress bar (on stderr)."""
Progress = Callable[[int], None]


class ImportRefused(Exception):
    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = list(errors)


@dataclass
class ImportReport:
    bills: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.bills} bill{'' if self.bills == 1 else 's'}: {self.created} created, "
            f"{self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.kept)} kept (paid already)"
        )


class ProgressBar:
    """A progress bar on a stream: redrawn in place on a terminal, a line per tenth
    otherwise."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.done = 0
        self.tty = self.stream.isatty()
        self._shown = -1
        self._at = 0.0

    def advance(self, count: int) -> None:
        self.done = min(self.total, self.done + count)
        percent = self.done * 100 // self.total
        if self.tty:
            now = time.monotonic()
            if now - self._at < 0.1 and self.done < self.total:
                return
            self._at = now
            filled = percent * 30 // 100
            bar = "#" * filled + "." * (30 - filled)
            end = "\n" if self.done == self.total else ""
            self.stream.write(f"\r{self.label} [{bar}] {percent:3d}% {self.done}/{self.total}{end}")
        elif percent // 10 > self._shown:
            self._shown = percent // 10
            self.stream.write(f"{self.label}: {percent}% ({self.done}/{self.total})\n")
        self.stream.flush()


async def _resolve(session: AsyncSession, bills: Sequence[BillRow]) -> list[RowError]:
    """Find each bill's premise; the errors of those not found."""
    errors: list[RowError] = []
    codes = sorted({bill.payer_code for bill in bills if bill.payer_code})
    by_code: dict[str, tuple[int, int]] = {}
    for start in range(0, len(codes), 5000):
        rows = await session.execute(
            select(Premise.payer_code, Premise.id, Premise.building_id).where(
                Premise.payer_code.in_(codes[start : start + 5000])
            )
        )
        by_code.update({str(row[0]): (int(row[1]), int(row[2])) for row in rows})
    names = sorted({bill.building for bill in bills if bill.building})
    ids = [pk for pk in (pk_of(name, "Building") for name in names) if pk is not None]
    buildings: dict[str, list[int]] = {}
    if names:
        building_rows = await session.execute(
            select(Building.id, Building.address).where(
                or_(Building.address.in_(names), Building.id.in_(ids))
            )
        )
        for pk, address in building_rows:
            for name in names:
                if name == address or pk_of(name, "Building") == pk:
                    buildings.setdefault(name, []).append(pk)
    numbers = sorted({bill.premise for bill in bills if bill.premise})
    by_number: dict[tuple[int, str], list[int]] = {}
    building_ids = sorted({pk for found in buildings.values() for pk in found})
    if building_ids:
        premise_rows = await session.execute(
            select(Premise.building_id, Premise.number, Premise.id).where(
                Premise.building_id.in_(building_ids), Premise.number.in_(numbers)
            )
        )
        for building, number, pk in premise_rows:
            by_number.setdefault((building, number), []).append(pk)
    seen: dict[tuple[int, int, BillKind], int] = {}  # (premise, period, kind): line
    for bill in bills:
        found: tuple[int, int] | None = None
        if bill.payer_code:
            found = by_code.get(bill.payer_code)
            if found is None:
                errors.append(RowError(bill.line, f"no premise has payer code {bill.payer_code}"))
                continue
        if bill.building and bill.premise:
            places = buildings.get(bill.building, [])
            if len(places) != 1:
                problem = "no building is" if not places else "several buildings are"
                errors.append(RowError(bill.line, f"{problem} {bill.building!r}"))
                continue
            premises = by_number.get((places[0], bill.premise), [])
            if len(premises) != 1:
                problem = "no premise" if not premises else "several premises"
                errors.append(
                    RowError(bill.line, f"{problem} numbered {bill.premise!r} in that building")
                )
                continue
            if found is not None and found[0] != premises[0]:
                errors.append(
                    RowError(bill.line, "payer_code and building/premise name other premises")
                )
                continue
            found = (premises[0], places[0])
        assert found is not None
        bill.premise_id, bill.building_id = found
        key = (found[0], bill.period, bill.kind)
        if key in seen:
            errors.append(
                RowError(
                    bill.line,
                    f"the {bill.kind.value} bill of {month_of(bill.period)} for this premise "
                    f"is also on line {seen[key]}",
                )
            )
            continue
        seen[key] = bill.line
    return errors


async def _apply_chunk(
    session: AsyncSession, bills: Sequence[BillRow], report: ImportReport, now: datetime
) -> None:
    keys = [bill.key for bill in bills]
    existing = {
        (row.premise_id, row.period, BillKind(row.kind)): row
        for row in await session.execute(
            select(Bill.id, Bill.premise_id, Bill.period, Bill.kind, Bill.paid_amount, Bill.due_on)
            .where(tuple_(Bill.premise_id, Bill.period, Bill.kind).in_(keys))
            .order_by(Bill.id)  # locked in one order: concurrent imports do not deadlock
            .with_for_update()
        )
    }
    lines: dict[int, list[tuple[object, int]]] = {}
    if existing:
        for bill_id, service, amount in await session.execute(
            select(BillLine.bill_id, BillLine.service, BillLine.amount)
            .where(BillLine.bill_id.in_([row.id for row in existing.values()]))
            .order_by(BillLine.bill_id, BillLine.position)
        ):
            lines.setdefault(bill_id, []).append((service, amount))
    new: list[BillRow] = []
    replaced: list[tuple[int, BillRow]] = []
    for bill in bills:
        row = existing.get(bill.key)
        if row is None:
            new.append(bill)
        elif row.due_on == bill.due_on and lines.get(row.id, []) == bill.items:
            report.unchanged += 1
        elif row.paid_amount > 0:
            report.kept.append(
                RowError(bill.line, "differs from a bill already paid: kept as it was")
            )
        else:
            replaced.append((row.id, bill))
    if replaced:
        for bill_id, bill in replaced:
            await session.execute(
                update(Bill)
                .where(Bill.id == bill_id)
                .values(
                    amount=bill.amount,
                    due_on=bill.due_on,
                    version=Bill.version + 1,
                    updated_at=now,
                )
            )
        ids = [bill_id for bill_id, _ in replaced]
        await session.execute(delete(BillLine).where(BillLine.bill_id.in_(ids)))
        await _insert_lines(session, replaced)
        report.updated += len(replaced)
    if new:
        created = await session.execute(
            insert(Bill).returning(Bill.id, Bill.premise_id, Bill.period, Bill.kind),
            [
                {
                    "building_id": bill.building_id,
                    "premise_id": bill.premise_id,
                    "kind": bill.kind,
                    "period": bill.period,
                    "amount": bill.amount,
                    "due_on": bill.due_on,
                    "created_at": now,
                    "updated_at": now,
                }
                for bill in new
            ],
        )
        ids_by_key = {(row[1], row[2], BillKind(row[3])): row[0] for row in created}
        await _insert_lines(
            session,
            [(ids_by_key[bill.key], bill) for bill in new],
        )
        report.created += len(new)


async def _insert_lines(session: AsyncSession, bills: Sequence[tuple[int, BillRow]]) -> None:
    rows = [
        {"bill_id": bill_id, "position": position, "service": service, "amount": amount}
        for bill_id, bill in bills
        for position, (service, amount) in enumerate(bill.items, 1)
    ]
    if rows:
        await session.execute(insert(BillLine), rows)


async def apply_bills(
    session: AsyncSession,
    bills: Sequence[BillRow],
    *,
    now: datetime,
    errors: Sequence[RowError] = (),
    progress: Progress | None = None,
) -> ImportReport:
    """Find the premises of checked bills and import them in the caller's transaction;
    :class:`ImportRefused` with ``errors`` (the file's) and those of premises not found,
    when there are any (and then nothing is written)."""
    found = [*errors, *await _resolve(session, bills)]
    if found:
        raise ImportRefused(sorted(found, key=lambda error: error.line))
    report = ImportReport(bills=len(bills))
    for start in range(0, len(bills), CHUNK):
        chunk = bills[start : start + CHUNK]
        await _apply_chunk(session, chunk, report, now)
        if progress is not None:
            progress(len(chunk))
    return report


async def import_bills(
    db: Database,
    data: bytes,
    *,
    name: str,
    now: datetime,
    progress: Callable[[int], Progress] | None = None,
) -> ImportReport:
    """Check and import a billing centre's file in one transaction (see the module).
    ``progress(total)`` makes the callback told of each chunk imported."""
    bills, errors = read_file(data, name=name)
    async with db.transaction() as (session, _):
        return await apply_bills(
            session,
            bills,
            now=now,
            errors=errors,
            progress=progress(len(bills)) if progress and not errors else None,
        )
