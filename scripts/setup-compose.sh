#!/usr/bin/env bash
# Makes `docker compose` available for the docker-compose.yml validation test (`docker compose config` needs
# the Compose plugin only, no Docker engine). Idempotent: nothing to do when `docker compose version` works.
# Otherwise builds Compose v2 from its Go module (Go toolchain + module proxy) into .cache/bin and links it
# as the current user's Docker CLI plugin.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VERSION="${MINIBOT_COMPOSE_VERSION:-v2.32.4}"
if docker compose version >/dev/null 2>&1; then
  exit 0
fi
command -v docker >/dev/null || { echo "setup-compose: the docker CLI is missing (apt-get install docker.io or docker-ce-cli)" >&2; exit 1; }
command -v go >/dev/null || { echo "setup-compose: Go is needed to build Docker Compose $VERSION" >&2; exit 1; }
BIN="$ROOT/.cache/bin/docker-compose-$VERSION"
if [ ! -x "$BIN" ]; then
  mkdir -p "$ROOT/.cache/bin" "$ROOT/.cache/go-compose"
  tmp="$ROOT/.cache/go-compose/bin"
  GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-trimpath go install "github.com/docker/compose/v2/cmd@$VERSION"
  mv "$tmp/cmd" "$BIN"
fi
mkdir -p "$HOME/.docker/cli-plugins"
ln -sf "$BIN" "$HOME/.docker/cli-plugins/docker-compose"
docker compose version >/dev/null
