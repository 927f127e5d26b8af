"""Level models: shipped model, classification at the bounds, schema errors in German."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bimo.assessment.standards import (
    LevelModelError,
    builtin_models,
    load_level_model,
    parse_level_model,
)

VALID = """
name: test
title: Testmodell
levels:
  - {code: Ia, lower: null, standard: unter_mindeststandard}
  - {code: Ib, lower: 400, standard: unter_mindeststandard}
  - {code: II, lower: 450, standard: mindeststandard}
  - {code: III, lower: 500, standard: regelstandard}
"""


def test_primary_reading_model_is_shipped_with_iqb_bounds() -> None:
    assert "primar_deutsch_lesen" in builtin_models()
    model = load_level_model("primar_deutsch_lesen")
    assert model.codes == ("I", "II", "III", "IV", "V")
    np.testing.assert_array_equal(model.bounds, [390, 465, 540, 615])
    assert [lv.standard for lv in model.levels] == [
        "unter_mindeststandard",
        "mindeststandard",
        "regelstandard",
        "regelstandard_plus",
        "optimalstandard",
    ]


def test_classification_uses_inclusive_lower_bounds() -> None:
    model = load_level_model("primar_deutsch_lesen")
    scores = np.array([200.0, 389.99, 390.0, 464.9, 465.0, 539.0, 540.0, 614.99, 615.0, 900.0])
    np.testing.assert_array_equal(model.classify(scores), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])


def test_model_from_file_with_several_levels_below_minimum(tmp_path: Path) -> None:
    path = tmp_path / "modell.yaml"
    path.write_text(VALID, encoding="utf-8")
    model = load_level_model(str(path))
    assert model.codes == ("Ia", "Ib", "II", "III")
    assert model.mask(frozenset({"unter_mindeststandard"})).tolist() == [True, True, False, False]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [", "kein gültiges YAML"),
        ("- a\n- b", "erwartet wird eine Zuordnung"),
        (VALID.replace("lower: 450", "lower: 390"), "Untergrenze 390 muss größer sein"),
        (VALID.replace("lower: 450", "lower: viel"), "„lower“ muss eine Zahl sein"),
        (VALID.replace("code: Ia, lower: null", "code: Ia, lower: 100"), "keine Untergrenze"),
        (VALID.replace("standard: regelstandard}", "standard: gut}"), "„standard“ muss einer"),
        (
            VALID.replace(
                "{code: II, lower: 450, standard: mindeststandard}",
                "{code: II, lower: 450, standard: regelstandard}",
            ),
            "keine Stufe für mindeststandard",
        ),
        (
            VALID.replace(
                "{code: III, lower: 500, standard: regelstandard}",
                "{code: III, lower: 500, standard: unter_mindeststandard}",
            ),
            "liegt unter dem der Stufe darunter",
        ),
        (VALID.replace("title: Testmodell", "titel: Testmodell"), "unbekannte Schlüssel: titel"),
        (VALID.replace("code: Ib", "code: Ia"), "nicht eindeutig"),
    ],
)
def test_malformed_level_files_are_rejected_in_german(text: str, message: str) -> None:
    with pytest.raises(LevelModelError, match=message) as info:
        parse_level_model(text, "kaputt.yaml")
    assert "Kompetenzstufenmodell kaputt.yaml" in str(info.value)


def test_unknown_model_name_lists_the_shipped_models() -> None:
    with pytest.raises(LevelModelError, match="primar_deutsch_lesen"):
        load_level_model("sek1_physik")
