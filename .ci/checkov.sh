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

# shellcheck source=.ci/tool-venv.sh
source .ci/tool-venv.sh
tool_venv "$CHECKOV_VENV" checkov "${CHECKOV_VERSION}" checkov_ok

log "checkov -f template.yaml --framework cloudformation"
"$CHECKOV_VENV/bin/checkov" -f template.yaml --framework cloudformation --quiet --compact --skip-download
log "done in $((SECONDS - start))s"
