"""Normalisation, HMAC, output shape, quarantine and key rotation."""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bimo.core.errors import BimoError, InputFileError
from bimo.core.schemas import STUDENT_YEARS
from bimo.core.store import AnalyticStore
from bimo.privacy.keys import MasterKey
from bimo.privacy.pseudonym import (
    HmacSha256,
    apply_rotation,
    normalize_name,
    pseudonymize,
    rotation_mapping,
)

from .conftest import PEOPLE, Delivery, content_row, write_delivery


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Müller-Lüdenscheidt", "mullerludenscheidt"),
        ("MÜLLER LÜDENSCHEIDT", "mullerludenscheidt"),
        ("Çağla", "cagla"),
        ("Łukasz", "lukasz"),
        ("ŁUKASZ", "lukasz"),
        ("Nguyễn Thị", "nguyenthi"),
        ("Đặng", "dang"),
        ("Strauß", "strauss"),
        ("STRAUẞ", "strauss"),
        ("Ærø", "aero"),
        ("Søren", "soren"),
        ("O'Connor", "oconnor"),
        ("O’Connor", "oconnor"),
        ("Anne-Marie", "annemarie"),
        ("  Jean\u00a0Luc ", "jeanluc"),
        ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("Zoë", "zoe"),
        ("Şükrü", "sukru"),
        ("Œdipe", "oedipe"),
    ],
)
def test_normalize_name(name: str, expected: str) -> None:
    assert normalize_name(name) == expected


def test_fast_hmac_equals_stdlib() -> None:
    for key in (secrets.token_bytes(32), secrets.token_bytes(100)):
        messages = ["", "a|b|2010-01-01|w", "nguyenthi|dao|2012-02-29|w" * 20]
        expected = [hmac.digest(key, m.encode(), "sha256").hex() for m in messages]
        assert HmacSha256(key).hexdigests(messages) == expected
        assert key.hex() not in repr(HmacSha256(key))


def _key() -> MasterKey:
    return MasterKey(secrets.token_bytes(32), "Test")


def test_output_is_student_years_in_schema_order(delivery: Delivery, tmp_path: Path) -> None:
    result = pseudonymize(
        delivery.identities,
        _key(),
        tmp_path / "out",
        content_path=delivery.content,
        purpose="bildungsverlauf",
    )
    out = pl.read_parquet(tmp_path / "out" / "student_years.parquet")
    assert tuple(out.columns) == STUDENT_YEARS.column_names
    assert out.height == len(PEOPLE) == result.inhalt_geschrieben
    assert out["record_key"].is_null().all()
    assert out["pseudonym"].str.contains(r"^[0-9a-f]{64}$").all()
    assert out["pseudonym"].n_unique() == len(PEOPLE)
    assert result.kollisionen_schuljahr == 0
    # Ready for the analytic store: the DDL's NOT NULL/types accept it.
    store = AnalyticStore(tmp_path / "a.duckdb")
    with store.transaction() as con:
        con.register("incoming", out.to_arrow())
        con.execute("INSERT INTO student_years SELECT * FROM incoming")
    assert store.count("student_years") == len(PEOPLE)
    store.close()


def test_spelling_variants_get_the_same_pseudonym(tmp_path: Path) -> None:
    key = _key()
    a = write_delivery(tmp_path / "a", [("Jürgen", "Müller-Lüdenscheidt", date(2010, 3, 14), "m")])
    b = write_delivery(tmp_path / "b", [("JÜRGEN", "Muller Ludenscheidt", date(2010, 3, 14), "M")])
    c = write_delivery(tmp_path / "c", [("Jürgen", "Müller-Lüdenscheidt", date(2010, 3, 15), "m")])
    got = []
    for d in (a, b, c):
        pseudonymize(d.identities, key, d.identities.parent / "o", purpose="p")
        got.append(
            pl.read_parquet(d.identities.parent / "o" / "pseudonyms.parquet")["pseudonym"][0]
        )
    assert got[0] == got[1]
    assert got[0] != got[2]


