"""Run BiMo's benchmarks: ``make bench`` or ``python -m bench.run [NAME …] [--quick]``.

Each ``bench/bench_<name>.py`` module exposes ``run(quick: bool) -> dict``; the result, with
machine notes, is written to ``bench/results/<name>.json`` and printed. ``docs/benchmarks.md``
records the figures of a full run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import time
from pathlib import Path

BENCH_DIR = Path(__file__).parent


def machine_notes() -> dict[str, object]:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))


def main() -> None:
    parser = argparse.ArgumentParser(description="BiMo-Benchmarks ausführen")
    parser.add_argument("names", nargs="*", help=f"Auswahl aus: {', '.join(available())}")
    parser.add_argument("--quick", action="store_true", help="kleine Größen (Rauchtest)")
    args = parser.parse_args()
    names = args.names or available()
    out_dir = BENCH_DIR / "results"
    out_dir.mkdir(exist_ok=True)
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}", flush=True)
        result = {"machine": machine_notes(), "quick": args.quick, **module.run(args.quick)}
        (out_dir / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
        print(json.dumps(result, indent=2, default=str), flush=True)


if __name__ == "__main__":
    main()
