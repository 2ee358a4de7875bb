#!/usr/bin/env bash
# Set up (see setup.sh) and run the demo; arguments go to `pepperpy-cache demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh runtime
exec .venv/bin/python -m pepperpy.caching demo "$@"
