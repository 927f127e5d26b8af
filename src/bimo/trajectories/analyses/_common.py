"""Building blocks shared by the Bildungsverlauf analyses.

Everything here builds Ibis expressions only (no ``.execute()``, no UDFs), so the analyses run
unchanged on DuckDB and on PySpark.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from bimo.core.errors import BimoError

# Public dimension name -> column of the enriched student-year table.
DIMENSIONS: dict[str, str] = {
    "kreis": "kreis_ags",
    "schulform": "schulform",
    "geschlecht": "geschlecht",
    "foerderschwerpunkt": "foerderschwerpunkt",
    "ndh": "ndh",
}
# Column aliases that are accepted as well (``--by kreis_ags`` works like ``--by kreis``).
_ALIASES: dict[str, str] = {col: name for name, col in DIMENSIONS.items()}

# Null Förderschwerpunkt means "no special educational needs": grouped as its own value so a
# disaggregation never drops students and never yields null keys.
KEIN_FOERDERSCHWERPUNKT = "KEIN"

YEAR = "schuljahr"
NUMERATOR = "numerator"
DENOMINATOR = "denominator"
RATE = "rate"


class AnalysisError(BimoError):
    """An analysis was asked for something it cannot compute (German message)."""


@dataclass(frozen=True)
class YearRange:
    """Inclusive range of school years (start years)."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise AnalysisError(
                f"Ungültiger Jahresbereich {self.first}-{self.last}: "
                "das erste Jahr liegt nach dem letzten."
            )

    @classmethod
    def parse(cls, text: str) -> YearRange:
        """Parse ``2018-2023`` or ``2020``."""
        parts = [p.strip() for p in text.split("-")]
        try:
            if len(parts) == 1:
                year = int(parts[0])
                return cls(year, year)
            if len(parts) == 2:
                return cls(int(parts[0]), int(parts[1]))
        except ValueError:
            pass
        raise AnalysisError(
            f"Ungültige Jahresangabe „{text}“: erwartet wird z. B. 2018-2023 oder 2020 "
            "(Anfangsjahr des Schuljahres)."
        )


def resolve_dims(by: Iterable[str], allowed: Sequence[str] | None = None) -> list[str]:
    """Map dimension names (``kreis``, ``geschlecht`` …) to columns; German error if unknown."""
    allowed_names = list(allowed) if allowed is not None else list(DIMENSIONS)
    cols: list[str] = []
    for raw in by:
        name = raw.strip().lower()
        if not name:
            continue
        name = _ALIASES.get(name, name)
        if name not in DIMENSIONS:
            raise AnalysisError(
                f"Unbekannte Gliederung „{raw}“. Zulässig sind: {', '.join(DIMENSIONS)}."
            )
        if name not in allowed_names:
            raise AnalysisError(
                f"Die Gliederung „{name}“ ist für diese Auswertung nicht möglich. "
                f"Zulässig sind hier: {', '.join(allowed_names)}."
            )
        col = DIMENSIONS[name]
        if col not in cols:
            cols.append(col)
    return cols


def enrich(student_years: ir.Table, schools: ir.Table) -> ir.Table:
    """Student years with the school's Kreis and a null-free Förderschwerpunkt."""
    kreise = schools.select(_sn=schools.schulnummer, kreis_ags=schools.kreis_ags).distinct()
    joined = student_years.left_join(kreise, student_years.schulnummer == kreise._sn)
    return joined.drop("_sn").mutate(
        foerderschwerpunkt=joined.foerderschwerpunkt.fill_null(KEIN_FOERDERSCHWERPUNKT)
    )


PERSON = "pid"
# Columns of the person-year table that the person-level analyses read, and those whose value
# in the previous/next record of the person is kept next to it (``prev_<col>``, ``next_<col>``).
_PERSON_YEAR_COLUMNS = (
    "schuljahr",
    "schulform",
    "jahrgangsstufe",
    "geschlecht",
    "foerderschwerpunkt",
    "ndh",
    "kreis_ags",
    "abgangsart",
    "abschlussart",
)
_PREV_COLUMNS = (
    "schuljahr",
    "schulform",
    "jahrgangsstufe",
    "geschlecht",
    "foerderschwerpunkt",
    "ndh",
    "kreis_ags",
)
_NEXT_COLUMNS = ("schuljahr", "jahrgangsstufe")


@dataclass(frozen=True)
class Prepared:
    """The two inputs of every analysis, built once per run by :func:`prepare`.

    ``records``: every student-year record with the Kreis of its school and the integer person
    key (:func:`key_records`; record-level counts).
    ``person_years``: one record per person and year with an integer
    person key ``pid`` instead of the pseudonym, and the person's previous and next record in
    ``prev_*``/``next_*`` columns (null if there is none). Person-level analyses read it without
    any self-join on the pseudonym; a caller that runs many analyses materialises it once
    (DuckDB temp table, Spark cache) and passes the materialised tables.
    """

    records: ir.Table
    person_years: ir.Table


# Columns of the keyed record table: what the analyses and the linkage checks read.
KEYED_COLUMNS = (
    PERSON,
    "schulnummer",
    *_PERSON_YEAR_COLUMNS,
    "geburtsjahr",
    "geburtsmonat",
    "zugangsart",
    "wiederholung",
)


