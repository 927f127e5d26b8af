#!/usr/bin/env bash
# System packages the test suite needs: PostgreSQL 15 server binaries (throwaway test cluster),
# a Java runtime (PySpark local mode), Node.js + npm (the local OIDC provider of the login tests
# and axe-core for the accessibility checks, installed from the npm registry at test time) and
# Debian's Chromium for the Playwright browser tests (Playwright's own browser download is not
# used). Installs only what is missing.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Bitte als root installieren: apt-get install ${need[*]}" >&2; exit 1
  fi
  echo "Installiere Systempakete: ${need[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi
