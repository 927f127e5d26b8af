"""Checks on the column names of an input file (before any row is read)."""

from __future__ import annotations

from collections.abc import Sequence

from bimo.core.errors import InputFileError, Location
from bimo.core.schemas import IDENTIFYING_COLUMNS, TableSpec


def normalise_name(name: object) -> str:
    """Column names are matched case-insensitively after trimming (and dropping a BOM)."""
    return str(name if name is not None else "").replace("\ufeff", "").strip().lower()


def check_header(raw_names: Sequence[object], spec: TableSpec, file: str) -> list[str]:
    """Return the canonical column names in file order, or refuse the whole file.

    Order of the checks matters for the message: identifying columns are named first because
    they are a privacy problem, not a formatting one.
    """
    loc = Location(file, row=1)
    names = [normalise_name(n) for n in raw_names]
    if not any(names):
        raise InputFileError(loc, "Die Kopfzeile ist leer; erwartet werden die Spaltennamen.")
    identifying = sorted(set(names) & IDENTIFYING_COLUMNS)
    if identifying:
        raise InputFileError(
            loc,
            f"Die Datei enthält identifizierende Spalten ({', '.join(identifying)}). "
            "Identitätsdaten (Namen, Geburtsdatum, Anschrift, schulinterne Kennungen) gelangen "
            "nie in den Analysebestand; sie verbleiben bei der Schule bzw. der Vertrauensstelle. "
            "Bitte diese Spalten entfernen und nur pseudonymisierte Daten einlesen.",
        )
    if "" in names:
        pos = names.index("") + 1
        raise InputFileError(loc, f"Spalte {pos} der Kopfzeile hat keinen Namen.")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputFileError(loc, f"Doppelte Spaltennamen: {', '.join(duplicated)}.")
    unknown = [n for n in names if n not in spec.column_names]
    if unknown:
        raise InputFileError(
            loc,
            f"Unbekannte Spalten für Tabelle {spec.name}: {', '.join(unknown)}. Sie werden "
            "nicht stillschweigend übergangen, weil sie identifizierende Angaben enthalten "
            f"könnten. Erlaubt sind: {', '.join(spec.column_names)}.",
        )
    missing = [c for c in spec.required_columns if c not in names]
    if missing:
        raise InputFileError(
            loc, f"Pflichtspalten fehlen für Tabelle {spec.name}: {', '.join(missing)}."
        )
    return names
