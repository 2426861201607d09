#!/bin/sh
# Restart a systemd service and show its last log lines if it fails to come back.
SERVICE="{{service_name}}"

systemctl restart "$SERVICE"
sleep 3
if systemctl is-active --quiet "$SERVICE"; then
    echo "$SERVICE is running"
else
    echo "$SERVICE failed to start" >&2
    journalctl -u "$SERVICE" -n 30 --no-pager
    exit 1
fi
