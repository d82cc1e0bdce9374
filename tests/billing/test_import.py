"""``edom-graphql import-bills FILE``, run as its own process against the test database:
the billing centre's CSV or JSON is checked row by row (a bad row is refused with its line
and nothing is imported), imported in one transaction, idempotent per premise, month and
kind (the same file again changes nothing; a correction updates an unpaid bill and leaves
a paid one as it was), with a progress bar on stderr for large files."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest_asyncio
from sqlalchemy import func, select, update

from edom_graphql.billing.models import Bill, BillLine
from edom_graphql.buildings.models import Building
from tests.billing.scene import (
    BILLS,
    SandboxClient,
    assert_ledger_balances,
    bills_snapshot,
    ledger,
    payments_snapshot,
    provider_id,
    started,
)
from tests.factories import Api, World, make_world

HEADER = "payer_code,building,premise,month,kind,service,amount_kopecks,due_on\n"


async def import_bills(
    api: Api, database_url: str, path: Path, *extra: str
) -> tuple[int, str, str]:
    """Run the command in a process of its own: ``(exit code, stdout, stderr)``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "edom_graphql.server.cli",
        "import-bills",
        str(path),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "EDOM_DATABASE_URL": database_url,
            "EDOM_DATA_DIR": str(path.parent),
            "EDOM_LOG_JSON": "false",
        },
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api, premises=6)


async def address_of(api: Api, world: World) -> str:
    data = await api.gql(
        "query ($id: ID!) { building(id: $id) { address } }",
        {"id": world.building_id},
        as_=world["owner"],
    )
    address: str = data["building"]["address"]
    return address


async def bills_of(api: Api, world: World, number: str) -> list[dict[str, Any]]:
    data = await api.gql(BILLS, {"id": world.premise_id(number), "first": 50}, as_=world["manager"])
    nodes: list[dict[str, Any]] = data["node"]["bills"]["nodes"]
    return nodes


