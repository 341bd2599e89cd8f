#!/usr/bin/env bash
# Installs what audio:build / audio:validate need, when missing (idempotent): espeak-ng (French voice
# included), sox, and sox's extra format handlers (mp3, ogg, flac... for operator-supplied recordings).
set -euo pipefail
need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)
dpkg -s libsox-fmt-all >/dev/null 2>&1 || need+=(libsox-fmt-all)
if [ "${#need[@]}" -eq 0 ]; then
  echo "[audio-install-tools] espeak-ng, sox and libsox-fmt-all already installed"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "[audio-install-tools] need root to apt-get install ${need[*]}" >&2; exit 1; }
echo "[audio-install-tools] apt-get install ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}" >/dev/null ||
  { apt-get update -o DPkg::Lock::Timeout=600 >/dev/null && apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}" >/dev/null; }
espeak-ng --voices=fr | grep -q 'fr' || { echo "[audio-install-tools] espeak-ng has no French voice" >&2; exit 1; }
