"""End-to-end CLI runs: no artefact may contain identity values or key material."""

from __future__ import annotations

import base64
import logging
import secrets
import stat
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from bimo.core.errors import BimoError
from bimo.privacy import pseudonym_cli
from bimo.trajectories import linkage_cli

from .conftest import Delivery


def _app() -> typer.Typer:
    app = typer.Typer()
    pseudonym_cli.register(app)
    verlauf = typer.Typer()
    linkage_cli.add_commands(verlauf)
    app.add_typer(verlauf, name="verlauf")
    return app


def _invoke(
    args: list[str], env: dict[str, str] | None = None
) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(_app(), args, env=env)
    return result.exit_code, result.stdout + result.stderr, result.exception


def _forbidden(delivery: Delivery, key_hex: str) -> list[str]:
    raw = bytes.fromhex(key_hex)
    values: list[str] = [
        key_hex,
        key_hex.upper(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]
    frame = delivery.frame
    for column in ("vorname", "nachname", "schueler_id", "wohnanschrift"):
        values += [str(v) for v in frame[column].drop_nulls()]
    values += [d.isoformat() for d in frame["geburtsdatum"].drop_nulls()]
    values += [d.strftime("%d.%m.%Y") for d in frame["geburtsdatum"].drop_nulls()]
    return values


def _scan(paths: list[Path], texts: list[str], forbidden: list[str], raw_key: bytes) -> None:
    blobs = [t.encode("utf-8") for t in texts]
    for path in paths:
        for file in [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]:
            blobs.append(file.read_bytes())
    for blob in blobs:
        assert raw_key not in blob
        for value in forbidden:
            assert value.encode("utf-8") not in blob, "Identitäts- oder Schlüsselwert gefunden"


def test_pseudonymize_run_leaks_nothing(
    delivery: Delivery,
    key_file: Path,
    key_hex: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "ausgabe"
    code, output, exc = _invoke(
        [
            "pseudonymize",
            str(delivery.identities),
            "--key-file",
            str(key_file),
            "--content",
            str(delivery.content),
            "--out",
            str(out),
        ]
    )
    assert code == 0, output
    assert exc is None
    assert (out / "student_years.parquet").exists()
    assert "Identitäten gesamt" in output
    mapping = tmp_path / "vs" / "mapping.parquet"
    new_key = tmp_path / "neu.key"
    code, gen_output, _ = _invoke(["key", "generate", "--out", str(new_key)])
    assert code == 0
    assert stat.S_IMODE(new_key.stat().st_mode) == 0o600
    code, rot_output, exc = _invoke(
        [
            "key",
            "rotate",
            "--identities",
            str(delivery.identities),
            "--old-key-file",
            str(key_file),
            "--new-key-file",
            str(new_key),
            "--mapping-out",
            str(mapping),
        ]
    )
    assert code == 0, rot_output
    texts = [output, gen_output, rot_output, caplog.text]
    forbidden = _forbidden(delivery, key_hex)
    new_hex = new_key.read_text(encoding="ascii").strip()
    forbidden += [new_hex, base64.b64encode(bytes.fromhex(new_hex)).decode()]
    _scan([out, mapping], texts, forbidden, bytes.fromhex(key_hex))
    _scan([out, mapping], texts, forbidden, bytes.fromhex(new_hex))


def test_weak_or_missing_key_errors_do_not_echo_the_key(
    delivery: Delivery, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weak = ("ab" * 8 + secrets.token_hex(4)) * 2  # 40 bytes, period 20
    weak_file = tmp_path / "schwach.key"
    weak_file.write_text(weak, encoding="ascii")
    for args, env in (
        (["--key-file", str(weak_file)], None),
        ([], {"BIMO_PSEUDONYM_KEY": weak}),
        ([], {"BIMO_PSEUDONYM_KEY": weak[:40]}),
    ):
        code, output, exc = _invoke(
            ["pseudonymize", str(delivery.identities), "--out", str(tmp_path / "o"), *args], env
        )
        assert code != 0
        assert isinstance(exc, BimoError)
        message = str(exc)
        assert "Schlüssel" in message
        for text in (message, output):
            assert weak not in text
            assert weak[:40] not in text
            assert base64.b64encode(bytes.fromhex(weak)).decode() not in text
    assert not (tmp_path / "o" / "student_years.parquet").exists()
    monkeypatch.delenv("BIMO_PSEUDONYM_KEY", raising=False)
    code, _, exc = _invoke(["pseudonymize", str(delivery.identities), "--out", str(tmp_path / "o")])
    assert isinstance(exc, BimoError)
    assert "Kein Pseudonymisierungsschlüssel" in str(exc)


def test_rotation_procedure_via_cli(delivery: Delivery, key_file: Path, tmp_path: Path) -> None:
    from bimo.core.store import AnalyticStore

    new_key = tmp_path / "neu.key"
    assert _invoke(["key", "generate", "--out", str(new_key)])[0] == 0
    for key, out in ((key_file, "alt"), (new_key, "neu")):
        code, output, _ = _invoke(
            [
                "pseudonymize",
                str(delivery.identities),
                "--key-file",
                str(key),
                "--content",
                str(delivery.content),
                "--out",
                str(tmp_path / out),
                "--purpose",
                "studie-1",
            ]
        )
        assert code == 0, output
    store_path = tmp_path / "analyse.duckdb"
    first = tmp_path / "alt" / "student_years.parquet"
    with AnalyticStore(store_path) as store, store.transaction() as con:
        con.execute(f"INSERT INTO student_years SELECT * FROM '{first}'")
    mapping = tmp_path / "vs" / "mapping.parquet"
    code, output, _ = _invoke(
        [
            "key",
            "rotate",
            "--identities",
            str(delivery.identities),
            "--old-key-file",
            str(key_file),
            "--new-key-file",
            str(new_key),
            "--mapping-out",
            str(mapping),
            "--purpose",
            "studie-1",
        ]
    )
    assert code == 0, output
    code, output, exc = _invoke(
        ["verlauf", "apply-rotation", str(mapping), "--store", str(store_path)]
    )
    assert code == 0, (output, exc)
    assert f"{len(delivery.frame)} Datensätze umgeschlüsselt" in output
    with AnalyticStore(store_path, read_only=True) as store:
        got = sorted(r[0] for r in store.raw.sql("SELECT pseudonym FROM student_years").fetchall())
    expected = sorted(pl.read_parquet(tmp_path / "neu" / "student_years.parquet")["pseudonym"])
    assert got == expected
