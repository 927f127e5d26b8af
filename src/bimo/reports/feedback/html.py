"""HTML of the feedback report (Jinja2 template ``templates/rueckmeldung.html.j2``).

The HTML is self-contained (charts as SVG ``data:`` URIs in ``<img>`` with alt text, so the PDF
tags them as figures) and is the input of the PDF renderer. Numbers are formatted the German way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache

import jinja2
from markupsafe import Markup, escape

from bimo.reports.charts import svg_data_uri, to_svg
from bimo.reports.feedback import charts, texts
from bimo.reports.feedback.fair import COVARIATE_LABELS, COVARIATES
from bimo.reports.feedback.model import GroupResult, ItemValue, SchoolFeedback
from bimo.reports.formatting import format_number


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bimo.reports.feedback", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _signed(decimals: int) -> Callable[[float | None], str]:
    def fmt(value: float | None) -> str:
        if value is None:
            return ""
        text = format_number(value, decimals)
        if not text.strip("−0,"):
            return "±0" if decimals == 0 else "±" + text.lstrip("−")
        return f"+{text}" if value > 0 else text

    return fmt


def _item_cell(value: ItemValue) -> Markup:
    if value.p is None:
        symbol = "." if value.hidden else "–"
        return Markup('<td class="num">{}</td>').format(symbol)
    mark = Markup("")
    if value.notable == "hoeher":
        mark = Markup(
            ' <span class="mark">▲</span><span class="visually-hidden"> auffällig höher</span>'
        )
    elif value.notable == "niedriger":
        mark = Markup(
            ' <span class="mark">▼</span><span class="visually-hidden"> auffällig niedriger</span>'
        )
    return Markup('<td class="num">{}{}</td>').format(format_number(value.p, 1), mark)


def _item_summary(fb: SchoolFeedback) -> str:
    shown = [it for it in fb.items if it.school.p is not None]
    if not fb.items:
        return "Ergebnisse auf Aufgabenebene liegen nicht vor."
    if not shown:
        return "Lösungshäufigkeiten Ihrer Schule werden für keine Aufgabe ausgewiesen."
    higher = sum(it.school.notable == "hoeher" for it in shown)
    lower = sum(it.school.notable == "niedriger" for it in shown)
    if higher + lower == 0:
        return (
            f"Bei keiner der {len(shown)} ausgewiesenen Aufgaben weicht die Lösungshäufigkeit "
            "Ihrer Schule auffällig vom Land ab."
        )
    return (
        f"Von {len(shown)} ausgewiesenen Aufgaben löst Ihre Schule {higher} auffällig besser "
        f"und {lower} auffällig schlechter als das Land (siehe Abschnitt 4)."
    )


def render_html(fb: SchoolFeedback, *, created: date | None = None) -> str:
    """The complete HTML document of one school's report."""
    land_mean = fb.land.mean.value if fb.land.mean is not None else None
    groups: list[GroupResult] = [fb.school, *fb.classes]
    if fb.kreis is not None:
        groups.append(fb.kreis)
    groups.append(fb.land)
    shown = [g for g in groups if not g.suppressed]
    hidden = [g.label for g in groups if g.suppressed]

    level_chart = level_alt = ""
    if not fb.school.suppressed:
        level_chart = svg_data_uri(to_svg(charts.level_chart_spec(shown)))
        level_alt = texts.level_chart_description(shown, hidden)
    fair_chart = fair_alt = ""
    if not fb.fair.suppressed:
        fair_chart = svg_data_uri(to_svg(charts.fair_chart_spec(fb.fair, land_mean)))
        fair_alt = texts.fair_chart_description(fb.fair, land_mean)
    item_chart = item_alt = ""
    if fb.items and not fb.school.suppressed:
        item_chart = svg_data_uri(to_svg(charts.item_chart_spec(fb.items)))
        item_alt = texts.item_chart_description(fb.items)

    title = f"Rückmeldung {fb.erhebung} – {fb.school_name}"
    schuljahr_label = f"{fb.schuljahr}/{(fb.schuljahr + 1) % 100:02d}"
    header = f"Rückmeldung {fb.erhebung} · {fb.school_name}".replace('"', "'")
    summary = {
        "levels": texts.levels_sentence(fb.school, fb.land),
        "mean": texts.mean_vs_land_sentence(fb.school, fb.land),
        "fair": texts.fair_sentence(fb.fair),
        "aufgaben": _item_summary(fb),
    }
    # Classes whose results are all hidden get no column in the item table (only dots).
    item_classes = [
        k for k in fb.class_labels if any(it.classes[k].p is not None for it in fb.items)
    ]
    template = _environment().get_template("rueckmeldung.html.j2")
    return template.render(
        fb=fb,
        title=title,
        header_text=escape(header),
        schuljahr_label=schuljahr_label,
        created=(created or date.today()).strftime("%d.%m.%Y"),
        summary=summary,
        levels=list(zip(fb.level_codes, fb.level_labels, strict=True)),
        level_rows=groups,
        level_chart=level_chart,
        level_chart_alt=level_alt,
        fair_chart=fair_chart,
        fair_chart_alt=fair_alt,
        item_chart=item_chart,
        item_chart_alt=item_alt,
        item_classes=item_classes,
        covariates=texts.covariate_text(fb.fair.covariates),
        composition=[(c, COVARIATE_LABELS[c]) for c in COVARIATES],
        fair_level=format_number(fb.fair.level * 100, 0),
        z_text=format_number(fb.comparison_z, 2),
        item_min=format_number(fb.item_min_difference, 0),
        item_z=format_number(fb.item_z, 0),
        pct=texts.pct,
        pts=texts.pts,
        signed=_signed(0),
        signed1=_signed(1),
        item_cell=_item_cell,
    )
