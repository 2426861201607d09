#!/usr/bin/env bash
# List TLS certificates that expire within N days for a set of hosts.
DAYS=${DAYS:-21}
HOSTS=("{{primary_host}}" "mail.example.com" "vpn.example.com")

for host in "${HOSTS[@]}"; do
    end=$(echo | openssl s_client -servername "$host" -connect "$host:443" 2>/dev/null \
        | openssl x509 -noout -enddate 2>/dev/null | cut -d= -f2)
    if [[ -z "$end" ]]; then
        echo "$host: no certificate"
        continue
    fi
    left=$(( ( $(date -d "$end" +%s) - $(date +%s) ) / 86400 ))
    case $left in
        -*) echo "$host: EXPIRED ($end)" ;;
        *)  if (( left < DAYS )); then echo "$host: $left days left"; fi ;;
    esac
done
