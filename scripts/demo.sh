#!/usr/bin/env bash
# Set up, then run the demo: sample libraries served over OAI-PMH on loopback, harvested, converted,
# clustered, indexed into the embedded engine, and the portal served on http://127.0.0.1:5000/.
# Options go to `grenselos demo` (e.g. --port 8080, --data-dir DIR, --no-serve).
set -euo pipefail
cd "$(dirname "$0")/.."
GRENSELOS_WITH_BROWSER=0 GRENSELOS_WITH_SOLR=0 ./scripts/setup.sh
exec .venv/bin/grenselos demo "$@"
