"""German number, unit, year and symbol formatting for reports."""

from __future__ import annotations

import math

__all__ = [
    "SYMBOLS",
    "UNIT_LABELS",
    "UNIT_SUFFIX",
    "format_change",
    "format_number",
    "format_value",
    "year_label",
]

# Official symbols of the statistical offices (Zeichenerklärung), used in tables and footnotes.
SYMBOLS: dict[str, str] = {
    ".": "Zahlenwert unbekannt oder geheim zu halten (Geheimhaltung, zu kleine Fallzahl)",
    "/": "keine Angabe, da Zahlenwert nicht sicher genug",
    "-": "nichts vorhanden (genau null)",
}

UNIT_LABELS: dict[str, str] = {
    "prozent": "Prozent",
    "anzahl": "Anzahl",
    "je_1000": "je 1.000",
    "verhaeltnis": "Verhältnis",
    "punkte": "Punkte",
}

UNIT_SUFFIX: dict[str, str] = {
    "prozent": " %",
    "anzahl": "",
    "je_1000": " je 1.000",
    "verhaeltnis": "",
    "punkte": " Punkte",
}


def format_number(value: float | None, decimals: int = 1) -> str:
    """German format: decimal comma, dot as thousands separator (``1.234,5``); None → ``""``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{value:,.{max(decimals, 0)}f}"
    # swap separators via a placeholder: 1,234.5 → 1.234,5
    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return "−" + text[1:] if text.startswith("-") else text


def format_value(value: float | None, einheit: str, decimals: int) -> str:
    """Number with its unit, e.g. ``12,3 %`` or ``1.234``."""
    if value is None:
        return ""
    # No-break space between number and unit: "12,3 %" must not wrap.
    return format_number(value, decimals) + UNIT_SUFFIX.get(einheit, "").replace(" ", "\u00a0")


def format_change(delta: float, einheit: str, decimals: int) -> str:
    """A difference with sign and unit; percentages are Prozentpunkte."""
    sign = "+" if delta > 0 else ""
    number = format_number(delta, decimals)
    unit = " Prozentpunkte" if einheit == "prozent" else UNIT_SUFFIX.get(einheit, "")
    return f"{sign}{number}{unit}".replace(" ", "\u00a0", 1)


def year_label(jahr: int, zeitbezug: str) -> str:
    """``2024/25`` for school years (starting year), ``2024`` for calendar years."""
    if zeitbezug == "schuljahr":
        return f"{jahr}/{(jahr + 1) % 100:02d}"
    return str(jahr)