async def bill_count(api: Api) -> tuple[int, int]:
    async with api.db.transaction() as (session, _):
        bills = (await session.execute(select(func.count()).select_from(Bill))).scalar_one()
        lines = (await session.execute(select(func.count()).select_from(BillLine))).scalar_one()
    return int(bills), int(lines)


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def csv_file(tmp_path: Path, name: str, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


async def test_an_import_creates_bills_and_again_changes_nothing(
    api: Api, world: World, database_url: str, tmp_path: Path
) -> None:
    address = await address_of(api, world)
    async with api.db.transaction() as (session, _):  # the two buildings had one address
        await session.execute(
            update(Building)
            .where(Building.id == world.other_building_pk)
            .values(address=f"{address}, корпус 2")
        )
    code = world.payer_code
    path = csv_file(
        tmp_path,
        "bills.csv",
        [
            f"{code('1')},,,2030-01,EPD,MAINTENANCE,254300,2030-02-10",
            f"{code('1')},,,2030-01,EPD,HEATING,189912,2030-02-10",
            f"{code('1')},,,2030-01,EPD,CAPITAL_REPAIR,45000,2030-02-10",
            f"{code('1')},,,2030-01,ELECTRICITY,ELECTRICITY_T1,84050,",
            f"{code('1')},,,2030-01,ELECTRICITY,ELECTRICITY_T2,21310,",
            f'"",{quoted(address)},2,2030-01,EPD,MAINTENANCE,198000,2030-02-10',
            f"{code('3')},{world.building_id},3,2030-01,EPD,WASTE,31500,2030-02-15",
        ],
    )
    status, out, err = await import_bills(api, database_url, path)
    assert (status, err) == (0, "")
    assert out == "4 bills: 4 created, 0 updated, 0 unchanged, 0 kept (paid already)\n"
    first = await bills_of(api, world, "1")
    assert [(b["kind"], b["month"], b["amount"], b["dueOn"], b["lines"]) for b in first] == [
        (
            "ELECTRICITY",
            "2030-01",
            105_360,
            "2030-02-10",  # the 10th of the next month when no due date is given
            [
                {"service": "ELECTRICITY_T1", "amount": 84_050},
                {"service": "ELECTRICITY_T2", "amount": 21_310},
            ],
        ),
        (
            "EPD",
            "2030-01",
            489_212,
            "2030-02-10",
            [
                {"service": "MAINTENANCE", "amount": 254_300},
                {"service": "HEATING", "amount": 189_912},
                {"service": "CAPITAL_REPAIR", "amount": 45_000},
            ],
        ),
    ]
    assert [(b["amount"], b["status"]) for b in await bills_of(api, world, "2")] == [
        (198_000, "UNPAID")
    ]
    assert [(b["amount"], b["dueOn"]) for b in await bills_of(api, world, "3")] == [
        (31_500, "2030-02-15")
    ]
    before = await bills_snapshot(api, world)
    status, out, err = await import_bills(api, database_url, path)
    assert (status, err) == (0, "")
    assert out == "4 bills: 0 created, 0 updated, 4 unchanged, 0 kept (paid already)\n"
    assert await bills_snapshot(api, world) == before


async def test_a_correction_updates_an_unpaid_bill_and_keeps_a_paid_one(
    api: Api, world: World, database_url: str, tmp_path: Path, sandbox: SandboxClient
) -> None:
    code = world.payer_code
    original = csv_file(
        tmp_path,
        "february.csv",
        [
            f"{code('1')},,,2030-02,EPD,MAINTENANCE,250000,2030-03-10",
            f"{code('2')},,,2030-02,EPD,MAINTENANCE,200000,2030-03-10",
        ],
    )
    assert (await import_bills(api, database_url, original))[0] == 0
    paid_bill = next(b for b in await bills_of(api, world, "1") if b["month"] == "2030-02")
    payment = await started(api, world["owner"], paid_bill["id"], 250_000)
    await sandbox.complete(await provider_id(api, payment))
    payments = await payments_snapshot(api, world)
    corrected = csv_file(
        tmp_path,
        "february-corrected.csv",
        [
            f"{code('1')},,,2030-02,EPD,MAINTENANCE,260000,2030-03-10",
            f"{code('2')},,,2030-02,EPD,MAINTENANCE,180000,2030-03-10",
            f"{code('2')},,,2030-02,EPD,PENALTY,1500,2030-03-10",
        ],
    )
    status, out, err = await import_bills(api, database_url, corrected)
    assert (status, err) == (0, "")
    assert out == (
        "kept line 2: differs from a bill already paid: kept as it was\n"
        "2 bills: 0 created, 1 updated, 0 unchanged, 1 kept (paid already)\n"
    )
    kept = next(b for b in await bills_of(api, world, "1") if b["month"] == "2030-02")
    assert (kept["amount"], kept["status"], kept["version"]) == (250_000, "PAID", 1)
    updated = next(b for b in await bills_of(api, world, "2") if b["month"] == "2030-02")
    assert (updated["amount"], updated["version"], updated["lines"]) == (
        181_500,
        2,
        [{"service": "MAINTENANCE", "amount": 180_000}, {"service": "PENALTY", "amount": 1_500}],
    )
    assert await payments_snapshot(api, world) == payments
    assert await ledger(api, paid_bill["id"]) == (250_000, 250_000)
    await assert_ledger_balances(api, world)
    # the corrected file again: nothing more changes
    again = await import_bills(api, database_url, corrected)
    assert again[1].endswith("2 bills: 0 created, 0 updated, 1 unchanged, 1 kept (paid already)\n")


async def test_bad_rows_are_refused_with_their_lines_and_nothing_is_imported(
    api: Api, world: World, database_url: str, tmp_path: Path
) -> None:
    code = world.payer_code
    address = await address_of(api, world)
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(Building)
            .where(Building.id.in_([world.building_pk, world.other_building_pk]))
            .values(address=f"{address}X")
        )
    rows = [
        f"{code('1')},,,2030-03,EPD,MAINTENANCE,250000,2030-04-10",  # 2: fine
        "0000099999,,,2030-03,EPD,MAINTENANCE,1000,",  # 3
        f"{code('1')},,,2030-13,EPD,MAINTENANCE,1000,",  # 4
        f"{code('1')},,,2030-03,WATER,MAINTENANCE,1000,",  # 5
        f"{code('1')},,,2030-03,EPD,SAUNA,1000,",  # 6
        f"{code('1')},,,2030-03,EPD,ELECTRICITY_T1,1000,",  # 7
        f"{code('1')},,,2030-03,EPD,HEATING,-5,",  # 8
        f"{code('1')},,,2030-03,EPD,HEATING,12.50,",  # 9
        f"{code('1')},,,2030-03,EPD,MAINTENANCE,1000,2030-04-10",  # 10: twice on the bill
        f"{code('1')},,,2030-03,EPD,WASTE,1000,2030-04-11",  # 11: another due date
        ",,,2030-03,EPD,WASTE,1000,",  # 12
        f"{code('1')},,,2030-03,EPD",  # 13
        f'"",{world.building_id},77,2030-03,EPD,WASTE,1000,',  # 14
        '"","Москва, нет такой улицы, 1",1,2030-03,EPD,WASTE,1000,',  # 15
        f"{code('2')},{world.building_id},1,2030-03,EPD,WASTE,1000,",  # 16
        f"{code('2')},,,2030-03,EPD,WASTE,1000,2030-02-30",  # 17
        f"{code('2')},,,2030-03,EPD,WASTE,99999999999,",  # 18
        f'"",{quoted(address + "X")},4,2030-03,EPD,WASTE,1000,',  # 19: both buildings
    ]
    path = csv_file(tmp_path, "bad.csv", rows)
    before = await bill_count(api)
    status, out, err = await import_bills(api, database_url, path)
    assert (status, out) == (1, "")
    assert err.splitlines() == [
        f"import-bills: {path}: 17 errors, nothing imported",
        "  line 3: no premise has payer code 0000099999",
        "  line 4: month '2030-13' is not a month of 2000–2100",
        "  line 5: kind 'WATER' is not EPD or ELECTRICITY",
        "  line 6: service 'SAUNA' is not one of MAINTENANCE, HEATING, COLD_WATER, HOT_WATER, "
        "SEWERAGE, WASTE, CAPITAL_REPAIR, INTERCOM, ANTENNA, GAS, ELECTRICITY, ELECTRICITY_T1, "
        "ELECTRICITY_T2, ELECTRICITY_T3, PENALTY",
        "  line 7: service ELECTRICITY_T1 is not billed on an EPD bill",
        "  line 8: amount_kopecks '-5' is not a whole number of kopecks",
        "  line 9: amount_kopecks '12.50' is not a whole number of kopecks",
        "  line 10: service MAINTENANCE is on this bill twice",
        "  line 11: due_on 2030-04-11 differs from 2030-04-10 on line 2 (same bill)",
        "  line 12: name the premise by payer_code, or by building and premise",
        "  line 13: 5 fields, the header has 8",
        "  line 14: no premise numbered '77' in that building",
        "  line 15: no building is 'Москва, нет такой улицы, 1'",
        "  line 16: payer_code and building/premise name other premises",
        "  line 17: due_on '2030-02-30' is not a date",
        "  line 18: amount_kopecks 99999999999 is not between 0 and 10000000000",
        f"  line 19: several buildings are '{address}X'",
    ]
    assert await bill_count(api) == before


