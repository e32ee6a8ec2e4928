#!/usr/bin/env bash
# Make sure the Debian packages the test suite needs are installed:
#   chromium + fonts-noto-cjk  (browser tests, Chinese glyphs in screenshots and in PDFs)
#   libpango-1.0-0 libpangoft2-1.0-0  (WeasyPrint: 采集表 PDF)
#   postgresql                 (the second test run, on a throwaway cluster)
#   redis-server               (tests/test_two_servers.py: rate limits shared by two servers)
# Installs only what is missing (one `apt-get update` first). Where apt is unavailable or the install fails,
# prints a loud warning and exits 0 so the suite runs without those parts (conftest skips the browser tests,
# scripts/pg_test.sh skips the PostgreSQL run) -- unless STRICT=1 (the default under CI), which makes it fail.
# Usage: scripts/sysdeps.sh [package...]
set -uo pipefail

packages=("$@")
[ ${#packages[@]} -eq 0 ] && packages=(chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 postgresql redis-server)

give_up() {
    {
        echo
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo "!!  scripts/sysdeps.sh: cannot install: ${missing[*]}"
        echo "!!  reason: $1"
        echo "!!  Tests that need them will be SKIPPED (browser tests / PostgreSQL run)."
        echo "!!  Install them by hand: apt-get install -y ${missing[*]}"
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo
    } >&2
    if [ "${STRICT:-0}" = 1 ]; then
        echo "STRICT=1: failing instead of skipping." >&2
        exit 1
    fi
    exit 0
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
else
    missing=("${packages[@]}")
    give_up "no dpkg/apt on this machine"
fi
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null 2>&1 || give_up "apt-get not found"
sudo=()
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        give_up "not root and no password-less sudo"
    fi
fi

echo "scripts/sysdeps.sh: installing ${missing[*]} (apt-get update first)" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq || give_up "apt-get update failed"
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null || give_up "apt-get install failed"
for p in "${missing[@]}"; do installed "$p" || give_up "$p still not installed after apt-get install"; done
echo "scripts/sysdeps.sh: installed ${missing[*]}" >&2
