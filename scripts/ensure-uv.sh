#!/usr/bin/env bash
# Print a command that runs uv, installing uv from PyPI first if it is missing.
set -euo pipefail
if command -v uv >/dev/null 2>&1; then echo uv; exit 0; fi
PY=${PYTHON:-python3}
if ! "$PY" -m uv --version >/dev/null 2>&1; then
  "$PY" -m pip install --quiet --disable-pip-version-check uv >&2
fi
echo "$PY -m uv"
