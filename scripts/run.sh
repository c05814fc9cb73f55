#!/usr/bin/env bash
# Installs what is missing, then starts the Deskhand app (extra arguments go to `deskhand`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/deskhand "$@"
