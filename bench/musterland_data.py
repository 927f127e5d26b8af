"""Benchmark data: a Musterland generated and imported once into a directory, in a child process.

Benchmarks that measure work on a large analytic store (``bench_verlauf``, ``bench_indicators``)
call :func:`prepare`: ``DIR/synth`` (generated files) and ``DIR/store.duckdb`` (imported) are
reused when present; with ``lernstand=True`` four grade-4 Lernstand waves are stored as well.
The child process keeps generation and import out of the caller's peak RSS.

Run directly: ``python -m bench.musterland_data STUDENTS YEARS DIR FIRST_YEAR [--lernstand]``
(prints the seconds of generation, import and Lernstand waves; 0 for reused steps).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path


def peak_rss_bytes() -> int:
    """Peak RSS of this process (``VmHWM``; psutil is not installed in the project venv)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def prepare(
    students: int, years: int, base: Path, first_year: int, *, lernstand: bool = False
) -> tuple[float, float, float]:
    """Generate, import (and store Lernstand waves) in a child process; seconds, 0 if reused."""
    base.mkdir(parents=True, exist_ok=True)
    args = [str(students), str(years), str(base), str(first_year)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.musterland_data", *args, *(["--lernstand"] * lernstand)],
        check=True,
        capture_output=True,
        text=True,
    )
    gen, imp, les = (float(x) for x in done.stdout.split()[-3:])
    return gen, imp, les


def _main(argv: list[str]) -> None:
    from bimo.core.store import AnalyticStore
    from bimo.ingest.importer import import_directory
    from bimo.synth.generator import SynthConfig, generate

    students, years, base, first = int(argv[0]), int(argv[1]), Path(argv[2]), int(argv[3])
    store_path = base / "store.duckdb"
    gen = imp = les = 0.0
    # A kept store needs no generated files any more.
    if not store_path.exists() and not (base / "synth" / "student_years.parquet").exists():
        t = time.perf_counter()
        generate(SynthConfig(base / "synth", students=students, years=years, first_year=first))
        gen = time.perf_counter() - t
    if not store_path.exists():
        t = time.perf_counter()
        with AnalyticStore(store_path) as store:
            import_directory(base / "synth", store)
        imp = time.perf_counter() - t
    if "--lernstand" in argv:
        with AnalyticStore(store_path, read_only=True) as store:
            have = store.raw.execute("SELECT count(*) FROM assessment_results").fetchall()[0][0]
            first_y, last = store.raw.execute(
                "SELECT min(schuljahr), max(schuljahr) FROM student_years"
            ).fetchall()[0]
        if not have:
            from bimo.assessment.results import run_lernstand_waves

            t = time.perf_counter()
            waves = [y for y in range(last - 3, last + 1) if y >= first_y]
            run_lernstand_waves(store_path, base / "lernstand", waves)
            les = time.perf_counter() - t
    print(gen, imp, les)


if __name__ == "__main__":
    _main(sys.argv[1:])
