#!/usr/bin/env bash
# Debian packages the test suite needs, installed when missing (make test runs this; it is idempotent).
# Each capability adds the packages its tests need to PACKAGES, with the reason.
set -euo pipefail

PACKAGES=(
  redis-server  # Redis cache, checkpoints and feedback stream tests (tests/services.py starts it)
  chromium  # history: tests/history/test_report_chromium.py opens the offline HTML report headless
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "system-deps: please install ${missing[*]} (needs root and apt-get)" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