def test_purposes_cannot_be_joined(delivery: Delivery, tmp_path: Path) -> None:
    key = _key()
    out = {}
    for purpose in ("projekt-a", "projekt-b"):
        pseudonymize(delivery.identities, key, tmp_path / purpose, purpose=purpose)
        out[purpose] = pl.read_parquet(tmp_path / purpose / "pseudonyms.parquet")
    a, b = out["projekt-a"], out["projekt-b"]
    assert a["lieferung_id"].to_list() == b["lieferung_id"].to_list()
    assert set(a["pseudonym"]).isdisjoint(set(b["pseudonym"]))
    # Same purpose, another key holder's key: also disjoint.
    pseudonymize(delivery.identities, _key(), tmp_path / "other", purpose="projekt-a")
    other = pl.read_parquet(tmp_path / "other" / "pseudonyms.parquet")
    assert set(a["pseudonym"]).isdisjoint(set(other["pseudonym"]))


def test_csv_input_quarantine_and_reconciliation(tmp_path: Path) -> None:
    ident = tmp_path / "identities.csv"
    ident.write_text(
        "lieferung_id,schueler_id,vorname,nachname,geburtsdatum,geschlecht,wohnanschrift\n"
        "L1,S1,Ada,Lovelace,2010-12-10,w,Weg 1\n"
        "L2,S2,,Babbage,2010-12-26,m,Weg 2\n"  # missing first name
        "L3,S3,Grace,Hopper,2013-02-30,w,Weg 3\n"  # impossible date
        "L4,S4,Alan,Turing,2011-06-23,q,Weg 4\n"  # invalid sex code
        "L5,S5,Kurt,Gödel,,m,Weg 5\n"  # missing birth date
        "L6,S6,Emmy,Noether,2012-03-23,w,Weg 6\n"  # fine, but no content row
        "L1,S7,Ada,Doppelt,2010-01-01,w,Weg 7\n",  # duplicate Lieferkennung
        encoding="utf-8",
    )
    content = tmp_path / "lieferung.csv"
    rows = [content_row(i) for i in ("L1", "L2", "L3", "L9")]
    rows.append(content_row("L1") | {"lieferung_id": "L6", "jahrgangsstufe": "drei"})
    pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.all().cast(pl.String)).write_csv(
        content
    )
    result = pseudonymize(ident, _key(), tmp_path / "out", content_path=content, purpose="p")
    assert result.identitaeten_gesamt == 7
    assert result.identitaeten_quarantaene == 6  # L2, L3, L4, L5 and both L1 rows
    assert result.identitaeten_pseudonymisiert == 1
    assert result.inhalt_gesamt == 5
    assert result.inhalt_geschrieben == 0
    assert result.inhalt_quarantaene == 5
    q = pl.read_csv(tmp_path / "out" / "quarantaene.csv")
    reasons = {(r["datei"], r["zeile"], r["spalte"]) for r in q.iter_rows(named=True)}
    assert ("identities.csv", 2, "vorname") in reasons
    assert ("identities.csv", 3, "geburtsdatum") in reasons
    assert ("identities.csv", 4, "geschlecht") in reasons
    assert ("identities.csv", 5, "geburtsdatum") in reasons
    assert ("identities.csv", 1, "lieferung_id") in reasons
    assert ("lieferung.csv", 5, "jahrgangsstufe") in reasons
    assert ("lieferung.csv", 4, "lieferung_id") in reasons
    text = (tmp_path / "out" / "quarantaene.csv").read_text(encoding="utf-8")
    for secret in ("Babbage", "Hopper", "Turing", "Gödel", "2013-02-30", "S3", "Doppelt"):
        assert secret not in text


def test_semicolon_csv_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "identities.csv"
    path.write_text(
        "\ufefflieferung_id;schueler_id;vorname;nachname;geburtsdatum;geschlecht;wohnanschrift\n"
        "L1;S1;Ada;Lovelace, geb. Byron;2010-12-10;w;Weg 1\n",
        encoding="utf-8",
    )
    result = pseudonymize(path, _key(), tmp_path / "out", purpose="p")
    assert result.identitaeten_pseudonymisiert == 1


