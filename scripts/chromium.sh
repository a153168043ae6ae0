#!/usr/bin/env bash
# Makes sure a Chromium for the browser tests is on this machine: Debian's package at /usr/bin/chromium
# (the tests drive it with playwright-core; no browser is downloaded by npm). Installs it with apt when
# missing, which needs root. Prints the browser's path.
#
#   scripts/chromium.sh            install when missing, print the path
#   CHROMIUM_PATH=/path/to/chrome  use that browser instead (nothing is installed)
set -euo pipefail

if [[ -n "${CHROMIUM_PATH:-}" ]]; then
	[[ -x "$CHROMIUM_PATH" ]] || { echo "chromium.sh: CHROMIUM_PATH=$CHROMIUM_PATH is not executable" >&2; exit 1; }
	echo "$CHROMIUM_PATH"
	exit 0
fi

BROWSER=/usr/bin/chromium
if [[ ! -x "$BROWSER" ]]; then
	if [[ "$(id -u)" != 0 ]]; then
		echo "chromium.sh: $BROWSER is missing; install Debian's chromium package (apt-get install -y chromium) as root, or set CHROMIUM_PATH" >&2
		exit 1
	fi
	echo "[chromium.sh] installing Debian's chromium package" >&2
	export DEBIAN_FRONTEND=noninteractive
	# One apt at a time on a shared machine: wait for the dpkg lock instead of failing on it.
	apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 ||
		echo "[chromium.sh] apt-get update failed; trying the package lists already here" >&2
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium >&2
fi
"$BROWSER" --version >&2
echo "$BROWSER"
