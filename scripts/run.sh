#!/usr/bin/env bash
# Installs what is missing, then runs the main job: `analyser run` on the bundled sample
# calls (samples/), writing transcripts, draft scorecards and a manifest to out/.
# Extra arguments go to `analyser run`, e.g. `bash scripts/run.sh --model tiny.en`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/analyser run samples --out out "$@"
