# dmgbuild settings for FlowPilot Desktop (run by the release workflow):
#   dmgbuild -s packaging/macos/dmg_settings.py -D app=dist/FlowPilot.app "FlowPilot" out.dmg
# The window shows the app beside a link to /Applications: drag one onto the other.
# dmgbuild runs this file with `defines` in scope.
import os.path

app = defines.get("app", "dist/FlowPilot.app")  # noqa: F821
app_name = os.path.basename(app)

format = "UDZO"
filesystem = "HFS+"
files = [app]
symlinks = {"Applications": "/Applications"}
badge_icon = None
icon_size = 112
text_size = 13
window_rect = ((200, 120), (560, 340))
default_view = "icon-view"
show_status_bar = False
show_tab_view = False
show_toolbar = False
show_pathbar = False
show_sidebar = False
icon_locations = {app_name: (150, 150), "Applications": (410, 150)}
