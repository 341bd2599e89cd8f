#!/usr/bin/env bash
# Stops the Asterisk started by asterisk-up.sh, and only that one (pid file data/asterisk/asterisk.pid, checked
# to be an asterisk process running in our chroot). SIGTERM, then SIGKILL after 15 s.
set -euo pipefail
source "$(dirname "$0")/asterisk-lib.sh"

if [ ! -f "$ASTERISK_PID_FILE" ]; then
  log "not running (no pid file $ASTERISK_PID_FILE)"
  exit 0
fi
pid="$(cat "$ASTERISK_PID_FILE")"
if [ -z "$pid" ] || [ ! -d "/proc/$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != asterisk ]; then
  log "stale pid file (pid '$pid' is not an asterisk process), removing it"
  rm -f "$ASTERISK_PID_FILE"
  exit 0
fi
if [ "$(readlink "/proc/$pid/root")" != "$(readlink -f "$ASTERISK_ROOT")" ]; then
  die "pid $pid is an asterisk outside $ASTERISK_ROOT: not ours, not touching it"
fi
kill -TERM "$pid"
for _ in $(seq 1 150); do
  [ -d "/proc/$pid" ] || break
  sleep 0.1
done
if [ -d "/proc/$pid" ]; then
  log "Asterisk (pid $pid) still running after 15 s, sending SIGKILL"
  kill -KILL "$pid" || true
fi
rm -f "$ASTERISK_PID_FILE"
log "Asterisk stopped (pid $pid)"
