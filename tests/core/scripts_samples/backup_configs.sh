#!/usr/bin/env bash
# Archive /etc and the web server configuration before a change.
set -euo pipefail

stamp=$(date +%Y%m%d-%H%M%S)
dest="/root/config-backups"
mkdir -p "$dest"

targets=(/etc/nginx /etc/ssh/sshd_config /etc/fstab)
existing=()
for path in "${targets[@]}"; do
    [[ -e "$path" ]] && existing+=("$path")
done

tar -czf "$dest/config-$stamp.tar.gz" "${existing[@]}"
ls -1t "$dest"/config-*.tar.gz | tail -n +11 | xargs -r rm --
echo "Saved $dest/config-$stamp.tar.gz"
