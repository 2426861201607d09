#!/usr/bin/env bash
# Create the virtual environment and install FlowPilot (editable) with its test tools.
set -euo pipefail
python="${1:-python3}"
venv="${2:-.venv}"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found. Install Python 3.11 or newer (Debian/Ubuntu: sudo apt-get install python3 python3-venv)." >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: FlowPilot needs Python 3.11 or newer; $python is $("$python" -V 2>&1)." >&2
  echo "       Run: make PYTHON=python3.12 ... (or another Python >= 3.11)" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "Creating $venv with $("$python" -V 2>&1)..."
  if ! "$python" -m venv "$venv"; then
    rm -rf "$venv"
    echo "error: could not create a virtual environment." >&2
    echo "       On Debian/Ubuntu install the venv module: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
echo "Installing FlowPilot and its dependencies into $venv..."
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e '.[test]'
