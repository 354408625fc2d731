#!/usr/bin/env bash
# Regenerates shared/contexts/ from the pinned registry packages (see refresh-contexts.mjs).
# Needs node (>= 20), npm, tar and cargo. Running it twice gives identical files.
set -euo pipefail
exec node "$(dirname "$0")/refresh-contexts.mjs" "$@"
