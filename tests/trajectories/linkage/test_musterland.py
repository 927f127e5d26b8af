"""Integration on the Musterland generator's output (small instance)."""

from __future__ import annotations

import secrets
from pathlib import Path

import polars as pl
import pytest

from bimo.core.schemas import STUDENT_YEARS
from bimo.core.store import AnalyticStore
from bimo.privacy.keys import MasterKey
from bimo.privacy.pseudonym import pseudonymize
from bimo.trajectories.linkage import check_trajectories, student_years_table, to_polars
from bimo.trajectories.matching import evaluate, match_records

synth = pytest.importorskip("bimo.synth.generator")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def musterland(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("musterland")
    synth.generate(synth.SynthConfig(out, students=3000, years=4, seed=5, dirty_rows=100))
    return out


def test_pseudonymize_musterland_delivery(musterland: Path, tmp_path: Path) -> None:
    vs = musterland / "vertrauensstelle"
    result = pseudonymize(
        vs / "identities.parquet",
        MasterKey(secrets.token_bytes(32), "Test"),
        tmp_path / "out",
        content_path=vs / "lieferung.parquet",
        purpose="bildungsverlauf",
    )
    assert result.identitaeten_quarantaene == 0
    assert result.inhalt_geschrieben == result.inhalt_gesamt
    out = pl.read_parquet(tmp_path / "out" / "student_years.parquet")
    assert tuple(out.columns) == STUDENT_YEARS.column_names
    # One pseudonym per person, up to the generator's ~0.5 % name-spelling variants (which
    # split a trajectory; the checks then report gaps) and rare identity collisions (same
    # name, birth date and sex: two people merged, counted in kollisionen_schuljahr).
    persons = pl.read_parquet(musterland / "student_years.parquet")["pseudonym"].n_unique()
    assert persons * 0.99 <= out["pseudonym"].n_unique() <= persons * 1.03
    assert result.kollisionen_schuljahr <= 0.001 * out.height


def test_check_and_match_on_musterland(musterland: Path, tmp_path: Path) -> None:
    path = tmp_path / "analyse.duckdb"
    with AnalyticStore(path) as store, store.transaction() as con:
        con.execute(f"INSERT INTO schools SELECT * FROM '{musterland / 'schools.parquet'}'")
        con.execute(
            f"INSERT INTO student_years SELECT * FROM '{musterland / 'student_years.parquet'}'"
        )
    with AnalyticStore(path, read_only=True) as store:
        report = to_polars(store.raw, check_trajectories(student_years_table()))
        pseudonyms = store.raw.sql("SELECT DISTINCT pseudonym FROM student_years").pl()
    # Removing the unlinked records leaves gaps; nothing else is inconsistent.
    assert set(report["code"]) <= {"LUECKE", "RUECKKEHR_NACH_FORTZUG"}
    unlinked = pl.read_parquet(musterland / "student_years_unlinked.parquet")
    truth = pl.read_parquet(musterland / "vertrauensstelle" / "linkage_truth.parquet")
    result = match_records(path, unlinked, threshold=0.9)
    ev = evaluate(result.table, truth, pseudonyms["pseudonym"], 0.9)
    assert ev.records == unlinked.height
    assert ev.precision >= 0.9
    assert ev.recall >= 0.8
