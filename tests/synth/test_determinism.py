"""Same seed → byte-identical files; another seed → other data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bimo.core.errors import BimoError
from bimo.synth import SynthConfig, generate


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    runs = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate(SynthConfig(tmp_path / name, students=4_000, years=2, seed=seed, dirty_rows=300))
        runs.append(_files(tmp_path / name))
    a, b, c = runs
    assert len(a) == 17
    assert a == b
    assert a["student_years.parquet"] != c["student_years.parquet"]
    assert a["vertrauensstelle/identities.parquet"] != c["vertrauensstelle/identities.parquet"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"students": 10}, "--students"),
        ({"years": 0}, "--years"),
        ({"dirty_rows": 5}, "--dirty-rows"),
        ({"first_year": 1800}, "--first-year"),
    ],
)
def test_invalid_settings_raise_a_german_error(
    tmp_path: Path, kwargs: dict[str, int], message: str
) -> None:
    with pytest.raises(BimoError, match=message):
        generate(SynthConfig(tmp_path, **kwargs))
