"""The files of the city's billing centre: CSV or JSON bills, read and checked row by row.

CSV (UTF-8, an optional BOM; ``,`` or ``;`` between fields, as the header uses): a header
row naming the columns, then one row per line item of a bill::

    payer_code,building,premise,month,kind,service,amount_kopecks,due_on
    7700000001,,,2026-10,EPD,MAINTENANCE,254300,2026-11-10
    7700000001,,,2026-10,EPD,HEATING,189912,2026-11-10
    ,"Москва, ул. Тверская, д. 7",12,2026-10,ELECTRICITY,ELECTRICITY_T1,84050,

The rows of one bill (same premise, month and kind) make it; its amount is the sum of its
lines, each service at most once. JSON: an array of bills (or one bill object per line),
each ``{"payer_code", "building", "premise", "month", "kind", "due_on", "lines":
[{"service", "amount_kopecks"}, ...]}``.

- A premise is named by ``payer_code`` (``Premise.payer_code``), or by ``building`` (the
  building's address exactly as the platform has it, or its global id) and ``premise``
  (its number); given both, they must name the same premise.
- ``month``: ``YYYY-MM``; ``kind``: ``EPD`` or ``ELECTRICITY``; ``service``: one of
  :class:`~edom_graphql.billing.models.BillService` (the electricity ones only on
  ELECTRICITY bills, the others only on the ЕПД, ``PENALTY`` on either);
  ``amount_kopecks``: a whole number of kopecks, 0 to 10,000,000,000; ``due_on``:
  ``YYYY-MM-DD``, or empty for the 10th of the following month.

Every row is checked before anything is imported; each error names its line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from edom_graphql.billing.models import BillKind, BillService

COLUMNS = (
    "payer_code",
    "building",
    "premise",
    "month",
    "kind",
    "service",
    "amount_kopecks",
    "due_on",
)
REQUIRED_COLUMNS = ("month", "kind", "service", "amount_kopecks")
JSON_FIELDS = frozenset({"payer_code", "building", "premise", "month", "kind", "due_on", "lines"})
MAX_LINE_AMOUNT = 10_000_000_000
MAX_LINES = 40
ELECTRICITY_SERVICES = frozenset(
    {
        BillService.ELECTRICITY,
        BillService.ELECTRICITY_T1,
        BillService.ELECTRICITY_T2,
        BillService.ELECTRICITY_T3,
    }
)
MONTH = re.compile(r"(\d{4})-(\d{2})")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
AMOUNT = re.compile(r"\d{1,11}")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class RowInvalid(Exception):
    pass


@dataclass
class BillRow:
    """One bill of a file, as checked; the premise is found later."""

    line: int
    payer_code: str | None
    building: str | None
    premise: str | None
    period: int
    kind: BillKind
    due_on: date
    items: list[tuple[BillService, int]] = field(default_factory=list)
    item_lines: list[int] = field(default_factory=list)
    premise_id: int | None = None
    building_id: int | None = None

    @property
    def amount(self) -> int:
        return sum(amount for _, amount in self.items)

    @property
    def key(self) -> tuple[int, int, BillKind]:
        """``(premise, period, kind)``, once the premise is found."""
        assert self.premise_id is not None
        return (self.premise_id, self.period, self.kind)

    @property
    def names(self) -> tuple[str, str, str]:
        return (self.payer_code or "", self.building or "", self.premise or "")


def _text(value: Any, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and name == "premise":
        value = str(value)
    if not isinstance(value, str):
        raise RowInvalid(f"{name} must be text")
    text = value.strip()
    if not text:
        return None
    if len(text) > limit:
        raise RowInvalid(f"{name} is longer than {limit} characters")
    return text


def _period(value: Any) -> int:
    match = MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise RowInvalid(f"month {value!r} is not YYYY-MM")
    year, month = int(match.group(1)), int(match.group(2))
    if not 2000 <= year <= 2100 or not 1 <= month <= 12:
        raise RowInvalid(f"month {value!r} is not a month of 2000–2100")
    return year * 100 + month


def _kind(value: Any) -> BillKind:
    try:
        return BillKind(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise RowInvalid(f"kind {value!r} is not EPD or ELECTRICITY") from None


def _service(value: Any, kind: BillKind) -> BillService:
    try:
        service = BillService(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise RowInvalid(
            f"service {value!r} is not one of {', '.join(s.value for s in BillService)}"
        ) from None
    electric = service in ELECTRICITY_SERVICES
    if service is not BillService.PENALTY and electric != (kind is BillKind.ELECTRICITY):
        raise RowInvalid(f"service {service.value} is not billed on an {kind.value} bill")
    return service


def _amount(value: Any) -> int:
    if isinstance(value, str) and AMOUNT.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise RowInvalid(f"amount_kopecks {value!r} is not a whole number of kopecks")
    if not 0 <= value <= MAX_LINE_AMOUNT:
        raise RowInvalid(f"amount_kopecks {value} is not between 0 and {MAX_LINE_AMOUNT}")
    return value


def _due_on(value: Any, period: int) -> date:
    if value is None or (isinstance(value, str) and not value.strip()):
        year, month = divmod(period, 100)
        return date(year + month // 12, month % 12 + 1, 10)
    if not isinstance(value, str) or not DAY.fullmatch(value.strip()):
        raise RowInvalid(f"due_on {value!r} is not YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise RowInvalid(f"due_on {value!r} is not a date") from None


def _bill(line: int, values: dict[str, Any]) -> BillRow:
    payer_code = _text(values.get("payer_code"), "payer_code", 20)
    building = _text(values.get("building"), "building", 500)
    premise = _text(values.get("premise"), "premise", 16)
    if payer_code is None and (building is None or premise is None):
        raise RowInvalid("name the premise by payer_code, or by building and premise")
    if (building is None) != (premise is None):
        raise RowInvalid("building and premise go together")
    period = _period(values.get("month"))
    return BillRow(
        line=line,
        payer_code=payer_code,
        building=building,
        premise=premise,
        period=period,
        kind=_kind(values.get("kind")),
        due_on=_due_on(values.get("due_on"), period),
    )


def _add_item(bill: BillRow, line: int, service: BillService, amount: int) -> None:
    if any(existing is service for existing, _ in bill.items):
        raise RowInvalid(f"service {service.value} is on this bill twice")
    if len(bill.items) >= MAX_LINES:
        raise RowInvalid(f"a bill has at most {MAX_LINES} lines")
    bill.items.append((service, amount))
    bill.item_lines.append(line)


def read_csv(text: str) -> tuple[list[BillRow], list[RowError]]:
    """The bills of a CSV file and the errors of its rows."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    errors: list[RowError] = []
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        return [], [RowError(1, "the file is empty")]
    except csv.Error as error:
        return [], [RowError(1, f"not CSV: {error}")]
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        problems = [
            f"unknown columns {unknown}" if unknown else "",
            f"missing columns {missing}" if missing else "",
            "a column is named twice" if len(set(header)) != len(header) else "",
        ]
        message = "; ".join(p for p in problems if p)
        return [], [RowError(1, f"{message} (columns: {', '.join(COLUMNS)})")]
    bills: dict[tuple[tuple[str, str, str], int, BillKind], BillRow] = {}
    rows = iter(reader)
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(RowError(reader.line_num, f"not CSV: {error}"))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(RowError(line, f"{len(cells)} fields, the header has {len(header)}"))
            continue
        values = dict(zip(header, cells, strict=True))
        try:
            row = _bill(line, values)
            service = _service(values["service"], row.kind)
            amount = _amount(values["amount_kopecks"])
            bill = bills.setdefault((row.names, row.period, row.kind), row)
            if bill.due_on != row.due_on:
                raise RowInvalid(
                    f"due_on {row.due_on} differs from {bill.due_on} on line {bill.line} "
                    "(same bill)"
                )
            _add_item(bill, line, service, amount)
        except RowInvalid as error:
            errors.append(RowError(line, str(error)))
    return list(bills.values()), errors


