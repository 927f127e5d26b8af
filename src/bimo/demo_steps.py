"""The steps of ``bimo demo``, each calling one domain's public API and returning its facts."""

from __future__ import annotations

import html
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore

if TYPE_CHECKING:
    from bimo.demo import DemoConfig


def generate(config: DemoConfig, out: Path) -> dict[str, Any]:
    from bimo.synth import SynthConfig, check, generate

    result = generate(
        SynthConfig(out=out, students=config.students, years=config.years, seed=config.seed)
    )
    calibration = check(out)
    failed = [r.target.label for r in calibration if not r.ok]
    return {
        "schuelerjahre": result.student_years,
        "schulen": result.schools,
        "schuljahre": f"{result.years[0]}–{result.years[-1]}",
        "kalibrierung": "alle Zielwerte getroffen" if not failed else f"abweichend: {failed}",
    }


def pseudonymise(musterland: Path, out: Path) -> dict[str, Any]:
    """The Vertrauensstelle's step with a key that exists only in this process's memory."""
    from bimo.privacy.keys import MasterKey
    from bimo.privacy.pseudonym import pseudonymize

    key = MasterKey(secrets.token_bytes(32), "Demo-Schlüssel (nur im Arbeitsspeicher)")
    vs = musterland / "vertrauensstelle"
    result = pseudonymize(
        vs / "identities.parquet",
        key,
        out,
        content_path=vs / "lieferung.parquet",
        purpose="bildungsverlauf-demo",
    )
    result.check()
    return {
        "identitaeten": result.identitaeten_gesamt,
        "pseudonymisiert": result.identitaeten_pseudonymisiert,
        "quarantaene": result.identitaeten_quarantaene + result.inhalt_quarantaene,
    }


def _import_facts(results: list[Any]) -> dict[str, Any]:
    read = sum(r.read for r in results)
    stored = sum(r.stored for r in results)
    quarantined = sum(r.quarantined for r in results)
    duplicates = sum(r.duplicates for r in results)
    if read != stored + quarantined + duplicates:
        raise BimoError("Importzählung geht nicht auf (interner Fehler).")
    return {
        "gelesen": read,
        "gespeichert": stored,
        "quarantaene": quarantined,
        "duplikate": duplicates,
    }


def import_clean(musterland: Path, store: AnalyticStore, out: Path) -> dict[str, Any]:
    from bimo.ingest import ImportOptions, import_directory

    options = ImportOptions(quarantine_dir=out / "quarantaene")
    # The generator's own student_years (random pseudonyms) is imported, so that the linkage
    # truth file of the dirty variant refers to the same pseudonyms. The Vertrauensstelle's
    # output from the previous step has the same columns and imports the same way.
    return _import_facts(import_directory(musterland, store, options))


def import_dirty(musterland: Path, store: AnalyticStore, out: Path) -> dict[str, Any]:
    from bimo.ingest import ImportOptions, import_file

    options = ImportOptions(quarantine_dir=out / "quarantaene")
    facts: dict[str, Any] = {}
    for kind in ("schools", "student_years"):
        path = musterland / f"{kind}_dirty.csv"
        # Import twice: the second run must store nothing (idempotent).
        first = import_file(path, kind, store, options)
        second = import_file(path, kind, store, options)
        # Clean lines of the dirty sample repeat records already stored, so most of them
        # count as duplicates here; the manifest's expectations hold for an empty store
        # (checked in tests/ingest).
        facts[kind] = _import_facts([first]) | {"zweiter_lauf_gespeichert": second.stored}
        if second.stored != 0:
            raise BimoError(f"Wiederholter Import von {path.name} hat Zeilen doppelt gespeichert.")
    return facts


def check_trajectories(store: AnalyticStore) -> dict[str, Any]:
    from bimo.trajectories.linkage import (
        check_trajectories,
        student_years_table,
        summarize,
        to_polars,
    )

    summary = to_polars(store.raw, summarize(check_trajectories(student_years_table())))
    return {row["code"]: row["befunde"] for row in summary.iter_rows(named=True)}


def match(musterland: Path, store_path: Path) -> dict[str, Any]:
    from bimo.trajectories.matching import DEFAULT_THRESHOLD, evaluate, match_records

    unlinked = pl.read_parquet(musterland / "student_years_unlinked.parquet")
    truth = pl.read_parquet(musterland / "vertrauensstelle" / "linkage_truth.parquet")
    result = match_records(store_path, unlinked, threshold=DEFAULT_THRESHOLD)
    with AnalyticStore(store_path, read_only=True) as store:
        pseudonyms = store.raw.sql("SELECT DISTINCT pseudonym FROM student_years").pl()
    evaluation = evaluate(result.table, truth, pseudonyms["pseudonym"], DEFAULT_THRESHOLD)
    return {
        "ohne_gueltiges_pseudonym": result.unverknuepft,
        "zugeordnet": result.accepted,
        "praezision": round(evaluation.precision, 3),
        "vollstaendigkeit": round(evaluation.recall, 3),
    }


