# Shared helpers for the asterisk-*.sh scripts (sourced, not executed).
# The Asterisk 22 test/demo instance lives in a Debian sid chroot under the repo's ignored .cache folder.

ASTERISK_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where the chroot lives; override to share one chroot between clones.
ASTERISK_ROOT="${MINIBOT_ASTERISK_ROOT:-$ASTERISK_REPO_ROOT/.cache/asterisk-root}"
# Marker written as the very last install step: its presence means "complete and usable".
ASTERISK_READY_MARKER="$ASTERISK_ROOT/.minibot-asterisk-ready"
ASTERISK_DATA_DIR="${MINIBOT_ASTERISK_DATA_DIR:-$ASTERISK_REPO_ROOT/data/asterisk}"
ASTERISK_PID_FILE="$ASTERISK_DATA_DIR/asterisk.pid"
ASTERISK_LOCK_FILE="${TMPDIR:-/tmp}/minibot-asterisk-$(printf '%s' "$ASTERISK_ROOT" | md5sum | cut -c1-8).lock"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

require_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot and mounts need it)"
}

# Runs a command inside the chroot in a private mount namespace with /proc, /dev (and /dev/pts) bound.
# The namespace dies with the command, so the bind mounts can never be leaked, even on kill -9.
in_chroot() {
  unshare --mount --propagation private -- /bin/sh -c '
    root="$1"; shift
    mount --bind /proc "$root/proc" &&
    mount --bind /dev "$root/dev" &&
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
  ' in_chroot "$ASTERISK_ROOT" "$@"
}

asterisk_installed() {
  [ -f "$ASTERISK_READY_MARKER" ] && [ -x "$ASTERISK_ROOT/usr/sbin/asterisk" ]
}
