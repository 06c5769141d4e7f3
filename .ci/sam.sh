#!/usr/bin/env bash
# Validate (cfn-lint) and build the SAM application. Called by CI from the repository root;
# works on a fresh machine as root with network access to PyPI only. No Docker, no AWS credentials.
#
#   bash .ci/sam.sh
#
# Environment:
#   SAM_CLI_VERSION  aws-sam-cli version installed into .cache/samvenv (default below)
#   SAM_VENV         venv location (default .cache/samvenv)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS

SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"
SAM_VENV="${SAM_VENV:-.cache/samvenv}"
# SAM CLI telemetry would try to reach AWS endpoints: keep it off.
export SAM_CLI_TELEMETRY=0
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '[sam.sh] %s\n' "$*"; }

# ---------------------------------------------------------------- SAM CLI venv
sam_ok() {
    [ -x "$SAM_VENV/bin/sam" ] &&
        "$SAM_VENV/bin/sam" --version 2>/dev/null | grep -q "version ${SAM_CLI_VERSION}\$"
}

# shellcheck source=.ci/tool-venv.sh
source .ci/tool-venv.sh
tool_venv "$SAM_VENV" aws-sam-cli "${SAM_CLI_VERSION}" sam_ok
SAM="$SAM_VENV/bin/sam"

# ---------------------------------------------------------------- validate + lint
log "sam validate --lint"
"$SAM" validate --lint --template-file template.yaml

# ---------------------------------------------------------------- build (needs python3.12)
# Prints the real path of a working python3.12 (pyenv shims exist for every installed version but
# fail unless that version is selected, so each candidate is run, not just found).
find_python312() {
    local candidates=() p root=""
    if p="$(command -v python3.12 2>/dev/null)"; then
        candidates+=("$p")
    fi
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root)"
    elif [ -d "${PYENV_ROOT:-$HOME/.pyenv}" ]; then
        root="${PYENV_ROOT:-$HOME/.pyenv}"
    fi
    if [ -n "$root" ]; then
        while IFS= read -r p; do
            candidates+=("$p")
        done < <(ls -d "$root"/versions/3.12*/bin/python3.12 2>/dev/null | sort -V -r)
    fi
    for p in ${candidates[@]+"${candidates[@]}"}; do
        if [ -x "$p" ] && "$p" -c 'import sys; assert sys.version_info[:2] == (3, 12); print(sys.executable)' 2>/dev/null; then
            return 0
        fi
    done
    return 1
}

if ! py312="$(find_python312)"; then
    log "sam build skipped: no python3.12 on PATH"
    log "done in $((SECONDS - start))s"
    exit 0
fi
export PATH="$(dirname "$py312"):$PATH"
log "sam build (python3.12 = $py312, $("$py312" --version 2>&1))"
"$SAM" build --template-file template.yaml --build-dir .aws-sam/build

# ---------------------------------------------------------------- check the artifacts
built=.aws-sam/build
fail=0
if [ ! -f "$built/SharedLayer/python/twschat/__init__.py" ]; then
    echo "sam.sh: layer artifact lacks python/twschat/__init__.py" >&2
    fail=1
fi
for fn in ConnectFunction DefaultFunction DisconnectFunction WelcomeFunction; do
    if [ ! -f "$built/$fn/app.py" ]; then
        echo "sam.sh: $fn artifact lacks app.py" >&2
        fail=1
    fi
done
if [ ! -f "$built/WebPublishFunction/publish.py" ] || [ ! -f "$built/WebPublishFunction/index.html" ]; then
    echo "sam.sh: WebPublishFunction lacks the page or its publisher" >&2
    fail=1
fi
# The layer carries only what the functions import: never the development tools.
if find "$built/SharedLayer" -path '*twschat_dev*' -print -quit | grep -q .; then
    echo "sam.sh: the layer contains twschat_dev (development tools)" >&2
    fail=1
fi
[ "$fail" = 0 ] || exit 1
# The Lambda runtime is Python 3.12: make sure everything shipped at least compiles there.
"$py312" -m compileall -q "$built"
find "$built" -name __pycache__ -type d -prune -exec rm -rf {} +
log "artifacts OK: $(cd "$built" && ls -d */ | tr -d / | tr '\n' ' ')"
log "done in $((SECONDS - start))s"
