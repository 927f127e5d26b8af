"""Throughput of the Vertrauensstelle step: normalisation + HMAC-SHA-256 per identity row,
and the full ``pseudonymize`` run (read, quarantine checks, join, write)."""

from __future__ import annotations

import secrets
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from bimo.privacy.keys import MasterKey
from bimo.privacy.pseudonym import hash_messages, prepare_identities, pseudonymize

FIRST = ["Jürgen", "Çağla", "Łucja", "Nguyễn Thị", "Anne-Marie", "Sören", "Bjørn", "Zoë", "Mia"]
LAST = ["Müller-Lüdenscheidt", "Öztürk", "Kowalczyk", "Đào", "O'Connor", "Strauß", "Schmidt"]
TARGET_ROWS = 13_000_000


def _identities(n: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    start = date(2004, 1, 1)
    return pl.DataFrame(
        {
            "lieferung_id": [f"L{i}" for i in range(n)],
            "schueler_id": [f"S{i}" for i in range(n)],
            # Unique names via a numeric suffix spelled in letters-only form.
            "vorname": [FIRST[i % len(FIRST)] + chr(97 + (i // 7) % 26) for i in range(n)],
            "nachname": [LAST[i % len(LAST)] + chr(97 + (i // 11) % 26) for i in range(n)],
            "geburtsdatum": [start + timedelta(days=int(d)) for d in rng.integers(0, 4000, n)],
            "geschlecht": rng.choice(["m", "w"], n).tolist(),
            "wohnanschrift": ["Weg 1"] * n,
        }
    )


def run(quick: bool) -> dict[str, object]:
    n = 200_000 if quick else 2_000_000
    key = MasterKey(secrets.token_bytes(32), "Benchmark")
    df = _identities(n)
    t0 = time.perf_counter()
    ok, _ = prepare_identities(df, "bench")
    t1 = time.perf_counter()
    hash_messages(ok["message"], key.derive("bench"))
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "identities.parquet"
        df.write_parquet(path)
        t3 = time.perf_counter()
        pseudonymize(path, key, Path(tmp) / "out", purpose="bench")
        t4 = time.perf_counter()
    norm_us = (t1 - t0) / n * 1e6
    hmac_us = (t2 - t1) / n * 1e6
    full_us = (t4 - t3) / n * 1e6
    return {
        "rows": n,
        "normalise_us_per_row": round(norm_us, 3),
        "hmac_us_per_row": round(hmac_us, 3),
        "pseudonymize_us_per_row": round(full_us, 3),
        "extrapolated_13m_seconds": round(full_us * TARGET_ROWS / 1e6, 1),
    }
