"""The published tables: which rows and columns of ``indicator_values`` leave, and how.

Only rows with ``intern == False`` (never SCHULE) are exported. Disclosure control has already
happened in the engine; this module never recomputes anything, and it blanks every number of a
flagged row again, so that a suppressed value cannot leak even if an upstream step forgot to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import polars as pl

from bimo.opendata.options import OpenDataError

__all__ = [
    "COLUMNS",
    "FLAGS",
    "PRIMARY_KEY",
    "Column",
    "IndicatorMeta",
    "PublicValues",
    "public_values",
    "split_by_indicator",
]


class IndicatorMeta(Protocol):
    """The catalogue fields the export uses (:class:`bimo.indicators.catalog.Indicator`)."""

    @property
    def id(self) -> str: ...
    @property
    def titel(self) -> str: ...
    @property
    def beschreibung(self) -> str: ...
    @property
    def einheit(self) -> str: ...
    @property
    def nachkommastellen(self) -> int: ...
    @property
    def zeitbezug(self) -> str: ...
    @property
    def zaehler(self) -> str: ...
    @property
    def nenner(self) -> str | None: ...
    @property
    def stichtag(self) -> str: ...
    @property
    def quelle(self) -> str: ...
    @property
    def interpretation(self) -> str: ...
    @property
    def bereich(self) -> str: ...


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Table Schema type
    description: str


FLAGS: dict[str, str] = {
    ".": "geheim: Wert aus Gründen der Geheimhaltung gesperrt (Zahlen leer)",
    "-": "nichts vorhanden (Zahlen leer)",
    "/": "nicht sicher genug: Aussagewert eingeschränkt, zu wenige Fälle (Zahlen leer)",
}

COLUMNS: tuple[Column, ...] = (
    Column("indikator", "string", "Kennung des Indikators im Indikatorenkatalog, z. B. D05."),
    Column(
        "jahr",
        "integer",
        "Berichtsjahr; bei Schuljahren das Anfangsjahr (2024 = Schuljahr 2024/25).",
    ),
    Column(
        "ebene",
        "string",
        "Gebietsebene: LAND, KREIS, GEMEINDE oder KREISTYP (Vergleichsgruppe gleichartiger "
        "Kreise).",
    ),
    Column(
        "ags",
        "string",
        "Amtlicher Gemeindeschlüssel (Land 2-, Kreis 5-, Gemeinde 8-stellig) oder KT-<Code> für "
        "einen Kreistyp.",
    ),
    Column("region", "string", "Name des Gebiets."),
    Column(
        "merkmal",
        "string",
        "Gliederungsmerkmal (z. B. geschlecht); insgesamt für die Summe über alle Ausprägungen.",
    ),
    Column("auspraegung", "string", "Code der Ausprägung; Insgesamt für die Summe."),
    Column("auspraegung_label", "string", "Bezeichnung der Ausprägung."),
    Column(
        "wert",
        "number",
        "Wert des Indikators in der Einheit der Spalte einheit (Prozent als 0–100), gerundet "
        "auf die im Katalog festgelegten Nachkommastellen; leer, wenn flag gesetzt ist.",
    ),
    Column(
        "einheit",
        "string",
        "Einheit des Werts: prozent, anzahl, je_1000, verhaeltnis oder punkte.",
    ),
    Column("zaehler", "number", "Zähler (Anzahl); leer, wenn gesperrt."),
    Column("nenner", "number", "Nenner; leer, wenn gesperrt oder nicht anwendbar."),
    Column(
        "se",
        "number",
        "Standardfehler des Werts (nur bei Schätzungen, z. B. aus Plausible Values); sonst leer.",
    ),
    Column(
        "flag",
        "string",
        "Zeichen für nicht veröffentlichte Werte: leer = veröffentlicht; "
        + "; ".join(f"„{k}“ = {v}" for k, v in FLAGS.items())
        + ".",
    ),
)
PRIMARY_KEY: tuple[str, ...] = ("indikator", "jahr", "ebene", "ags", "merkmal", "auspraegung")
PUBLIC_LEVELS: tuple[str, ...] = ("LAND", "KREISTYP", "KREIS", "GEMEINDE")
_NUMBERS = ("wert", "zaehler", "nenner", "se")
_TEXT = (
    "indikator",
    "ebene",
    "ags",
    "region",
    "merkmal",
    "auspraegung",
    "auspraegung_label",
    "flag",
)
_REQUIRED = {c.name for c in COLUMNS} - {"einheit"} | {"intern"}


@dataclass(frozen=True)
class PublicValues:
    """The rows that may leave, with counts that reconcile with the input."""

    table: pl.DataFrame
    input_rows: int
    internal_rows: int  # dropped: intern == True or level SCHULE
    flagged_rows: int  # kept, numbers blank
    blanked_numbers: int  # values/numerators/SEs present in flagged rows, removed here


def public_values(values: pl.DataFrame, units: dict[str, str]) -> PublicValues:
    """Filter and clean the long table; ``units`` maps indicator id → einheit."""
    missing = _REQUIRED - set(values.columns)
    if missing:
        raise OpenDataError(
            "Die Indikatorwerte haben nicht die erwarteten Spalten; es fehlen: "
            + ", ".join(sorted(missing))
        )
    unknown = sorted(set(values["indikator"].unique().to_list()) - set(units))
    if unknown:
        raise OpenDataError(
            "Für die Indikatoren " + ", ".join(unknown) + " gibt es keinen Katalogeintrag; ohne "
            "Metadaten werden sie nicht veröffentlicht."
        )
    try:
        # An all-null column arrives as dtype Null (e.g. `se` without estimates): give every
        # column its contract type before rounding and writing.
        values = values.with_columns(
            *[pl.col(c).cast(pl.Float64) for c in _NUMBERS],
            *[pl.col(c).cast(pl.String) for c in _TEXT],
            pl.col("jahr").cast(pl.Int64),
            pl.col("intern").cast(pl.Boolean),
        )
    except pl.exceptions.PolarsError as exc:
        raise OpenDataError(f"Die Indikatorwerte haben unerwartete Spaltentypen: {exc}") from exc
    public = values.filter(
        (pl.col("intern") == False)  # noqa: E712 - a null intern is not public either
        & pl.col("ebene").is_in(PUBLIC_LEVELS)
    )
    flag = pl.col("flag").fill_null("")
    flagged = public.filter(flag != "")
    # The value, numerator and SE of a flagged cell must already be empty: any of them present
    # is a leak upstream and is counted. The denominator is blanked too (the contract publishes
    # none for a flagged cell), without counting it: the engine may keep it as public context.
    blanked = sum(int(flagged[c].is_not_null().sum()) for c in ("wert", "zaehler", "se"))
    bad_flags = sorted(set(flagged["flag"].to_list()) - set(FLAGS))
    if bad_flags:
        raise OpenDataError(
            "Unbekannte Zeichen in der Spalte flag: " + ", ".join(repr(f) for f in bad_flags)
        )
    table = public.with_columns(
        [pl.when(flag == "").then(pl.col(c)).otherwise(None).alias(c) for c in _NUMBERS]
    ).with_columns(
        flag=flag,
        einheit=pl.col("indikator").replace_strict(units, return_dtype=pl.String),
    )
    return PublicValues(
        table=table.select([c.name for c in COLUMNS]),
        input_rows=values.height,
        internal_rows=values.height - public.height,
        flagged_rows=flagged.height,
        blanked_numbers=blanked,
    )


def split_by_indicator(public: pl.DataFrame, digits: dict[str, int]) -> dict[str, pl.DataFrame]:
    """One sorted table per indicator; ``wert`` rounded as the catalogue says, SE one more."""
    order = {lv: i for i, lv in enumerate(PUBLIC_LEVELS)}
    out: dict[str, pl.DataFrame] = {}
    for ind in sorted(public["indikator"].unique().to_list()):
        d = digits[ind]
        part = (
            public.filter(pl.col("indikator") == ind)
            .with_columns(
                pl.col("wert").round(d),
                pl.col("se").round(d + 1),
                _level=pl.col("ebene").replace_strict(order, return_dtype=pl.Int32),
                _total=pl.col("merkmal") != "insgesamt",
            )
            .sort(["jahr", "_level", "ags", "_total", "merkmal", "auspraegung"])
            .drop("_level", "_total")
        )
        if part.select(PRIMARY_KEY).is_duplicated().any():
            raise OpenDataError(
                f"Indikator {ind}: Zeilen mit gleichem Schlüssel ({', '.join(PRIMARY_KEY)}) "
                "kommen mehrfach vor."
            )
        out[ind] = part
    return out
