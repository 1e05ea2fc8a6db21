#!/usr/bin/env bash
# Installs what is missing, then runs the whole test suite (real models included).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python -m pytest -ra "$@"
