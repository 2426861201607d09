#!/usr/bin/env bash
# Install FlowPilot Desktop for this user: the bundle, the menu entry, the icon, and the
# flowpilot:// link handler. No root needed; running it again upgrades in place.
#
#   install-desktop.sh [BUNDLE_DIR]   (default: the folder this script is in, as in the tarball,
#                                      or dist/FlowPilot beside it, for `make install-desktop`)
#   install-desktop.sh --uninstall
#
# Where: ${XDG_DATA_HOME:-~/.local/share}/flowpilot-desktop (the app), …/applications and
# …/icons/hicolor (the desktop entry and icons).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
target="$data/flowpilot-desktop"
entry="$data/applications/flowpilot.desktop"
sizes=(16 32 48 64 128 256 512)

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$target" "$entry"
  for size in "${sizes[@]}"; do rm -f "$data/icons/hicolor/${size}x${size}/apps/flowpilot.png"; done
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$data/applications" || true
  echo "FlowPilot Desktop removed (your sessions and settings are kept)."
  exit 0
fi

bundle="${1:-}"
if [ -z "$bundle" ]; then
  if [ -x "$here/FlowPilot" ]; then bundle="$here"; else bundle="$here/../../dist/FlowPilot"; fi
fi
if [ ! -x "$bundle/FlowPilot" ]; then
  echo "error: no FlowPilot bundle in $bundle (build it with: make bundle)" >&2
  exit 1
fi
bundle="$(cd "$bundle" && pwd)"
template="$here/flowpilot.desktop"
[ -f "$template" ] || template="$bundle/flowpilot.desktop"

if [ "$bundle" != "$target" ]; then
  rm -rf "$target.new"
  mkdir -p "$data"
  cp -a "$bundle" "$target.new"
  rm -rf "$target"
  mv "$target.new" "$target"
fi

mkdir -p "$data/applications"
sed -e "s|^Exec=.*|Exec=\"$target/FlowPilot\" %u|" "$template" > "$entry.tmp"
mv "$entry.tmp" "$entry"
for size in "${sizes[@]}"; do
  mkdir -p "$data/icons/hicolor/${size}x${size}/apps"
  cp "$target/_internal/resources/icons/flowpilot-$size.png" \
    "$data/icons/hicolor/${size}x${size}/apps/flowpilot.png"
done

if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database "$data/applications" || true
fi
if command -v xdg-mime >/dev/null 2>&1; then
  xdg-mime default flowpilot.desktop x-scheme-handler/flowpilot || true
fi
echo "FlowPilot Desktop installed in $target; start it from the menu, or open a flowpilot:// link."