def publish_verlauf(store_path: Path, out: Path) -> dict[str, Any]:
    """Every standard Bildungsverlauf table, protected jointly and audited (the full run)."""
    from bimo.trajectories.full_run import publish_all

    with AnalyticStore(store_path) as store:
        result = publish_all(store.raw, out)
    if result.audit_failures:
        raise BimoError(
            "Geheimhaltungsprüfung fehlgeschlagen: " + "; ".join(result.audit_failures[:5])
        )
    return {"tabellen": len(result.tables), "pruefung": "alle Tabellen geschützt"}


def _facts_html(facts: dict[str, Any]) -> str:
    """Facts of a step as a nested list ("Schlüssel: Wert"), escaped."""
    items = []
    for key, value in facts.items():
        label = html.escape(str(key).replace("_", " "))
        if isinstance(value, dict):
            items.append(f"<li>{label}: {_facts_html(value)}</li>")
        else:
            items.append(f"<li>{label}: {html.escape(str(value))}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def write_overview(directory: Path, steps: list[dict[str, Any]]) -> Path:
    """A plain, accessible overview page of what the demo published (no script, no CDN)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = sorted(
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() and p.suffix in {".csv", ".json", ".parquet"}
    )
    rows = "\n".join(
        f'<tr><th scope="row">{html.escape(str(step["schritt"]))}</th>'
        f"<td>{_facts_html({k: v for k, v in step.items() if k != 'schritt'})}</td></tr>"
        for step in steps
    )
    links = "\n".join(f'<li><a href="{html.escape(f)}">{html.escape(f)}</a></li>' for f in files)
    page = f"""<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><title>BiMo-Demo – veröffentlichte Ergebnisse</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main>
<h1>BiMo-Demo: veröffentlichte Ergebnisse (Musterland, synthetische Daten)</h1>
<p>Alle Tabellen sind geheimhaltungsgeprüft: Werte unter der Mindestfallzahl und
rückrechenbare Zellen sind gesperrt (Zeichen <code>.</code>), echte Nullen als <code>-</code>.
Das Bildungsportal folgt; bis dahin zeigt diese Seite die Ergebnisdateien.</p>
<h2>Ablauf</h2>
<table><thead><tr><th scope="col">Schritt</th><th scope="col">Ergebnis</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<h2>Dateien</h2>
<ul>
{links}
</ul>
</main>
</body>
</html>
"""
    path = directory / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def lernstand(store_path: Path, work: Path, published: Path) -> dict[str, Any]:
    """A simulated grade-4 reading test through the same commands users run."""
    from bimo.assessment.irt.cli import ModelChoice, fit_command, pv_command
    from bimo.assessment.standards.cli import fair_command, standards_command
    from bimo.synth.lernstand import simulate_wave

    with AnalyticStore(store_path, read_only=True) as store:
        wave = simulate_wave(store)
    paths = wave.write(work)
    conditioning = work / "konditionierung.csv"
    wave.background.select("id", "weiblich", "ndh", "foerderbedarf").write_csv(conditioning)
    items, persons, pvs = work / "items.csv", work / "personen.csv", work / "pv.csv"
    fit_command(responses=paths["responses"], model=ModelChoice.rasch, out=items, persons=persons)
    pv_command(
        responses=paths["responses"], items=items, background=conditioning, out=pvs, n=10, seed=1
    )
    shares = published / "lernstand" / "kompetenzstufen_kreise.csv"
    shares.parent.mkdir(parents=True, exist_ok=True)
    standards_command(
        pv_file=pvs,
        levels="primar_deutsch_lesen",
        out=shares,
        groups=paths["background"],
        by="kreis_ags",
        cluster="schulnummer",
        transform_from_pvs=True,
    )
    # School-level results are feedback for the school itself: internal, never published.
    fair = work / "fairer_vergleich_schulen.csv"
    fair_command(
        pv_file=pvs,
        background=paths["background"],
        school="schulnummer",
        out=fair,
        covariates="weiblich,ndh,foerderbedarf",
    )
    estimates = pl.read_csv(pvs).join(wave.truth, on="id")
    correlation = estimates.select(pl.corr("eap", "theta")).item()
    below = pl.read_csv(fair)
    return {
        "schuelerinnen_und_schueler": wave.responses.height,
        "items": wave.items.height,
        "korrelation_eap_wahrer_wert": round(float(correlation), 3),
        "schulen_im_fairen_vergleich": below.height,
    }
