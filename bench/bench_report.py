"""Benchmark of the Bildungsbericht: the full report (HTML + PDF/UA) for one Kreis.

Data: the indicator table of the 1,000,000-student Musterland from the indicator benchmark when
``BIMO_BENCH_INDICATORS_DIR`` points to its directory (``DIR/store.duckdb``, opened read-only;
its ``indicator_values`` are used, or computed with the real catalogue when it has none). Set
``BIMO_BENCH_REPORT_VALUES`` to a Parquet path to keep the computed values between runs. Without
it — and always with ``--quick`` — a small Musterland (20,000 students × 5 school years) is
generated, imported and computed in a temporary directory. The report's cost depends on the
number of indicators, years and Kreise, not on the number of students, so the small data set
measures nearly the same work.

Measured: wall time of reading the values + targets, building the report model (texts, charts
→ SVG), writing the HTML and rendering the PDF; pages, figures, tables, output sizes, peak RSS.
Goal: under 30 s for one Kreis.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DIR_ENV = "BIMO_BENCH_INDICATORS_DIR"
CACHE_ENV = "BIMO_BENCH_REPORT_VALUES"  # optional Parquet file to keep the computed values
QUICK = (20_000, 5)
GOAL_SECONDS = 30.0

_PREPARE = """
import sys, time
from pathlib import Path
from bimo.core.store import AnalyticStore
from bimo.indicators import compute, load_catalog, read_values
from bimo.ingest.importer import import_directory
from bimo.synth.generator import SynthConfig, generate
students, years = int(sys.argv[1]), int(sys.argv[2])
base, values = Path(sys.argv[3]), Path(sys.argv[4])
t = time.perf_counter()
if not (base / "store.duckdb").exists():
    generate(SynthConfig(base / "synth", students=students, years=years, first_year=2019))
    with AnalyticStore(base / "store.duckdb") as store:
        import_directory(base / "synth", store)
prep = time.perf_counter() - t
t = time.perf_counter()
if not values.exists():
    # Read-only: the store may belong to the indicator benchmark; values go to a Parquet file.
    with AnalyticStore(base / "store.duckdb", read_only=True) as store:
        frame = read_values(store)
        if frame.is_empty():
            frame = compute(store, load_catalog())
    frame.write_parquet(values)
comp = time.perf_counter() - t
print(prep, comp)
"""


def _peak_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def prepare(base: Path, students: int, years: int, values: Path) -> tuple[float, float]:
    """Data and indicator values in a child process (not in the peak RSS): (prep s, compute s)."""
    base.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", _PREPARE, str(students), str(years), str(base), str(values)],
        check=True,
        capture_output=True,
        text=True,
    )
    prep, comp = (float(x) for x in done.stdout.split()[-2:])
    return prep, comp


def _measure(store_path: Path, values_path: Path, out: Path) -> dict[str, Any]:
    import polars as pl
    import pypdfium2 as pdfium

    from bimo.core.store import AnalyticStore
    from bimo.indicators import load_catalog
    from bimo.indicators.targets import evaluate_targets
    from bimo.reports.bildungsbericht import build_report, write_report
    from bimo.reports.cli import _kreistyp

    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    values = pl.read_parquet(values_path)
    with AnalyticStore(store_path, read_only=True) as store:
        kreise = (
            values.filter((pl.col("ebene") == "KREIS") & ~pl.col("intern"))
            .select("ags")
            .unique()
            .sort("ags")["ags"]
            .to_list()
        )
        region = kreise[0]
        kreistyp = _kreistyp(store, region)
    year = int(values["jahr"].max())  # type: ignore[arg-type]
    catalog = load_catalog()
    statuses = evaluate_targets(values, catalog, region, as_of=year)
    t1 = time.perf_counter()
    report = build_report(
        values, catalog, region, year, kreistyp=kreistyp, target_statuses=statuses
    )
    t2 = time.perf_counter()
    html_path, pdf_path = write_report(report, out)
    t3 = time.perf_counter()
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    # CPU time of the process (all threads): on a shared, loaded machine the wall time is
    # inflated by waiting for a core; CPU time is what the report itself costs.
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    doc = pdfium.PdfDocument(str(pdf_path))
    pages = len(doc)
    doc.close()
    total = t3 - t0
    return {
        "region": region,
        "year": year,
        "value_rows": values.height,
        "indicators": len(catalog),
        "read_and_targets_s": round(t1 - t0, 2),
        "build_s": round(t2 - t1, 2),
        "write_html_pdf_s": round(t3 - t2, 2),
        "total_s": round(total, 2),
        "cpu_s": round(cpu, 2),
        "load_avg_1min": round(os.getloadavg()[0], 1),
        "goal_s": GOAL_SECONDS,
        "goal_met": total < GOAL_SECONDS,
        "pages": pages,
        "figures": report.figure_count,
        "tables": report.table_count,
        "html_bytes": html_path.stat().st_size,
        "pdf_bytes": pdf_path.stat().st_size,
        "peak_rss_mb": round(_peak_rss_bytes() / 2**20, 1),
    }


def run(quick: bool) -> dict[str, Any]:
    kept = os.environ.get(DIR_ENV)
    with tempfile.TemporaryDirectory(prefix="bimo-bench-report-") as tmp:
        if kept and not quick and (Path(kept) / "store.duckdb").exists():
            base, source = Path(kept), f"{DIR_ENV} (Musterland of the indicator benchmark)"
            students, years = 0, 0
        else:
            base, source = Path(tmp) / "data", "generated small Musterland"
            students, years = QUICK
        cache = os.environ.get(CACHE_ENV)
        values = Path(cache) if cache else Path(tmp) / "values.parquet"
        prep_s, compute_s = prepare(base, students or QUICK[0], years or QUICK[1], values)
        result = _measure(base / "store.duckdb", values, Path(tmp) / "out")
    result.update(
        {
            "mode": "quick" if quick else "full",
            "data": source,
            "students": students or "from store",
            "prepare_s": round(prep_s, 1),
            "compute_values_s": round(compute_s, 1),
        }
    )
    return result
