"""Benchmark of ``bimo import``: a large ``student_years.parquet`` into a fresh store.

Full: 1,000,000 students × 13 school years (13 M rows); quick: 100,000 × 5. Measures the time
to generate the input, the import time (and a re-import, which must store nothing), and the
peak resident memory of the process (/proc sampled in a thread; ``ru_maxrss`` as a check).
"""

from __future__ import annotations

import os
import resource
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from bimo.core.schemas import STUDENT_YEARS
from bimo.core.store import AnalyticStore
from bimo.ingest import ImportOptions, import_file

N_GS, N_GY = 400, 150


def _schools() -> pl.DataFrame:
    nrs = [f"{100000 + i:06d}" for i in range(N_GS + N_GY)]
    return pl.DataFrame(
        {
            "schulnummer": nrs,
            "name": [f"Schule {n}" for n in nrs],
            "schulform": ["GS"] * N_GS + ["GY"] * N_GY,
            "traeger": "OEFF",
            "gemeinde_ags": [f"01001{i % 100:03d}" for i in range(len(nrs))],
            "kreis_ags": "01001",
            "ganztag_form": "OFFEN",
        }
    )


def synthesise(students: int, years: int, out: Path, seed: int = 7) -> Path:
    """A valid ``student_years.parquet``: each student from grade 1 for ``years`` years.

    Written by row groups of ~1 M rows so that generation itself stays within bounded memory.
    """
    rng = np.random.default_rng(seed)
    path = out / "student_years.parquet"
    block = max(1, 1_000_000 // years)
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    for start in range(0, students, block):
        n = min(block, students - start)
        pseudo = pl.Series([os.urandom(32).hex() for _ in range(n)])
        cohort = rng.integers(2005, 2012, n)
        gs = rng.integers(0, N_GS, n)
        gy = rng.integers(N_GS, N_GS + N_GY, n)
        base = pl.DataFrame(
            {
                "pseudonym": pseudo,
                "cohort": cohort,
                "gs": gs,
                "gy": gy,
                "geburtsmonat": rng.integers(1, 13, n),
                "geschlecht": rng.choice(["m", "w"], n),
                "ndh": rng.random(n) < 0.3,
            }
        )
        df = (
            base.join(pl.DataFrame({"t": np.arange(years)}), how="cross")
            .with_columns(
                (pl.col("cohort") + pl.col("t")).alias("schuljahr"),
                (pl.col("t") + 1).alias("jahrgangsstufe"),
                (pl.col("cohort") - 6).alias("geburtsjahr"),
            )
            .with_columns(
                (
                    pl.when(pl.col("jahrgangsstufe") <= 4)
                    .then(pl.col("gs"))
                    .otherwise(pl.col("gy"))
                    + 100000
                )
                .cast(pl.String)
                .alias("schulnummer"),
                pl.when(pl.col("jahrgangsstufe") <= 4)
                .then(pl.lit("GS"))
                .otherwise(pl.lit("GY"))
                .alias("schulform"),
                (pl.col("jahrgangsstufe").cast(pl.String) + "a").alias("klasse"),
                pl.lit(None, dtype=pl.String).alias("foerderschwerpunkt"),
                (pl.col("t") % 2 == 0).alias("ganztag"),
                pl.lit(None, dtype=pl.String).alias("wiederholung"),
                pl.when(pl.col("jahrgangsstufe") == 1)
                .then(pl.lit("EIN"))
                .when(pl.col("jahrgangsstufe") == 5)
                .then(pl.lit("WECHSEL"))
                .alias("zugangsart"),
                pl.when(pl.col("jahrgangsstufe") == 1)
                .then(pl.lit("FRIST"))
                .alias("einschulungsart"),
                pl.when(pl.col("jahrgangsstufe") == 4)
                .then(pl.lit("WECHSEL"))
                .when(pl.col("jahrgangsstufe") == 13)
                .then(pl.lit("ENTL"))
                .alias("abgangsart"),
                pl.when(pl.col("jahrgangsstufe") == 13).then(pl.lit("AHR")).alias("abschlussart"),
                pl.lit(None, dtype=pl.Float64).alias("record_key"),
            )
            .select(STUDENT_YEARS.column_names)
        )
        table = df.to_arrow()
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    return path


def _cpu_s() -> float:
    """User + system CPU seconds of this process (all threads): robust on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_bytes() -> int:
    # /proc instead of psutil: psutil is only in the optional bench dependency group.
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PeakRss:
    """Samples this process's RSS every 50 ms (DuckDB and Polars allocate outside Python)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            time.sleep(0.05)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _generate(students: int, years: int, out: Path) -> str:
    """Musterland (``bimo.synth``) if available, else the simple generator of this module.

    ``BIMO_BENCH_IMPORT_GENERATOR=simple`` forces the simple one (import time alone).
    """
    if os.environ.get("BIMO_BENCH_IMPORT_GENERATOR", "synth") == "synth":
        try:
            from bimo.synth import SynthConfig, generate
        except ImportError:
            pass
        else:
            generate(SynthConfig(out=out, students=students, years=years))
            return "bimo.synth"
    _schools().write_parquet(out / "schools.parquet")
    synthesise(students, years, out)
    return "bench_import.synthesise"


def run(quick: bool) -> dict[str, Any]:
    students, years = (100_000, 5) if quick else (1_000_000, 13)
    with tempfile.TemporaryDirectory() as tmp, _PeakRss() as rss:
        out = Path(tmp)
        t0, c0 = time.perf_counter(), _cpu_s()
        generator = _generate(students, years, out)
        path = out / "student_years.parquet"
        t_gen, c_gen = time.perf_counter() - t0, _cpu_s() - c0
        options = ImportOptions(quarantine_dir=out / "q")
        with AnalyticStore(out / "bench.duckdb") as store:
            import_file(out / "schools.parquet", "schools", store, options)
            t1, c1 = time.perf_counter(), _cpu_s()
            first = import_file(path, "student_years", store, options)
            t_import, c_import = time.perf_counter() - t1, _cpu_s() - c1
            t2 = time.perf_counter()
            again = import_file(path, "student_years", store, options)
            t_reimport = time.perf_counter() - t2
        size = path.stat().st_size
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "generator": generator,
        "students": students,
        "years": years,
        "rows": first.read,
        "parquet_mib": round(size / 2**20, 1),
        "generate_s": round(t_gen, 1),
        "import_s": round(t_import, 1),
        "generate_cpu_s": round(c_gen, 1),
        "import_cpu_s": round(c_import, 1),
        "rows_per_s": round(first.read / t_import),
        "reimport_s": round(t_reimport, 1),
        "total_generate_plus_import_s": round(t_gen + t_import, 1),
        "stored": first.stored,
        "quarantined": first.quarantined,
        "reimport_duplicates": again.duplicates,
        "reimport_stored": again.stored,
        "peak_rss_gib": round(rss.peak / 2**30, 2),
        "ru_maxrss_gib": round(maxrss_kib / 2**20, 2),
    }
