"""Where the docks sit: the default arrangement, a window that fits the screen, the task lane
that turns into a tab on a narrow window, the conversation that takes whatever width the window
gains, and the layout saved and restored between runs."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QStyle

from ui.widgets.screen import available_geometry

WINDOW_STATE_VERSION = 1
NARROW_WINDOW_WIDTH = 1200  # below this the task lane becomes a tab beside the chat (SPEC §6)
DEFAULT_SIZE = (1500, 950)  # on a larger screen; a laptop's screen is used whole
SESSIONS_WIDTH, LANE_WIDTH = 260, 340  # the chat takes the rest, and whatever the window gains
MIN_CHAT_WIDTH = 400


@dataclass
class Docks:
    sessions: QDockWidget
    chat: QDockWidget
    lane: QDockWidget
    scripts: QDockWidget
    generator: QDockWidget


class WindowLayout:
    """The main window's dock arrangement (the window forwards its resize and show events)."""

    def __init__(self, window: QMainWindow, docks: Docks) -> None:
        self._window = window
        self._docks = docks
        self._moving_lane = False
        self._lane_placed_by_user = False
        self._side_widths = (SESSIONS_WIDTH, LANE_WIDTH)

    def watch_lane(self) -> None:
        """From now on a move of the lane is the technician's (call once it is placed)."""
        self._docks.lane.dockLocationChanged.connect(self._lane_moved)

    # ---- Arranging

    def place_default(self) -> None:
        window, d = self._window, self._docks
        for dock in (d.sessions, d.chat, d.lane, d.scripts, d.generator):
            window.removeDockWidget(dock)  # out of any tab group, so the splits below hold
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, d.sessions)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d.chat)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d.lane)
        window.splitDockWidget(d.chat, d.lane, Qt.Orientation.Horizontal)
        # the library shares the chat's place (a tab); the generator opens under the lane
        window.tabifyDockWidget(d.chat, d.scripts)
        d.chat.raise_()
        window.splitDockWidget(d.lane, d.generator, Qt.Orientation.Vertical)
        for dock in (d.sessions, d.chat, d.lane, d.scripts):
            dock.show()
        d.chat.raise_()
        d.generator.hide()
        chat = max(MIN_CHAT_WIDTH, window.width() - SESSIONS_WIDTH - LANE_WIDTH)
        window.resizeDocks(
            [d.sessions, d.chat, d.lane],
            [SESSIONS_WIDTH, chat, LANE_WIDTH],
            Qt.Orientation.Horizontal,
        )

    def reset(self) -> None:
        self._moving_lane = True
        d = self._docks
        for dock in (d.sessions, d.chat, d.lane, d.scripts, d.generator):
            dock.setFloating(False)
        self.place_default()
        self._moving_lane = False
        self._lane_placed_by_user = False
        self._side_widths = (SESSIONS_WIDTH, LANE_WIDTH)
        self.place_lane_for_width()

    def fit_to_screen(self) -> None:
        """Open inside the screen's available area: a laptop's whole screen, else a roomy
        window in the middle (a layout saved on a bigger monitor is clamped the same way).
        The frame (title bar, borders) counts once the window system has said how big it is."""
        window = self._window
        area = available_geometry(window)
        if area.isEmpty():
            return
        frame = window.frameGeometry().size() - window.geometry().size()
        room_width, room_height = area.width() - frame.width(), area.height() - frame.height()
        width, height = DEFAULT_SIZE
        if area.width() < width + 100 or area.height() < height + 80:
            width, height = room_width, room_height
        window.resize(min(width, room_width), min(height, room_height))
        placed = window.frameGeometry()
        placed.moveCenter(area.center())
        window.move(placed.topLeft())

    def keep_inside_screen(self) -> None:
        """Once shown (the frame is known now): a window sticking out of the screen is fitted."""
        area = available_geometry(self._window)
        if not area.isEmpty() and not area.contains(self._window.frameGeometry()):
            self.fit_to_screen()

    def place_lane_for_width(self) -> None:
        """Below NARROW_WINDOW_WIDTH the lane becomes a tab beside the chat (Alt+3 brings it
        up), so the conversation keeps its whole height; above, it sits on the right. A lane
        the technician placed (or floated) stays where it is."""
        window, lane, chat = self._window, self._docks.lane, self._docks.chat
        if self._lane_placed_by_user or lane.isFloating() or lane.isHidden():
            return
        tabbed = lane in window.tabifiedDockWidgets(chat)
        narrow = window.width() < NARROW_WINDOW_WIDTH
        if narrow == tabbed:
            return
        self._moving_lane = True
        if narrow:
            window.tabifyDockWidget(chat, lane)
            chat.raise_()
        else:
            # Out of the tab group, then beside it. Not splitDockWidget(chat, lane): splitting a
            # tabbed dock adds the other as one more tab (Qt's documented rule).
            window.removeDockWidget(lane)
            window.addDockWidget(
                Qt.DockWidgetArea.RightDockWidgetArea, lane, Qt.Orientation.Horizontal
            )
            lane.show()
            chat.raise_()
            window.resizeDocks([lane], [self._side_widths[1]], Qt.Orientation.Horizontal)
        self._moving_lane = False

    def give_width_to_chat(self) -> None:
        """When the window grows or shrinks, the conversation takes the difference (Qt would
        hand it to the Sessions list). The chat is named in the same resize: sizing only the
        side docks, which sit in different dock areas, leaves Qt's split where it was."""
        if self._moving_lane:
            return
        d = self._docks
        widths = {id(d.sessions): self._side_widths[0], id(d.lane): self._side_widths[1]}
        sides = [dock for dock in (d.sessions, d.lane) if self._beside_chat(dock)]
        if not sides or d.chat.isFloating() or d.chat.isHidden():
            return
        side_widths = [widths[id(dock)] for dock in sides]
        separator = self._window.style().pixelMetric(
            QStyle.PixelMetric.PM_DockWidgetSeparatorExtent, None, self._window
        )
        chat = max(MIN_CHAT_WIDTH, self._window.width() - sum(side_widths) - separator * len(sides))
        self._window.resizeDocks([*sides, d.chat], [*side_widths, chat], Qt.Orientation.Horizontal)

    def remember_side_widths(self) -> None:
        """After the technician dragged a separator: those widths are the ones to keep."""
        sessions, lane = self._docks.sessions, self._docks.lane
        self._side_widths = (
            sessions.width() if self._beside_chat(sessions) else self._side_widths[0],
            lane.width() if self._beside_chat(lane) else self._side_widths[1],
        )

    def give_room_below_lane(self, dock: QDockWidget) -> None:
        """A dock opening under the task lane (the generator) takes most of the column."""
        window, lane = self._window, self._docks.lane
        if dock.isFloating() or lane.isHidden():
            return
        if window.dockWidgetArea(lane) != window.dockWidgetArea(dock):
            return
        height = lane.height() + dock.height()
        window.resizeDocks(
            [lane, dock], [height * 2 // 5, height * 3 // 5], Qt.Orientation.Vertical
        )

    # ---- Between runs

    def restore(self, settings: QSettings) -> None:
        window = self._window
        geometry = settings.value("geometry")
        state = settings.value("state")
        if geometry is not None:
            window.restoreGeometry(geometry)
            self.keep_inside_screen()
        if state is not None:
            window.restoreState(state, WINDOW_STATE_VERSION)
        self._lane_placed_by_user = settings.value("lanePlacedByUser", "false") == "true"

    def save(self, settings: QSettings) -> None:
        settings.setValue("geometry", self._window.saveGeometry())
        settings.setValue("state", self._window.saveState(WINDOW_STATE_VERSION))
        settings.setValue("lanePlacedByUser", "true" if self._lane_placed_by_user else "false")

    # ---- Private

    def _beside_chat(self, dock: QDockWidget) -> bool:
        window = self._window
        return (
            dock.isVisible()
            and not dock.isFloating()
            and dock not in window.tabifiedDockWidgets(self._docks.chat)
            and window.dockWidgetArea(dock)
            in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
        )

    def _lane_moved(self, _area: Qt.DockWidgetArea) -> None:
        if not self._moving_lane:
            self._lane_placed_by_user = True
