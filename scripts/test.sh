#!/usr/bin/env bash
# Installs what is missing (Chromium and PostgreSQL included), starts PostgreSQL for the
# database tests, then runs the whole test suite (real models, real browser, real databases).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
if [ -z "${ANALYSER_TEST_PG_URL:-}" ]; then
  if url=$(bash scripts/start_postgres.sh 2>/dev/null); then
    export ANALYSER_TEST_PG_URL="$url"
  else
    echo "test: PostgreSQL could not be started here; its tests will be skipped" >&2
  fi
fi
exec .venv/bin/python -m pytest -ra "$@"
