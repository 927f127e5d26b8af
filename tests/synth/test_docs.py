"""docs/musterland.md documents every file and every kind of dirt the generator writes."""

from __future__ import annotations

from pathlib import Path

from bimo.synth import SynthResult
from bimo.synth._dirty import _STUDENT_DEFECTS

DOC = Path(__file__).parents[2] / "docs" / "musterland.md"


def test_every_written_file_is_documented(musterland: SynthResult) -> None:
    text = DOC.read_text("utf-8")
    for path in musterland.out.rglob("*"):
        if path.is_file() and not path.name.endswith("_manifest.json"):
            assert path.name in text, path.name


def test_every_defect_type_is_documented() -> None:
    text = DOC.read_text("utf-8")
    for defect, _column, action in _STUDENT_DEFECTS:
        assert f"`{defect}`" in text, defect
        assert action in text


def test_calibration_section_names_the_command() -> None:
    text = DOC.read_text("utf-8")
    assert "python -m bimo.synth.calibration" in text
    assert "| Wiederholerquote Jgst. 3–13 (%) |" in text
