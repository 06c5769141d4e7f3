#!/usr/bin/env bash
# Sourced by the CI scripts: tool_venv DIR PACKAGE VERSION CHECK_CMD...
# Creates (or reuses) a virtualenv at DIR holding PACKAGE==VERSION, apart from the app's .venv (tools
# such as aws-sam-cli pin their own boto3). CHECK_CMD must succeed for an existing venv to be reused.
# Works as root on a fresh Debian machine: installs python3-venv when python3 lacks ensurepip.

tool_venv() {
    local dir="$1" package="$2" version="$3"
    shift 3
    if [ -x "$dir/bin/python" ] && "$@" >/dev/null 2>&1; then
        printf '[tool-venv] reusing %s (%s %s)\n' "$dir" "$package" "$version"
        return 0
    fi
    local host_python
    host_python="$(command -v python3 || true)"
    if [ -z "$host_python" ]; then
        echo "tool-venv: no python3 on PATH to create $dir" >&2
        return 1
    fi
    printf '[tool-venv] creating %s with %s\n' "$dir" "$("$host_python" --version 2>&1)"
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    if ! "$host_python" -m venv "$dir" 2>/dev/null; then
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            rm -rf "$dir"
            "$host_python" -m venv "$dir"
        else
            echo "tool-venv: '$host_python -m venv' failed (install python3-venv)" >&2
            return 1
        fi
    fi
    "$dir/bin/python" -m pip install -qq --upgrade pip
    "$dir/bin/python" -m pip install -qq "${package}==${version}"
    printf '[tool-venv] installed %s %s\n' "$package" "$version"
}
