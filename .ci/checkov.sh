#!/usr/bin/env bash
# Static security analysis of template.yaml with checkov (CloudFormation framework, which reads SAM
# templates: AWS::Serverless::* resources and Globals are expanded by checkov itself). Called by CI
# from the repository root; needs network access to PyPI only. No AWS credentials.
#
#   bash .ci/checkov.sh
#
# Skipped checks are justified next to the resource in template.yaml (Metadata: checkov: skip:).
# The raw template is scanned, not the SAM-transformed one: the transform needs AWS for managed
# policies, and the roles it generates come from the inline Policies written in the template.
#
# Environment:
#   CHECKOV_VERSION  checkov version installed into .cache/checkovvenv (default below)
#   CHECKOV_VENV     venv location (default .cache/checkovvenv)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS

CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
CHECKOV_VENV="${CHECKOV_VENV:-.cache/checkovvenv}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# No calls home: no guideline mapping download (also --skip-download), no new-version check.
export BC_SKIP_MAPPING=TRUE
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true

log() { printf '[checkov.sh] %s\n' "$*"; }

checkov_ok() {
    [ -x "$CHECKOV_VENV/bin/checkov" ] &&
        [ "$("$CHECKOV_VENV/bin/checkov" --version 2>/dev/null)" = "$CHECKOV_VERSION" ]
}

if checkov_ok; then
    log "reusing $CHECKOV_VENV (checkov $CHECKOV_VERSION)"
else
    host_python="$(command -v python3 || true)"
    if [ -z "$host_python" ]; then
        echo "checkov.sh: no python3 on PATH to create $CHECKOV_VENV" >&2
        exit 1
    fi
    log "creating $CHECKOV_VENV with $host_python ($("$host_python" --version 2>&1))"
    rm -rf "$CHECKOV_VENV"
    mkdir -p "$(dirname "$CHECKOV_VENV")"
    if ! "$host_python" -m venv "$CHECKOV_VENV" 2>/dev/null; then
        # Debian's python3 lacks ensurepip unless python3-venv is installed.
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
            log "python3 -m venv failed; installing python3-venv"
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            rm -rf "$CHECKOV_VENV"
            "$host_python" -m venv "$CHECKOV_VENV"
        else
            echo "checkov.sh: '$host_python -m venv' failed (install python3-venv)" >&2
            exit 1
        fi
    fi
    log "installing checkov==${CHECKOV_VERSION}"
    "$CHECKOV_VENV/bin/python" -m pip install -qq --upgrade pip
    "$CHECKOV_VENV/bin/python" -m pip install -qq "checkov==${CHECKOV_VERSION}"
    log "installed: checkov $("$CHECKOV_VENV/bin/checkov" --version)"
fi

log "checkov -f template.yaml --framework cloudformation"
"$CHECKOV_VENV/bin/checkov" -f template.yaml --framework cloudformation --quiet --compact --skip-download
log "done in $((SECONDS - start))s"