def test_missing_column_is_an_input_file_error(tmp_path: Path) -> None:
    path = tmp_path / "identities.csv"
    path.write_text("lieferung_id,vorname\nL1,Ada\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"identities\.csv.*nachname"):
        pseudonymize(path, _key(), tmp_path / "out", purpose="p")


def _store_with(tmp_path: Path, student_years: Path) -> AnalyticStore:
    store = AnalyticStore(tmp_path / "analyse.duckdb")
    with store.transaction() as con:
        con.execute(f"INSERT INTO student_years SELECT * FROM read_parquet('{student_years}')")
    return store


def test_key_rotation_end_to_end(delivery: Delivery, tmp_path: Path) -> None:
    old, new = _key(), _key()
    pseudonymize(
        delivery.identities, old, tmp_path / "alt", content_path=delivery.content, purpose="p"
    )
    pseudonymize(
        delivery.identities, new, tmp_path / "neu", content_path=delivery.content, purpose="p"
    )
    store = _store_with(tmp_path, tmp_path / "alt" / "student_years.parquet")
    mapping, quarantined = rotation_mapping(delivery.identities, old, new, purpose="p")
    assert quarantined == 0
    assert mapping.height == len(PEOPLE)
    assert apply_rotation(store, mapping) == len(PEOPLE)
    rotated = store.raw.sql("SELECT pseudonym FROM student_years").pl()["pseudonym"]
    expected = pl.read_parquet(tmp_path / "neu" / "student_years.parquet")["pseudonym"]
    assert sorted(rotated.to_list()) == sorted(expected.to_list())
    store.close()


def test_rotation_is_all_or_nothing(delivery: Delivery, tmp_path: Path) -> None:
    old, new = _key(), _key()
    pseudonymize(
        delivery.identities, old, tmp_path / "alt", content_path=delivery.content, purpose="p"
    )
    store = _store_with(tmp_path, tmp_path / "alt" / "student_years.parquet")
    before = store.raw.execute("SELECT pseudonym FROM student_years ORDER BY 1").fetchall()
    mapping, _ = rotation_mapping(delivery.identities, old, new, purpose="p")
    with pytest.raises(BimoError, match=r"1 Pseudonyme .* fehlen"):
        apply_rotation(store, mapping.slice(1))
    bad = mapping.with_columns(pl.lit("x" * 64).alias("new_pseudonym"))
    with pytest.raises(BimoError, match="ungültige"):
        apply_rotation(store, bad)
    after = store.raw.execute("SELECT pseudonym FROM student_years ORDER BY 1").fetchall()
    assert before == after
    store.close()


def test_mapping_file_is_private(delivery: Delivery, tmp_path: Path) -> None:
    from bimo.privacy.pseudonym import write_mapping

    mapping, _ = rotation_mapping(delivery.identities, _key(), _key(), purpose="p")
    path = tmp_path / "vs" / "mapping.parquet"
    write_mapping(mapping, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert pl.read_parquet(path).height == len(PEOPLE)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_normalisation_is_idempotent_and_letters_only(name: str) -> None:
    once = normalize_name(name)
    assert normalize_name(once) == once
    # Polars (Rust) may know newer Unicode letters than Python 3.11's unicodedata ("Cn").
    assert all(ch.isalnum() or unicodedata.category(ch) == "Cn" for ch in once)
    assert "|" not in once


def test_stray_identifying_content_columns_are_dropped(delivery: Delivery, tmp_path: Path) -> None:
    content = pl.read_parquet(delivery.content).with_columns(
        pl.lit("Geheimname").alias("vorname"), pl.lit("S-123").alias("schueler_id")
    )
    path = tmp_path / "lieferung_mit_namen.parquet"
    content.write_parquet(path)
    pseudonymize(delivery.identities, _key(), tmp_path / "out", content_path=path, purpose="p")
    target = tmp_path / "out" / "student_years.parquet"
    assert tuple(pl.read_parquet(target).columns) == STUDENT_YEARS.column_names
    assert b"Geheimname" not in target.read_bytes()
