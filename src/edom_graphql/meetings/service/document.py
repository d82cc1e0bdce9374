"""PDF documents of an owners' general meeting: the protocol and its annex, the register of
owners and their decisions, set in the DejaVu Sans fonts shipped in ``meetings/service/fonts``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from importlib.resources import as_file, files
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fpdf import FPDF
from fpdf.enums import XPos, YPos


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """The outcome of one question of the agenda."""

    number: int
    title: str
    proposal: str
    threshold: str
    votes_for: Fraction
    votes_against: Fraction
    votes_abstain: Fraction
    cast: Fraction
    adopted: bool


@dataclass(frozen=True, slots=True)
class RegisterLine:
    """One owner's line of the register: the share, its weight and the decisions."""

    premise: str
    owner: str
    share: str
    area: Decimal
    weight: Fraction
    voted_by: str | None
    channel: str | None
    decisions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProtocolDocument:
    """What the protocol of a meeting states."""

    number: str
    building_address: str
    title: str
    voting_starts_at: datetime
    voting_ends_at: datetime
    formed_at: datetime
    initiator: str
    administrator: str
    total_area: Decimal
    turnout: Fraction
    quorum: bool
    questions: tuple[QuestionResult, ...]


def percent(part: Fraction, whole: Fraction, places: int = 2) -> str:
    """``part / whole * 100`` rounded half-up to ``places`` decimals, zero when whole is 0."""
    if places < 0:
        raise ValueError("places must not be negative")
    scale = 10**places
    if whole == 0:
        units = 0
    else:
        scaled = Fraction(part) * 100 * scale / Fraction(whole)
        units = int(abs(scaled) + Fraction(1, 2)) * (-1 if scaled < 0 else 1)
    sign = "-" if units < 0 else ""
    integral, decimals = divmod(abs(units), scale)
    return f"{sign}{integral}.{decimals:0{places}d}" if places else f"{sign}{integral}"


def _moscow() -> tzinfo:
    try:
        return ZoneInfo("Europe/Moscow")
    except ZoneInfoNotFoundError:  # no time zone database: Moscow keeps UTC+3 all year
        return timezone(timedelta(hours=3), "MSK")


_MOSCOW = _moscow()
_FONT = "DejaVu"
_CENTS = Decimal("0.01")


