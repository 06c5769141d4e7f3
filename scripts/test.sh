#!/usr/bin/env bash
# The test command (README and CI): set up .venv, install DynamoDB Local, run the whole suite.
# Integration tests start DynamoDB Local (Java 17) and the local gateway; they are skipped with a
# reason when Java or the jar is missing, unless TWSCHAT_REQUIRE_DYNAMODB_LOCAL=1 (CI sets it).
#   bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
bash .ci/dynamodb-local.sh
exec .venv/bin/python -m pytest "$@"
