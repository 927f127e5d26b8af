"""The bundled reference figures must equal the project's shared reference folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bimo.synth.calibration import DEFAULT_REFERENCE_DIR

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/reference liegt nicht neben dem Checkout")
@pytest.mark.parametrize("name", sorted(p.name for p in DEFAULT_REFERENCE_DIR.glob("*.csv")))
def test_bundled_copy_matches_shared(name: str) -> None:
    assert (DEFAULT_REFERENCE_DIR / name).read_bytes() == (SHARED / name).read_bytes()


def test_bundle_is_complete() -> None:
    assert (DEFAULT_REFERENCE_DIR / "national_headline_figures.csv").is_file()