async def test_a_json_file_is_imported_and_its_errors_name_their_lines(
    api: Api, world: World, database_url: str, tmp_path: Path
) -> None:
    code = world.payer_code
    good = [
        {
            "payer_code": code("4"),
            "month": "2030-04",
            "kind": "EPD",
            "due_on": "2030-05-10",
            "lines": [
                {"service": "MAINTENANCE", "amount_kopecks": 120_000},
                {"service": "HOT_WATER", "amount_kopecks": 56_000},
            ],
        },
        {
            "building": world.building_id,
            "premise": 4,
            "month": "2030-04",
            "kind": "ELECTRICITY",
            "lines": [{"service": "ELECTRICITY", "amount_kopecks": 43_210}],
        },
    ]
    path = tmp_path / "april.json"
    path.write_text(json.dumps(good, indent=2, ensure_ascii=False), encoding="utf-8")
    status, out, err = await import_bills(api, database_url, path)
    assert (status, err) == (0, "")
    assert out == "2 bills: 2 created, 0 updated, 0 unchanged, 0 kept (paid already)\n"
    april = [b for b in await bills_of(api, world, "4") if b["month"] == "2030-04"]
    assert [(b["kind"], b["amount"], b["dueOn"]) for b in april] == [
        ("ELECTRICITY", 43_210, "2030-05-10"),
        ("EPD", 176_000, "2030-05-10"),
    ]
    # one bill a line (JSON Lines), the same bills: unchanged
    lines = tmp_path / "april.jsonl"
    lines.write_text("\n".join(json.dumps(bill) for bill in good) + "\n", encoding="utf-8")
    status, out, _ = await import_bills(api, database_url, lines)
    assert out == "2 bills: 0 created, 0 updated, 2 unchanged, 0 kept (paid already)\n"

    bad = [
        {**good[0], "month": "2030-05"},
        {**good[0], "month": "2030-05", "kind": "GAS"},
        {**good[0], "month": "2030-06", "lines": []},
        {**good[0], "month": "2030-06", "lines": [{"service": "HEATING", "amount_kopecks": 1.5}]},
        {**good[0], "month": "2030-07", "extra": 1},
        "not a bill",
        {**good[0], "month": "2030-05"},  # the first one again
    ]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, indent=1), encoding="utf-8")
    starts = [
        number
        for number, text in enumerate(path.read_text().splitlines(), 1)
        if text in (" {", ' "not a bill",')
    ]
    before = await bill_count(api)
    status, out, err = await import_bills(api, database_url, path)
    assert (status, out) == (1, "")
    assert err.splitlines()[1:] == [
        f"  line {starts[1]}: kind 'GAS' is not EPD or ELECTRICITY",
        f"  line {starts[2]}: lines must be a non-empty list",
        f"  line {starts[3]}: lines[0]: amount_kopecks 1.5 is not a whole number of kopecks",
        f"  line {starts[4]}: unknown fields ['extra'] (fields: ['building', 'due_on', 'kind', "
        "'lines', 'month', 'payer_code', 'premise'])",
        f"  line {starts[5]}: a bill is a JSON object",
        f"  line {starts[6]}: the EPD bill of 2030-05 for this premise is also on line {starts[0]}",
    ]
    broken = tmp_path / "broken.json"
    broken.write_text('[\n {"month": "2030-05",\n  "kind": }\n]\n', encoding="utf-8")
    status, _, err = await import_bills(api, database_url, broken)
    assert status == 1
    assert err.splitlines()[1:] == ["  line 3: not JSON (Expecting value)"]
    assert await bill_count(api) == before


