#!/usr/bin/env bash
# The test command (README and CI): set up .venv, install DynamoDB Local, run the whole suite, then
# the unit and functional suites again with the wall clock moved a year ahead (time-machine), so a
# test that compares a fixed date with the real clock fails today, not on a fresh clone next month.
# Integration tests start DynamoDB Local (Java 17) and the local gateway; they are skipped with a
# reason when Java or the jar is missing, unless TWSCHAT_REQUIRE_DYNAMODB_LOCAL=1 (CI sets it).
#   bash scripts/test.sh                 # both passes
#   bash scripts/test.sh [pytest args]   # one pass, with these arguments (e.g. -k rerun)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
bash .ci/dynamodb-local.sh
bash .ci/browser.sh
if [ "$#" -gt 0 ]; then
    exec .venv/bin/python -m pytest "$@"
fi
.venv/bin/python -m pytest
echo
echo "=== the unit and functional suites again, with the wall clock a year ahead"
TWSCHAT_CLOCK_OFFSET_DAYS=365 .venv/bin/python -m pytest tests/unit tests/functional -q
