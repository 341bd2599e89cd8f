#!/usr/bin/env bash
# Idempotent: Schemathesis (PyPI), the property-based tester that checks the API against its OpenAPI document,
# in its own virtualenv under .cache/schemathesis (git-ignored). Pinned so that a run means the same thing next
# month. The marker file is written last: an interrupted install is redone, never half used.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.cache/schemathesis"
VERSION="4.32.5"
MARKER="$VENV/.installed-$VERSION"
if [ -f "$MARKER" ] && [ -x "$VENV/bin/st" ]; then
  echo "setup-schemathesis: schemathesis $VERSION present in $VENV"
  exit 0
fi
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
"$VENV/bin/st" --version
touch "$MARKER"
