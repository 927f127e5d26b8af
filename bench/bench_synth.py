"""Benchmark of the Musterland generator: wall time, CPU time and peak memory.

Full size: 1,000,000 students per school year × 13 years (≈ 13 M student-year rows);
quick: 100,000 × 5. The generator runs in a fresh child process that reports its own peak RSS
and CPU time (``resource.getrusage(RUSAGE_SELF)``), so other benchmarks run by the same
``bench.run`` process do not leak into the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_SCRIPT = """
import json, resource, sys
from pathlib import Path
from bimo.synth import SynthConfig, generate
r = generate(SynthConfig(Path(sys.argv[1]), students=int(sys.argv[2]), years=int(sys.argv[3])))
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rows": r.student_years, "cpu": u.ru_utime + u.ru_stime,
                  "maxrss_kib": u.ru_maxrss}))
"""


def run(quick: bool) -> dict[str, object]:
    students, years = (100_000, 5) if quick else (1_000_000, 13)
    with tempfile.TemporaryDirectory(prefix="bimo-bench-synth-") as tmp:
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", _SCRIPT, tmp, str(students), str(years)],
            check=True,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = int(child["rows"])
    return {
        "students_per_year": students,
        "years": years,
        "student_year_rows": rows,
        "seconds": round(seconds, 1),
        # CPU time is less sensitive than wall time to other work on a shared machine.
        "cpu_seconds": round(float(child["cpu"]), 1),
        "rows_per_second": round(rows / seconds),
        "peak_rss_mib": round(int(child["maxrss_kib"]) / 1024),
        "output_mib": round(size / 2**20),
    }
