#!/usr/bin/env bash
# Starts the project's Asterisk 22 (chroot from asterisk-install.sh) on loopback, configured from
# asterisk-configs/ rendered with the current environment (see scripts/asterisk-render.ts), and waits until
# ARI answers GET /ari/asterisk/info with the rendered credentials.
#   Ports: HTTP/ARI from ARI_URL (default 8088), SIP from ASTERISK_SIP_PORT (default 5060).
#   Pid file: data/asterisk/asterisk.pid; console output: data/asterisk/console.log.
# Installs the chroot first when it is missing. Re-running while it runs re-renders nothing and just waits.
# Env (script only): ASTERISK_START_TIMEOUT (seconds, default 60).
set -euo pipefail
source "$(dirname "$0")/asterisk-lib.sh"
require_root
cd "$ASTERISK_REPO_ROOT"
TSX="$ASTERISK_REPO_ROOT/node_modules/.bin/tsx"
[ -x "$TSX" ] || die "node_modules/.bin/tsx missing: run npm ci first"

asterisk_installed || bash "$ASTERISK_REPO_ROOT/scripts/asterisk-install.sh"
mkdir -p "$ASTERISK_DATA_DIR"

running_pid() {
  local pid
  [ -f "$ASTERISK_PID_FILE" ] || return 1
  pid="$(cat "$ASTERISK_PID_FILE")"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = asterisk ] || return 1
  printf '%s\n' "$pid"
}

exec 9>"$ASTERISK_LOCK_FILE"
flock 9

if pid="$(running_pid)"; then
  log "Asterisk already running (pid $pid), not restarting"
  exec "$TSX" "$ASTERISK_REPO_ROOT/scripts/asterisk-wait.ts" --pid "$pid" --timeout "${ASTERISK_START_TIMEOUT:-60}"
fi
rm -f "$ASTERISK_PID_FILE"
t0=$(date +%s%N)

R="$ASTERISK_ROOT"
# Keep the package's sample configs aside once; /etc/asterisk then holds only our rendered files.
[ -d "$R/etc/asterisk.dist" ] || mv "$R/etc/asterisk" "$R/etc/asterisk.dist"
moddir="$(cd "$R" && ls -d usr/lib/*/asterisk/modules | head -n1)"
[ -n "$moddir" ] || die "no Asterisk modules directory in $R"
rm -rf "$R/etc/asterisk.new"
"$TSX" "$ASTERISK_REPO_ROOT/scripts/asterisk-render.ts" --out "$R/etc/asterisk.new" --moddir "/$moddir" >&2
rm -rf "$R/etc/asterisk"
mv "$R/etc/asterisk.new" "$R/etc/asterisk"

ast_uid="$(awk -F: '$1=="asterisk"{print $3}' "$R/etc/passwd")"
ast_gid="$(awk -F: '$1=="asterisk"{print $3}' "$R/etc/group")"
[ -n "$ast_uid" ] && [ -n "$ast_gid" ] || die "no asterisk user in the chroot"
chown -R "0:$ast_gid" "$R/etc/asterisk"
chmod 750 "$R/etc/asterisk"

# Prompts and test-callee sentences, readable by Playback() as sound:minibot/<name>, minibot/callees/<name>.
snd="$R/usr/share/asterisk/sounds/minibot"
rm -rf "$snd"
mkdir -p "$snd/callees"
cp "$ASTERISK_REPO_ROOT"/audio/*.wav "$snd/" 2>/dev/null || log "warning: no prompts in audio/ (npm run audio:build)"
cp "$ASTERISK_REPO_ROOT"/audio/test-callees/*.wav "$snd/callees/" 2>/dev/null || log "warning: no test-callee sentences"
chmod -R a+rX "$snd"

for d in run/asterisk var/log/asterisk var/lib/asterisk var/spool/asterisk var/cache/asterisk \
  var/spool/asterisk/monitor/minibot-test var/spool/asterisk/recording; do
  mkdir -p "$R/$d"
  chown "$ast_uid:$ast_gid" "$R/$d"
done

# Private mount namespace (mounts vanish with the process), chroot, unprivileged user. Every step execs, so
# $! is Asterisk's own pid. -f: foreground (no fork), no console; output goes to console.log.
setsid unshare --mount --propagation private -- /bin/sh -c '
  root="$1"
  mount --bind /proc "$root/proc" && mount --bind /dev "$root/dev" &&
  exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    /usr/sbin/asterisk -f -n -U asterisk -G asterisk -C /etc/asterisk/asterisk.conf
' asterisk-up "$R" >"$ASTERISK_DATA_DIR/console.log" 2>&1 </dev/null 9>&- &
pid=$!
printf '%s\n' "$pid" >"$ASTERISK_PID_FILE"
log "started Asterisk (pid $pid), waiting for ARI"
"$TSX" "$ASTERISK_REPO_ROOT/scripts/asterisk-wait.ts" --pid "$pid" --timeout "${ASTERISK_START_TIMEOUT:-60}" || {
  log "Asterisk did not come up; last console lines:"
  tail -n 30 "$ASTERISK_DATA_DIR/console.log" >&2 || true
  exec 9>&- # asterisk-down.sh takes no lock, but release ours before stopping what we started
  bash "$ASTERISK_REPO_ROOT/scripts/asterisk-down.sh" || true
  exit 1
}
t1=$(date +%s%N)
log "Asterisk up (pid $pid) in $(( (t1 - t0) / 1000000 )) ms"