def _json_values(text: str) -> Iterator[tuple[int, Any]]:
    """The top-level values of a JSON array (or of a sequence of values, one a line), each
    with the line it starts on; ValueError at the first that is not JSON."""
    decoder = json.JSONDecoder()
    position = _skip(text, 0)
    in_array = text.startswith("[", position)
    if in_array:
        position = _skip(text, position + 1)
        if text.startswith("]", position):
            return
    while position < len(text):
        line = text.count("\n", 0, position) + 1
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise ValueError(f"line {error.lineno}: not JSON ({error.msg})") from None
        except RecursionError:
            raise ValueError(f"line {line}: nested too deeply") from None
        yield line, value
        position = _skip(text, position)
        if in_array:
            if text.startswith("]", position):
                if _skip(text, position + 1) != len(text):
                    raise ValueError(f"line {text.count(chr(10), 0, position) + 1}: text after ]")
                return
            if not text.startswith(",", position):
                raise ValueError(f"line {text.count(chr(10), 0, position) + 1}: expected , or ]")
            position = _skip(text, position + 1)
    if in_array:
        raise ValueError(f"line {text.count(chr(10)) + 1}: the array is not closed")


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def read_json(text: str) -> tuple[list[BillRow], list[RowError]]:
    """The bills of a JSON file and the errors of its bills."""
    bills: list[BillRow] = []
    errors: list[RowError] = []
    try:
        for line, value in _json_values(text):
            try:
                if not isinstance(value, dict):
                    raise RowInvalid("a bill is a JSON object")
                unknown = sorted(set(value) - JSON_FIELDS)
                if unknown:
                    raise RowInvalid(f"unknown fields {unknown} (fields: {sorted(JSON_FIELDS)})")
                bill = _bill(line, value)
                items = value.get("lines")
                if not isinstance(items, list) or not items:
                    raise RowInvalid("lines must be a non-empty list")
                for index, item in enumerate(items):
                    if not isinstance(item, dict) or set(item) != {"service", "amount_kopecks"}:
                        raise RowInvalid(f"lines[{index}] is not {{service, amount_kopecks}}")
                    try:
                        service = _service(item["service"], bill.kind)
                        _add_item(bill, line, service, _amount(item["amount_kopecks"]))
                    except RowInvalid as error:
                        raise RowInvalid(f"lines[{index}]: {error}") from None
                bills.append(bill)
            except RowInvalid as error:
                errors.append(RowError(line, str(error)))
    except ValueError as error:
        number, _, message = str(error).partition(": ")
        errors.append(RowError(int(number.removeprefix("line ")), message))
    if not bills and not errors:
        errors.append(RowError(1, "the file has no bills"))
    return bills, errors


def read_file(data: bytes, *, name: str) -> tuple[list[BillRow], list[RowError]]:
    """The bills of a CSV or JSON file (by its extension, else by its first character)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return [], [RowError(line, "the file is not UTF-8")]
    if "\x00" in text:
        return [], [RowError(text[: text.index("\x00")].count("\n") + 1, "a NUL character")]
    lowered = name.lower()
    stripped = text.lstrip()
    if lowered.endswith((".json", ".jsonl", ".ndjson")) or (
        not lowered.endswith(".csv") and stripped[:1] in ("[", "{")
    ):
        return read_json(text)
    return read_csv(text)
