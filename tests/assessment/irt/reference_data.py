"""Published reference data and estimates for the LSAT sections 6 and 7 (Bock & Lieberman 1970).

Sources (cited, values transcribed; the data are 1000 response patterns each):

* LSAT6 pattern frequencies and ltm's 2PL estimates: the printout of R package ltm,
  ``ltm(LSAT ~ z1, IRT.param = TRUE)`` (``LSAT`` in ltm is section 6), as published at
  https://rstudio-pubs-static.s3.amazonaws.com/1049111_d258e411eefe4ba085e3bbc59b32dbeb.html
  (pattern table with ``Obs`` column; Dffclt/Dscrmn table). The Rasch estimates are ltm's
  documented ``rasch(LSAT)`` result (common discrimination 0.755, difficulties −3.615,
  −1.322, −0.318, −1.730, −2.780); the same model is mirt's ``LSAT6`` example, where the
  latent SD of the Rasch fit equals the common slope.
* LSAT7 2PL estimates: mirt's own test suite (philchalmers/mirt,
  tests/testthat/test-02-confmirtOne.R / "exploratory mods": ``mirt(expand.table(LSAT7), 1)``
  gives a = 0.9879, 1.0809, 1.7058, 0.7652, 0.7358 and d = 1.8561, 0.8080, 1.8042, 0.4860,
  1.8545), https://rdrr.io/cran/mirt/src/tests/testthat/ . The LSAT7 pattern frequencies are
  those of mirt's ``LSAT7`` data set (Bock & Lieberman 1970); reproducing mirt's ten
  estimates to 0.002 from them confirms the transcription.
"""

from __future__ import annotations

import itertools

import numpy as np

LSAT6_COUNTS = {
    "00000": 3, "00001": 6, "00010": 2, "00011": 11, "00100": 1, "00101": 1, "00110": 3,
    "00111": 4, "01000": 1, "01001": 8, "01011": 16, "01101": 3, "01110": 2, "01111": 15,
    "10000": 10, "10001": 29, "10010": 14, "10011": 81, "10100": 3, "10101": 28, "10110": 15,
    "10111": 80, "11000": 16, "11001": 56, "11010": 21, "11011": 173, "11100": 11,
    "11101": 61, "11110": 28, "11111": 298,
}  # fmt: skip

# mirt LSAT7, patterns in lexicographic order 00000, 00001, …, 11111.
LSAT7_COUNTS = [
    12, 19, 1, 7, 3, 19, 3, 17, 10, 5, 3, 7, 7, 23, 8, 28,
    7, 39, 11, 34, 14, 51, 15, 90, 6, 25, 7, 35, 18, 136, 32, 308,
]  # fmt: skip

LTM_LSAT6_2PL_B = [-3.3597341, -1.3696497, -0.2798983, -1.8659189, -3.1235725]
LTM_LSAT6_2PL_A = [0.8253715, 0.7229499, 0.8904748, 0.6885502, 0.6574516]
LTM_LSAT6_RASCH_B = [-3.615, -1.322, -0.318, -1.730, -2.780]
LTM_LSAT6_RASCH_A = 0.755
MIRT_LSAT7_2PL_A = [0.9879, 1.0809, 1.7058, 0.7652, 0.7358]
MIRT_LSAT7_2PL_D = [1.8561, 0.8080, 1.8042, 0.4860, 1.8545]


def lsat6() -> np.ndarray:
    rows = [[int(c) for c in key] for key, n in LSAT6_COUNTS.items() for _ in range(n)]
    return np.array(rows)


def lsat7() -> np.ndarray:
    patterns = np.array(list(itertools.product([0, 1], repeat=5)))
    return np.repeat(patterns, LSAT7_COUNTS, axis=0)
