"""A small but complete Musterland data directory for web, browser and load tests.

Runs the demo's steps (generate → pseudonymise → validated import → Lernstand waves →
indicators → Bildungsbericht → Open Data) once into a directory shaped like a BiMo data
directory (``BIMO_DATA_DIR``): ``bimo.duckdb`` plus ``veroeffentlichung/`` with the published
report and Open Data files. Building takes about a minute, so the result is cached: concurrent
pytest-xdist workers share one build through an exclusive file lock.
"""

from __future__ import annotations

import fcntl
import json
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from bimo.core.store import AnalyticStore

__all__ = ["WEB_INDICATORS", "WebDataset", "build_web_dataset", "shared_web_dataset"]

_DONE = "webdata.json"


@dataclass(frozen=True)
class WebDataset:
    """Where the built data lives and a few facts tests use to pick objects."""

    data_dir: Path
    duckdb_path: Path
    publication_dir: Path
    land_ags: str
    kreis_ags: tuple[str, ...]
    schools: tuple[str, ...]  # Schulnummern, largest school (latest year) first
    latest_year: int

    @classmethod
    def load(cls, data_dir: Path) -> WebDataset:
        facts = json.loads((data_dir / _DONE).read_text(encoding="utf-8"))
        return cls(
            data_dir=data_dir,
            duckdb_path=data_dir / "bimo.duckdb",
            publication_dir=data_dir / "veroeffentlichung",
            land_ags=facts["land_ags"],
            kreis_ags=tuple(facts["kreis_ags"]),
            schools=tuple(facts["schools"]),
            latest_year=int(facts["latest_year"]),
        )


# A quick subset of the catalogue: every area, the indicators with 2035 targets (D14, D21,
# D22) and Lernstand. Disclosure control of the whole catalogue on a dataset this small takes
# minutes (nearly every cell is small), which tests cannot afford.
WEB_INDICATORS: tuple[str, ...] = (
    "A01", "A02", "A03", "B01", "B02", "C01", "C02", "C03", "C04",
    "D01", "D02", "D03", "D05", "D14", "D16", "D19", "D21", "D22", "D23",
)  # fmt: skip


def _indicators(store_path: Path) -> None:
    from bimo.indicators import compute, load_catalog, write_values

    with AnalyticStore(store_path) as store:
        write_values(store, compute(store, load_catalog(), ids=list(WEB_INDICATORS)))


def build_web_dataset(
    data_dir: Path, *, students: int = 3_000, years: int = 4, seed: int = 7, report: bool = True
) -> WebDataset:
    """Build the dataset into ``data_dir`` (emptied first) and return its facts."""
    from bimo import demo_steps as steps
    from bimo.demo import DemoConfig

    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    work = data_dir / "arbeit"
    store_path = data_dir / "bimo.duckdb"
    published = data_dir / "veroeffentlichung"
    config = DemoConfig(out=work, students=students, years=years, seed=seed)
    musterland = work / "musterland"
    steps.generate(config, musterland)
    with AnalyticStore(store_path) as store:
        steps.import_clean(musterland, store, work)
    steps.lernstand_waves(store_path, work / "lernstand_wellen")
    _indicators(store_path)
    if report:
        steps.bildungsbericht(store_path, published / "bildungsbericht")
    steps.open_data(store_path, published / "opendata")
    # Nothing from the generator (identities, truth files) may stay next to the served data.
    shutil.rmtree(work)
    with AnalyticStore(store_path, read_only=True) as store:
        kreise = [
            r[0]
            for r in store.raw.execute(
                "SELECT ags FROM regions WHERE ebene = 'KREIS' ORDER BY ags"
            ).fetchall()
        ]
        land = store.raw.execute("SELECT ags FROM regions WHERE ebene = 'LAND'").fetchall()[0][0]
        latest = store.raw.execute("SELECT max(schuljahr) FROM student_years").fetchall()[0][0]
        schools = [
            r[0]
            for r in store.raw.execute(
                "SELECT schulnummer FROM student_years WHERE schuljahr = ? "
                "GROUP BY 1 ORDER BY count(*) DESC, 1",
                [latest],
            ).fetchall()
        ]
    facts = {
        "land_ags": land,
        "kreis_ags": kreise,
        "schools": schools,
        "latest_year": int(latest),
        "build_id": secrets.token_hex(4),
    }
    (data_dir / _DONE).write_text(json.dumps(facts, indent=2), encoding="utf-8")
    return WebDataset.load(data_dir)


def shared_web_dataset(cache_root: Path) -> WebDataset:
    """The dataset under ``cache_root/webdata``, built once by whichever process comes first.

    Tests must treat it as read-only (copy it when they need to write).
    """
    cache_root.mkdir(parents=True, exist_ok=True)
    target = cache_root / "webdata"
    with open(cache_root / "webdata.lock", "w", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (target / _DONE).exists():
                build_web_dataset(target)
            return WebDataset.load(target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
