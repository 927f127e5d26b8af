"""``bimo demo`` end to end on a small Musterland, and a scan of every artefact it leaves.

The scan is the privacy acceptance test of the Bildungsverlaufsstatistik: no output, log or
message of a full run may contain an identity value (school-internal ID, delivery ID, name,
birth date, address) or the pseudonymisation key. The only files allowed to hold identities
are the Vertrauensstelle's *inputs* in ``musterland/vertrauensstelle``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from bimo.cli import app

# Injected instead of the random demo key; random-looking, so that a hit is a real leak (a run
# like bytes(range(7, 39)) occurs naturally in Parquet dictionary pages).
KEY = hashlib.sha256(b"bimo-demo-testschluessel").digest()
TEXT_SUFFIXES = {".csv", ".json", ".html", ".txt", ".md", ".log"}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "lauf"
    mp = pytest.MonkeyPatch()
    mp.setattr("bimo.demo_steps.secrets.token_bytes", lambda n: KEY[:n])
    try:
        result = CliRunner().invoke(
            app,
            ["demo", "--out", str(out), "--students", "6000", "--years", "4", "--no-serve"],
        )
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_produces_every_stage(demo_run: tuple[Path, str]) -> None:
    out, output = demo_run
    steps = json.loads((out / "demo.json").read_text(encoding="utf-8"))
    titles = [s["schritt"] for s in steps]
    assert titles[0] == "Musterland erzeugen"
    assert "Bildungsverlauf: geschützte Tabellen" in titles
    assert "Lernstandserhebung: Skalierung und Kompetenzstufen" in titles
    imported = next(s for s in steps if s["schritt"] == "Import (geprüft)")
    assert (
        imported["gelesen"]
        == imported["gespeichert"] + imported["quarantaene"] + imported["duplikate"]
    )
    lernstand = next(s for s in steps if s["schritt"].startswith("Lernstandserhebung"))
    assert lernstand["korrelation_eap_wahrer_wert"] > 0.8
    index = (out / "veroeffentlichung" / "index.html").read_text(encoding="utf-8")
    assert 'lang="de"' in index
    assert "kompetenzstufen_kreise.csv" in index
    assert "Fehler" not in output


def _identity_tokens(out: Path) -> dict[str, set[str]]:
    ids = pl.read_parquet(out / "musterland" / "vertrauensstelle" / "identities.parquet")
    rng = random.Random(3)
    sample = ids.sample(n=min(3000, ids.height), seed=5)
    names = {f"{v} {n}" for v, n in zip(sample["vorname"], sample["nachname"], strict=True)}
    names |= {f"{n}, {v}" for v, n in zip(sample["vorname"], sample["nachname"], strict=True)}
    # Reference dates (31.12., 1.3., …) also appear as metadata; birth dates on them are not a
    # signal, every other birth date is.
    births = {
        d.isoformat()
        for d in sample["geburtsdatum"]
        if (d.month, d.day) not in {(12, 31), (3, 1), (1, 1), (8, 1), (9, 1)}
    }
    births |= {f"{d[8:10]}.{d[5:7]}.{d[0:4]}" for d in births}
    return {
        "schueler_id": set(ids["schueler_id"].unique()),
        "lieferung_id": set(ids["lieferung_id"].unique()),
        "name": set(rng.sample(sorted(names), min(2000, len(names)))),
        "geburtsdatum": births,
        "wohnanschrift": set(sample["wohnanschrift"].unique()),
    }


def _artefacts(out: Path) -> list[Path]:
    vs_inputs = out / "musterland" / "vertrauensstelle"
    return [p for p in out.rglob("*") if p.is_file() and vs_inputs not in p.parents]


def _strings_of(path: Path) -> str:
    """All text a file holds, however it is stored."""
    if path.suffix in TEXT_SUFFIXES:
        return path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        return "\n".join(
            "\n".join(str(v) for v in frame[c].drop_nulls().to_list())
            for c in frame.columns
            if frame[c].dtype in (pl.String, pl.Date, pl.Categorical)
        )
    if path.suffix == ".duckdb":
        con = duckdb.connect(str(path), read_only=True)
        try:
            columns = con.sql(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE data_type IN ('VARCHAR', 'DATE')"
            ).fetchall()
            return "\n".join(
                "\n".join(
                    str(r[0])
                    for r in con.sql(f'SELECT DISTINCT "{c}" FROM "{t}"').fetchall()
                    if r[0] is not None
                )
                for t, c in columns
            )
        finally:
            con.close()
    return ""


def test_no_identity_or_key_in_any_artefact(demo_run: tuple[Path, str]) -> None:
    out, output = demo_run
    tokens = _identity_tokens(out)
    id_like = re.compile(r"S\d{8}|L\d{4}-\d{7}")
    key_forms = [KEY.hex(), KEY.hex().upper(), base64.b64encode(KEY).decode()]
    artefacts = _artefacts(out)
    assert any(p.suffix == ".duckdb" for p in artefacts)
    leaks: list[str] = []
    for path in [*artefacts, None]:
        text = output if path is None else _strings_of(path)
        where = "Ausgabe" if path is None else str(path.relative_to(out))
        found_ids = set(id_like.findall(text)) & (tokens["schueler_id"] | tokens["lieferung_id"])
        if found_ids:
            leaks.append(f"{where}: IDs {sorted(found_ids)[:3]}")
        for kind in ("name", "geburtsdatum", "wohnanschrift"):
            hits = [t for t in tokens[kind] if t in text]
            if hits:
                leaks.append(f"{where}: {kind} {hits[:3]}")
        raw = output.encode() if path is None else path.read_bytes()
        if KEY in raw or any(form in text or form.encode() in raw for form in key_forms):
            leaks.append(f"{where}: Schlüssel")
    assert leaks == [], "\n".join(leaks)
