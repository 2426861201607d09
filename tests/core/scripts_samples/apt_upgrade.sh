#!/bin/bash
# Unattended package upgrade with a log and a reboot notice.
set -o errexit
export DEBIAN_FRONTEND=noninteractive
LOG=/var/log/msp-apt-upgrade.log

{
    echo "=== $(date --iso-8601=seconds) ==="
    apt-get update -q
    apt-get -y -q -o Dpkg::Options::="--force-confdef" -o Dpkg::Options::="--force-confold" upgrade
    apt-get -y autoremove --purge
    apt-get clean
} >>"$LOG" 2>&1

if [ -f /var/run/reboot-required ]; then
    echo "Upgrade done; a reboot is required:"
    cat /var/run/reboot-required.pkgs 2>/dev/null || true
else
    echo "Upgrade done; no reboot needed."
fi
