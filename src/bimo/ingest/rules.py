"""Cross-field rules per table (vectorised Polars expressions with German messages).

Each rule names the column it is reported under and every column it reads; it is only checked
when all those columns passed their own column checks, so that one wrong value is reported once,
in its own column. ``docs/import.md`` lists these rules with their messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

Value = Callable[[str], pl.Expr]  # column name -> expression of its typed value

# Jahrgangsstufen each Schulform can have (inclusive ranges).
GRADE_RANGE: dict[str, tuple[int, int]] = {
    "GS": (1, 6),
    "HS": (5, 10),
    "RS": (5, 10),
    "SMBG": (5, 10),
    "GY": (5, 13),
    "IGS": (5, 13),
    "FS": (1, 13),
    "WS": (1, 13),
}
AGE_MIN, AGE_MAX = 4, 25
AGS_LENGTH = {"LAND": 2, "KREIS": 5, "GEMEINDE": 8}


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: ``violated`` is true for rows breaking it."""

    table: str
    column: str  # the column the problem is reported under
    involved: tuple[str, ...]
    violated: Callable[[Value], pl.Expr]
    message: str


def _grade_violated(v: Value) -> pl.Expr:
    lo = v("schulform").replace_strict(
        {k: r[0] for k, r in GRADE_RANGE.items()}, default=None, return_dtype=pl.Int64
    )
    hi = v("schulform").replace_strict(
        {k: r[1] for k, r in GRADE_RANGE.items()}, default=None, return_dtype=pl.Int64
    )
    return (v("jahrgangsstufe") < lo) | (v("jahrgangsstufe") > hi)


def _parent_violated(v: Value) -> pl.Expr:
    expected = (
        pl.when(v("ebene") == "KREIS")
        .then(v("ags").str.slice(0, 2))
        .when(v("ebene") == "GEMEINDE")
        .then(v("ags").str.slice(0, 5))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return v("parent_ags").ne_missing(expected)


def _ags_length_violated(v: Value) -> pl.Expr:
    expected = v("ebene").replace_strict(AGS_LENGTH, default=None, return_dtype=pl.UInt32)
    return v("ags").str.len_chars() != expected


_GRADES = ", ".join(f"{k} {lo}–{hi}" for k, (lo, hi) in GRADE_RANGE.items())

RULES: tuple[Rule, ...] = (
    Rule(
        "student_years",
        "abschlussart",
        ("abschlussart", "abgangsart"),
        lambda v: v("abschlussart").is_not_null() & v("abgangsart").ne_missing("ENTL"),
        "Abschlussart ist angegeben, aber die Abgangsart ist nicht ENTL (Entlassung); eine "
        "Abschlussart gibt es nur bei Entlassung",
    ),
    Rule(
        "student_years",
        "abschlussart",
        ("abschlussart", "abgangsart"),
        lambda v: v("abschlussart").is_null() & v("abgangsart").eq_missing("ENTL"),
        "Bei Abgangsart ENTL (Entlassung) fehlt die Abschlussart",
    ),
    Rule(
        "student_years",
        "einschulungsart",
        ("einschulungsart", "zugangsart"),
        lambda v: v("einschulungsart").is_not_null() & v("zugangsart").ne_missing("EIN"),
        "Einschulungsart ist angegeben, aber die Zugangsart ist nicht EIN (Einschulung)",
    ),
    Rule(
        "student_years",
        "jahrgangsstufe",
        ("zugangsart", "jahrgangsstufe"),
        lambda v: v("zugangsart").eq_missing("EIN") & ~v("jahrgangsstufe").is_in([1, 2]),
        "Bei Zugangsart EIN (Einschulung) muss die Jahrgangsstufe 1 oder 2 sein",
    ),
    Rule(
        "student_years",
        "geburtsjahr",
        ("schuljahr", "geburtsjahr"),
        lambda v: ~(v("schuljahr") - v("geburtsjahr")).is_between(AGE_MIN, AGE_MAX),
        f"Alter zu Schuljahresbeginn (Schuljahr − Geburtsjahr) liegt nicht zwischen {AGE_MIN} "
        f"und {AGE_MAX} Jahren",
    ),
    Rule(
        "student_years",
        "jahrgangsstufe",
        ("schulform", "jahrgangsstufe"),
        _grade_violated,
        f"Jahrgangsstufe passt nicht zur Schulform (zulässig: {_GRADES})",
    ),
    Rule(
        "student_years",
        "record_key",
        ("record_key",),
        lambda v: v("record_key") >= 1.0,
        "Der Zufallsschlüssel record_key muss kleiner als 1 sein (Bereich [0, 1))",
    ),
    Rule(
        "schools",
        "gemeinde_ags",
        ("gemeinde_ags", "kreis_ags"),
        lambda v: ~v("gemeinde_ags").str.starts_with(v("kreis_ags")),
        "Der Gemeindeschlüssel beginnt nicht mit dem Kreisschlüssel (kreis_ags)",
    ),
    Rule(
        "childcare",
        "betreute_ganztag",
        ("betreute", "betreute_ganztag"),
        lambda v: v("betreute_ganztag") > v("betreute"),
        "Mehr ganztags betreute Kinder als betreute Kinder insgesamt",
    ),
    Rule(
        "regions",
        "ags",
        ("ags", "ebene"),
        _ags_length_violated,
        "Die Länge des AGS passt nicht zur Ebene (LAND 2, KREIS 5, GEMEINDE 8 Stellen)",
    ),
    Rule(
        "regions",
        "parent_ags",
        ("ags", "ebene", "parent_ags"),
        _parent_violated,
        "Übergeordneter AGS passt nicht zur Ebene (LAND: leer; KREIS: die ersten 2 Stellen, "
        "GEMEINDE: die ersten 5 Stellen des AGS)",
    ),
    Rule(
        "regions",
        "kreistyp",
        ("kreistyp", "ebene"),
        lambda v: v("kreistyp").is_not_null() & v("ebene").ne_missing("KREIS"),
        "Ein Kreistyp ist nur für Regionen der Ebene KREIS zulässig",
    ),
)


def rules_for(table: str) -> tuple[Rule, ...]:
    return tuple(r for r in RULES if r.table == table)
