"""The meeting's PDF documents: the protocol, the register annex and the exact percentages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import tomllib
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from importlib.resources import files
from pathlib import Path

import pytest

from edom_graphql.meetings.service.document import (
    ProtocolDocument,
    QuestionResult,
    RegisterLine,
    percent,
    render_protocol,
    render_register,
)

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "г. Москва, ул. Профсоюзная, д. 104, корп. 2"
LONG_NAME = "Константинопольский-Христорождественский Александр Вениаминович " * 3
DECISIONS = ("ЗА", "ПРОТИВ", "ВОЗДЕРЖАЛСЯ", "—")


def question(number: int, *, adopted: bool = True) -> QuestionResult:
    return QuestionResult(
        number=number,
        title="Об утверждении условий договора управления многоквартирным домом "
        "с управляющей организацией ООО «Жилкомсервис» и о порядке оплаты услуг " * 2,
        proposal="Утвердить условия договора управления в редакции инициатора собрания.",
        threshold="не менее 2/3 всех голосов",
        votes_for=Fraction(2, 3),
        votes_against=Fraction(1, 6),
        votes_abstain=Fraction(1, 12),
        cast=Fraction(11, 12),
        adopted=adopted,
    )


def document(questions: int = 4, *, quorum: bool = True) -> ProtocolDocument:
    return ProtocolDocument(
        number="3",
        building_address=ADDRESS,
        title="Годовое общее собрание собственников",
        voting_starts_at=datetime(2025, 3, 1, 7, 0, tzinfo=UTC),
        voting_ends_at=datetime(2025, 3, 20, 18, 59, tzinfo=UTC),
        formed_at=datetime(2025, 3, 21, 9, 30, tzinfo=UTC),
        initiator="Петров Пётр Петрович",
        administrator="ООО «Жилкомсервис»",
        total_area=Decimal("12345.60"),
        turnout=Fraction(11, 12),
        quorum=quorum,
        questions=tuple(question(n, adopted=n % 2 == 1) for n in range(1, questions + 1)),
    )


def lines(count: int, questions: int = 4) -> list[RegisterLine]:
    return [
        RegisterLine(
            premise=str(i // 2 + 1) if i % 7 else f"П-{i}",
            owner=LONG_NAME if i % 10 == 0 else f"Собственник {i}",
            share="1/2",
            area=Decimal("54.30"),
            weight=Fraction(543, 1234560),
            voted_by=None if i % 5 == 0 else f"Сидорова А. Б. по доверенности № 77АБ{i:07d}",
            channel=None if i % 5 == 0 else ("онлайн" if i % 2 else "бумажное решение"),
            decisions=tuple(DECISIONS[(i + j) % 4] for j in range(questions)),
        )
        for i in range(1, count + 1)
    ]


@pytest.fixture(scope="module")
def pdftotext() -> str:
    found = shutil.which("pdftotext")
    if found is None:
        if os.environ.get("EDOM_REQUIRE_PDFTOTEXT"):
            pytest.fail("EDOM_REQUIRE_PDFTOTEXT is set but pdftotext is not installed")
        pytest.skip("pdftotext (Debian's poppler-utils) is not installed")
    return found


def text_of(pdf: bytes, pdftotext: str, tmp_path: Path) -> str:
    """The PDF's text as pdftotext reads it, pages split at form feeds, spaces collapsed."""
    source = tmp_path / "document.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(source), "-"], check=True, capture_output=True
    )
    return re.sub(r"[ \t\n]+", " ", out.stdout.decode())


def test_percent_is_exact_and_rounds_half_up() -> None:
    assert percent(Fraction(2, 3), Fraction(1)) == "66.67"
    assert percent(Fraction(1, 8), Fraction(1), 2) == "12.50"
    assert percent(Fraction(1, 3), Fraction(1, 2)) == "66.67"
    assert percent(Fraction(2, 3), Fraction(1), 4) == "66.6667"
    assert percent(Fraction(1), Fraction(1)) == "100.00"
    assert percent(Fraction(0), Fraction(1)) == "0.00"
    # .005 boundaries: half goes up (bankers' rounding would give 0.12), floats would give 1.00.
    assert percent(Fraction(125, 100_000), Fraction(1)) == "0.13"
    assert percent(Fraction(135, 100_000), Fraction(1)) == "0.14"
    assert percent(Fraction(1005, 100_000), Fraction(1)) == "1.01"
    assert percent(Fraction(124_999, 100_000_000), Fraction(1)) == "0.12"
    assert percent(Fraction(1, 8_000_000), Fraction(1), 4) == "0.0000"
    assert percent(Fraction(1, 2_000_000), Fraction(1), 4) == "0.0001"
    assert percent(Fraction(2, 3), Fraction(1), 0) == "67"
    assert percent(Fraction(-1, 800), Fraction(1)) == "-0.13"


