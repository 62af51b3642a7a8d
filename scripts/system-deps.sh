#!/usr/bin/env bash
# Debian packages the project needs, installed only when missing:
# libgl1 for the pymol-open-source wheel, chromium for the browser tests.
set -euo pipefail
missing=()
dpkg -s libgl1 >/dev/null 2>&1 || missing+=(libgl1)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
