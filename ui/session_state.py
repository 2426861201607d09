"""The current session as a model: which session is selected, its task-lane state, and whether a
reply is streaming — and the one place every service write is announced.

Views render from here and never read each other's state (napari's layer list and Anki's
main window state are the models). Writes reach ``publish`` through the TaskRunner (whatever
a write returns as its change); a change to the selected session reloads its lane here, once,
latest request wins, and not at all when that state_version is already shown.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.fix_outcome import BannerMode
from flowpilot_desktop.sessions import SessionSummary
from flowpilot_desktop.task_lane_service import FixView, TaskLaneService, TaskLaneState
from ui.ops import TaskRunner

LANE_REQUEST = "session-state.lane"
# Writes of these kinds always bump state_version, so an unchanged version means the lane on
# screen already shows them. Other writes (a turn's messages, a status, the ticket) don't bump
# it but change what the lane shows (exchanges, the session's status): they always reload.
VERSIONED_KINDS = frozenset(
    {ChangeKind.FACTS, ChangeKind.TASK_LANE, ChangeKind.FIX, ChangeKind.SCRIPTS}
)


class SessionState(QObject):
    sig_session_changed = Signal(object)
    """A service write changed a session (a SessionChange; any session, not only this one)."""
    sig_current_session_changed = Signal(object)
    """Another session is selected: this SessionSummary, or None."""
    sig_summary_changed = Signal(object)
    """The selected session itself changed (renamed, concluded): its new SessionSummary."""
    sig_lane_changed = Signal(object)
    """The selected session's TaskLaneState (None while none is loaded)."""
    sig_streaming_changed = Signal(bool)
    """A reply started or stopped streaming in the selected session's chat."""

    def __init__(
        self, runner: TaskRunner, lanes: TaskLaneService, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._lanes = lanes
        self._current: SessionSummary | None = None
        self._lane: TaskLaneState | None = None
        self._streaming = False
        runner.publish_changes_to(self.publish)

    # ---- What views read

    @property
    def current(self) -> SessionSummary | None:
        return self._current

    @property
    def lane(self) -> TaskLaneState | None:
        return self._lane

    @property
    def streaming(self) -> bool:
        return self._streaming

    @property
    def active_fix(self) -> FixView | None:
        return self._lane.active_fix if self._lane is not None else None

    @property
    def banner_mode(self) -> BannerMode:
        return self._lane.banner_mode if self._lane is not None else BannerMode.HIDDEN

    @property
    def has_exchange(self) -> bool:
        """At least one answered exchange: what Resolve and Escalate need (SPEC §9)."""
        return self._lane is not None and self._lane.exchanges > 0

    def concluded(self, *statuses: str) -> bool:
        """The selected session is resolved/escalated (locally or not) as one of ``statuses``."""
        current = self._current
        return current is not None and current.status.removesuffix("_local") in statuses

    # ---- What changes it

    def publish(self, change: SessionChange) -> None:
        """Announce a write; if it touched the selected session, refresh what is shown."""
        current = self._current
        if current is not None and change.session_id == current.id:
            if change.summary is not None and change.summary != current:
                self._current = change.summary
                self.sig_summary_changed.emit(change.summary)
            shown = self._lane is not None and change.state_version == self._lane.state_version
            if not (shown and change.kinds <= VERSIONED_KINDS):
                self.reload_lane()
        self.sig_session_changed.emit(change)

    def select(self, summary: SessionSummary | None) -> None:
        if summary == self._current:
            return
        same = summary is not None and self._current is not None and summary.id == self._current.id
        self._current = summary
        if same:
            self.sig_summary_changed.emit(summary)
            return
        self._lane = None
        self.sig_current_session_changed.emit(summary)
        self.sig_lane_changed.emit(None)
        if summary is not None:
            self.reload_lane()

    def set_streaming(self, streaming: bool) -> None:
        if streaming != self._streaming:
            self._streaming = streaming
            self.sig_streaming_changed.emit(streaming)

    def reload_lane(self) -> None:
        """Load the selected session's lane; only the newest answer is shown."""
        current = self._current
        if current is None:
            return
        session_id = current.id

        def loaded(state: TaskLaneState) -> None:
            if self._current is not None and self._current.id == session_id:
                self._lane = state
                self.sig_lane_changed.emit(state)

        self._runner.run(
            self._lanes.state(session_id),
            on_success=loaded,
            latest=LANE_REQUEST,
            title="Could not load the task lane",
            owner=self,
        )
