#!/usr/bin/env bash
# Installs the Debian packages of scripts/system-packages.txt that are missing (the image's run-time
# packages), so that CI renders PDFs with the same libraries as the container. A no-op when all are there.
set -euo pipefail
cd "$(dirname "$0")"
mapfile -t wanted < <(grep -Ev '^\s*(#|$)' system-packages.txt)
missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "system: ${#wanted[@]} run-time packages present (installed ${#missing[@]})"
