#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing (Playwright may not download one),
# and npm, which installs axe-core for their accessibility checks (make setup-browser).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-dejavu-core)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
/usr/bin/chromium --version
echo "npm $(npm --version)"