def test_percent_of_nothing_is_zero() -> None:
    assert percent(Fraction(0), Fraction(0)) == "0.00"
    assert percent(Fraction(1, 3), Fraction(0), 4) == "0.0000"
    assert percent(Fraction(1, 3), Fraction(0), 0) == "0"


def test_the_fonts_are_package_resources() -> None:
    fonts = files("edom_graphql.meetings.service") / "fonts"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        assert (fonts / name).read_bytes()[:4] == b"\x00\x01\x00\x00"
    assert "Bitstream Vera" in (fonts / "LICENSE-DejaVu.txt").read_text()
    assert not [entry.name for entry in fonts.iterdir() if entry.name.endswith(".py")]


def test_the_fonts_are_declared_package_data() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["edom_graphql.meetings.service"]
    package = ROOT / "src" / "edom_graphql" / "meetings" / "service"
    shipped = {path.name for pattern in patterns for path in package.glob(pattern)}
    assert {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"} <= shipped


def test_the_protocol_is_a_pdf_with_the_documents_date() -> None:
    pdf = render_protocol(document())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"/CreationDate (D:20250321093000Z)" in pdf


def test_renderings_are_byte_identical() -> None:
    assert render_protocol(document()) == render_protocol(document())
    assert render_register(document(), lines(50)) == render_register(document(), lines(50))


def test_the_protocol_states_the_meeting_and_its_results(pdftotext: str, tmp_path: Path) -> None:
    text = text_of(render_protocol(document()), pdftotext, tmp_path)
    for expected in (
        "Протокол № 3 общего собрания собственников помещений в многоквартирном доме",
        ADDRESS,
        "заочное голосование с использованием системы «Электронный дом»",
        "01.03.2025 10:00",  # Moscow time of 07:00 UTC
        "20.03.2025 21:59",
        "21.03.2025 12:30",
        "Петров Пётр Петрович",
        "12345.60 м²",
        "91.67 % голосов (11/12",
        "Кворум имеется",
        "Порог принятия решения: не менее 2/3 всех голосов",
        "ЗА 66.67 72.73",
        "ПРОТИВ 16.67 18.18",
        "ВОЗДЕРЖАЛСЯ 8.33 9.09",
        "Решение принято",
        "Решение не принято",
        "Вопрос 4.",
    ):
        assert expected in text, expected


def test_a_protocol_without_quorum_says_so(pdftotext: str, tmp_path: Path) -> None:
    text = text_of(render_protocol(document(quorum=False)), pdftotext, tmp_path)
    assert "Кворум отсутствует, собрание не правомочно" in text
    assert "Кворум имеется" not in text


def test_a_register_of_1500_lines_renders_fast_with_headings_on_every_page(
    pdftotext: str, tmp_path: Path
) -> None:
    register = lines(1500)
    started = time.process_time()
    pdf = render_register(document(), register)
    assert time.process_time() - started < 2.0
    assert pdf.startswith(b"%PDF-")
    source = tmp_path / "register.pdf"
    source.write_bytes(pdf)
    raw = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(source), "-"], check=True, capture_output=True
    ).stdout.decode()
    pages = [page for page in raw.split("\f") if page.strip()]
    assert len(pages) > 20
    assert all("Кто голосовал" in page and "Собственник" in page for page in pages)
    text = re.sub(r"\s+", " ", raw)
    assert "Приложение к протоколу № 3: реестр собственников и их решений" in text
    assert "Собственник 1499" in text
    assert "0.0440" in text  # 543/1234560 of all votes, to 4 decimals
    assert "…" in text  # the very long names are cut short
    assert "бумажное решение" in text
    assert "не голосовал" in text
    assert "ВОЗДЕРЖАЛСЯ" in text


def test_many_questions_abbreviate_the_decisions(pdftotext: str, tmp_path: Path) -> None:
    twelve = text_of(render_register(document(12), lines(30, 12)), pdftotext, tmp_path)
    assert "В1…В12" in twelve
    assert "ПРОТ. — против, ВОЗД. — воздержался" in twelve
    thirty = text_of(render_register(document(30), lines(30, 30)), pdftotext, tmp_path)
    assert "З — за, П — против, В — воздержался" in thirty


def test_missing_decisions_and_an_empty_register_render() -> None:
    short = RegisterLine("1", "Иванов И. И.", "1", Decimal("40"), Fraction(1, 10), None, None, ())
    assert render_register(document(), [short]).startswith(b"%PDF-")
    assert render_register(document(0), []).startswith(b"%PDF-")
