#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard browser test (playwright-core drives it). Idempotent: does
# nothing when /usr/bin/chromium exists. Needs root (apt) on a fresh machine.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-browser: chromium is missing and this is not root: run  apt-get install -y chromium  as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -o DPkg::Lock::Timeout=600 >/dev/null
apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends chromium fonts-dejavu-core >/dev/null
test -x /usr/bin/chromium
