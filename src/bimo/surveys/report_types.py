"""Result types of the survey reports (what the web pages and PDFs render)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bimo.surveys.analysis import Change, MeanCI

__all__ = [
    "BreakdownCell",
    "ClassReport",
    "DistributionCell",
    "ItemRow",
    "LandReport",
    "Reference",
    "RoundChange",
    "ScaleBreakdown",
    "ScaleReport",
    "SchoolReport",
    "Withheld",
]


@dataclass(frozen=True)
class Withheld:
    """A report that is not shown, and why (German, never with the exact count)."""

    reason: str


@dataclass(frozen=True)
class DistributionCell:
    label: str  # the score range, e.g. "2.5–3.5", or "Insgesamt"
    count: int | None  # None: suppressed
    flag: str  # "" shown, "." suppressed, "-" nobody


@dataclass(frozen=True)
class ItemRow:
    item: str
    text: str
    n: int
    mean: float
    sd: float
    item_total: float
    alpha_if_deleted: float | None
    reversed: bool = False  # reverse-coded: mean and statistics after turning it round


@dataclass(frozen=True)
class Reference:
    label: str
    mean: float
    n: int
    units: int  # classes (school) or schools (Land)


@dataclass(frozen=True)
class RoundChange:
    previous_label: str
    previous_mean: float
    change: Change


@dataclass(frozen=True)
class ScaleReport:
    scale_id: str
    title: str
    construct: str
    use: str
    categories: int
    withheld: str | None = None
    mean: MeanCI | None = None
    distribution: list[DistributionCell] = field(default_factory=list)
    alpha: float | None = None
    alpha_ci: tuple[float, float] | None = None
    omega: float | None = None
    items: list[ItemRow] = field(default_factory=list)
    school: Reference | None = None
    land: Reference | None = None
    change: RoundChange | None = None


@dataclass(frozen=True)
class ClassReport:
    round_id: int
    instrument_id: str
    instrument_title: str
    hint: str
    label: str
    schulnummer: str
    klasse: str
    jahrgang: int
    n: int
    minimum: int
    scales: list[ScaleReport]
    careless: int
    open_texts: dict[str, list[str]] | None  # question text → answers (shuffled)
    open_texts_note: str


@dataclass(frozen=True)
class BreakdownCell:
    label: str
    n: int | None  # None: suppressed
    mean: MeanCI | None
    flag: str


@dataclass(frozen=True)
class ScaleBreakdown:
    scale_id: str
    title: str
    construct: str
    categories: int
    withheld: str | None = None
    total: MeanCI | None = None
    alpha: float | None = None
    omega: float | None = None
    distribution: list[DistributionCell] = field(default_factory=list)
    cells: list[BreakdownCell] = field(default_factory=list)


@dataclass(frozen=True)
class SchoolReport:
    schulnummer: str
    instrument_id: str
    instrument_title: str
    hint: str
    period: str
    n: int
    n_classes: int
    minimum: int
    scales: list[ScaleBreakdown]


@dataclass(frozen=True)
class LandReport:
    instrument_id: str
    instrument_title: str
    hint: str
    period: str
    n: int
    n_schools: int
    minimum: int
    scales: list[ScaleBreakdown]
