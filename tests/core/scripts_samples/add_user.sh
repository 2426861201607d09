#!/usr/bin/env bash
# Create a local user with sudo rights and a forced password change at first login.
set -e

usage() {
    echo "usage: $0 <username>" >&2
    exit 2
}

[ $# -eq 1 ] || usage
user="$1"

if id "$user" &>/dev/null; then
    echo "User $user already exists"
    exit 0
fi

useradd --create-home --shell /bin/bash "$user"
usermod -aG sudo "$user"
password=$(openssl rand -base64 12)
echo "$user:$password" | chpasswd
chage -d 0 "$user"
echo "Created $user with a temporary password: $password"
