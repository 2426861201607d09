#!/usr/bin/env bash
# Start FlowPilot, or, on a Linux machine without a display, say how to see it instead.
set -euo pipefail
python="$1"
shift
if [ "$(uname -s)" = "Linux" ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] \
   && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  cat <<MSG
There is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window cannot open.
To see FlowPilot anyway:
  make screenshot                                   # renders the window (demo data) to flowpilot.png
  $python -m flowpilot_desktop --screenshot flowpilot.png   # your own data
  xvfb-run -a make run                              # a virtual display (sudo apt-get install xvfb)
On a desktop, run: make run
MSG
  exit 0
fi
exec "$python" -m flowpilot_desktop "$@"
