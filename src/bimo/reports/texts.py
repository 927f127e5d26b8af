"""Generated German sentences: chart descriptions, comparisons, changes, findings, challenges.

The sentences are rule-based (no free text generation): they state what the numbers say and,
using the indicator's ``richtung``, whether a change is favourable. Suppressed values are named as
such and never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bimo.reports.formatting import SYMBOLS, format_change, format_value

__all__ = [
    "Change",
    "assess_change",
    "comparison_sentence",
    "compute_change",
    "series_sentence",
]

# Changes smaller than this share of the earlier value (or 0.05 units in absolute terms) are
# described as "nahezu unverändert": the indicator values are rounded for display anyway.
STABLE_RELATIVE = 0.02
STABLE_ABSOLUTE = 0.05


@dataclass(frozen=True)
class Change:
    """Change of a series between its first and last published value."""

    from_year: str
    to_year: str
    from_value: float
    to_value: float

    @property
    def delta(self) -> float:
        return self.to_value - self.from_value

    @property
    def relative(self) -> float | None:
        return None if self.from_value == 0 else self.delta / abs(self.from_value)

    @property
    def stable(self) -> bool:
        rel = self.relative
        if abs(self.delta) < STABLE_ABSOLUTE:
            return True
        return rel is not None and abs(rel) < STABLE_RELATIVE


def compute_change(series: Sequence[tuple[str, float | None]]) -> Change | None:
    """First → last published value of ``(year label, value)`` pairs (None = not published)."""
    published = [(label, value) for label, value in series if value is not None]
    if len(published) < 2:
        return None
    (first_label, first), (last_label, last) = published[0], published[-1]
    return Change(first_label, last_label, first, last)


def assess_change(change: Change, richtung: str) -> str:
    """``guenstig`` / ``unguenstig`` / ``stabil`` / ``neutral`` for a change and a direction."""
    if change.stable:
        return "stabil"
    if richtung == "neutral":
        return "neutral"
    up = change.delta > 0
    better = up if richtung == "hoeher_besser" else not up
    return "guenstig" if better else "unguenstig"


_ASSESSMENT_TEXT = {
    "guenstig": " Das ist eine günstige Entwicklung.",
    "unguenstig": " Das ist eine ungünstige Entwicklung.",
    "neutral": "",
    "stabil": "",
}


def series_sentence(
    *,
    titel: str,
    region: str,
    series: Sequence[tuple[str, float | None, str]],
    einheit: str,
    decimals: int,
    richtung: str,
    others: Sequence[str] = (),
) -> str:
    """Describe a time series chart: what is shown, the development, gaps.

    ``series`` = (year label, value or None, symbol) of the region, in year order.
    """
    if not series:
        return f"Für {region} liegen zu „{titel}“ keine Werte vor."
    shown = f"{region}" + (f" im Vergleich mit {_join(list(others))}" if others else "")
    text = f"Die Abbildung zeigt „{titel}“ von {series[0][0]} bis {series[-1][0]} für {shown}."
    change = compute_change([(label, value) for label, value, _ in series])
    if change is None:
        published = [(label, v) for label, v, _ in series if v is not None]
        if published:
            label, value = published[0]
            shown_value = format_value(value, einheit, decimals)
            text += f" Veröffentlicht ist nur der Wert für {label}: {shown_value}."
        else:
            text += f" Für {region} ist kein Wert veröffentlichbar."
    elif change.stable:
        text += (
            f" In {region} blieb der Wert nahezu unverändert "
            f"({format_value(change.from_value, einheit, decimals)} im Jahr {change.from_year}, "
            f"{format_value(change.to_value, einheit, decimals)} im Jahr {change.to_year})."
        )
    else:
        verb = "stieg" if change.delta > 0 else "sank"
        text += (
            f" In {region} {verb} der Wert von {format_value(change.from_value, einheit, decimals)}"
            f" ({change.from_year}) auf {format_value(change.to_value, einheit, decimals)}"
            f" ({change.to_year}), also um {format_change(change.delta, einheit, decimals)}."
        )
        text += _ASSESSMENT_TEXT[assess_change(change, richtung)]
    by_symbol: dict[str, list[str]] = {}
    for year, point, symbol in series:
        if point is None:
            by_symbol.setdefault(symbol or ".", []).append(year)
    if by_symbol:
        parts = [
            f"{_join(labels)} (Zeichen „{symbol}“: {SYMBOLS.get(symbol, 'kein Wert')})"
            for symbol, labels in by_symbol.items()
        ]
        single = sum(len(v) for v in by_symbol.values()) == 1
        subject = "ist der Wert" if single else "sind die Werte"
        text += f" Nicht dargestellt (Lücke in der Linie) {subject} für " + _join(parts) + "."
    return text


def comparison_sentence(
    *,
    region: str,
    year: str,
    value: float | None,
    comparisons: Sequence[tuple[str, float | None]],
    einheit: str,
    decimals: int,
) -> str:
    """Compare the region's latest value with Land, Kreistyp, national reference."""
    if value is None:
        return f"Für {region} ist für {year} kein Wert veröffentlichbar; ein Vergleich entfällt."
    parts: list[str] = []
    for name, other in comparisons:
        if other is None:
            continue
        # Compare what the reader sees: the values rounded to the displayed decimals.
        shown, shown_other = round(value, decimals), round(other, decimals)
        if shown == shown_other:
            relation = "gleichauf mit"
        elif shown > shown_other:
            relation = "über"
        else:
            relation = "unter"
        parts.append(f"{relation} dem Wert für {name} ({format_value(other, einheit, decimals)})")
    head = f"{year} lag der Wert für {region} bei {format_value(value, einheit, decimals)}"
    if not parts:
        return head + "."
    return head + " und damit " + _join(parts) + "."


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " und " + items[-1]
