#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing (Playwright may not download one).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
/usr/bin/chromium --version
