#!/usr/bin/env bash
# What the browser tests (tests/browser) need: Debian's Chromium, which Playwright drives through
# executable_path (never `playwright install`: no browser download, in CI or anywhere), and axe-core
# from npm under .cache/axe. Idempotent. Without them the browser tests are skipped with the reason,
# unless TWSCHAT_REQUIRE_BROWSER=1 (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x /usr/bin/chromium ]]; then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "warning: /usr/bin/chromium missing (as root: apt-get install chromium chromium-driver);" \
            "the browser tests will be skipped" >&2
    fi
fi
axe=.cache/axe/node_modules/axe-core/axe.min.js
if [[ ! -f "$axe" ]]; then
    if command -v npm >/dev/null 2>&1; then
        npm install --prefix .cache/axe --no-audit --no-fund --loglevel=error axe-core@4.14.1
    else
        echo "warning: npm missing: axe-core not installed; the accessibility tests will be skipped" >&2
    fi
fi
if [[ -x /usr/bin/chromium ]]; then
    # The wrapper script prints a shell warning on some systems; the version line is what matters.
    /usr/bin/chromium --version 2>/dev/null | head -1 || true
fi
[[ -f "$axe" ]] && echo "axe-core: $axe"
exit 0
