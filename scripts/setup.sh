#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install tws-chat with its development tools. Idempotent.
#   bash scripts/setup.sh          # app + dev tools (tests, ruff, mypy)
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"tws-chat needs Python 3.11+, .venv has {sys.version.split()[0]}")
PY
.venv/bin/pip install -q -e '.[dev]'
echo "setup: .venv ready ($(.venv/bin/python --version)); run .venv/bin/twschat serve"