def key_records(student_years: ir.Table, schools: ir.Table) -> ir.Table:
    """Every record with the Kreis of its school and an integer person key ``pid``.

    Numbering the distinct pseudonyms is one hash aggregate, after which every grouping,
    window and join works on a 64-bit integer instead of a 64-character string. A hash of the
    pseudonym would avoid the numbering but could collide (Spark's hash has 32 bits). The
    pseudonym itself is dropped: nothing downstream needs it.
    """
    records = enrich(student_years, schools)
    keys = records.select(_kp=records.pseudonym).distinct()
    keys = keys.mutate(**{PERSON: ibis.row_number()})
    keyed = records.inner_join(keys, records.pseudonym == keys._kp)
    return keyed.select(*KEYED_COLUMNS)


def prepare(student_years: ir.Table, schools: ir.Table) -> Prepared:
    """Build the (unmaterialised) :class:`Prepared` expressions for ``student_years``."""
    return prepare_keyed(key_records(student_years, schools))


def prepare_keyed(keyed: ir.Table) -> Prepared:
    """:class:`Prepared` from the output of :func:`key_records` (possibly materialised).

    One record per person and year: the business key allows two schools in one year (a
    change during the year), which person-level analyses would count twice. The record that
    ends the year wins: one without Abgangsart (the student stays) before one with an
    Abgangsart, then the larger Jahrgangsstufe, then the Schulnummer as a stable tie-break.
    """
    order = [
        keyed.abgangsart.isnull().desc(),
        keyed.jahrgangsstufe.desc(),
        keyed.schulnummer.desc(),
    ]
    ranked = keyed.mutate(
        _rn=ibis.row_number().over(group_by=[keyed[PERSON], keyed.schuljahr], order_by=order)
    )
    years = ranked.filter(ranked._rn == 0).select(PERSON, *_PERSON_YEAR_COLUMNS)
    w = ibis.window(group_by=PERSON, order_by="schuljahr")
    neighbours = {f"prev_{c}": years[c].lag().over(w) for c in _PREV_COLUMNS}
    neighbours |= {f"next_{c}": years[c].lead().over(w) for c in _NEXT_COLUMNS}
    return Prepared(keyed, years.mutate(**neighbours))


def prepared_or_build(
    student_years: ir.Table | None, schools: ir.Table | None, prepared: Prepared | None
) -> Prepared:
    """``prepared`` if given, else :func:`prepare` of the raw tables."""
    if prepared is not None:
        return prepared
    if student_years is None or schools is None:
        raise AnalysisError(
            "Es fehlen Eingabedaten: student_years und schools oder eine vorbereitete Tabelle."
        )
    return prepare(student_years, schools)


def data_years(person_years: ir.Table) -> ir.Table:
    """The school years present in the data (column ``_y``)."""
    return person_years.select(_y=person_years.schuljahr).distinct()


def filter_years(table: ir.Table, years: YearRange | None, column: str = YEAR) -> ir.Table:
    if years is None:
        return table
    return table.filter(table[column].between(years.first, years.last))


def percent(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """``100 * numerator / denominator`` as float; null when the denominator is 0."""
    den = denominator.cast("float64")
    return ibis.ifelse(den == 0, ibis.null("float64"), numerator.cast("float64") * 100.0 / den)


def rate_table(
    numerators: ir.Table,
    denominators: ir.Table,
    keys: Sequence[str],
    categories: Sequence[str],
    category_values: dict[str, Sequence[str]] | None = None,
) -> ir.Table:
    """Join numerator counts (keys + categories) to denominators (keys) into the long result.

    ``category_values`` lists, per category column, the values that must appear for every
    denominator cell even when no student falls into them (explicit zeros, so that rates of 0 %
    are reported instead of silently missing).
    """
    den = denominators.rename({f"_d_{k}": k for k in keys})
    if category_values:
        # The grid of denominator cells × category values, built from literals (a union) rather
        # than an in-memory table so that it works the same on every backend.
        grid = den
        for cat in categories:
            parts = [grid.mutate(**{cat: ibis.literal(v, "string")}) for v in category_values[cat]]
            grid = ibis.union(*parts)
        num = numerators.rename({f"_n_{c}": c for c in categories})
        preds = [grid[f"_d_{k}"] == num[k] for k in keys] + [
            grid[c] == num[f"_n_{c}"] for c in categories
        ]
        joined = grid.left_join(num, preds)
        out = joined.select(
            *[joined[f"_d_{k}"].name(k) for k in keys],
            *[joined[c] for c in categories],
            joined[NUMERATOR].fill_null(0).name(NUMERATOR),
            joined[DENOMINATOR],
        )
    else:
        joined = numerators.inner_join(den, [numerators[k] == den[f"_d_{k}"] for k in keys])
        out = joined.select(
            *[joined[k] for k in keys],
            *[joined[c] for c in categories],
            joined[NUMERATOR],
            joined[DENOMINATOR],
        )
    out = out.mutate(**{RATE: percent(out[NUMERATOR], out[DENOMINATOR])})
    return out.order_by([*keys, *categories])
