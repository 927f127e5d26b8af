"""The content of one school feedback report (numbers only; texts and layout are in ``html``).

All shares and p-values are percentages (0–100), means are on the reporting metric (500/100).
A group that is below the minimum size carries ``suppressed=True``, no numbers at all (not even
its size) and a German ``note`` saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error (None where it cannot be estimated)."""

    value: float
    se: float | None


@dataclass(frozen=True)
class LevelShare:
    code: str
    label: str
    standard: str
    share: Estimate


@dataclass(frozen=True)
class Comparison:
    """Difference of a group's value to a reference (group − reference) with its SE.

    ``direction`` is ``hoeher``/``niedriger`` when |difference| > z·SE, else ``""``.
    """

    difference: float
    se: float
    direction: str


@dataclass(frozen=True)
class GroupResult:
    """Kompetenzstufen and mean of one group (school, class, Kreis, Land)."""

    key: str  # schulnummer, class label, Kreis or Land AGS
    kind: str  # schule | klasse | kreis | land
    label: str  # German display name
    suppressed: bool
    note: str = ""
    n: int | None = None
    shares: tuple[LevelShare, ...] = ()
    below_minimum: Estimate | None = None
    at_or_above_regular: Estimate | None = None
    mean: Estimate | None = None
    sd: float | None = None
    vs_land: Comparison | None = None


@dataclass(frozen=True)
class FairResult:
    """The fair comparison of the school (see :mod:`bimo.assessment.standards.fair`)."""

    suppressed: bool
    note: str = ""
    n: int | None = None
    observed: float | None = None
    expected: float | None = None
    lower: float | None = None
    upper: float | None = None
    difference: float | None = None
    se: float | None = None
    classification: str = ""  # above | within | below
    covariates: tuple[str, ...] = ()
    composition: dict[str, float] = field(default_factory=dict)  # school shares in percent
    land_composition: dict[str, float] = field(default_factory=dict)
    level: float = 0.9
    between_schools: bool = True


@dataclass(frozen=True)
class ItemValue:
    """Share of points (percent) of one group on one item.

    ``p``/``n``/``difference`` are None when the value is suppressed (``hidden``) or when no
    student of the group worked on the item (``hidden`` False).
    """

    p: float | None
    n: int | None
    difference: float | None  # p − Land p, percentage points
    notable: str  # hoeher | niedriger | ""
    hidden: bool = False


@dataclass(frozen=True)
class ItemRow:
    item: str
    max_punkte: int
    land_p: float
    land_n: int
    school: ItemValue
    classes: dict[str, ItemValue]


@dataclass(frozen=True)
class SchoolFeedback:
    """Everything one school's report shows."""

    erhebung: str
    schuljahr: int
    jahrgangsstufe: int
    kompetenzbereich: str
    kompetenzbereich_label: str
    stufenmodell_title: str
    schulnummer: str
    school_name: str
    school: GroupResult
    classes: tuple[GroupResult, ...]
    kreis: GroupResult | None
    land: GroupResult
    fair: FairResult
    items: tuple[ItemRow, ...]
    class_labels: tuple[str, ...]
    min_group: int
    level_codes: tuple[str, ...]
    level_labels: tuple[str, ...]
    item_min_difference: float
    item_z: float
    comparison_z: float
