#!/usr/bin/env bash
# run.sh - the README's test command: builds picket twice (release with
# warnings as errors, and AddressSanitizer + UndefinedBehaviorSanitizer),
# runs every ctest test in each and fuzzes every target for
# PICKET_FUZZ_SECONDS (default 10) seconds. It is CI's own sequence
# (.ci/run) without the apt-get step; deploy/install-deps.sh installs what
# it needs.
set -euo pipefail
exec bash "$(dirname "$0")/../.ci/run" --no-install
