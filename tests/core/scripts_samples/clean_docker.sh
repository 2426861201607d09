#!/usr/bin/env bash
# Reclaim space from stopped containers, dangling images and old build cache.
set -u

before=$(df --output=avail -BG /var/lib/docker | tail -1 | tr -dc '0-9')

docker container prune --force --filter "until=72h"
docker image prune --force
docker builder prune --force --filter "until=168h"

after=$(df --output=avail -BG /var/lib/docker | tail -1 | tr -dc '0-9')
cat <<REPORT
Docker clean-up on $(hostname)
Free before: ${before} GB
Free after:  ${after} GB
REPORT
