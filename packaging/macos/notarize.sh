#!/usr/bin/env bash
# Sign, notarize and staple a FlowPilot .dmg — each step only when its credentials are set, so
# an unsigned build (a fork, a pull request) still produces a dmg.
#
#   packaging/macos/notarize.sh dist/FlowPilot-1.2.3-macos-arm64.dmg
#
# FLOWPILOT_CODESIGN_IDENTITY   "Developer ID Application: Name (TEAMID)" (the .app inside was
#                               signed by PyInstaller with the same identity: build.spec)
# APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD   an app-specific password for notarytool
set -euo pipefail
dmg="${1:?usage: notarize.sh DMG}"

if [ -z "${FLOWPILOT_CODESIGN_IDENTITY:-}" ]; then
  echo "notarize: FLOWPILOT_CODESIGN_IDENTITY is not set: the dmg stays unsigned."
  exit 0
fi
codesign --force --timestamp --sign "$FLOWPILOT_CODESIGN_IDENTITY" "$dmg"
codesign --verify --verbose "$dmg"

if [ -z "${APPLE_ID:-}" ] || [ -z "${APPLE_TEAM_ID:-}" ] || [ -z "${APPLE_APP_PASSWORD:-}" ]; then
  echo "notarize: APPLE_ID, APPLE_TEAM_ID or APPLE_APP_PASSWORD is not set: signed, not notarized."
  exit 0
fi
xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
  --password "$APPLE_APP_PASSWORD" --wait --timeout 30m
xcrun stapler staple "$dmg"
xcrun stapler validate "$dmg"
echo "notarize: $dmg is signed, notarized and stapled."
