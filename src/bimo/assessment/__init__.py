"""Lernstandserhebungen: IRT calibration (``irt``), linking and standards (``standards``)."""
