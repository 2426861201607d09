#!/usr/bin/env bash
# Warn about file systems above a threshold and show the biggest folders on them.
THRESHOLD=${THRESHOLD:-85}

df -P -x tmpfs -x devtmpfs | awk 'NR > 1 { gsub("%", "", $5); print $5, $6 }' |
while read -r used mount; do
    if (( used >= THRESHOLD )); then
        printf '%s is %d%% full\n' "$mount" "$used"
        du -xh --max-depth=1 "$mount" 2>/dev/null | sort -rh | head -n 5
    fi
done
