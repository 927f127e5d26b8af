"""docs/import.md documents every cross-field rule with its German message."""

from __future__ import annotations

from pathlib import Path

from bimo.ingest import RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "import.md"


def test_every_rule_message_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for rule in RULES:
        assert f"| {rule.table} | {rule.column} |" in text, rule
        assert rule.message in text, rule.message
