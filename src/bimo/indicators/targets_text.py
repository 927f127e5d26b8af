"""German sentences for target statuses: numbers in German format, plain words.

Split from :mod:`bimo.indicators.targets` (which computes the statuses) so that the wording can
be reviewed on its own; the types are only used in annotations here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from bimo.indicators.targets import IndicatorInfo, Target, TargetStatus

MIN_YEARS = 3  # a straight line through two points has no uncertainty to speak of

_FLAG_MEANING = {
    ".": "aus Gründen der Geheimhaltung gesperrt",
    "/": "als nicht sicher genug gekennzeichnet",
    "-": "nicht vorhanden",
    "": "nicht vorhanden",
}


def format_number(value: float, digits: int) -> str:
    """German number format: decimal comma, dot as thousands separator (``1.234,5``)."""
    text = f"{abs(value):,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    negative = value < 0 and any(ch not in "0,." for ch in text)
    return f"−{text}" if negative else text


def _digits(info: IndicatorInfo) -> int:
    return (
        max(1, int(info.nachkommastellen))
        if info.einheit == "prozent"
        else int(info.nachkommastellen)
    )


def _value(value: float, info: IndicatorInfo) -> str:
    number = format_number(value, _digits(info))
    suffix = {"prozent": " %", "je_1000": " je 1.000", "punkte": " Punkte"}.get(info.einheit, "")
    return number + suffix


def _slope_digits(info: IndicatorInfo) -> int:
    # Shares: 0,6 Prozentpunkte; other units get one more decimal than their values.
    return _digits(info) + (0 if info.einheit == "prozent" else 1)


def _change(value: float, info: IndicatorInfo) -> str:
    number = format_number(abs(value), _slope_digits(info))
    unit = {
        "prozent": "Prozentpunkte",
        "punkte": "Punkte",
        "je_1000": "Punkte (je 1.000)",
    }.get(info.einheit, "")
    return f"{number} {unit}".rstrip()


def year_label(year: int, info: IndicatorInfo) -> str:
    if info.zeitbezug == "schuljahr":
        return f"{year}/{(year + 1) % 100:02d}"
    return str(year)


def _in_year(year: int, info: IndicatorInfo) -> str:
    return (
        f"im Schuljahr {year_label(year, info)}"
        if info.zeitbezug == "schuljahr"
        else (f"im Jahr {year}")
    )


def text_no_baseline(info: IndicatorInfo, target: Target, series: pl.DataFrame) -> str:
    if series.is_empty():
        return (
            f"Für „{info.titel}“ liegen in dieser Region keine Werte vor; der Stand des Ziels "
            "kann nicht bestimmt werden."
        )
    when = (
        _in_year(target.basisjahr, info)
        if target.basisjahr is not None
        else f"ab {year_label(target.basis_ab, info)}"
    )
    return (
        f"Für „{info.titel}“ gibt es {when} keinen veröffentlichten Wert als Basis; der Stand "
        "des Ziels kann nicht bestimmt werden."
    )


def text_suppressed_latest(info: IndicatorInfo, year: int, flag: str) -> str:
    meaning = _FLAG_MEANING.get(flag, "nicht veröffentlicht")
    return (
        f"Der Wert für „{info.titel}“ {_in_year(year, info)} ist {meaning}; ohne ihn lässt sich "
        "der Stand des Ziels nicht beurteilen."
    )


def text_too_few(
    info: IndicatorInfo, target: Target, basisjahr: int, usable: int, total: int
) -> str:
    blocked = total - usable
    extra = f" ({blocked} weitere gesperrt)" if blocked > 0 else ""
    return (
        f"Für „{info.titel}“ liegen seit {year_label(basisjahr, info)} erst {usable} "
        "veröffentlichte "
        f"Jahreswerte vor{extra}; für eine Trendaussage werden mindestens {MIN_YEARS} benötigt."
    )


def _trend_phrase(slope: float, info: IndicatorInfo) -> str:
    if round(abs(slope), _slope_digits(info)) == 0:
        return "ist er nahezu unverändert"
    verb = "steigt" if slope > 0 else "sinkt"
    return f"{verb} er um {_change(slope, info)} je Jahr"


def text_status_text(info: IndicatorInfo, target: Target, s: TargetStatus) -> str:
    assert s.letztes_jahr is not None and s.letzter_wert is not None
    assert s.basisjahr is not None and s.basiswert is not None and s.zielwert is not None
    assert s.trend_steigung is not None and s.projektion is not None
    assert s.projektion_unten is not None and s.projektion_oben is not None
    first = (
        f"„{info.titel}“ lag {_in_year(s.letztes_jahr, info)} bei "
        f"{_value(s.letzter_wert, info)} (Basis {year_label(s.basisjahr, info)}: "
        f"{_value(s.basiswert, info)})."
    )
    goal = f"das Ziel von {_value(s.zielwert, info)} {_in_year(s.zieljahr, info)}"
    trend = _trend_phrase(s.trend_steigung, info)
    d = target.sign
    reached_now = d * (s.letzter_wert - s.zielwert) >= -1e-9
    remaining = s.zieljahr - s.letztes_jahr
    if reached_now:
        second = f"Damit ist {goal} bereits erreicht; bisher {trend}."
        return f"{first} {second}"
    if remaining > 0:
        needed = (s.zielwert - s.letzter_wert) / remaining
        verb = "steigen" if needed > 0 else "sinken"
        second = (
            f"Um {goal} zu erreichen, müsste der Wert ab jetzt jährlich um "
            f"{_change(needed, info)} {verb}; bisher {trend}."
        )
    else:
        second = f"Das Zieljahr ist erreicht, {goal} aber nicht; bisher {trend}."
    interval = f"90-%-Intervall {_value(s.projektion_unten, info)} bis " + _value(
        s.projektion_oben, info
    )
    projected = f"{_value(s.projektion, info)} {_in_year(s.zieljahr, info)}"
    if s.status == "gruen":
        if d * (s.projektion - s.zielwert) >= -1e-9:
            third = (
                f"Bei diesem Trend wird das Ziel voraussichtlich erreicht (Projektion "
                f"{projected}, {interval})."
            )
        else:
            assert s.soll_aktuell is not None
            ahead = abs(s.letzter_wert - s.soll_aktuell)
            third = (
                f"Der aktuelle Wert liegt {_change(ahead, info)} vor dem Zielpfad (Soll "
                f"{_value(s.soll_aktuell, info)}); setzt sich nur der bisherige Trend fort, "
                f"würden {projected} erreicht."
            )
    elif s.status == "gelb":
        third = (
            f"Der Trend bleibt hinter dem nötigen Pfad zurück (Projektion {projected}), das Ziel "
            f"liegt aber noch im {interval} und ist erreichbar, wenn sich die Entwicklung "
            "beschleunigt."
        )
    else:
        optimistic = s.projektion_oben if d > 0 else s.projektion_unten
        third = (
            f"Bei diesem Trend wird das Ziel voraussichtlich verfehlt: projiziert sind "
            f"{projected}, und selbst der günstige Rand des 90-%-Intervalls "
            f"({_value(optimistic, info)}) verfehlt das Ziel."
        )
    return f"{first} {second} {third}"
