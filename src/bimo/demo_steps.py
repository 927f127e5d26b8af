"""The steps of ``bimo demo``, each calling one domain's public API and returning its facts."""

from __future__ import annotations

import html
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore

if TYPE_CHECKING:
    from bimo.demo import DemoConfig


def demo_key_bytes() -> bytes:
    """The demo's pseudonymisation key: random, held only in memory (tests replace this
    function to search every artefact for a known key)."""
    return secrets.token_bytes(32)


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

    key = MasterKey(demo_key_bytes(), "Demo-Schlüssel (nur im Arbeitsspeicher)")
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
        if p.is_file()
        and p.suffix in {".csv", ".json", ".parquet", ".ttl", ".jsonld"}
        and "opendata" not in p.parts
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
<h2>Bildungsbericht und Open Data</h2>
<ul>
<li><a href="bildungsbericht/bildungsbericht.html">Bildungsbericht (HTML, mit interaktiven
Grafiken)</a></li>
<li><a href="bildungsbericht/bildungsbericht.pdf">Bildungsbericht (barrierearmes PDF)</a></li>
<li><a href="opendata/">Open-Data-Export</a>: je Indikator CSV und Parquet,
<a href="opendata/datapackage.json">datapackage.json</a> (Frictionless),
DCAT-AP.de-Metadaten (<a href="opendata/dcat.ttl">Turtle</a>,
<a href="opendata/dcat.jsonld">JSON-LD</a>)</li>
</ul>
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


def lernstand_waves(store_path: Path, work: Path) -> dict[str, Any]:
    """Four grade-4 waves on a common metric, stored as LS4-<year> in the analytic store."""
    from bimo.assessment.results import run_lernstand_waves

    with AnalyticStore(store_path, read_only=True) as store:
        last = store.raw.execute("SELECT max(schuljahr) FROM student_years").fetchall()[0][0]
    if last is None:
        raise BimoError("Der Analysebestand enthält keine Schülerdaten (student_years).")
    return run_lernstand_waves(store_path, work, [int(last) - k for k in (3, 2, 1, 0)])


def indicators(store_path: Path) -> dict[str, Any]:
    """The whole indicator catalogue for every region and year, protected and stored."""
    from bimo.indicators import compute, load_catalog, write_values

    catalog = load_catalog()
    with AnalyticStore(store_path) as store:
        values = compute(store, catalog)
        write_values(store, values)
    public = values.filter(~pl.col("intern"))
    flags = public["flag"].value_counts()
    counts = {str(f or "veröffentlicht"): int(n) for f, n in flags.iter_rows()}
    return {
        "indikatoren": len(catalog),
        "werte": values.height,
        "davon_intern_schulebene": values.height - public.height,
        "oeffentliche_werte_nach_zeichen": counts,
    }


def _demo_kreis(store: AnalyticStore) -> tuple[str, int]:
    """The Kreis with the most students in the latest year (the demo's report region)."""
    row = store.raw.execute(
        """
        SELECT s.kreis_ags, y.schuljahr FROM student_years y JOIN schools s USING (schulnummer)
        WHERE y.schuljahr = (SELECT max(schuljahr) FROM student_years)
        GROUP BY 1, 2 ORDER BY count(*) DESC, 1 LIMIT 1
        """
    ).fetchall()
    if not row:
        raise BimoError("Der Analysebestand enthält keine Schülerdaten (student_years).")
    return str(row[0][0]), int(row[0][1])


def bildungsbericht(store_path: Path, out: Path) -> dict[str, Any]:
    """The Bildungsbericht (HTML + PDF/UA) of the demo's largest Kreis for the latest year."""
    from bimo.reports.cli import generate_bildungsbericht

    with AnalyticStore(store_path, read_only=True) as store:
        kreis, year = _demo_kreis(store)
        html_path, pdf_path = generate_bildungsbericht(store, kreis, year, out)
    return {
        "kreis": kreis,
        "jahr": year,
        "html": html_path.name,
        "pdf": pdf_path.name,
        "pdf_kib": round(pdf_path.stat().st_size / 1024),
    }


def rueckmeldung(store_path: Path, out: Path) -> dict[str, Any]:
    """The internal feedback report of the school with the most tested students (latest wave)."""
    from bimo.reports.feedback import build_school_feedback

    with AnalyticStore(store_path, read_only=True) as store:
        row = store.raw.execute(
            """
            SELECT erhebung, schulnummer FROM assessment_results
            WHERE pv_nr = 1 AND schuljahr = (SELECT max(schuljahr) FROM assessment_results)
            GROUP BY 1, 2 ORDER BY count(*) DESC, 2 LIMIT 1
            """
        ).fetchall()
        if not row:
            raise BimoError("Der Analysebestand enthält keine Lernstandsergebnisse.")
        erhebung, school = str(row[0][0]), str(row[0][1])
        files = build_school_feedback(store, erhebung, school, out)
    return {"erhebung": erhebung, "schule": school, "pdf": files.pdf.name}


