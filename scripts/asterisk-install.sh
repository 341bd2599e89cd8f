#!/usr/bin/env bash
# Installs Asterisk 22 (Debian sid packages) into a minbase debootstrap chroot under .cache/asterisk-root.
#
# Idempotent: a complete chroot (marker file) is reused as is. Safe if interrupted: every step that mounts
# anything runs in a private mount namespace (unshare -m), so no mount outlives the step; a debootstrap cut
# short is thrown away and redone; the apt step is simply re-run (apt/dpkg resume on their own).
#
# Env: MINIBOT_ASTERISK_ROOT (chroot path), ASTERISK_DEBIAN_MIRROR (override the mirror found in the
# machine's apt sources), ASTERISK_DEBIAN_SUITE (default sid).
set -euo pipefail
source "$(dirname "$0")/asterisk-lib.sh"

SUITE="${ASTERISK_DEBIAN_SUITE:-sid}"
PACKAGES=(asterisk asterisk-modules)

# The Debian mirror this machine already uses, read from its apt sources (deb822 .sources or one-line .list),
# skipping the security archive. Never a hard-coded site: the operator's mirror/proxy is what works here.
debian_mirror() {
  if [ -n "${ASTERISK_DEBIAN_MIRROR:-}" ]; then printf '%s\n' "$ASTERISK_DEBIAN_MIRROR"; return; fi
  local files=() f uri
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && files+=("$f")
  done
  [ "${#files[@]}" -gt 0 ] || return 1
  uri="$(
    {
      # deb822: "URIs: a b"
      grep -hiE '^[[:space:]]*URIs:' "${files[@]}" 2>/dev/null | sed -E 's/^[[:space:]]*URIs:[[:space:]]*//I' | tr ' ' '\n'
      # one-line: "deb [opts] uri suite comps"
      grep -hE '^[[:space:]]*deb[[:space:]]' "${files[@]}" 2>/dev/null | sed -E 's/\[[^]]*\]//' | awk '{print $2}'
    } | grep -E '^https?://' | grep -E '/debian/?$' | grep -v -- '-security' | head -n1
  )"
  [ -n "$uri" ] || return 1
  printf '%s\n' "${uri%/}"
}

main() {
  require_root
  mkdir -p "$(dirname "$ASTERISK_ROOT")"
  exec 9>"$ASTERISK_LOCK_FILE"
  flock 9 # one installer at a time for this chroot

  if asterisk_installed; then
    log "Asterisk chroot already installed at $ASTERISK_ROOT ($(cat "$ASTERISK_READY_MARKER")), reusing it"
    return 0
  fi
  local t0=$SECONDS

  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap (apt)"
    apt-get install -y -o DPkg::Lock::Timeout=600 debootstrap >/dev/null ||
      { apt-get update -o DPkg::Lock::Timeout=600 >/dev/null && apt-get install -y -o DPkg::Lock::Timeout=600 debootstrap >/dev/null; }
  fi

  local mirror
  mirror="$(debian_mirror)" || die "no Debian mirror found in /etc/apt/sources.list(.d); set ASTERISK_DEBIAN_MIRROR"

  if [ ! -f "$ASTERISK_ROOT/.minibot-debootstrap-done" ]; then
    if [ -e "$ASTERISK_ROOT" ]; then
      # A previous run was cut short. Refuse to delete through a live mount (older runs/other tools).
      if grep -qF " $ASTERISK_ROOT/" /proc/mounts; then
        die "something is still mounted under $ASTERISK_ROOT (see /proc/mounts); unmount it and re-run"
      fi
      log "removing incomplete chroot from an interrupted run"
      rm -rf --one-file-system "$ASTERISK_ROOT"
    fi
    log "debootstrap --variant=minbase $SUITE from $mirror (takes a few minutes)"
    # Private mount namespace: the /proc,/sys mounts debootstrap makes in the target vanish with it.
    unshare --mount --propagation private -- \
      debootstrap --variant=minbase "$SUITE" "$ASTERISK_ROOT" "$mirror" >"$ASTERISK_ROOT.debootstrap.log" 2>&1 ||
      die "debootstrap failed, see $ASTERISK_ROOT.debootstrap.log"
    touch "$ASTERISK_ROOT/.minibot-debootstrap-done"
    log "debootstrap done in $((SECONDS - t0)) s"
  fi

  # No service start attempts inside the chroot during package install.
  printf '#!/bin/sh\nexit 101\n' >"$ASTERISK_ROOT/usr/sbin/policy-rc.d"
  chmod 755 "$ASTERISK_ROOT/usr/sbin/policy-rc.d"

  log "apt-get install ${PACKAGES[*]} inside the chroot"
  in_chroot dpkg --configure -a >/dev/null 2>&1 || true # finishes a dpkg run cut short by an interruption
  in_chroot apt-get -o Acquire::Check-Valid-Until=false update >/dev/null
  in_chroot apt-get install -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    --no-install-recommends "${PACKAGES[@]}" >"$ASTERISK_ROOT.apt.log" 2>&1 ||
    die "apt-get install failed in the chroot, see $ASTERISK_ROOT.apt.log"
  in_chroot apt-get clean

  local version
  version="$(in_chroot /usr/sbin/asterisk -V)" || die "asterisk -V failed in the chroot"
  case "$version" in
    "Asterisk 22."*) ;;
    *) log "warning: expected Asterisk 22, got '$version'" ;;
  esac
  printf '%s\n' "$version" >"$ASTERISK_READY_MARKER"
  log "installed $version in $ASTERISK_ROOT in $((SECONDS - t0)) s ($(du -sh --one-file-system "$ASTERISK_ROOT" | cut -f1))"
}

main "$@"
