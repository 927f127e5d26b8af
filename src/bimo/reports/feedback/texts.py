"""German reading aids and chart descriptions of the feedback report (rule-based sentences)."""

from __future__ import annotations

from collections.abc import Sequence

from bimo.reports.feedback.fair import COVARIATE_LABELS
from bimo.reports.feedback.model import FairResult, GroupResult, ItemRow
from bimo.reports.formatting import format_number


def pts(value: float | None) -> str:
    """A score on the reporting metric: whole points."""
    return format_number(value, 0)


def pct(value: float | None) -> str:
    return format_number(value, 1)


def mean_vs_land_sentence(group: GroupResult, land: GroupResult) -> str:
    """Where a group's mean lies relative to the Land mean."""
    if group.mean is None or land.mean is None or group.vs_land is None:
        return ""
    who = "Ihrer Schule" if group.kind == "schule" else f"der {group.label}"
    where = {
        "hoeher": "liegt deutlich über dem Landesmittel",
        "niedriger": "liegt deutlich unter dem Landesmittel",
        "": "unterscheidet sich nicht deutlich vom Landesmittel",
    }[group.vs_land.direction]
    return (
        f"Der Mittelwert {who} ({pts(group.mean.value)} Punkte) {where} "
        f"({pts(land.mean.value)} Punkte)."
    )


def levels_sentence(group: GroupResult, land: GroupResult) -> str:
    """Shares below the Mindeststandard and at least at the Regelstandard, next to the Land."""
    if group.below_minimum is None or group.at_or_above_regular is None:
        return ""
    who = "Ihrer Schule" if group.kind == "schule" else f"der {group.label}"
    text = (
        f"{pct(group.at_or_above_regular.value)} % der getesteten Schülerinnen und Schüler "
        f"{who} erreichen mindestens den Regelstandard, "
        f"{pct(group.below_minimum.value)} % verfehlen den Mindeststandard"
    )
    if land.at_or_above_regular is not None and land.below_minimum is not None:
        text += (
            f" (Land: {pct(land.at_or_above_regular.value)} % bzw. "
            f"{pct(land.below_minimum.value)} %)"
        )
    return text + "."


def level_chart_description(groups: Sequence[GroupResult], hidden: Sequence[str]) -> str:
    parts = [
        "Gestapelte Balken: Für jede Gruppe ist die Verteilung der getesteten Schülerinnen und "
        "Schüler auf die Kompetenzstufen dargestellt (von links: unterste Stufe)."
    ]
    for g in groups:
        if g.below_minimum is not None and g.at_or_above_regular is not None:
            parts.append(
                f"{g.label}: {pct(g.below_minimum.value)} % unter dem Mindeststandard, "
                f"{pct(g.at_or_above_regular.value)} % mindestens im Regelstandard."
            )
    if hidden:
        parts.append(f"Nicht dargestellt (zu kleine Gruppen): {', '.join(hidden)}.")
    return " ".join(parts)


def fair_sentence(fair: FairResult) -> str:
    """The plain-German reading aid of the fair comparison."""
    if fair.suppressed or fair.observed is None:
        return fair.note
    interval = (
        f"Erwartungsbereich {pts(fair.lower)} bis {pts(fair.upper)} Punkte, "
        f"erwarteter Wert {pts(fair.expected)} Punkte"
    )
    head = f"Der Mittelwert Ihrer Schule ({pts(fair.observed)} Punkte) liegt"
    if fair.classification == "within":
        return (
            f"{head} im Erwartungsbereich ({interval}). Ihre Schülerinnen und Schüler erreichen "
            "damit Ergebnisse, wie sie an Schulen mit einer ähnlich zusammengesetzten "
            "Schülerschaft üblich sind."
        )
    if fair.classification == "above":
        return (
            f"{head} oberhalb des Erwartungsbereichs ({interval}). Ihre Schülerinnen und "
            "Schüler erreichen im Mittel mehr, als an Schulen mit einer ähnlich "
            "zusammengesetzten Schülerschaft üblich ist."
        )
    return (
        f"{head} unterhalb des Erwartungsbereichs ({interval}). Ihre Schülerinnen und Schüler "
        "erreichen im Mittel weniger, als an Schulen mit einer ähnlich zusammengesetzten "
        "Schülerschaft üblich ist. Das ist ein Anlass, genauer hinzuschauen – kein Urteil "
        "über die Arbeit der Schule: Auch Merkmale, die der Vergleich nicht kennt, wirken sich "
        "auf die Ergebnisse aus."
    )


def fair_chart_description(fair: FairResult, land_mean: float | None) -> str:
    if fair.observed is None:
        return ""
    text = (
        f"Waagerechte Achse in Punkten. Der hellblaue Balken zeigt den Erwartungsbereich von "
        f"{pts(fair.lower)} bis {pts(fair.upper)} Punkten, der senkrechte Strich darin den "
        f"erwarteten Wert ({pts(fair.expected)} Punkte), die Raute den Mittelwert Ihrer "
        f"Schule ({pts(fair.observed)} Punkte)."
    )
    if land_mean is not None:
        text += f" Die gestrichelte Linie markiert das Landesmittel ({pts(land_mean)} Punkte)."
    return text


def covariate_text(covariates: Sequence[str]) -> str:
    names = [COVARIATE_LABELS[c] for c in covariates]
    if not names:
        return "keine Merkmale"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " und " + names[-1]


def item_chart_description(items: Sequence[ItemRow]) -> str:
    shown = [it for it in items if it.school.p is not None]
    higher = [it.item for it in shown if it.school.notable == "hoeher"]
    lower = [it.item for it in shown if it.school.notable == "niedriger"]
    text = (
        f"Punktdiagramm der Lösungshäufigkeiten von {len(items)} Aufgaben, von der im Land "
        "leichtesten (oben) zur schwersten (unten): Kreis = Ihre Schule, Quadrat = Land."
    )
    if len(shown) < len(items):
        text += (
            f" Für {len(items) - len(shown)} Aufgaben wird der Wert Ihrer Schule nicht "
            "ausgewiesen (zu wenige Bearbeitungen)."
        )
    text += (
        f" Auffällig höher als im Land: {', '.join(higher) if higher else 'keine Aufgabe'}."
        f" Auffällig niedriger: {', '.join(lower) if lower else 'keine Aufgabe'}."
    )
    return text