def open_data(store_path: Path, out: Path) -> dict[str, Any]:
    """Open Data export of the published indicator values (CSV, Parquet, DCAT-AP.de)."""
    from bimo.indicators import load_catalog, read_values
    from bimo.opendata import export_open_data

    with AnalyticStore(store_path, read_only=True) as store:
        values = read_values(store)
    result = export_open_data(values, load_catalog(), out)
    return {"indikatoren": len(result.rows), "zeilen": result.exported_rows}


# Demo accounts: one per kind of user the portal serves, scoped to the demo's data.
def _demo_accounts(store: AnalyticStore) -> list[tuple[str, str, str, str, str]]:
    """``(login, display name, role, scope type, scope id)`` of the demo users."""
    kreis, year = _demo_kreis(store)
    land = kreis[:2]
    school = store.raw.execute(
        "SELECT y.schulnummer FROM student_years y JOIN schools s USING (schulnummer) "
        "WHERE y.schuljahr = ? AND s.kreis_ags = ? GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        [year, kreis],
    ).fetchall()[0][0]
    # A teacher of the school's largest class (runs surveys and test sessions for it).
    klasse = store.raw.execute(
        "SELECT klasse FROM student_years WHERE schuljahr = ? AND schulnummer = ? "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        [year, school],
    ).fetchall()[0][0]
    return [
        ("demo-land", "Demo Landesmonitoring", "land", "land", land),
        ("demo-kreis", "Demo Kreismonitoring", "kreis", "kreis", kreis),
        ("demo-schulleitung", "Demo Schulleitung", "schulleitung", "schule", str(school)),
        ("demo-lehrkraft", "Demo Lehrkraft", "lehrkraft", "klasse", f"{school}/{klasse}"),
        ("demo-redaktion", "Demo Redaktion", "redaktion", "global", ""),
        ("demo-admin", "Demo Administration", "admin", "global", ""),
    ]


def prepare_portal(out: Path) -> dict[str, Any]:
    """Operational store next to the demo data: directory entries and demo accounts.

    The demo passwords are random, shown once on the console and written (mode 0600) to
    ``intern/demo-zugaenge.txt``, outside the published folder.
    """
    from bimo.accounts import service
    from bimo.accounts.roles import Role, ScopeType
    from bimo.core.operational import OperationalStore
    from bimo.directory.service import import_from_store

    database = out / "bimo.sqlite"
    database.unlink(missing_ok=True)
    store_path = out / "bimo.duckdb"
    with AnalyticStore(store_path, read_only=True) as analytic:
        accounts = _demo_accounts(analytic)
    lines = ["# BiMo-Demo: Zugänge (nur für die lokale Demo)"]
    with OperationalStore(f"sqlite:///{database}") as operational, operational.session() as db:
        imported = import_from_store(store_path, db, actor="demo")
        for login, name, role, scope_type, scope_id in accounts:
            password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
            service.create_user(db, login, name, password, actor="demo")
            service.grant_role(db, login, Role(role), ScopeType(scope_type), scope_id, actor="demo")
            lines.append(f"{login}\t{password}\t{role} {scope_id}".rstrip())
    secrets_file = out / "intern" / "demo-zugaenge.txt"
    secrets_file.parent.mkdir(parents=True, exist_ok=True)
    secrets_file.unlink(missing_ok=True)
    fd = os.open(secrets_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return {
        "verzeichnis": {"akteure": imported.actors_added, "angebote": imported.offers_added},
        "zugaenge": len(accounts),
        "datei": str(secrets_file),
    }


def _demo_school(store_path: Path) -> str:
    with AnalyticStore(store_path, read_only=True) as analytic:
        accounts = _demo_accounts(analytic)
    return next(scope for login, _, _, _, scope in accounts if login == "demo-schulleitung")


def surveys(out: Path) -> dict[str, Any]:
    """A simulated Schülerfeedback round (latent model with careless responders) in the
    operational store, through the same anonymous service the survey pages use."""
    from bimo.core.operational import OperationalStore
    from bimo.surveys.demo import musterland_survey_classes, run_demo_round

    store_path = out / "bimo.duckdb"
    classes = musterland_survey_classes(store_path, schulnummer=_demo_school(store_path))
    with OperationalStore(f"sqlite:///{out / 'bimo.sqlite'}") as operational:
        return run_demo_round(operational, classes=classes).summary()


def digital_test_wave(out: Path) -> dict[str, Any]:
    """A simulated digital test wave: sessions, access codes, answers through the idempotent
    write path, double coding of open answers, export in the format ``bimo scale fit`` reads.
    The generating abilities (``testbetrieb/``) stay outside the published folder."""
    from bimo.assessment.delivery.demo import musterland_classes, run_demo_wave
    from bimo.core.operational import OperationalStore

    with AnalyticStore(out / "bimo.duckdb", read_only=True) as analytic:
        classes = musterland_classes(analytic, grade=8, n_classes=6)
    with OperationalStore(f"sqlite:///{out / 'bimo.sqlite'}") as operational:
        result = run_demo_wave(operational, out / "aufgabenbank", out / "testbetrieb", classes)
    return result.summary()
