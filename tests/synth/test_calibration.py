"""Calibration: the moderate run meets every published target within its tolerance."""

from __future__ import annotations

from pathlib import Path

import pytest

from bimo.core.errors import BimoError
from bimo.synth import check, load_targets, markdown
from bimo.synth.calibration import main


def test_targets_come_from_the_reference_files() -> None:
    targets = {t.key: t for t in load_targets()}
    assert targets["wiederholer"].value == pytest.approx(2.3)
    assert targets["wiederholer_m"].value == pytest.approx(2.5)
    assert targets["uebergang_gy"].value == pytest.approx(40.0)
    assert targets["foerderquote"].value == pytest.approx(7.8)
    assert targets["exklusionsquote"].value == pytest.approx(4.3)
    assert targets["u3"].value == pytest.approx(36.4)
    assert 6.2 <= targets["ohne_esa"].value <= 6.8


def test_missing_reference_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BimoError, match="Referenzdatei"):
        load_targets(tmp_path)


def test_moderate_run_is_within_tolerance(out_dir: Path) -> None:
    results = check(out_dir)
    failed = [
        f"{r.target.label}: {r.achieved:.2f} (Ziel {r.target.value} ± {r.target.tolerance})"
        for r in results
        if not r.ok
    ]
    assert not failed, failed
    assert len(results) >= 12


def test_markdown_table_and_module_entry_point(
    out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = markdown(out_dir)
    assert text.startswith("| Kennzahl | Ziel |")
    assert "Wiederholerquote" in text and "Ganztagsteilnahme" in text
    assert main([str(out_dir)]) == 0
    assert "Gymnasium" in capsys.readouterr().out
    assert main([str(out_dir / "gibt-es-nicht")]) == 2
