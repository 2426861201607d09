#!/usr/bin/env bash
# Make sure Qt can start: install the few Debian/Ubuntu libraries it needs when they are
# missing and we may (root or password-less sudo); otherwise say exactly what to install.
set -euo pipefail
python="${1:-.venv/bin/python}"

offscreen_pkgs=(libglib2.0-0 libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libxkbcommon0)
xcb_pkgs=(libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
          libxcb-randr0 libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-shm0 libxcb-sync1
          libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0)

qt_starts() {
  QT_QPA_PLATFORM=offscreen "$python" -c \
    'from PySide6.QtWidgets import QApplication; QApplication([])' >/dev/null 2>&1
}

wanted=("${offscreen_pkgs[@]}")
if [ -n "${DISPLAY:-}" ]; then
  wanted+=("${xcb_pkgs[@]}")
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  if qt_starts; then exit 0; fi
  echo "error: Qt cannot start and this is not a Debian/Ubuntu system." >&2
  echo "       Install your distribution's packages for: GLib, EGL/OpenGL, fontconfig, xkbcommon, D-Bus." >&2
  QT_QPA_PLATFORM=offscreen "$python" -c 'from PySide6.QtWidgets import QApplication; QApplication([])' || true
  exit 1
fi

installed() {  # installed PACKAGE -> 0 when PACKAGE (or its Ubuntu 24.04 "t64" name) is there
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" ||
    dpkg-query -W -f='${Status}' "${1}t64" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for pkg in "${wanted[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  if qt_starts; then exit 0; fi
  echo "error: the Qt libraries look installed but Qt still cannot start:" >&2
  QT_QPA_PLATFORM=offscreen "$python" -c 'from PySide6.QtWidgets import QApplication; QApplication([])' || true
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "Qt needs these system libraries, which are missing:" >&2
  echo "    sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  echo "Run that, then run make again." >&2
  exit 1
fi

# Ubuntu 24.04 renamed some libraries (libglib2.0-0 -> libglib2.0-0t64): use what apt knows.
echo "Installing the system libraries Qt needs: ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
resolved=()
for pkg in "${missing[@]}"; do
  if apt-cache show "$pkg" >/dev/null 2>&1; then
    resolved+=("$pkg")
  elif apt-cache show "${pkg}t64" >/dev/null 2>&1; then
    resolved+=("${pkg}t64")
  else
    resolved+=("$pkg")
  fi
done
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${resolved[@]}"
if ! qt_starts; then
  echo "error: Qt still cannot start after installing ${resolved[*]}:" >&2
  QT_QPA_PLATFORM=offscreen "$python" -c 'from PySide6.QtWidgets import QApplication; QApplication([])' || true
  exit 1
fi
