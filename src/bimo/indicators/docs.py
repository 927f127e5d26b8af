"""Generated catalogue overview in ``docs/indicators.md``.

``python -m bimo.indicators.docs`` rewrites the section between the markers
``<!-- katalog:start -->`` and ``<!-- katalog:end -->``; a test fails when it is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bimo.indicators.catalog import AREAS, Catalog, Declarative, Indicator, load_catalog

START = "<!-- katalog:start -->"
END = "<!-- katalog:end -->"
DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "indicators.md"
REGENERATE = ".venv/bin/python -m bimo.indicators.docs"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _source(ind: Indicator) -> str:
    b = ind.berechnung
    if isinstance(b, Declarative):
        tables = [m.quelle for m in (b.nenner, b.zaehler) if m is not None and m.quelle]
        return ", ".join(dict.fromkeys(t for t in tables if t))
    kind = "additiv" if b.additiv else "nicht additiv"
    return f"`{b.funktion}` ({kind})"


def catalogue_markdown(catalog: Catalog) -> str:
    """Markdown overview of every indicator, grouped by area (deterministic)."""
    lines = [
        f"{len(catalog)} indicators. Generated from `src/bimo/indicators/catalog/` by "
        f"`{REGENERATE}`; do not edit by hand.",
        "",
    ]
    for area, indicators in catalog.by_area().items():
        lines += [f"### {area} – {AREAS[area]}", ""]
        lines += [
            "| ID | Titel | Art | Einheit | Ebenen | Aufgliederungen | Richtung | Berechnung |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for ind in indicators:
            lines.append(
                f"| {ind.id} | {_cell(ind.titel)} | {ind.art} | {ind.einheit} | "
                f"{', '.join(ind.output_levels())} | {', '.join(ind.aufgliederungen) or '–'} | "
                f"{ind.richtung} | {_cell(_source(ind))} |"
            )
        lines.append("")
        for ind in indicators:
            ref = ""
            if ind.referenz is not None:
                r = ind.referenz
                ref = f" Referenz: {r.wert:g} ({r.gebiet} {r.jahr}; {_cell(r.quelle)})."
            nenner = f" Nenner: {_cell(ind.nenner)}." if ind.nenner else ""
            lines.append(
                f"- **{ind.id} {_cell(ind.titel)}**: {_cell(ind.beschreibung)} "
                f"Zähler: {_cell(ind.zaehler)}.{nenner}{ref}"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def current_section(text: str) -> str:
    if START not in text or END not in text:
        raise ValueError(f"markers {START} / {END} missing")
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def rewrite(path: Path = DOC_PATH, catalog: Catalog | None = None) -> bool:
    """Rewrite the generated section; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    generated = catalogue_markdown(catalog or load_catalog())
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    new = f"{head}{START}\n{generated}{END}{tail}"
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


if __name__ == "__main__":
    changed = rewrite()
    sys.stdout.write(f"{DOC_PATH}: {'aktualisiert' if changed else 'unverändert'}\n")