def _aware(value: datetime) -> datetime:
    """``value`` with its time zone, a naive one taken as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _moment(value: datetime) -> str:
    """Moscow time of ``value`` as ``dd.mm.yyyy HH:MM``."""
    return _aware(value).astimezone(_MOSCOW).strftime("%d.%m.%Y %H:%M")


def _area(value: Decimal) -> str:
    return str(value.quantize(_CENTS, rounding=ROUND_HALF_UP))


class _Pdf(FPDF):
    """An A4 document in DejaVu Sans with its name and page number in every page's footer."""

    def __init__(self, orientation: Literal["P", "L"], name: str) -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.name = name
        self.set_margins(15 if orientation == "P" else 10, 12)
        self._widths: dict[tuple[str, float, str], float] = {}

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(_FONT, size=7)
        self.cell(0, 4, f"{self.name} · страница {self.page_no()} из {{nb}}", align="C")

    def width(self, text: str) -> float:
        """Width of ``text`` in the current font, remembered per font and size."""
        key = (self.font_style, self.font_size_pt, text)
        found = self._widths.get(key)
        if found is None:
            found = self._widths[key] = self.get_string_width(text)
        return found

    def paragraph(self, text: str, size: float = 10, *, bold: bool = False) -> None:
        """A paragraph across the page, wrapped at words."""
        self.set_font(_FONT, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


@contextmanager
def _document(
    orientation: Literal["P", "L"], name: str, title: str, document: ProtocolDocument
) -> Iterator[_Pdf]:
    """A new PDF with the shipped fonts loaded and the metadata taken from ``document``."""
    fonts = files("edom_graphql.meetings.service") / "fonts"
    with ExitStack() as stack:
        pdf = _Pdf(orientation, name)
        for style, file in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf")):
            pdf.add_font(_FONT, style, stack.enter_context(as_file(fonts / file)))
        pdf.set_title(title)
        pdf.set_subject(document.building_address)
        pdf.set_creator("Электронный дом")
        pdf.set_lang("ru")
        pdf.set_creation_date(_aware(document.formed_at))
        yield pdf


def _protocol_title(document: ProtocolDocument) -> str:
    return (
        f"Протокол № {document.number} общего собрания собственников помещений "
        f"в многоквартирном доме по адресу: {document.building_address}"
    )


def render_protocol(document: ProtocolDocument) -> bytes:
    """The protocol of the meeting: its facts, the quorum and the result of every question."""
    name = f"Протокол № {document.number}"
    with _document("P", name, _protocol_title(document), document) as pdf:
        pdf.set_auto_page_break(True, margin=15)
        pdf.add_page()
        pdf.set_font(_FONT, "B", 13)
        pdf.multi_cell(0, 6.5, _protocol_title(document), align="C", new_x=XPos.LMARGIN)
        pdf.ln(2)
        pdf.set_font(_FONT, "", 11)
        pdf.multi_cell(0, 5.5, f"«{document.title}»", align="C", new_x=XPos.LMARGIN)
        pdf.ln(4)
        turnout = document.turnout
        facts = (
            "Форма проведения: заочное голосование с использованием системы «Электронный дом»",
            f"Дата и время начала голосования: {_moment(document.voting_starts_at)}",
            f"Дата и время окончания голосования: {_moment(document.voting_ends_at)}",
            f"Дата составления протокола: {_moment(document.formed_at)}",
            "Время указано московское.",
            f"Инициатор собрания: {document.initiator}",
            f"Администратор общего собрания: {document.administrator}",
            f"Общая площадь помещений в доме: {_area(document.total_area)} м²",
            "В голосовании приняли участие собственники, обладающие "
            f"{percent(turnout, Fraction(1))} % голосов "
            f"({turnout} от общего числа голосов собственников).",
        )
        for fact in facts:
            pdf.paragraph(fact)
        pdf.ln(1)
        quorum = "имеется, собрание" if document.quorum else "отсутствует, собрание не"
        pdf.paragraph(f"Кворум {quorum} правомочно.", bold=True)
        pdf.ln(3)
        pdf.paragraph("Повестка дня", 11, bold=True)
        for question in document.questions:
            pdf.paragraph(f"{question.number}. {question.title}")
        pdf.ln(3)
        pdf.paragraph("Результаты голосования", 11, bold=True)
        for question in document.questions:
            _question(pdf, question)
        pdf.ln(6)
        for role, person in (
            ("Инициатор собрания", document.initiator),
            ("Администратор общего собрания", document.administrator),
        ):
            pdf.paragraph(f"{role}: ____________________ / {person} /")
            pdf.ln(3)
        return bytes(pdf.output())


def _question(pdf: _Pdf, question: QuestionResult) -> None:
    """One question's block: title, proposal, threshold, the counts and the decision."""
    if pdf.will_page_break(45):
        pdf.add_page()
    pdf.ln(2)
    pdf.paragraph(f"Вопрос {question.number}. {question.title}", bold=True)
    if question.proposal:
        pdf.paragraph(f"Предложено: {question.proposal}")
    pdf.paragraph(f"Порог принятия решения: {question.threshold}")
    pdf.ln(1)
    if pdf.will_page_break(34):
        pdf.add_page()
    widths = (45, 67.5, 67.5)
    headings = ("Вариант", "% от общего числа голосов", "% от числа принявших участие")
    pdf.set_font(_FONT, "B", 9)
    for width, heading in zip(widths, headings, strict=True):
        pdf.cell(width, 6, heading, border=1, align="C")
    pdf.ln()
    pdf.set_font(_FONT, "", 9)
    for label, votes in (
        ("ЗА", question.votes_for),
        ("ПРОТИВ", question.votes_against),
        ("ВОЗДЕРЖАЛСЯ", question.votes_abstain),
    ):
        pdf.cell(widths[0], 6, label, border=1)
        pdf.cell(widths[1], 6, percent(votes, Fraction(1)), border=1, align="R")
        pdf.cell(widths[2], 6, percent(votes, question.cast), border=1, align="R")
        pdf.ln()
    pdf.ln(1)
    pdf.paragraph("Решение принято." if question.adopted else "Решение не принято.", bold=True)


_SIZE = 7.0  # pt, the register's text
_LINE = 3.2  # mm, one line of a register cell
_PAD = 1.0  # mm, a register cell's inner margin
_MAX_LINES = 3  # lines of a wrapped register cell, the last one cut short
_DECISIONS = ("ЗА", "ПРОТИВ", "ВОЗДЕРЖАЛСЯ", "—")
# Ever shorter spellings of the decisions, for ever more questions, with their legends.
_SPELLINGS: tuple[tuple[dict[str, str], str], ...] = (
    ({}, ""),
    ({"ВОЗДЕРЖАЛСЯ": "ВОЗД.", "ПРОТИВ": "ПРОТ."}, "; ПРОТ. — против, ВОЗД. — воздержался"),
    ({"ЗА": "З", "ПРОТИВ": "П", "ВОЗДЕРЖАЛСЯ": "В"}, "; З — за, П — против, В — воздержался"),
)


@dataclass(frozen=True, slots=True)
class _Column:
    heading: str
    width: float
    right: bool = False
    wrap: bool = False


def _wrap(pdf: _Pdf, text: str, width: float, max_lines: int) -> list[str]:
    """``text`` broken into lines no wider than ``width``, at most ``max_lines`` of them."""
    text = " ".join(text.split())
    if pdf.width(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if pdf.width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while pdf.width(word) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and pdf.width(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _cut(pdf, " ".join(lines[max_lines - 1 :]), width)]
    return lines


def _cut(pdf: _Pdf, text: str, width: float) -> str:
    """``text`` itself if it fits in ``width``, else its longest head that fits with "…"."""
    if pdf.width(text) <= width:
        return text
    end = len(text)
    while end > 0 and pdf.width(text[:end].rstrip() + "…") > width:
        end -= 1
    return text[:end].rstrip() + "…"


def _columns(pdf: _Pdf, questions: int, usable: float) -> tuple[list[_Column], int]:
    """The register's columns fitted to the page, and which spelling of decisions fits."""
    pdf.set_font(_FONT, "", _SIZE)
    fixed = 14 + 12 + 17 + 17 + 29
    # The owner's and the voter's columns take what the questions leave, 28 mm each at least.
    spare = usable - fixed - 2 * 28
    fits = [
        max(pdf.width(spelling.get(word, word)) for word in _DECISIONS) + 2 * _PAD + 0.5
        for spelling, _ in _SPELLINGS
    ]
    level = next((i for i, fit in enumerate(fits) if questions * fit <= spare), len(fits) - 1)
    decision = min(fits[level], spare / max(questions, 1))
    names = (usable - fixed - questions * decision) / 2
    columns = [
        _Column("№ пом.", 14, wrap=True),
        _Column("Собственник", names, wrap=True),
        _Column("Доля", 12),
        _Column("Площадь, м²", 17, right=True, wrap=True),
        _Column("Голос, %", 17, right=True),
        _Column("Кто голосовал", names, wrap=True),
        _Column("Способ", 29, wrap=True),
    ]
    prefix = "В" if level < len(_SPELLINGS) - 1 else ""
    columns += [_Column(f"{prefix}{number}", decision) for number in range(1, questions + 1)]
    return columns, level


def render_register(document: ProtocolDocument, lines: Sequence[RegisterLine]) -> bytes:
    """The annex to the protocol: every owner's share, weight, who voted, how, and the decisions."""
    title = f"Приложение к протоколу № {document.number}: реестр собственников и их решений"
    with _document("L", f"Приложение к протоколу № {document.number}", title, document) as pdf:
        pdf.set_auto_page_break(False)
        pdf.set_line_width(0.1)
        pdf.add_page()
        pdf.paragraph(title, 11, bold=True)
        pdf.paragraph(f"Адрес многоквартирного дома: {document.building_address}", 9)
        pdf.paragraph(f"Собрание: «{document.title}»", 9)
        questions = len(document.questions)
        columns, level = _columns(pdf, questions, pdf.epw)
        spelling, abbreviations = _SPELLINGS[level]
        legend = "Голос — доля от общего числа голосов собственников."
        if questions:
            span = "…".join(dict.fromkeys((columns[7].heading, columns[-1].heading)))
            legend = f"{span} — решения по вопросам повестки дня{abbreviations}. {legend}"
        pdf.paragraph(legend, 8)
        pdf.ln(2)
        _Table(pdf, columns).draw(
            [
                [
                    line.premise,
                    line.owner,
                    line.share,
                    _area(line.area),
                    percent(line.weight, Fraction(1), 4),
                    line.voted_by if line.voted_by is not None else "не голосовал",
                    line.channel or "—",
                    *(
                        spelling.get(decision, decision)
                        for decision in (*line.decisions, *("—",) * questions)[:questions]
                    ),
                ]
                for line in lines
            ]
        )
        return bytes(pdf.output())


class _Table:
    """A ruled table drawn row by row, its heading row repeated on every page."""

    def __init__(self, pdf: _Pdf, columns: list[_Column]) -> None:
        self.pdf = pdf
        self.columns = columns
        self.bottom = pdf.h - 14
        self.top = pdf.y

    def draw(self, rows: list[list[str]]) -> None:
        self._row([column.heading for column in self.columns], bold=True)
        for row in rows:
            self._row(row, bold=False)
        self._rule_columns()

    def _row(self, cells: list[str], *, bold: bool) -> None:
        pdf = self.pdf
        pdf.set_font(_FONT, "B" if bold else "", _SIZE)
        texts = [
            _wrap(pdf, text, column.width - 2 * _PAD, _MAX_LINES)
            if column.wrap or bold
            else [_cut(pdf, text, column.width - 2 * _PAD)]
            for column, text in zip(self.columns, cells, strict=True)
        ]
        height = max(len(text) for text in texts) * _LINE + 2 * _PAD - 0.6
        if not bold and pdf.y + height > self.bottom:
            self._rule_columns()
            pdf.add_page()
            self.top = pdf.y
            self._row([column.heading for column in self.columns], bold=True)
            pdf.set_font(_FONT, "", _SIZE)
        top = pdf.y
        if top == self.top:
            pdf.line(pdf.l_margin, top, pdf.l_margin + sum(c.width for c in self.columns), top)
        x = pdf.l_margin
        for column, text in zip(self.columns, texts, strict=True):
            for number, line in enumerate(text):
                offset = column.width - _PAD - pdf.width(line) if column.right else _PAD
                pdf.text(x + offset, top + _PAD + 2.2 + number * _LINE, line)
            x += column.width
        pdf.set_y(top + height)
        pdf.line(pdf.l_margin, pdf.y, x, pdf.y)

    def _rule_columns(self) -> None:
        """The vertical rules of the table's part on the current page."""
        x = self.pdf.l_margin
        for width in (0, *(column.width for column in self.columns)):
            x += width
            self.pdf.line(x, self.top, x, self.pdf.y)
