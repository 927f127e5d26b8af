"""Survey reports as tagged, German PDF (PDF/UA-1 via :func:`bimo.reports.render.render_pdf`).

The PDF shows exactly what the protected report objects hold (:mod:`bimo.surveys.reporting`):
suppressed cells are printed as ``.`` with the official symbol explanation, nothing else is
computed here.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from bimo.reports.formatting import SYMBOLS
from bimo.reports.render import render_pdf
from bimo.surveys.analysis import MeanCI
from bimo.surveys.instrument import Instrument
from bimo.surveys.reporting import (
    ClassReport,
    DistributionCell,
    LandReport,
    ScaleBreakdown,
    ScaleReport,
    SchoolReport,
)

__all__ = ["class_report_html", "class_report_pdf", "land_report_pdf", "school_report_pdf"]

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_BAR_MM = 60.0


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}".replace(".", ",").replace("-", "−")


def _ci(mean: MeanCI) -> str:
    return f"{_num(mean.lower)} bis {_num(mean.upper)}"


@dataclass(frozen=True)
class _Bar:
    label: str
    count: str
    width: float


def _distribution(cells: list[DistributionCell]) -> list[_Bar]:
    total = next((c.count for c in cells if c.label == "Insgesamt"), None) or 0
    out = []
    for c in cells:
        label = c.label.replace(".", ",").replace("–", " bis ")
        count = "." if c.count is None else ("-" if c.flag == "-" else str(c.count))
        share = (c.count or 0) / total if total and c.label != "Insgesamt" else 0.0
        out.append(_Bar(label, count, round(share * _BAR_MM, 1)))
    return out


def _class_scale(scale: ScaleReport) -> dict[str, Any]:
    if scale.withheld or scale.mean is None:
        return {"title": scale.title, "construct": scale.construct, "withheld": scale.withheld}
    facts: list[tuple[str, str]] = [
        ("Antworten", str(scale.mean.n)),
        ("Mittelwert", _num(scale.mean.mean)),
        ("95-%-Konfidenzintervall", _ci(scale.mean)),
        ("Standardabweichung", _num(scale.mean.sd)),
    ]
    if scale.alpha is not None:
        ci = f" ({_num(scale.alpha_ci[0])} bis {_num(scale.alpha_ci[1])})" if scale.alpha_ci else ""
        facts.append(("Cronbachs Alpha (95-%-KI)", _num(scale.alpha) + ci))
    facts.append(("McDonalds Omega", _num(scale.omega)))
    for ref in (scale.school, scale.land):
        if ref is not None:
            facts.append((f"Vergleich: {ref.label}", f"{_num(ref.mean)} ({ref.n} Antworten)"))
    if scale.change is not None:
        ch = scale.change.change
        facts.append(
            (
                f"Veränderung seit {scale.change.previous_label}",
                f"{_num(ch.difference)} (95-%-KI {_num(ch.lower)} bis {_num(ch.upper)})",
            )
        )
    return {
        "title": scale.title,
        "construct": scale.construct,
        "withheld": None,
        "categories": scale.categories,
        "facts": facts,
        "breakdown": [],
        "distribution": _distribution(scale.distribution),
        "items": [
            (
                i.text + (" (umgepolt ausgewertet)" if i.reversed else ""),
                _num(i.mean),
                _num(i.sd),
                _num(i.item_total),
            )
            for i in scale.items
        ],
    }


def _breakdown_scale(scale: ScaleBreakdown) -> dict[str, Any]:
    if scale.withheld or scale.total is None:
        return {"title": scale.title, "construct": scale.construct, "withheld": scale.withheld}
    facts = [
        ("Antworten", str(scale.total.n)),
        ("Mittelwert", _num(scale.total.mean)),
        ("95-%-Konfidenzintervall", _ci(scale.total)),
        ("Standardabweichung", _num(scale.total.sd)),
        ("Cronbachs Alpha", _num(scale.alpha)),
        ("McDonalds Omega", _num(scale.omega)),
    ]
    rows = [
        (
            c.label,
            "." if c.n is None else str(c.n),
            "." if c.mean is None else _num(c.mean.mean),
            "." if c.mean is None else _ci(c.mean),
        )
        for c in scale.cells
    ]
    return {
        "title": scale.title,
        "construct": scale.construct,
        "withheld": None,
        "categories": scale.categories,
        "facts": facts,
        "breakdown": rows,
        "distribution": _distribution(scale.distribution),
        "items": [],
    }


_NOTES = [
    "Skalenwerte sind Mittelwerte der Aussagen einer Skala (umgepolte Aussagen umgedreht), "
    "von 1 (stimmt nicht) bis zur höchsten Stufe. Das 95-%-Konfidenzintervall zeigt, wie "
    "genau der Mittelwert bei dieser Zahl von Antworten bestimmt ist.",
    "Cronbachs Alpha und McDonalds Omega beschreiben die Zuverlässigkeit einer Skala "
    "(ab etwa 0,70 gut brauchbar); bei kleinen Gruppen schwanken sie stark.",
    f"Zeichen: „.“ {SYMBOLS['.']}; „-“ {SYMBOLS['-']}. Gruppen mit weniger Antworten als der "
    "Mindestzahl und Zellen, aus denen sich solche Gruppen errechnen ließen, werden gesperrt.",
]


def class_report_html(report: ClassReport, instrument: Instrument) -> str:
    title = f"Umfrageergebnisse Klasse {report.klasse} – {instrument.titel}"
    participation = [
        f"{report.n} Antworten. Ergebnisse werden ab {report.minimum} Antworten gezeigt.",
    ]
    if report.careless:
        participation.append(
            f"{report.careless} Antwortbögen zeigen Auffälligkeiten (z. B. immer dieselbe "
            "Antwort). Sie sind mitgezählt; die Markierung ist ein Hinweis, keine Bewertung."
        )
    return _ENV.get_template("umfrage_bericht.html.j2").render(
        title=title,
        heading=f"Umfrageergebnisse der Klasse {report.klasse}",
        subheading=f"{instrument.titel} · Schule {report.schulnummer} · {report.label}",
        footer=f"Klasse {report.klasse} · {report.label} · vertraulich",
        hint=report.hint,
        participation=participation,
        scales=[_class_scale(s) for s in report.scales],
        open_texts=report.open_texts,
        open_texts_note=report.open_texts_note,
        notes=_NOTES,
    )


def _aggregate_html(report: SchoolReport | LandReport, instrument: Instrument) -> str:
    if isinstance(report, SchoolReport):
        who = f"Schule {report.schulnummer}"
        units = f"{report.n_classes} Klassen"
    else:
        who = "Land"
        units = f"{report.n_schools} Schulen"
    return _ENV.get_template("umfrage_bericht.html.j2").render(
        title=f"Umfrageergebnisse {who} – {instrument.titel}",
        heading=f"Umfrageergebnisse: {who}",
        subheading=f"{instrument.titel} · {report.period}",
        footer=f"{who} · {report.period}",
        hint=report.hint,
        participation=[
            f"{report.n} Antworten aus {units} (freigegebene, beendete Befragungen). "
            f"Jede gezeigte Gruppe umfasst mindestens {report.minimum} Antworten und mindestens "
            "zwei Klassen bzw. Schulen."
        ],
        scales=[_breakdown_scale(s) for s in report.scales],
        open_texts=None,
        open_texts_note="",
        notes=_NOTES,
    )


def _pdf(html: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="bimo-umfrage-") as tmp:
        path = render_pdf(html, Path(tmp) / "bericht.pdf")
        return path.read_bytes()


def class_report_pdf(report: ClassReport, instrument: Instrument) -> bytes:
    """The teacher's class report as PDF (with the open answers if the report holds them)."""
    return _pdf(class_report_html(report, instrument))


def school_report_pdf(report: SchoolReport, instrument: Instrument) -> bytes:
    return _pdf(_aggregate_html(report, instrument))


def land_report_pdf(report: LandReport, instrument: Instrument) -> bytes:
    return _pdf(_aggregate_html(report, instrument))