async def test_a_file_that_is_not_a_bills_file_is_refused(
    api: Api, world: World, database_url: str, tmp_path: Path
) -> None:
    before = await bill_count(api)
    cases = [
        ("empty.csv", b"", "  line 1: the file is empty"),
        (
            "columns.csv",
            b"payer,month,kind,service,amount_kopecks\n1,2030-01,EPD,WASTE,1\n",
            "  line 1: unknown columns ['payer'] (columns: payer_code, building, premise, "
            "month, kind, service, amount_kopecks, due_on)",
        ),
        (
            "latin1.csv",
            HEADER.encode() + "'Москва'".encode("cp1251") + b",,,2030-01,EPD,WASTE,1,\n",
            "  line 2: the file is not UTF-8",
        ),
        ("nothing.json", b"[]", "  line 1: the file has no bills"),
    ]
    for name, data, error in cases:
        path = tmp_path / name
        path.write_bytes(data)
        status, out, err = await import_bills(api, database_url, path)
        assert (status, out, err.splitlines()[1:]) == (1, "", [error]), name
    status, _, err = await import_bills(api, database_url, tmp_path / "missing.csv")
    assert status == 2
    assert "cannot read" in err
    assert await bill_count(api) == before
    # semicolons, as spreadsheets in Russia write CSV, and a BOM
    semicolons = tmp_path / "excel.csv"
    semicolons.write_bytes(
        "\ufeff".encode()
        + HEADER.replace(",", ";").encode()
        + f"{world.payer_code('6')};;;2030-08;EPD;WASTE;31500;\n".encode()
    )
    status, out, _ = await import_bills(api, database_url, semicolons)
    assert (status, out) == (
        0,
        "1 bill: 1 created, 0 updated, 0 unchanged, 0 kept (paid already)\n",
    )


async def test_a_large_file_shows_its_progress_on_stderr(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    big = await make_world(api, premises=120)
    rows = [
        f"{big.payer_code(str(n))},,,{2031 + month // 12}-{month % 12 + 1:02d},EPD,{service},"
        f"{1000 + n},"
        for n in range(1, 121)
        for month in range(10)
        for service in ("MAINTENANCE", "HEATING")
    ]
    path = csv_file(tmp_path, "city.csv", rows)
    status, out, err = await import_bills(api, database_url, path)
    assert status == 0, err
    assert out == "1200 bills: 1200 created, 0 updated, 0 unchanged, 0 kept (paid already)\n"
    # not a terminal: a line each time another tenth is done (in chunks of 500 bills)
    assert err.splitlines() == [
        "importing 1200 bills: 41% (500/1200)",
        "importing 1200 bills: 83% (1000/1200)",
        "importing 1200 bills: 100% (1200/1200)",
    ]
    status, out, err = await import_bills(api, database_url, path, "--no-progress")
    assert (status, err) == (0, "")
    assert out == "1200 bills: 0 created, 0 updated, 1200 unchanged, 0 kept (paid already)\n"
    async with api.db.transaction() as (session, _):
        lines = (
            await session.execute(
                select(func.count())
                .select_from(BillLine)
                .join(Bill, Bill.id == BillLine.bill_id)
                .where(Bill.building_id == big.building_pk)
            )
        ).scalar_one()
    assert lines == 2400
