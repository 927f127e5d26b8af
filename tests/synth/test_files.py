"""Every written file follows the output contract (schemas, codes, identities)."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from bimo.core.codes import ALL_CODE_LISTS
from bimo.core.schemas import (
    ANALYTIC_TABLES,
    IDENTIFYING_COLUMNS,
    IDENTITIES,
    STUDENT_YEARS,
    TableSpec,
)
from bimo.synth import SynthResult
from bimo.synth._records import arrow_schema

STREAMED = ("student_years",)


def _check_values(table: pa.Table, spec: TableSpec) -> None:
    for col in spec.columns:
        values = table.column(col.name)
        if col.required:
            assert values.null_count == 0, f"{spec.name}.{col.name} has nulls"
        present = pc.drop_null(values)
        if col.codelist is not None:
            allowed = ALL_CODE_LISTS[col.codelist].codes
            bad = set(pc.unique(present).to_pylist()) - allowed
            assert not bad, f"{spec.name}.{col.name}: unknown codes {bad}"
        if col.pattern is not None:
            for value in pc.unique(present).to_pylist():
                assert re.fullmatch(col.pattern, value), f"{spec.name}.{col.name}: {value!r}"
        if col.min_value is not None and len(present):
            assert pc.min(present).as_py() >= col.min_value
        if col.max_value is not None and len(present):
            assert pc.max(present).as_py() <= col.max_value


# Lernstand results are stored by bimo.assessment.results, not written by the generator.
@pytest.mark.parametrize(
    "name", sorted(set(ANALYTIC_TABLES) - {"assessment_results", "assessment_responses"})
)
def test_analytic_files_match_the_table_specs(out_dir: Path, name: str) -> None:
    spec = ANALYTIC_TABLES[name]
    path = out_dir / f"{name}.parquet"
    assert pq.read_schema(path).remove_metadata().equals(arrow_schema(spec))
    table = pq.read_table(path)
    assert table.num_rows > 0
    _check_values(table, spec)
    if spec.key:
        keys = table.group_by(list(spec.key)).aggregate([]).num_rows
        assert keys == table.num_rows, f"{name}: duplicate business keys"


def test_student_years_has_one_row_group_per_year(musterland: SynthResult) -> None:
    meta = pq.ParquetFile(musterland.out / "student_years.parquet").metadata
    assert meta.num_row_groups == len(musterland.years)
    table = pq.read_table(musterland.out / "student_years.parquet", columns=["schuljahr"])
    assert sorted(pc.unique(table.column(0)).to_pylist()) == list(musterland.years)
    assert table.num_rows == musterland.student_years
    assert (
        pq.read_table(musterland.out / "student_years.parquet").column("record_key").null_count
        == table.num_rows
    )


def test_no_identifying_column_outside_the_vertrauensstelle(out_dir: Path) -> None:
    for path in out_dir.glob("*.parquet"):
        names = set(pq.read_schema(path).names)
        assert not names & IDENTIFYING_COLUMNS, path.name
    header = (out_dir / "student_years_dirty.csv").read_bytes().split(b"\r\n", 1)[0]
    assert not set(header.decode().split(";")) & IDENTIFYING_COLUMNS


def test_identities_and_delivery_line_up(musterland: SynthResult) -> None:
    vs = musterland.out / "vertrauensstelle"
    identities = pq.read_table(vs / "identities.parquet")
    delivery = pq.read_table(vs / "lieferung.parquet")
    sy = pq.read_table(musterland.out / "student_years.parquet")
    assert identities.schema.equals(arrow_schema(IDENTITIES))
    _check_values(identities, IDENTITIES)
    content = [c for c in STUDENT_YEARS.column_names if c not in ("pseudonym", "record_key")]
    assert delivery.column_names == ["lieferung_id", *content]
    assert identities.num_rows == delivery.num_rows == sy.num_rows
    assert identities.column("lieferung_id").equals(delivery.column("lieferung_id"))
    assert delivery.select(content).equals(sy.select(content))
    assert pc.count_distinct(delivery.column("lieferung_id")).as_py() == delivery.num_rows
    # The birth date agrees with geburtsjahr / geburtsmonat, the sex with geschlecht.
    born = identities.column("geburtsdatum")
    assert pc.all(pc.equal(pc.year(born), delivery.column("geburtsjahr"))).as_py()
    assert pc.all(pc.equal(pc.month(born), delivery.column("geburtsmonat"))).as_py()
    assert identities.column("geschlecht").equals(delivery.column("geschlecht"))


def test_names_are_diverse_and_mostly_stable(musterland: SynthResult) -> None:
    vs = musterland.out / "vertrauensstelle"
    ident = pq.read_table(vs / "identities.parquet")
    sy = pq.read_table(musterland.out / "student_years.parquet", columns=["pseudonym"])
    names = " ".join(pc.unique(ident.column("nachname")).to_pylist())
    names += " ".join(pc.unique(ident.column("vorname")).to_pylist())
    for char in "äöüßÇŁễ-":
        assert char in names, char
    # Same person, same name in nearly every delivery: variants in about 0.5 % of rows.
    table = pa.table(
        {"p": sy.column(0), "v": ident.column("vorname"), "n": ident.column("nachname")}
    )
    per_person = table.group_by(["p", "v", "n"]).aggregate([("p", "count")])
    modal = per_person.group_by("p").aggregate([("p_count", "max"), ("p_count", "sum")])
    deviating = pc.sum(
        pc.subtract(modal.column("p_count_sum"), modal.column("p_count_max"))
    ).as_py()
    share = deviating / table.num_rows
    assert 0.002 < share < 0.008, share


def test_unlinked_records_and_truth(musterland: SynthResult) -> None:
    unlinked = pq.read_table(musterland.out / "student_years_unlinked.parquet")
    truth = pq.read_table(musterland.out / "vertrauensstelle" / "linkage_truth.parquet")
    assert unlinked.column_names == ["record_id", *STUDENT_YEARS.column_names]
    assert unlinked.column("record_id").equals(truth.column("record_id"))
    total = unlinked.num_rows + musterland.student_years
    assert 0.003 < unlinked.num_rows / total < 0.007
    pattern = re.compile(r"[0-9a-f]{64}")
    for broken, true in zip(
        unlinked.column("pseudonym").to_pylist(),
        truth.column("true_pseudonym").to_pylist(),
        strict=True,
    ):
        assert pattern.fullmatch(true)
        assert broken is None or not pattern.fullmatch(broken)
    # The true persons exist in the linked data (in other years or at other schools).
    sy = pq.read_table(musterland.out / "student_years.parquet", columns=["pseudonym"])
    known = set(sy.column(0).to_pylist())
    found = sum(t in known for t in truth.column("true_pseudonym").to_pylist())
    assert found / truth.num_rows > 0.8


def test_regions_have_kreistyp_and_gemeinden(out_dir: Path) -> None:
    regions = pq.read_table(out_dir / "regions.parquet").to_pylist()
    kreise = [r for r in regions if r["ebene"] == "KREIS"]
    assert 8 <= len(kreise) <= 12
    assert sum(k["kreistyp"] == "KFS" for k in kreise) in (2, 3)
    for k in kreise:
        assert k["ags"].startswith("17") and k["kreistyp"]
        gemeinden = [r for r in regions if r["parent_ags"] == k["ags"]]
        assert 5 <= len(gemeinden) <= 20
        assert all(g["ags"].startswith(k["ags"]) for g in gemeinden)
    schools = pq.read_table(out_dir / "schools.parquet")
    assert set(schools.column("schulform").to_pylist()) == set(ALL_CODE_LISTS["schulform"].codes)
