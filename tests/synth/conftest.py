"""Fixtures: one moderate Musterland run shared by the synth tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from bimo.synth import SynthConfig, SynthResult, generate


@pytest.fixture(scope="session")
def musterland(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """20,000 students × 8 school years: large enough for calibration, quick to build."""
    out = tmp_path_factory.mktemp("musterland")
    return generate(SynthConfig(out, students=20_000, years=8, seed=7, dirty_rows=1_200))


@pytest.fixture(scope="session")
def out_dir(musterland: SynthResult) -> Path:
    return musterland.out
