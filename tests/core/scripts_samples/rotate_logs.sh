#!/usr/bin/env bash
# Compress application logs older than a day and delete archives older than 30 days.
set -euo pipefail

LOG_DIR="${1:-/var/log/myapp}"
KEEP_DAYS=30

if [[ ! -d "$LOG_DIR" ]]; then
    echo "No such directory: $LOG_DIR" >&2
    exit 1
fi

find "$LOG_DIR" -type f -name '*.log' -mtime +1 -print0 |
    while IFS= read -r -d '' file; do
        gzip -9 "$file"
        echo "compressed $file"
    done

deleted=$(find "$LOG_DIR" -type f -name '*.log.gz' -mtime +"$KEEP_DAYS" -print -delete | wc -l)
echo "Removed ${deleted} archive(s) older than ${KEEP_DAYS} days."
