#!/usr/bin/env bash
# Render tonight's editions as known today, then prune old ones.
# Called by cron, the systemd timer and the GitHub Actions workflow alike.
# Exit code: that of `briefing render` (0 all good, 1 some briefs failed,
# 2 invalid data or usage); the run report is briefs/_runs/latest.json.
set -uo pipefail
cd "$(dirname "$0")/.."
make --quiet setup || exit 2
# BRIEFING_REVISE=1 also publishes marked revisions of published editions whose inputs changed.
# BRIEFING_SCHEDULER=tcp://host:8786 builds on a Dask cluster (deploy/README.md); this machine still publishes.
.venv/bin/briefing render --as-of today --wait "${BRIEFING_LOCK_WAIT:-900}" ${BRIEFING_REVISE:+--revise} \
  ${BRIEFING_SCHEDULER:+--scheduler "$BRIEFING_SCHEDULER"}
status=$?
.venv/bin/briefing prune --keep "${BRIEFING_KEEP:-30}" || true
exit "$status"
