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
import sqlite3
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pypdfium2 as pdfium
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
    # Only the demo key is fixed (patching secrets.token_bytes would make every random id of
    # the run, e.g. the survey answers' ids, the same).
    mp.setattr("bimo.demo_steps.demo_key_bytes", lambda: KEY)
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
    assert "bildungsbericht/bildungsbericht.pdf" in index
    assert "Fehler" not in output
    for title in (
        "Indikatoren berechnen und schützen",
        "Bildungsbericht (HTML und PDF)",
        "Open Data (CSV, Parquet, DCAT-AP.de)",
        "Rückmeldung an eine Schule (intern)",
        "Portal vorbereiten: Verzeichnis und Demo-Zugänge",
        "Schülerfeedback: simulierte Befragung",
        "Digitale Lernstandserhebung: simulierte Testwelle",
    ):
        assert title in titles
    portal = next(s for s in steps if s["schritt"].startswith("Portal vorbereiten"))
    assert portal["zugaenge"] == 6
    survey = next(s for s in steps if s["schritt"].startswith("Schülerfeedback"))
    # Planted careless responders are found by the analysis; releases feed the school report.
    assert survey["antworten"] > 0 and survey["freigegeben"] > 0
    assert survey["gleichfoermig_erkannt"] == survey["gleichfoermig_simuliert"]
    wave = next(s for s in steps if s["schritt"].startswith("Digitale Lernstandserhebung"))
    # Every answer change is stored once; re-sent batches are recognised, not stored twice.
    assert wave["gespeichert"] == wave["antwortaenderungen"]
    assert wave["personen_im_export"] == wave["testdurchgaenge"] > 0


def test_demo_prepares_the_portal(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    accounts = out / "intern" / "demo-zugaenge.txt"
    # The demo passwords stay outside the published folder and readable by the owner only.
    assert accounts.stat().st_mode & 0o777 == 0o600
    assert not list((out / "veroeffentlichung").rglob("demo-zugaenge*"))
    logins = [line.split("\t")[0] for line in accounts.read_text().splitlines()[1:]]
    assert logins == [
        "demo-land",
        "demo-kreis",
        "demo-schulleitung",
        "demo-lehrkraft",
        "demo-redaktion",
        "demo-admin",
    ]
    con = sqlite3.connect(out / "bimo.sqlite")
    try:
        users = {r[0] for r in con.execute("SELECT login FROM users")}
        offers = con.execute("SELECT count(*) FROM directory_offers").fetchone()[0]
    finally:
        con.close()
    assert set(logins) <= users
    with duckdb.connect(str(out / "bimo.duckdb"), read_only=True) as analytic:
        expected = analytic.execute("SELECT count(*) FROM offers").fetchone()[0]
    assert offers == expected > 0


def test_demo_publishes_no_internal_rows(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    published = out / "veroeffentlichung"
    # The school feedback is internal: it is written outside the published directory.
    assert list(published.rglob("rueckmeldung_*")) == []
    assert list((out / "intern" / "rueckmeldungen").glob("rueckmeldung_*.pdf"))
    opendata = published / "opendata"
    assert (opendata / "datapackage.json").is_file() and (opendata / "dcat.ttl").is_file()
    for csv in opendata.glob("*.csv"):
        frame = pl.read_csv(csv, infer_schema_length=0)
        assert "SCHULE" not in set(frame["ebene"]), csv.name


def _coloured_share(image: np.ndarray) -> float:
    """Share of clearly coloured (not grey) pixels: charts, not text or table lines."""
    rgb = image[:, :, :3].astype(np.int16)
    spread = rgb.max(axis=2) - rgb.min(axis=2)
    return float((spread > 60).mean())


def test_bildungsbericht_pages_show_charts_tables_and_symbols(
    demo_run: tuple[Path, str], tmp_path: Path
) -> None:
    """The PDF of the demo's Bildungsbericht, rendered to PNG (images kept in ``tmp_path``)."""
    out, _ = demo_run
    pdf_path = out / "veroeffentlichung" / "bildungsbericht" / "bildungsbericht.pdf"
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        assert len(pdf) > 30
        texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
        coloured = []
        for i in range(len(pdf)):
            image = pdf[i].render(scale=0.5).to_numpy()
            # Every page carries at least its running header and page number in grey.
            assert (image < 230).mean() > 0.0005, f"Seite {i + 1} ist leer"
            if _coloured_share(image) > 0.002:
                coloured.append(i)
            if i in (0, 3, 12):
                pdf[i].render(scale=1.0).to_pil().save(tmp_path / f"seite_{i + 1:03d}.png")
    finally:
        pdf.close()
    full = "\n".join(texts)
    assert "Bildungsbericht" in texts[0]
    assert "Inhalt" in full and "Glossar" in full and "Tabellenanhang" in full
    # Charts: many pages carry coloured graphics; every chart has a numbered caption.
    assert len(coloured) >= 10
    assert sum("Abbildung" in t for t in texts) >= 10
    # Tables with the official symbols and their explanation.
    assert "Zeichenerklärung" in full
    assert re.search(r"Seite \d+ von \d+", texts[5])


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
    if path.suffix == ".pdf":
        pdf = pdfium.PdfDocument(str(path))
        try:
            return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        finally:
            pdf.close()
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
