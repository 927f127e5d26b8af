"""Test helpers: a long synthetic questionnaire for careless-responder detection."""

from __future__ import annotations

from bimo.surveys.instrument import Instrument, parse_instrument


def long_instrument(n_scales: int = 6, n_items: int = 5) -> Instrument:
    lines = [
        "id: testbogen",
        "titel: Testbogen",
        'version: "0.1"',
        "beschreibung: Synthetischer Fragebogen nur für Tests.",
        "hinweis: Keine Diagnose, kein Ranking.",
        'jahrgangsbaender: ["7-13"]',
        "skalen:",
    ]
    for s in range(n_scales):
        lines += [
            f"  - id: s{s}",
            f"    titel: Skala {s}",
            "    konstrukt: Test",
            "    verwendung: Test",
            "    antwortformat: likert4",
            "    min_beantwortet: 3",
            "    items:",
        ]
        for j in range(n_items):
            lines += [
                f"      - id: s{s}i{j}",
                f"        umgepolt: {'true' if j == 1 else 'false'}",
                "        text:",
                f'          "7-13": "Aussage {j} der Skala {s}"',
            ]
    return parse_instrument("\n".join(lines) + "\n", "testbogen.yaml")
