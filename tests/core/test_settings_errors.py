"""A bad ``BIMO_*`` variable ends a command with a German message naming it, no traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bimo import cli
from bimo.core.config import Settings, describe_settings_error, get_settings
from bimo.web.settings import WebSettings


def _message(**env: str) -> str | None:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        try:
            WebSettings()
            Settings()
        except ValueError as exc:
            return describe_settings_error(exc)
    return "kein Fehler"


def test_each_bad_variable_is_named_with_a_german_reason() -> None:
    text = _message(BIMO_WEB_GC_THRESHOLD="-5", BIMO_WEB_ANSWER_FAST_LANE="vielleicht")
    assert text is not None
    assert "BIMO_WEB_GC_THRESHOLD = '-5': zu klein (mindestens 0)" in text
    assert "BIMO_WEB_ANSWER_FAST_LANE = 'vielleicht': kein Wahrheitswert" in text
    assert _message(BIMO_MIN_CELL="abc") == (
        "Ungültige Einstellung: BIMO_MIN_CELL = 'abc': keine ganze Zahl"
    )


def test_other_errors_are_not_disguised() -> None:
    assert describe_settings_error(ValueError("kaputt")) is None


def test_the_command_exits_2_with_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BIMO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BIMO_MIN_CELL", "viele")
    get_settings.cache_clear()
    monkeypatch.setattr(sys, "argv", ["bimo", "db", "upgrade"])
    try:
        with pytest.raises(SystemExit) as stop:
            cli.main()
    finally:
        get_settings.cache_clear()
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "BIMO_MIN_CELL = 'viele': keine ganze Zahl" in " ".join(err.split())
    assert "Traceback" not in err
