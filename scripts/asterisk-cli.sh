#!/usr/bin/env bash
# Runs one Asterisk CLI command against the running chroot Asterisk:  scripts/asterisk-cli.sh "core show channels"
set -euo pipefail
source "$(dirname "$0")/asterisk-lib.sh"
require_root
asterisk_installed || die "Asterisk chroot not installed (scripts/asterisk-install.sh)"
in_chroot /usr/sbin/asterisk -C /etc/asterisk/asterisk.conf -rx "$*"
